"""The BG/NBD purchase model (Fader, Hardie & Lee 2005): likelihood, fit and predictions.

While alive, a customer buys at Poisson rate ``lambda ~ Gamma(r, rate=alpha)``; after
each purchase they drop out for good with probability ``p ~ Beta(a, b)``. A customer is
summarised by ``x`` (repeat purchases), ``t_x`` (time of the last purchase since the
first) and ``T`` (time since the first purchase), all in one time unit; ``alpha``
is in that unit.

The fit maximises the exact log-likelihood (the paper's equation 6) with
``scipy.optimize`` over log-parameters. Customers with the same summary share a
likelihood term, so the data are first reduced to distinct ``(x, t_x, T)`` rows with
counts: with whole-day summaries that is a small fraction of the customers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

#: Within this of a = 1, expected_purchases steps around the removable singularity.
_NEAR_ONE = 1e-4


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters, in the time unit of the summary they were fitted on."""

    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        """The parameters by name."""
        return asdict(self)


def log_likelihood(
    params: BGNBDParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """Each customer's log-likelihood of ``(x, t_x, T)`` under ``params``."""
    return _log_likelihood_and_gradient(params, x, t_x, big_t, gradient=False)[0]


def _log_likelihood_and_gradient(
    params: BGNBDParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood and, if asked, its gradient in (r, alpha, a, b) by row.

    ``ll = common + log(e^still_alive + e^dropped)``: the customer is still alive at T,
    or dropped out right after the last purchase (only possible with ``x > 0``).
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    # b + x - 1 is 0 for x = 0, where the dropped-out branch does not exist.
    b_dropped = np.where(repeat, b + x - 1, 1.0)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    log_alive_at_t = np.log(alpha + big_t)
    log_alive_at_t_x = np.log(alpha + t_x)
    still_alive = betaln(a, b + x) - (r + x) * log_alive_at_t
    dropped = np.where(repeat, betaln(a + 1, b_dropped) - (r + x) * log_alive_at_t_x, -np.inf)
    mixed = np.logaddexp(still_alive, dropped)
    if not gradient:
        return common + mixed, None
    w_alive = np.exp(still_alive - mixed)
    w_dropped = 1.0 - w_alive
    psi_abx = digamma(a + b + x)
    d_r = (
        digamma(r + x) - digamma(r) + np.log(alpha)
        - w_alive * log_alive_at_t - w_dropped * log_alive_at_t_x
    )  # fmt: skip
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + big_t) + w_dropped / (alpha + t_x))
    d_a = (
        digamma(a + b) - digamma(a)
        + w_alive * (digamma(a) - psi_abx) + w_dropped * (digamma(a + 1) - psi_abx)
    )  # fmt: skip
    d_b = (
        digamma(a + b) - digamma(b)
        + w_alive * (digamma(b + x) - psi_abx)
        + w_dropped * (digamma(b_dropped) - psi_abx)
    )  # fmt: skip
    return common + mixed, np.column_stack([d_r, d_alpha, d_a, d_b])


def fit(
    x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, tol: float = 1e-10
) -> tuple[BGNBDParams, float]:
    """Maximum-likelihood BG/NBD parameters of a summary.

    Args:
        x: Repeat purchases per customer.
        t_x: Time from the first to the last purchase (0 without repeat purchases).
        big_t: Time from the first purchase to the end of observation (``t_x <= T``).
        tol: Convergence tolerance of the optimiser on the mean log-likelihood.

    Returns:
        The parameters and the mean log-likelihood per customer at them.

    Raises:
        ValueError: The summary is empty or inconsistent, or the optimiser failed.
    """
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    _check_summary(x, t_x, big_t)
    # Time in units of the mean T keeps the four log-parameters near zero to start.
    scale = float(big_t.mean()) or 1.0
    rows, counts = np.unique(
        np.column_stack([x, t_x / scale, big_t / scale]), axis=0, return_counts=True
    )
    ux, ut_x, ut = rows[:, 0], rows[:, 1], rows[:, 2]
    weights = counts / counts.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        values = np.exp(theta)
        ll, grad = _log_likelihood_and_gradient(BGNBDParams(*values), ux, ut_x, ut, gradient=True)
        value = ll @ weights
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return -value, -(weights @ grad) * values

    result = minimize(loss, np.zeros(4), jac=True, method="BFGS", options={"gtol": tol})
    if not np.isfinite(result.fun):
        raise ValueError(f"BG/NBD fit did not converge: {result.message}")
    r, alpha, a, b = np.exp(result.x)
    return BGNBDParams(float(r), float(alpha * scale), float(a), float(b)), float(-result.fun)


def probability_alive(
    params: BGNBDParams, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """P(still alive at T | x, t_x, T); 1 for a customer with no repeat purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    odds = np.zeros_like(x)
    repeat = x > 0
    odds[repeat] = (a / (b + x[repeat] - 1)) * np.exp(
        (r + x[repeat]) * (np.log(alpha + big_t[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return 1.0 / (1.0 + odds)


def expected_purchases(
    params: BGNBDParams, t: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """E[purchases in the next ``t`` time units | x, t_x, T] (the paper's equation 10).

    The Gauss hypergeometric term is evaluated after Euler's transformation,
    ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)`` with
    ``c = a+b+x-1`` and ``z = t/(alpha+T+t)``, whose first two arguments do not grow
    with ``x``: the series stays well conditioned for frequent buyers. At ``a = 1`` the
    formula is 0/0 (a removable singularity): near it, the mean of the values just
    either side is returned.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    if t <= 0:
        return np.zeros_like(x)
    if abs(a - 1) < _NEAR_ONE:
        if_alive = (
            _purchases_if_alive(r, alpha, 1 - _NEAR_ONE, b, t, x, big_t)
            + _purchases_if_alive(r, alpha, 1 + _NEAR_ONE, b, t, x, big_t)
        ) / 2
    else:
        if_alive = _purchases_if_alive(r, alpha, a, b, t, x, big_t)
    return if_alive * probability_alive(params, x, t_x, big_t)


def _purchases_if_alive(
    r: float, alpha: float, a: float, b: float, t: float, x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    """Expected purchases in the next ``t`` of a customer alive at T (``a != 1``)."""
    c = a + b + x - 1
    z = t / (alpha + big_t + t)
    tail = np.power(1 - z, a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z)
    return (c / (a - 1)) * (1 - tail)


def _check_summary(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> None:
    if not len(x):
        raise ValueError("BG/NBD needs at least one customer")
    if (x < 0).any() or (t_x < 0).any() or (t_x > big_t).any():
        raise ValueError("BG/NBD needs x >= 0 and 0 <= t_x <= T for every customer")
    if ((x == 0) & (t_x != 0)).any():
        raise ValueError("a customer with no repeat purchase must have t_x = 0")
