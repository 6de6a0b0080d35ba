"""One LP wrapper over HiGHS that tells infeasible, unbounded and solver failure apart.

Convention: minimise ``c @ x`` subject to ``A_ub x <= b_ub``, ``A_eq x = b_eq`` and
``lb <= x <= ub`` (defaults: free variables).

Two backends share one contract (:class:`LPBackend`):

``highspy`` (default)
    HiGHS through its own Python API, one reused solver object per thread (and per
    process, so forked workers are safe), presolve off: about 10x less overhead per LP
    than scipy for the small LPs of region enumeration. Falls back to scipy when HiGHS
    reports anything but optimal/infeasible/unbounded.
``scipy``
    :func:`scipy.optimize.linprog` with ``method="highs"`` (presolve on).

Sign conventions of the multipliers (free variables): at an optimum
``c + A_ubᵀ dual + A_eqᵀ dual_eq = 0`` with ``dual >= 0`` and
``value = -(b_ub @ dual) - (b_eq @ dual_eq)``. For an infeasible LP the ``highspy`` backend
also returns a Farkas ray ``y = (y_ub, y_eq)`` with ``y_ub >= 0``,
``A_ubᵀ y_ub + A_eqᵀ y_eq ≈ 0`` and ``b_ub @ y_ub + b_eq @ y_eq < 0`` (when the variables are
free); for an unbounded LP a primal ray ``r`` with ``c @ r < 0``.

Examples
--------
>>> solve_lp([1.0, 1.0], [[-1.0, 0.0], [0.0, -1.0]], [0.0, -1.0]).value
1.0
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Iterator

import numpy as np

from .._tol import Tolerance, resolve

log = logging.getLogger(__name__)

__all__ = ["LPStatus", "LPResult", "LPBackend", "solve_lp"]

_INF = float("inf")


class LPStatus(str, Enum):
    """Outcome of an LP.

    Examples
    --------
    >>> LPStatus("infeasible") is LPStatus.INFEASIBLE
    True
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    FAILED = "failed"


class LPBackend(str, Enum):
    """Which HiGHS interface :func:`solve_lp` uses (same results, different overhead).

    Examples
    --------
    >>> LPBackend("scipy")
    <LPBackend.SCIPY: 'scipy'>
    """

    HIGHSPY = "highspy"
    SCIPY = "scipy"


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
    dual_eq : ndarray or None
        Multipliers of the equality rows (OPTIMAL only), see the module docstring.
    ray : ndarray or None
        INFEASIBLE: a Farkas ray over the rows ``[A_ub; A_eq]`` (``highspy`` backend);
        UNBOUNDED: a primal ray ``r`` with ``c @ r < 0``. ``None`` if not available.

    Examples
    --------
    >>> r = solve_lp([1.0], [[-1.0]], [-2.0]); r.optimal, r.dual.tolist()
    (True, [1.0])
    """

    status: LPStatus
    x: np.ndarray | None
    value: float
    dual: np.ndarray | None
    message: str
    tol: Tolerance
    dual_eq: np.ndarray | None = None
    ray: np.ndarray | None = None

    @property
    def optimal(self) -> bool:
        """True when an optimum was found.

        Examples
        --------
        >>> solve_lp([1.0], [[1.0]], [0.0]).optimal
        False
        """
        return self.status is LPStatus.OPTIMAL


# --------------------------------------------------------------------------- input checks
def _as_vec(a: object, name: str, n: int | None) -> np.ndarray:
    v = np.asarray(a, dtype=float)
    if v.ndim != 1 or (n is not None and len(v) != n):
        want = f"({n},)" if n is not None else "1-dimensional"
        raise ValueError(f"malformed LP: {name} must have shape {want}; got {v.shape}")
    if np.isnan(v).any():
        raise ValueError(f"malformed LP: {name} contains NaN")
    return v


def _as_mat(a: object, name: str, n: int) -> np.ndarray:
    if hasattr(a, "toarray") and hasattr(a, "tocsr"):  # scipy.sparse
        a = a.toarray()
    M = np.asarray(a, dtype=float)
    if M.ndim == 1 and M.size == 0:
        M = M.reshape(0, n)
    if M.ndim != 2 or M.shape[1] != n:
        raise ValueError(f"malformed LP: {name} must have shape (m, {n}); got {M.shape}")
    if not np.isfinite(M).all():
        raise ValueError(f"malformed LP: {name} contains NaN or inf")
    return M


def _parse_bounds(bounds: object, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounds as two arrays (``±inf`` for free)."""
    if bounds is None:
        return np.full(n, -_INF), np.full(n, _INF)
    if isinstance(bounds, np.ndarray) and bounds.ndim == 2:
        pairs = bounds.tolist()
    elif (isinstance(bounds, (tuple, list)) and len(bounds) == 2
          and all(v is None or np.ndim(v) == 0 for v in bounds)):
        lo, hi = bounds
        return (np.full(n, -_INF if lo is None else float(lo)),
                np.full(n, _INF if hi is None else float(hi)))
    else:
        try:
            pairs = [tuple(p) for p in bounds]  # type: ignore[union-attr]
        except TypeError:
            raise ValueError(f"malformed LP: bounds must be a (lo, hi) pair or n pairs; got {bounds!r}") from None
    if len(pairs) != n or any(len(p) != 2 for p in pairs):
        raise ValueError(f"malformed LP: bounds must be one (lo, hi) pair or {n} pairs")
    lo = np.array([-_INF if p[0] is None else float(p[0]) for p in pairs])
    hi = np.array([_INF if p[1] is None else float(p[1]) for p in pairs])
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise ValueError("malformed LP: bounds contain NaN")
    return lo, hi


