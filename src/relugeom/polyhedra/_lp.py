"""One LP wrapper over HiGHS that tells infeasible, unbounded and solver failure apart.

Convention: minimise ``c @ x`` subject to ``A_ub x <= b_ub``, ``A_eq x = b_eq`` and
``lb <= x <= ub`` (defaults: free variables).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.optimize import linprog

from .._tol import Tolerance, resolve

log = logging.getLogger(__name__)

__all__ = ["LPStatus", "LPResult", "solve_lp"]


class LPStatus(str, Enum):
    """Outcome of an LP."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    FAILED = "failed"


@dataclass(frozen=True)
class LPResult:
    """Result of :func:`solve_lp`.

    Attributes
    ----------
    status : LPStatus
    x : ndarray or None
        An optimal point (OPTIMAL only).
    value : float
        Optimal value; ``+inf`` when infeasible, ``-inf`` when unbounded, ``nan`` on failure.
    dual : ndarray or None
        Multipliers of the inequality rows (``>= 0`` for a minimisation; OPTIMAL only).
    message : str
        The solver's message.
    tol : Tolerance
        The tolerance policy the solver ran with.
    """

    status: LPStatus
    x: np.ndarray | None
    value: float
    dual: np.ndarray | None
    message: str
    tol: Tolerance

    @property
    def optimal(self) -> bool:
        """True when an optimum was found."""
        return self.status is LPStatus.OPTIMAL


def solve_lp(
    c: object,
    A_ub: object | None = None,
    b_ub: object | None = None,
    A_eq: object | None = None,
    b_eq: object | None = None,
    *,
    bounds: object = (None, None),
    tol: Tolerance | None = None,
) -> LPResult:
    """Minimise ``c @ x`` s.t. ``A_ub x <= b_ub``, ``A_eq x == b_eq``, ``bounds``.

    Parameters
    ----------
    c : array_like (n,)
    A_ub, b_ub, A_eq, b_eq : array_like, optional
    bounds : (lo, hi) or sequence of (lo, hi)
        Variable bounds; ``None`` is unbounded. Default: all variables free.
    tol : Tolerance, optional
        The feasibility tolerance is ``tol.feas_atol``.

    Returns
    -------
    LPResult
        ``status`` is OPTIMAL, INFEASIBLE, UNBOUNDED or FAILED; never raises for these.

    Examples
    --------
    >>> r = solve_lp([1.0], [[-1.0]], [-2.0])        # min x s.t. x >= 2
    >>> r.status.value, float(r.value)
    ('optimal', 2.0)
    >>> solve_lp([1.0], [[1.0], [-1.0]], [0.0, -1.0]).status.value
    'infeasible'
    >>> solve_lp([1.0], [[1.0]], [0.0]).status.value
    'unbounded'
    """
    tol = resolve(tol)
    c = np.asarray(c, dtype=float)
    options = {
        "primal_feasibility_tolerance": max(tol.feas_atol, 1e-10),
        "dual_feasibility_tolerance": max(tol.feas_atol, 1e-10),
        "presolve": True,
    }
    try:
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds,
                      method="highs", options=options)
    except ValueError as exc:  # shape problems are the caller's
        raise ValueError(f"malformed LP: {exc}") from None
    if res.status == 0:
        dual = None
        if A_ub is not None and getattr(res, "ineqlin", None) is not None:
            dual = -np.asarray(res.ineqlin.marginals)
        return LPResult(LPStatus.OPTIMAL, np.asarray(res.x), float(res.fun), dual, res.message, tol)
    if res.status == 2:
        return LPResult(LPStatus.INFEASIBLE, None, np.inf, None, res.message, tol)
    if res.status == 3:
        return LPResult(LPStatus.UNBOUNDED, None, -np.inf, None, res.message, tol)
    log.warning("HiGHS failed (status %s): %s", res.status, res.message)
    return LPResult(LPStatus.FAILED, None, np.nan, None, res.message, tol)
