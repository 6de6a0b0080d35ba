"""Incremental, warm-started LPs over one polyhedron (HiGHS through highspy).

Use :class:`IncrementalLP` when many LPs share most of their constraints: the support
function of a region in many directions, redundancy removal (relax one row at a time), a
safety check that adds and removes the constraints of an unsafe set. HiGHS keeps its basis
between solves, so each re-solve usually takes a few simplex iterations.
"""

from __future__ import annotations

import logging

import numpy as np

from .._tol import Tolerance, resolve
from ._lp import (LPBackend, LPResult, LPStatus, _as_mat, _as_vec, _parse_bounds, csr,
                  highs_result, new_highs, solve_lp)

log = logging.getLogger(__name__)

__all__ = ["IncrementalLP"]

_INF = float("inf")


class IncrementalLP:
    r"""``min c @ x`` s.t. ``A x <= b``, ``A_eq x = b_eq``, bounds — modified and re-solved.

    The object holds one HiGHS model. Between calls of :meth:`solve` the caller may

    - change the objective (the ``c`` argument of :meth:`solve`; ``maximize=True`` negates),
    - append inequality rows (:meth:`add_rows`, returns their row positions),
    - delete inequality rows (:meth:`remove_rows`; later rows move up, as in ``del list[i]``),
    - keep only the first ``k`` rows (:meth:`truncate`, handy as a stack: remember
      ``lp.n_rows``, add rows, solve, ``lp.truncate(k)``),
    - change right-hand sides (:meth:`set_rhs`; ``inf`` switches a row off),
    - change variable bounds (:meth:`set_bounds`),

    and each :meth:`solve` starts from the previous basis. Measured on small LPs (40 rows,
    6 variables; ``benchmarks/lp_overhead.py``): a new objective re-solves in about half
    the time of a fresh :func:`solve_lp`; add a row / solve / truncate costs about as much
    as a fresh solve; rows parked with ``set_rhs(i, inf)`` still cost time in every solve,
    so delete rows that will not come back. Results are :class:`LPResult`
    with exactly the conventions of :func:`solve_lp`: ``dual`` has one entry per current
    inequality row (``>= 0``), ``dual_eq`` one per equality row, and for an infeasible LP
    ``ray`` is a Farkas ray over ``[current rows; equality rows]``. If HiGHS gives no usable
    status, the LP is re-solved from scratch with ``solve_lp(backend="scipy")``.

    Parameters
    ----------
    A : array_like (m, n)
    b : array_like (m,)
    A_eq, b_eq : array_like, optional
    bounds : (lo, hi) or sequence of (lo, hi)
        Variable bounds as in :func:`solve_lp` (default: free).
    tol : Tolerance, optional
    time_limit : float, optional
        Seconds per :meth:`solve`; a solve that hits it is FAILED.

    Notes
    -----
    One object is not thread-safe; give each thread its own.

    Examples
    --------
    >>> lp = IncrementalLP([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [1.0, 1.0, 0.0])
    >>> lp.solve([1.0, 1.0], maximize=True).value                # max x + y
    2.0
    >>> k = lp.n_rows; lp.add_rows([[1.0, 1.0]], [1.5]).tolist()
    [3]
    >>> lp.solve([1.0, 1.0], maximize=True).value
    1.5
    >>> lp.truncate(k); lp.solve([1.0, 0.0]).value                 # min x
    -1.0
    >>> lp.add_rows([[1.0, 1.0]], [-1.0]); lp.solve([0.0, 0.0]).status.value
    array([3])
    'infeasible'
    """

    def __init__(self, A: object, b: object, A_eq: object | None = None, b_eq: object | None = None,
                 *, bounds: object = (None, None), tol: Tolerance | None = None,
                 time_limit: float | None = None):
        import highspy

        self.tol = resolve(tol)
        A = np.asarray(A, dtype=float)
        if A.ndim != 2:
            raise ValueError(f"A must be a 2-dimensional (m, n) array; got shape {A.shape}")
        n = A.shape[1]
        self._n = n
        self._A = _as_mat(A, "A", n)
        self._b = _as_vec(b, "b", self._A.shape[0]).copy()
        if (A_eq is None) != (b_eq is None):
            raise ValueError("give both A_eq and b_eq or neither")
        self._Ae = np.zeros((0, n)) if A_eq is None else _as_mat(A_eq, "A_eq", n)
        self._be = np.zeros(0) if b_eq is None else _as_vec(b_eq, "b_eq", self._Ae.shape[0])
        self._lo, self._hi = _parse_bounds(bounds, n)
        self._c = np.zeros(n)
        self._user_c = np.zeros(n)
        self._h = new_highs(self.tol)
        if time_limit is not None:
            self._h.setOptionValue("time_limit", float(time_limit))
        self._highspy = highspy
        # HiGHS rows: the k equality rows first, then the inequality rows
        Afull = np.vstack([self._Ae, self._A])
        k = len(self._be)
        start, index, value = csr(Afull)
        self._h.passModel(n, len(Afull), len(value), 2, 1, 0.0, self._c, self._lo, self._hi,
                          np.concatenate([self._be, np.full(len(self._b), -_INF)]),
                          np.concatenate([self._be, self._b]), start, index, value,
                          np.zeros(n, np.int32))
        self._k = k
        self.n_solves = 0

    # ------------------------------------------------------------------ state
    @property
    def dim(self) -> int:
        """Number of variables ``n``.

        Examples
        --------
        >>> IncrementalLP([[1.0, 2.0]], [1.0]).dim
        2
        """
        return self._n

    @property
    def n_rows(self) -> int:
        """Current number of inequality rows.

        Examples
        --------
        >>> IncrementalLP([[1.0, 2.0]], [1.0]).n_rows
        1
        """
        return len(self._b)

    @property
    def A(self) -> np.ndarray:
        """Current inequality matrix (a read-only copy).

        Examples
        --------
        >>> IncrementalLP([[1.0]], [1.0]).A.tolist()
        [[1.0]]
        """
        out = self._A.copy()
        out.setflags(write=False)
        return out

    @property
    def b(self) -> np.ndarray:
        """Current right-hand sides (a read-only copy; ``inf`` marks switched-off rows).

        Examples
        --------
        >>> IncrementalLP([[1.0]], [1.0]).b.tolist()
        [1.0]
        """
        out = self._b.copy()
        out.setflags(write=False)
        return out

    # ------------------------------------------------------------ modifications
    def add_rows(self, A: object, b: object) -> np.ndarray:
        """Append inequality rows ``A x <= b``; returns their row positions.

        Examples
        --------
        >>> lp = IncrementalLP([[1.0]], [1.0]); lp.add_rows([[-1.0], [2.0]], [0.0, 3.0]).tolist()
        [1, 2]
        """
        A = _as_mat(np.atleast_2d(np.asarray(A, dtype=float)), "A", self._n)
        b = _as_vec(np.atleast_1d(np.asarray(b, dtype=float)), "b", A.shape[0])
        first = len(self._b)
        if len(b) == 0:
            return np.arange(first, first, dtype=np.int64)
        start, index, value = csr(A)
        self._h.addRows(len(b), np.full(len(b), -_INF), b, len(value), start, index, value)
        self._A = np.vstack([self._A, A])
        self._b = np.concatenate([self._b, b])
        return np.arange(first, first + len(b), dtype=np.int64)

    def remove_rows(self, rows: object) -> None:
        """Delete inequality rows by position; later rows move up.

        Examples
        --------
        >>> lp = IncrementalLP([[1.0], [2.0], [3.0]], [1.0, 2.0, 3.0]); lp.remove_rows([0, 2])
        >>> lp.A.tolist()
        [[2.0]]
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64).ravel())
        if len(rows) == 0:
            return
        if rows[0] < 0 or rows[-1] >= len(self._b):
            raise IndexError(f"row positions must be in [0, {len(self._b)}); got {rows.tolist()}")
        hrows = (rows + self._k).astype(np.int32)
        self._h.deleteRows(len(hrows), hrows)
        keep = np.ones(len(self._b), bool)
        keep[rows] = False
        self._A, self._b = self._A[keep], self._b[keep]

    def truncate(self, k: int) -> None:
        """Keep only the first ``k`` inequality rows.

        Examples
        --------
        >>> lp = IncrementalLP([[1.0], [2.0]], [1.0, 2.0]); lp.truncate(1); lp.n_rows
        1
        """
        if not 0 <= k <= len(self._b):
            raise IndexError(f"k must be in [0, {len(self._b)}]; got {k}")
        if k < len(self._b):
            self.remove_rows(np.arange(k, len(self._b)))

    def set_rhs(self, rows: object, values: object) -> None:
        """Change right-hand sides ``b[rows] = values`` (``inf`` switches rows off).

        Examples
        --------
        >>> lp = IncrementalLP([[1.0]], [1.0]); lp.set_rhs(0, 5.0)
        >>> lp.solve([1.0], maximize=True).value
        5.0
        """
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        vals = np.broadcast_to(np.asarray(values, dtype=float), rows.shape).copy()
        if np.isnan(vals).any():
            raise ValueError("right-hand sides must not be NaN")
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self._b)):
            raise IndexError(f"row positions must be in [0, {len(self._b)}); got {rows.tolist()}")
        self._b[rows] = vals
        self._h.changeRowsBounds(len(rows), (rows + self._k).astype(np.int32),
                                 np.full(len(rows), -_INF), vals)

    def set_bounds(self, bounds: object) -> None:
        """Replace the variable bounds (same forms as in :func:`solve_lp`).

        Examples
        --------
        >>> lp = IncrementalLP([[1.0]], [1.0]); lp.set_bounds((0.0, 0.5))
        >>> lp.solve([1.0], maximize=True).value
        0.5
        """
        self._lo, self._hi = _parse_bounds(bounds, self._n)
        self._h.changeColsBounds(self._n, np.arange(self._n, dtype=np.int32), self._lo, self._hi)

    # ------------------------------------------------------------------ solve
    def _set_cost(self, c: np.ndarray) -> None:
        if not np.array_equal(c, self._c):
            self._h.changeColsCost(self._n, np.arange(self._n, dtype=np.int32), c)
            self._c = c

    def solve(self, c: object | None = None, *, maximize: bool = False) -> LPResult:
        """Solve with objective ``c`` (default: the previous ``c``), warm-started.

        With ``maximize=True`` the LP is ``max c @ x``: ``value`` is then the maximum and
        the multipliers are those of ``min -c @ x``.

        Returns
        -------
        LPResult

        Examples
        --------
        >>> IncrementalLP([[1.0], [-1.0]], [2.0, 0.0]).solve([1.0], maximize=True).x.tolist()
        [2.0]
        """
        if c is None:
            c = self._user_c
        else:
            c = _as_vec(c, "c", self._n)
            if not np.isfinite(c).all():
                raise ValueError("c contains inf")
            self._user_c = c.copy()
        self._set_cost(-c if maximize else c.copy())
        res = self._solve_min()
        if maximize and res.status is not LPStatus.FAILED:
            res = LPResult(res.status, res.x, -res.value, res.dual, res.message, res.tol,
                           dual_eq=res.dual_eq, ray=res.ray)
        return res

    def _solve_min(self) -> LPResult:
        self.n_solves += 1
        if np.any(self._lo > self._hi):
            return LPResult(LPStatus.INFEASIBLE, None, _INF, None, "inconsistent bounds", self.tol)
        h = self._h
        h.run()
        k, m = self._k, len(self._b)
        ub, eq = slice(k, k + m), slice(0, k)
        res = highs_result(h, self._n, ub, eq, self.tol)
        if res is not None:
            return res
        MS = self._highspy.HighsModelStatus
        st = h.getModelStatus()
        if st == MS.kTimeLimit:
            return LPResult(LPStatus.FAILED, None, float("nan"), None, "time limit reached", self.tol)
        if st == MS.kUnboundedOrInfeasible:
            saved = self._c
            self._set_cost(np.zeros(self._n))
            h.run()
            feas = highs_result(h, self._n, ub, eq, self.tol)
            self._set_cost(saved)
            if feas is not None and feas.status is LPStatus.INFEASIBLE:
                return feas
            if feas is not None and feas.status is LPStatus.OPTIMAL:
                return LPResult(LPStatus.UNBOUNDED, None, -_INF, None, "unbounded", self.tol)
        log.info("IncrementalLP: HiGHS status %s; re-solving with scipy", st)
        on = np.isfinite(self._b)
        res = solve_lp(self._c, self._A[on], self._b[on], self._Ae if k else None,
                       self._be if k else None, bounds=np.column_stack([self._lo, self._hi]),
                       tol=self.tol, backend=LPBackend.SCIPY)
        if res.optimal and res.dual is not None:
            dual = np.zeros(m)
            dual[on] = res.dual
            res = LPResult(res.status, res.x, res.value, dual, res.message, res.tol,
                           dual_eq=res.dual_eq, ray=None)
        return res
