"""Hostile strings through the whole night: data never becomes SQL, values stay intact."""
