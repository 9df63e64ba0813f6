"""BTYD summaries drawn from the models' own generative story, with known parameters.

A summary drawn here has a right answer: the parameters it was drawn with. The tests
check that a fit recovers them, and the library comparison in docs/models.md times
each candidate on a summary of 100,000 customers drawn here.

BG/NBD (Fader, Hardie & Lee 2005): while alive, a customer buys at Poisson rate
``lambda ~ Gamma(r, rate=alpha)``; after each purchase they drop out with probability
``p ~ Beta(a, b)``. Gamma-Gamma: each repeat purchase is worth ``z ~ Gamma(p, rate=nu)``
with ``nu ~ Gamma(q, rate=gamma)`` per customer, so the mean of ``x`` purchases is
``Gamma(p x, rate=nu x)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TrueParameters:
    """The parameters a summary is drawn with (defaults: CDNOW's published estimates, weeks).

    Attributes:
        r: Shape of the purchase-rate gamma.
        alpha: Rate of the purchase-rate gamma (in the unit of ``t``).
        a: First shape of the dropout beta.
        b: Second shape of the dropout beta.
        p: Shape of one purchase's value.
        q: Shape of the per-customer rate of the value gamma.
        gamma: Rate of the per-customer rate of the value gamma.
    """

    r: float = 0.243
    alpha: float = 4.414
    a: float = 0.793
    b: float = 2.426
    p: float = 6.25
    q: float = 3.74
    gamma: float = 15.44


def draw_summary(
    n_customers: int,
    max_t: float = 78.0,
    params: TrueParameters | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """A BTYD summary of ``n_customers`` drawn from BG/NBD and Gamma-Gamma.

    Args:
        n_customers: Rows to draw.
        max_t: Customers' first purchases are spread uniformly over this many time
            units before the end of observation (78 weeks: CDNOW's 1.5 years).
        params: The true parameters; CDNOW's published estimates when omitted.
        seed: Random seed.

    Returns:
        One row per customer: ``frequency`` (repeat purchases), ``recency`` (time of
        the last purchase since the first), ``T`` (time observed since the first
        purchase) and ``monetary_value`` (mean value of the repeat purchases, 0 for
        none).
    """
    params = params or TrueParameters()
    rng = np.random.default_rng(seed)
    horizon = rng.uniform(1.0, max_t, n_customers)
    rate = rng.gamma(params.r, 1.0 / params.alpha, n_customers)
    dropout = rng.beta(params.a, params.b, n_customers)
    frequency = np.zeros(n_customers, dtype=np.int64)
    recency = np.zeros(n_customers)
    clock = np.zeros(n_customers)
    alive = rate > 0
    while alive.any():
        index = np.flatnonzero(alive)
        clock[index] += rng.exponential(1.0 / rate[index])
        bought = clock[index] <= horizon[index]
        buyers = index[bought]
        frequency[buyers] += 1
        recency[buyers] = clock[buyers]
        alive[index[~bought]] = False
        alive[buyers[rng.random(len(buyers)) < dropout[buyers]]] = False
    value_rate = rng.gamma(params.q, 1.0 / params.gamma, n_customers)
    repeat = frequency > 0
    monetary = np.zeros(n_customers)
    monetary[repeat] = rng.gamma(
        params.p * frequency[repeat], 1.0 / (value_rate[repeat] * frequency[repeat])
    )
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": horizon, "monetary_value": monetary}
    )
