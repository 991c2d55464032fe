"""Online adaptation to one user: signed weights over a basis, shrunk toward the population.

A user's reward adds a correction to the population model's routed reward:

.. math::

    r_u(x, y) = \\sum_k w_k(x, c)\\, r_k(x, y) \\;+\\; \\beta_u^\\top z(x, y)

where ``w`` is the router (the population's routing: stage 1, or stage 2 for a known
context), ``z(x, y)`` is the model's **user basis** (the K head rewards ``r_k``, and with
a style featurizer the standardised style block as well:
:meth:`~mom_micro.rewards.MixtureRewardModel.user_basis`), and ``beta_u`` is fitted to
the user's recorded choices by L2-penalised logistic regression with the population's
margin as a fixed offset:

.. math::

    \\beta_u = \\arg\\min_\\beta \\sum_i \\log\\big(1 + e^{-(m_i + \\beta^\\top g_i)}\\big)
              + \\frac{\\lambda}{2} \\lVert S \\beta \\rVert^2

with ``m_i = r(x_i, y_w) - r(x_i, y_l)`` under the population routing and
``g_i = z(x_i, y_w) - z(x_i, y_l)``. ``S = diag(s_j / sigma)`` measures each weight in
units of the population's own margins: ``s_j`` is the root mean square of basis entry
``j``'s gaps over the user's choices and ``sigma`` that of the head rewards' gaps (the
size of a typical margin, since ``m`` is a weighted mean of head gaps). So a unit of
``S beta`` moves a margin by about one typical margin, whatever scale the heads were
trained to, and on the heads ``beta`` is in the units of the router's weights. This is
a MAP estimate with a Gaussian prior centred on the population model (``beta = 0``),
which is why it **cannot stray far from the population on a few choices and follows
the user as choices accumulate**: with no choice ``beta = 0`` and the user gets the
population model. Unlike Hedge, whose weights are a distribution over
the heads, ``beta`` is signed: a user can want the *opposite* of what a head rewards
("not the long, thorough answer"), which a convex mixture of heads cannot say.

The fit is a few Newton steps on ``D`` unknowns (``D`` = K + style entries, about 30),
refitted from all of the user's stored choices on every new one (milliseconds).
``l2`` (``lambda``) was chosen on held-out contexts of the training side
(docs/benchmarks.md); the paper leaves online adaptation open.

Example:
    >>> import torch
    >>> choices = torch.tensor([[-1.0, 2.0, 1.0], [-1.0, 1.5, -1.0],   # [m, g_1, g_2]:
    ...                         [-0.5, 1.0, 0.5], [-1.0, 2.0, -0.5]])  # the population is wrong
    >>> [round(b, 2) for b in fit_user_weights(choices)]  # head 1 explains the user
    [0.62, -0.04]
"""

from __future__ import annotations

import numpy as np
import torch

from .config import DEFAULT_L2

__all__ = ["DEFAULT_L2", "fit_user_weights"]


def fit_user_weights(
    choices: torch.Tensor | np.ndarray,
    l2: float = DEFAULT_L2,
    heads: int | None = None,
    steps: int = 25,
    tol: float = 1e-8,
) -> list[float]:
    """``beta_u`` for the choices ``[m_i, g_i1, ..., g_iD]`` (rows), see the module docstring.

    ``heads``: how many of the ``D`` basis entries are head rewards (all when ``None``);
    their gaps set the margin scale ``sigma``. Newton's method with step halving on the
    penalised log-loss (convex, so it converges from ``beta = 0``), in float64 NumPy: the
    matrices are tiny, and torch's intra-op threads cost a hundred times the arithmetic
    on a busy machine.
    """
    if l2 <= 0:
        raise ValueError(f"l2 must be > 0, got {l2}")
    data = np.asarray(choices, dtype=np.float64)
    margins, gaps = data[:, 0], data[:, 1:]
    sigma = max(float(np.sqrt(np.mean(gaps[:, :heads] ** 2))), 1e-6)
    scale = np.maximum(np.sqrt(np.mean(gaps**2, axis=0)), 1e-6) / sigma
    design = gaps / scale
    beta = np.zeros(design.shape[1])

    def loss(b: np.ndarray) -> float:
        return float(np.logaddexp(0.0, -(margins + design @ b)).sum() + 0.5 * l2 * b @ b)

    current = loss(beta)
    eye = np.eye(len(beta))
    for _ in range(steps):
        p = 0.5 * (1.0 + np.tanh(0.5 * (margins + design @ beta)))  # sigmoid, no overflow
        grad = -design.T @ (1 - p) + l2 * beta
        hess = design.T @ (design * (p * (1 - p))[:, None]) + l2 * eye
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4:
            candidate = beta - t * step
            value = loss(candidate)
            if value <= current:
                break
            t /= 2
        else:
            break
        done = current - value < tol
        beta, current = candidate, value
        if done:
            break
    return [float(b) for b in beta / scale]
