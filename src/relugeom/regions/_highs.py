"""A small warm-started HiGHS model for the many tiny LPs of the region traversal.

The region traversal solves thousands of LPs with a handful of columns; through
``scipy.optimize.linprog`` each costs about a millisecond of set-up, through one
reusable :mod:`highspy` model about a tenth of that. The model is

    minimise  cost @ (x, t)   subject to   A x + tcoef * t <= b,   0 <= t <= t_upper,

with ``x`` free; rows can be relaxed, fixed or switched off between solves.
"""

from __future__ import annotations

import logging

import numpy as np

from .._tol import Tolerance
from ..polyhedra import LPStatus, solve_lp
from ..polyhedra._lp import new_highs

log = logging.getLogger(__name__)

__all__ = ["TinyLP"]

class TinyLP:
    """A reusable HiGHS model ``A x + tcoef t <= b``, ``0 <= t <= t_upper`` (x free).

    Parameters
    ----------
    A : ndarray (m, d)
    b : ndarray (m,)
    tcoef : ndarray (m,)
        Coefficient of the extra column ``t`` in each row (row norms for a Chebyshev ball).
    t_upper : float
        Upper bound of ``t`` (``inf`` allowed); :meth:`set_t_upper` changes it.
    tol : Tolerance

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom._tol import DEFAULT
    >>> A = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> lp = TinyLP(A, np.array([1.0, 1.0, 2.0, 2.0]), np.ones(4), np.inf, DEFAULT)
    >>> status, z, val = lp.solve(np.array([0.0, 0.0, -1.0]))   # maximise t
    >>> status.value, round(-val, 9)
    ('optimal', 1.0)
    """

    def __init__(self, A: np.ndarray, b: np.ndarray, tcoef: np.ndarray, t_upper: float,
                 tol: Tolerance):
        import highspy

        self._hs = highspy
        self.A = np.ascontiguousarray(A, dtype=float)
        self.b = np.asarray(b, dtype=float).copy()
        self.tcoef = np.asarray(tcoef, dtype=float)
        self.tol = tol
        self.t_upper = float(t_upper)
        m, d = self.A.shape
        self.m, self.d = m, d
        inf = highspy.kHighsInf
        self._inf = inf
        h = new_highs(tol)  # silent, presolve off, the policy's tolerances
        lp = highspy.HighsLp()
        lp.num_col_ = d + 1
        lp.num_row_ = m
        lp.col_cost_ = np.zeros(d + 1)
        lp.col_lower_ = np.concatenate([np.full(d, -inf), [0.0]])
        lp.col_upper_ = np.concatenate([np.full(d, inf), [min(self.t_upper, inf)]])
        lp.row_lower_ = np.full(m, -inf)
        lp.row_upper_ = self.b.copy()
        full = np.hstack([self.A, self.tcoef[:, None]])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, m * (d + 1) + 1, d + 1, dtype=np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(d + 1, dtype=np.int32), m)
        lp.a_matrix_.value_ = full.ravel()
        lp.a_matrix_.num_col_ = d + 1
        lp.a_matrix_.num_row_ = m
        h.passModel(lp)
        self._h = h
        self._cols = np.arange(d + 1, dtype=np.int32)
        self.n_solves = 0

    def set_row(self, i: int, lower: float, upper: float) -> None:
        """Change the bounds of row ``i`` (``-inf``/``inf`` allowed)."""
        lo = -self._inf if not np.isfinite(lower) else float(lower)
        hi = self._inf if not np.isfinite(upper) else float(upper)
        self._h.changeRowBounds(int(i), lo, hi)

    def set_tcoef(self, tcoef: np.ndarray) -> None:
        """Change the coefficients of the column ``t`` in every row."""
        tcoef = np.asarray(tcoef, dtype=float)
        for i in np.flatnonzero(tcoef != self.tcoef):
            self._h.changeCoeff(int(i), self.d, float(tcoef[i]))
        self.tcoef = tcoef.copy()

    def set_t_upper(self, upper: float) -> None:
        """Change the upper bound of the column ``t`` (0 fixes it)."""
        self._h.changeColBounds(self.d, 0.0, self._inf if not np.isfinite(upper) else float(upper))

    def solve(self, cost: np.ndarray) -> tuple[LPStatus, np.ndarray | None, float]:
        """Minimise ``cost @ (x, t)``; returns (status, solution, value)."""
        hs = self._hs
        self._h.changeColsCost(self.d + 1, self._cols, np.asarray(cost, dtype=float))
        self._h.run()
        self.n_solves += 1
        st = self._h.getModelStatus()
        if st == hs.HighsModelStatus.kOptimal:
            sol = np.asarray(self._h.getSolution().col_value)
            return LPStatus.OPTIMAL, sol, float(self._h.getInfo().objective_function_value)
        if st == hs.HighsModelStatus.kInfeasible:
            return LPStatus.INFEASIBLE, None, np.inf
        if st == hs.HighsModelStatus.kUnbounded:
            return LPStatus.UNBOUNDED, None, -np.inf
        return self._fallback(cost)

    def _fallback(self, cost: np.ndarray) -> tuple[LPStatus, np.ndarray | None, float]:
        # rebuild the current LP and hand it to the library wrapper (scipy/HiGHS with presolve)
        lp = self._h.getLp()
        lo = np.asarray(lp.row_lower_)
        hi = np.asarray(lp.row_upper_)
        full = np.hstack([self.A, self.tcoef[:, None]])
        on_hi = hi < self._inf
        on_lo = lo > -self._inf
        A_ub = np.vstack([full[on_hi], -full[on_lo]])
        b_ub = np.concatenate([hi[on_hi], -lo[on_lo]])
        tup = np.asarray(lp.col_upper_)[-1]
        bounds = [(None, None)] * self.d + [(0.0, None if tup >= self._inf else float(tup))]
        log.debug("warm-started HiGHS gave %s; re-solving with presolve", self._h.getModelStatus())
        res = solve_lp(cost, A_ub, b_ub, bounds=bounds, tol=self.tol)
        return res.status, res.x, res.value
