"""Nearest points on polyhedra and polyhedral cones in a (semi)definite quadratic norm.

``project_polyhedron`` solves ``min ‖L(x − u)‖²`` over ``{A x <= b, A_eq x = b_eq}`` with
HiGHS's active-set QP solver and then *polishes* the answer: the equality-constrained
least-squares problem on the active rows is solved directly, so the returned point is
accurate to rounding (not to the QP solver's tolerance). ``project_cone`` solves
``min ‖L(Gμ − u)‖²`` over ``μ >= 0`` by the Lawson–Hanson NNLS active-set method (finite,
exact up to rounding).
"""

from __future__ import annotations

import numpy as np

from .._tol import Tolerance, resolve
from ..errors import InfeasibleError, SolverError

__all__ = ["project_polyhedron", "project_cone"]


def _highs_qp(H: np.ndarray, c: np.ndarray, A: np.ndarray, b: np.ndarray, A_eq: np.ndarray,
              b_eq: np.ndarray, tol: Tolerance) -> np.ndarray:
    import highspy

    from ..polyhedra._lp import csr, new_highs

    n = len(c)
    h = new_highs(tol)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    M = np.vstack([A, A_eq])
    lp.num_col_ = n
    lp.num_row_ = M.shape[0]
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.full(n, -inf)
    lp.col_upper_ = np.full(n, inf)
    lp.row_lower_ = np.concatenate([np.full(len(b), -inf), b_eq])
    lp.row_upper_ = np.concatenate([b, b_eq])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    s, i, v = csr(M)
    lp.a_matrix_.start_ = np.append(s, len(v)).astype(np.int32)
    lp.a_matrix_.index_ = i
    lp.a_matrix_.value_ = v
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = M.shape[0]
    h.passModel(lp)
    Lw = np.tril(H)
    start, idx, val = [], [], []
    for j in range(n):
        start.append(len(idx))
        nz = np.flatnonzero(Lw[j:, j]) + j
        idx.extend(nz.tolist())
        val.extend(Lw[nz, j].tolist())
    start.append(len(idx))
    h.passHessian(n, len(idx), highspy.HessianFormat.kTriangular, np.array(start, dtype=np.int32),
                  np.array(idx, dtype=np.int32), np.array(val, dtype=float))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the polyhedron is empty")
    if st != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS QP failed: {h.modelStatusToString(st)}")
    return np.array(h.getSolution().col_value, dtype=float)


def project_polyhedron(u: np.ndarray, A: np.ndarray, b: np.ndarray, A_eq: np.ndarray | None = None,
                       b_eq: np.ndarray | None = None, *, L: np.ndarray | None = None,
                       tol: Tolerance | None = None) -> np.ndarray:
    """The point of ``{A x <= b, A_eq x = b_eq}`` nearest to ``u`` in the norm ``‖L ·‖``.

    Parameters
    ----------
    u : ndarray (d,)
    A, b, A_eq, b_eq : ndarray
        The polyhedron.
    L : ndarray (k, d), optional
        ``Q = LᵀL`` (default: the identity). For singular ``Q`` the nearest point is not
        unique and one of them is returned.

    Raises
    ------
    InfeasibleError
        If the polyhedron is empty.

    Examples
    --------
    >>> A = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]]); b = np.array([0.0, 0.0, 1.0])
    >>> project_polyhedron(np.array([0.9, -5.0]), A, b).tolist()
    [0.9, 0.0]
    """
    t = resolve(tol)
    u = np.asarray(u, dtype=float)
    d = len(u)
    A = np.asarray(A, dtype=float).reshape(-1, d)
    b = np.asarray(b, dtype=float).reshape(-1)
    A_eq = np.zeros((0, d)) if A_eq is None else np.asarray(A_eq, dtype=float).reshape(-1, d)
    b_eq = np.zeros(0) if b_eq is None else np.asarray(b_eq, dtype=float).reshape(-1)
    L = np.eye(d) if L is None else np.asarray(L, dtype=float)
    Q = L.T @ L
    if len(b) == 0 and len(b_eq) == 0:
        return u.copy()
    if np.all(A @ u - b <= 0) and np.allclose(A_eq @ u, b_eq, atol=0, rtol=0):
        return u.copy()
    x = _highs_qp(Q, -(Q @ u), A, b, A_eq, b_eq, t)
    # polish: equality-constrained least squares on the active rows
    scale = max(1.0, float(np.abs(u).max()), float(np.abs(x).max()))
    slack = b - A @ x
    act = slack <= 1e3 * t.feas_atol * scale
    C = np.vstack([A[act], A_eq])
    r = np.concatenate([b[act], b_eq])
    K = np.block([[Q, C.T], [C, np.zeros((len(C), len(C)))]])
    rhs = np.concatenate([Q @ u, r])
    try:
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
    except np.linalg.LinAlgError:  # pragma: no cover
        return x
    y = sol[:d]
    lam = sol[d:d + int(act.sum())]
    feas = np.all(A @ y - b <= t.feas_atol * scale) and np.allclose(A_eq @ y, b_eq, atol=t.feas_atol * scale)
    if feas and np.all(lam >= -1e3 * t.feas_atol * scale):
        fx = float((L @ (x - u)) @ (L @ (x - u)))
        fy = float((L @ (y - u)) @ (L @ (y - u)))
        if fy <= fx + 1e-12 * scale * scale:
            return y
    return x


def project_cone(u: np.ndarray, G: np.ndarray, *, L: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The point of the cone ``{G μ : μ >= 0}`` nearest to ``u`` in ``‖L ·‖`` (NNLS).

    Parameters
    ----------
    u : ndarray (d,)
    G : ndarray (d, r)
        Generators as columns (lineality as a pair ``±g``).
    L : ndarray (k, d), optional

    Returns
    -------
    p : ndarray (d,)
        The nearest point.
    mu : ndarray (r,)
        Its coefficients.

    Examples
    --------
    >>> p, mu = project_cone(np.array([-1.0, 2.0]), np.eye(2))
    >>> p.tolist()
    [0.0, 2.0]
    """
    from scipy.optimize import nnls

    u = np.asarray(u, dtype=float)
    G = np.asarray(G, dtype=float).reshape(len(u), -1)
    if G.shape[1] == 0:
        return np.zeros_like(u), np.zeros(0)
    L = np.eye(len(u)) if L is None else np.asarray(L, dtype=float)
    mu, _ = nnls(L @ G, L @ u, maxiter=50 * G.shape[1] + 100)
    return G @ mu, mu
