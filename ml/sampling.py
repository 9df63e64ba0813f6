"""Reproducible row samples for fitting and evaluating on large frames."""

from __future__ import annotations

import numpy as np


def sample_rows(n_rows: int, size: int, seed: int) -> np.ndarray:
    """``size`` row positions out of ``n_rows`` (all of them when there are fewer), sorted.

    The same seed gives the same sample, so a fit or an evaluation on a sample repeats.
    """
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=size, replace=False))