# --------------------------------------------------------------------------- highspy plumbing
_local = threading.local()
_banner_done = False
_banner_lock = threading.Lock()


@contextlib.contextmanager
def _quiet_stdout_fd() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints a banner once per process, in C++)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def new_highs(tol: Tolerance) -> object:
    """A fresh, silent ``highspy.Highs`` with the tolerance policy's options (presolve off)."""
    global _banner_done
    import highspy

    if not _banner_done:
        with _banner_lock, _quiet_stdout_fd():
            h = highspy.Highs()
            _banner_done = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("threads", 1)
    _set_tol(h, tol)
    return h


def _set_tol(h: object, tol: Tolerance) -> None:
    ft = max(tol.feas_atol, 1e-10)
    h.setOptionValue("primal_feasibility_tolerance", ft)
    h.setOptionValue("dual_feasibility_tolerance", ft)


def _cached_highs(tol: Tolerance) -> object:
    """The calling thread's solver object (re-created after a fork or a tolerance change)."""
    pid = os.getpid()
    h = getattr(_local, "h", None)
    if h is None or _local.pid != pid:
        h = new_highs(tol)
        _local.h, _local.pid, _local.tol = h, pid, tol
    elif _local.tol != tol:
        _set_tol(h, tol)
        _local.tol = tol
    return h


