"""Benchmark of the nightly pipeline at three scales (``make bench SCALE=S|M|L``)."""
