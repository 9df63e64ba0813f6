"""The Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013's note).

Each repeat purchase of a customer is worth ``z ~ Gamma(p, rate=nu)``, and ``nu`` varies
across customers as ``Gamma(q, rate=gamma)``. The model is fitted on the mean value
``m`` of each customer's ``x >= 1`` repeat purchases, whose density is
``Gamma(p x, rate=nu x)`` given ``nu``; integrating ``nu`` out gives the likelihood
maximised here. A customer's expected purchase value is then a weighted average of the
population mean ``p gamma / (q - 1)`` and their own mean, the weight of their own mean
growing with ``x``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters; ``gamma`` is in the currency of the values."""

    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        """The parameters by name."""
        return asdict(self)

    @property
    def population_mean(self) -> float:
        """Expected value of one purchase of a customer we know nothing about."""
        return self.p * self.gamma / (self.q - 1)


def log_likelihood(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each repeat customer's log-likelihood of the mean value ``m`` of ``x`` purchases."""
    return _log_likelihood_and_gradient(params, x, m, gradient=False)[0]


def _log_likelihood_and_gradient(
    params: GammaGammaParams, x: np.ndarray, m: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    p, q, gamma = params.p, params.q, params.gamma
    px = p * x
    log_total = np.log(gamma + m * x)
    ll = (
        gammaln(px + q) - gammaln(px) - gammaln(q)
        + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x)
        - (px + q) * log_total
    )  # fmt: skip
    if not gradient:
        return ll, None
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - log_total)
    d_q = psi - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return ll, np.column_stack([d_p, d_q, d_gamma])


def fit(x: np.ndarray, m: np.ndarray, tol: float = 1e-10) -> tuple[GammaGammaParams, float]:
    """Maximum-likelihood Gamma-Gamma parameters of the repeat customers.

    Args:
        x: Repeat purchases per customer, each at least 1.
        m: Mean value of those repeat purchases, each positive.
        tol: Convergence tolerance of the optimiser on the mean log-likelihood.

    Returns:
        The parameters and the mean log-likelihood per customer at them.

    Raises:
        ValueError: No customer, a value out of range, a failed fit, or ``q <= 1``
            (the population mean value would be infinite).
    """
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    if not len(x):
        raise ValueError("Gamma-Gamma needs at least one repeat customer")
    if (x < 1).any() or (m <= 0).any():
        raise ValueError("Gamma-Gamma needs x >= 1 and a positive mean value per customer")
    # Values in units of their mean keep gamma near 1 to start; gamma scales back.
    scale = float(m.mean())
    scaled = m / scale

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        values = np.exp(theta)
        ll, grad = _log_likelihood_and_gradient(GammaGammaParams(*values), x, scaled, gradient=True)
        value = ll.mean()
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return -value, -grad.mean(axis=0) * values

    result = minimize(loss, np.zeros(3), jac=True, method="BFGS", options={"gtol": tol})
    if not np.isfinite(result.fun):
        raise ValueError(f"Gamma-Gamma fit did not converge: {result.message}")
    p, q, gamma = np.exp(result.x)
    params = GammaGammaParams(float(p), float(q), float(gamma * scale))
    if params.q <= 1:
        raise ValueError(
            f"Gamma-Gamma fit gave q = {params.q:.3f} <= 1: the values are too heavy-tailed "
            "for a finite population mean"
        )
    return params, float(-result.fun) - float(np.log(scale))


def expected_value(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[value of one future purchase | x, m]; the population mean where ``x = 0``."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    own_weight = params.p * x / (params.p * x + params.q - 1)
    return (1 - own_weight) * params.population_mean + own_weight * np.where(x > 0, m, 0.0)