def csr(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise sparse arrays (start, index, value) of a dense matrix, zeros dropped."""
    r, ci = np.nonzero(M)
    start = np.searchsorted(r, np.arange(M.shape[0])).astype(np.int32)
    return start, ci.astype(np.int32), M[r, ci]


def status_name(st: object) -> str:
    return getattr(st, "name", str(st))


def highs_result(h: object, n: int, ub: slice, eq: slice, tol: Tolerance,
                 resolve_ambiguous: bool = True) -> LPResult | None:
    """Read an LPResult off a solved ``Highs``; ``None`` when the status is unusable.

    ``ub`` and ``eq`` say which HiGHS rows are the inequality and the equality rows.
    """
    import highspy

    MS = highspy.HighsModelStatus
    st = h.getModelStatus()
    if st == MS.kOptimal:
        sol = h.getSolution()
        x = np.array(sol.col_value, dtype=float)
        rd = -np.array(sol.row_dual, dtype=float)
        value = float(h.getInfo().objective_function_value)
        return LPResult(LPStatus.OPTIMAL, x, value, rd[ub], "optimal", tol, dual_eq=rd[eq])
    if st == MS.kInfeasible:
        ray = None
        ok, has, y = h.getDualRay()
        if has:
            y = -np.array(y, dtype=float)
            ray = np.concatenate([y[ub], y[eq]])
        return LPResult(LPStatus.INFEASIBLE, None, _INF, None, "infeasible", tol, ray=ray)
    if st == MS.kUnbounded:
        ray = None
        ok, has, r = h.getPrimalRay()
        if has:
            ray = np.array(r, dtype=float)
        return LPResult(LPStatus.UNBOUNDED, None, -_INF, None, "unbounded", tol, ray=ray)
    if st == MS.kUnboundedOrInfeasible and resolve_ambiguous:
        return None  # caller decides with a feasibility LP
    if st == MS.kModelEmpty:
        return None
    log.info("HiGHS returned status %s", status_name(st))
    return None


def _solve_highspy(c: np.ndarray, A: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray,
                   lo: np.ndarray, hi: np.ndarray, m_ub: int, tol: Tolerance) -> LPResult | None:
    h = _cached_highs(tol)
    n = len(c)
    m = A.shape[0]
    start, index, value = csr(A)
    h.passModel(n, m, len(value), 2, 1, 0.0, c, lo, hi, b_lo, b_hi, start, index, value,
                np.zeros(n, np.int32))
    h.run()
    ub, eq = slice(0, m_ub), slice(m_ub, m)
    res = highs_result(h, n, ub, eq, tol)
    if res is not None:
        return res
    import highspy

    if h.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        h.run()
        feas = highs_result(h, n, ub, eq, tol)
        if feas is not None and feas.status is LPStatus.INFEASIBLE:
            return feas
        if feas is not None and feas.status is LPStatus.OPTIMAL:
            return LPResult(LPStatus.UNBOUNDED, None, -_INF, None, "unbounded", tol)
    return None


def _plausible(x: np.ndarray, Au: np.ndarray, bu: np.ndarray, Ae: np.ndarray, be: np.ndarray,
               lo: np.ndarray, hi: np.ndarray, tol: Tolerance) -> bool:
    """Cheap guard: an 'optimal' point must satisfy the constraints (scaled tolerance)."""
    atol = 1e3 * max(tol.feas_atol, 1e-10)
    sx = 1.0 + np.abs(x).max(initial=0.0)
    if len(bu) and np.any(Au @ x - bu > atol * (1.0 + np.abs(bu)) * sx):
        return False
    if len(be) and np.any(np.abs(Ae @ x - be) > atol * (1.0 + np.abs(be)) * sx):
        return False
    return bool(np.all(x >= lo - atol * sx) and np.all(x <= hi + atol * sx))


#: what :func:`_solve_scipy` tries, in order, when HiGHS ends without a status (its "unknown"
#: model status happens on some well-posed models; another algorithm then solves them)
_RETRIES = (("highs", True), ("highs-ipm", True), ("highs-ds", False))


def _solve_scipy(c, A_ub, b_ub, A_eq, b_eq, lo, hi, tol: Tolerance) -> LPResult:
    from scipy.optimize import linprog

    bounds = np.column_stack([np.where(np.isinf(lo), None, lo), np.where(np.isinf(hi), None, hi)])
    for method, presolve in _RETRIES:
        options = {
            "primal_feasibility_tolerance": max(tol.feas_atol, 1e-10),
            "dual_feasibility_tolerance": max(tol.feas_atol, 1e-10),
            "presolve": presolve,
        }
        res = linprog(c, A_ub=A_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
                      A_eq=A_eq if len(b_eq) else None, b_eq=b_eq if len(b_eq) else None,
                      bounds=bounds.tolist(), method=method, options=options)
        if res.status in (0, 2, 3):
            break
        log.info("HiGHS (%s) ended without a status (%s); trying another algorithm", method, res.message)
    if res.status == 0:
        dual = -np.asarray(res.ineqlin.marginals) if len(b_ub) else np.zeros(0)
        dual_eq = -np.asarray(res.eqlin.marginals) if len(b_eq) else np.zeros(0)
        return LPResult(LPStatus.OPTIMAL, np.asarray(res.x), float(res.fun), dual, res.message,
                        tol, dual_eq=dual_eq)
    if res.status == 2:
        return LPResult(LPStatus.INFEASIBLE, None, _INF, None, res.message, tol)
    if res.status == 3:
        return LPResult(LPStatus.UNBOUNDED, None, -_INF, None, res.message, tol)
    log.warning("HiGHS failed (status %s): %s", res.status, res.message)
    return LPResult(LPStatus.FAILED, None, float("nan"), None, res.message, tol)


def solve_lp(
    c: object,
    A_ub: object | None = None,
    b_ub: object | None = None,
    A_eq: object | None = None,
    b_eq: object | None = None,
    *,
    bounds: object = (None, None),
    tol: Tolerance | None = None,
    backend: LPBackend | str = LPBackend.HIGHSPY,
) -> LPResult:
    """Minimise ``c @ x`` s.t. ``A_ub x <= b_ub``, ``A_eq x == b_eq``, ``bounds``.

    Parameters
    ----------
    c : array_like (n,)
    A_ub, b_ub, A_eq, b_eq : array_like, optional
        Dense arrays (or scipy sparse matrices for ``A_ub``/``A_eq``).
    bounds : (lo, hi) or sequence of (lo, hi)
        Variable bounds; ``None`` is unbounded. Default: all variables free.
    tol : Tolerance, optional
        The feasibility tolerance is ``tol.feas_atol``.
    backend : LPBackend or str
        ``"highspy"`` (default, low overhead) or ``"scipy"``; see the module docstring.

    Returns
    -------
    LPResult
        ``status`` is OPTIMAL, INFEASIBLE, UNBOUNDED or FAILED; never raises for these.

    Raises
    ------
    ValueError
        If the arrays have inconsistent shapes or contain NaN ("malformed LP: …").

    Examples
    --------
    >>> r = solve_lp([1.0], [[-1.0]], [-2.0])        # min x s.t. x >= 2
    >>> r.status.value, float(r.value)
    ('optimal', 2.0)
    >>> solve_lp([1.0], [[1.0], [-1.0]], [0.0, -1.0]).status.value
    'infeasible'
    >>> solve_lp([1.0], [[1.0]], [0.0]).status.value
    'unbounded'
    >>> solve_lp([1.0], [[1.0]], [0.0], backend="scipy").status.value
    'unbounded'
    """
    backend = LPBackend(backend)
    tol = resolve(tol)
    c = _as_vec(c, "c", None)
    n = len(c)
    if (A_ub is None) != (b_ub is None):
        raise ValueError("malformed LP: give both A_ub and b_ub or neither")
    if (A_eq is None) != (b_eq is None):
        raise ValueError("malformed LP: give both A_eq and b_eq or neither")
    Au = np.zeros((0, n)) if A_ub is None else _as_mat(A_ub, "A_ub", n)
    bu = np.zeros(0) if b_ub is None else _as_vec(b_ub, "b_ub", Au.shape[0])
    Ae = np.zeros((0, n)) if A_eq is None else _as_mat(A_eq, "A_eq", n)
    be = np.zeros(0) if b_eq is None else _as_vec(b_eq, "b_eq", Ae.shape[0])
    if not np.isfinite(c).all():
        raise ValueError("malformed LP: c contains inf")
    lo, hi = _parse_bounds(bounds, n)
    if np.any(lo > hi) or np.any(bu == -_INF) or np.any(np.isinf(be)):
        return LPResult(LPStatus.INFEASIBLE, None, _INF, None, "inconsistent bounds", tol)
    if n == 0:
        ok = bool(np.all(bu >= -tol.feas_atol) and np.all(np.abs(be) <= tol.feas_atol))
        if ok:
            return LPResult(LPStatus.OPTIMAL, np.zeros(0), 0.0, np.zeros(len(bu)), "empty model",
                            tol, dual_eq=np.zeros(len(be)))
        return LPResult(LPStatus.INFEASIBLE, None, _INF, None, "empty model, infeasible", tol)
    if backend is LPBackend.HIGHSPY:
        A = np.vstack([Au, Ae]) if len(be) else Au
        b_lo = np.concatenate([np.full(len(bu), -_INF), be])
        b_hi = np.concatenate([bu, be])
        res = _solve_highspy(c, A, b_lo, b_hi, lo, hi, len(bu), tol)
        if res is not None and res.optimal and not _plausible(res.x, Au, bu, Ae, be, lo, hi, tol):
            log.info("highspy optimum violates the constraints; retrying with scipy")
            res = None
        if res is not None:
            return res
        log.info("highspy gave no usable status; retrying with scipy.optimize.linprog")
    return _solve_scipy(c, Au, bu, Ae, be, lo, hi, tol)
