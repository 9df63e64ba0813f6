"""Privacy that holds beyond one night: the person-id key, erasure everywhere, its log."""
