"""Pruning of max-affine functions: which terms are strictly maximal somewhere.

A term ``c_i + a_i·x`` of ``F(x) = max_j (c_j + a_j·x)`` is *non-redundant* when some ``x``
(in R^n, or in a domain) makes it strictly larger than every other term. Over R^n these are
exactly the vertices of the upper hull of the lifted points ``(a_j, c_j)`` (the vertices of
``conv{(a_j, c_j)} + R_{<=0} e_{n+1}``).

Two methods, chosen by :class:`PruneMethod`:

``hull``
    Project the exponents onto their affine hull (dimension ``k``), add one point far below
    the lifted points, run qhull in dimension ``k + 1`` and keep the vertices of the facets
    whose outward normal points up. Fast for ``k + 1 <= 6``. R^n only.
``lp``
    Clarkson's output-sensitive algorithm: for each candidate ``i`` solve the LP
    ``max s`` s.t. ``c_i + a_i·x >= c_j + a_j·x + s`` for ``j`` in a growing set ``V`` of
    known maximal terms (and ``x`` in the domain, ``s <= 1``), each row scaled by
    ``|a_j − a_i|`` so that ``s`` is a radius in x-space. If ``s <= tol.interior_atol`` the term is
    redundant; otherwise the term that is maximal at the LP optimum either is ``i`` (kept,
    with that point as witness) or is added to ``V`` and the LP is repeated.

``auto`` uses ``hull`` over R^n in low dimension (falling back to ``lp`` if qhull fails) and
``lp`` otherwise. Before either, exponents that occur several times keep only their largest
coefficient. After qhull, a *robust filter* drops vertices that are strictly maximal only
within the tolerance (floating-point noise of Minkowski sums with parallel edges): each
vertex is tested at a point of its cell, and the doubtful ones by the LP.
"""

from __future__ import annotations

import logging
from enum import Enum

import numpy as np

from .._tol import Tolerance, resolve
from ..errors import SolverError

log = logging.getLogger(__name__)

__all__ = ["PruneMethod", "prune_terms", "dedup_terms", "upper_hull_vertices", "upper_hull"]

_HULL_MAX_DIM = 6  # qhull is used up to this lifted dimension


class PruneMethod(str, Enum):
    """How redundant terms are found (see the module docstring)."""

    AUTO = "auto"
    HULL = "hull"
    LP = "lp"


def _margin(A: np.ndarray, c: np.ndarray, tol: Tolerance) -> float:
    scale = max(1.0, float(np.abs(A).max(initial=0.0)), float(np.abs(c).max(initial=0.0)))
    return tol.interior_atol * scale


def dedup_terms(A: np.ndarray, c: np.ndarray, *, tol: Tolerance | None = None) -> np.ndarray:
    """Indices of the terms to keep when equal exponents keep only the largest coefficient.

    Exponents are compared after rounding to ``tol.map_rtol`` relative to the largest entry.

    Examples
    --------
    >>> dedup_terms(np.array([[1.0], [1.0], [0.0]]), np.array([0.0, 2.0, 1.0])).tolist()
    [1, 2]
    """
    t = resolve(tol)
    m = len(c)
    if m <= 1:
        return np.arange(m)
    scale = max(1.0, float(np.abs(A).max(initial=0.0)))
    key = np.round(A / (scale * t.map_rtol)).astype(np.int64) if A.shape[1] else np.zeros((m, 0), np.int64)
    # sort by key then by coefficient descending; keep the first of each key
    order = np.lexsort((-c, *key.T[::-1])) if A.shape[1] else np.argsort(-c, kind="stable")
    ks = key[order]
    first = np.ones(m, bool)
    if m > 1:
        first[1:] = np.any(ks[1:] != ks[:-1], axis=1)
    return np.sort(order[first])


def upper_hull_vertices(A: np.ndarray, c: np.ndarray, *, tol: Tolerance | None = None) -> np.ndarray:
    """Indices of the lifted points ``(a_i, c_i)`` that are vertices of the upper hull (qhull).

    The exponents must be distinct (see :func:`dedup_terms`).

    Raises
    ------
    SolverError
        If qhull fails or the lifted dimension is too high for it.

    Examples
    --------
    >>> upper_hull_vertices(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 0.0, 0.0])).tolist()
    [0, 2]
    >>> upper_hull_vertices(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 2.0, 0.0])).tolist()
    [0, 1, 2]
    """
    return upper_hull(A, c, tol=tol)[0]


def upper_hull(A: np.ndarray, c: np.ndarray, *, tol: Tolerance | None = None,
               boundary: list | None = None) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Upper hull of the lifted points: vertices, upper facets and their normals.

    Returns
    -------
    vertices : ndarray of int
        Indices of the upper-hull vertices.
    facets : list of int arrays
        The points on each upper facet (qhull's triangulated facets merged by their
        hyperplane); the projections of these facets form the dual subdivision.
    normals : ndarray (n_facets, n)
        For each facet an ``x`` at which exactly its terms attain the maximum (when the
        exponents span R^n; otherwise a representative).

    If a list is passed as ``boundary``, the indices of the non-vertex points lying on upper
    facets (within qhull's precision) are appended to it (qhull path only).

    Examples
    --------
    >>> v, f, x = upper_hull(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 0.0]))
    >>> v.tolist(), [a.tolist() for a in f], x.ravel().tolist()
    ([0, 1, 2], [[0, 1], [1, 2]], [-1.0, 1.0])
    """
    t = resolve(tol)
    A = np.asarray(A, float)
    c = np.asarray(c, float)
    m, n = A.shape
    if m == 1:
        return np.arange(1), [], np.zeros((0, n))
    a0 = A.mean(axis=0)
    D = A - a0
    scale = float(np.abs(D).max(initial=0.0))
    if scale <= 1e-300:
        return np.array([int(np.argmax(c))]), [], np.zeros((0, n))
    _, S, Vt = np.linalg.svd(D / scale, full_matrices=False)
    k = int(np.sum(S > t.map_rtol * max(1.0, S[0]) * np.sqrt(m)))
    Z = (D / scale) @ Vt[:k].T  # (m, k) coordinates in the affine hull
    cs = c - c.mean()
    cscale = max(1.0, float(np.abs(cs).max()))
    cs = cs / cscale
    if k == 1:
        idx = _upper_hull_1d(Z[:, 0], cs, t)
        idx = idx[np.argsort(Z[idx, 0])]
        facets = [np.sort(idx[i:i + 2]) for i in range(len(idx) - 1)]
        # the point where terms p, q tie: (z_q - z_p) u = -(c_q - c_p) in the z-direction u
        xs = []
        for p, q in zip(idx[:-1], idx[1:]):
            u = -(c[q] - c[p]) / ((Z[q, 0] - Z[p, 0]) * scale)
            xs.append(u * Vt[0])
        return np.sort(idx), facets, np.array(xs).reshape(-1, n)
    if k + 1 > _HULL_MAX_DIM:
        raise SolverError(f"upper hull in lifted dimension {k + 1} is beyond qhull's range here")
    from scipy.spatial import ConvexHull, QhullError

    low = np.concatenate([Z.mean(axis=0), [cs.min() - 10.0]])
    P = np.vstack([np.column_stack([Z, cs]), low[None]])
    try:
        hull = ConvexHull(P, qhull_options="Qc Qx Q12 C-1e-10" if k + 1 > 4 else "Qc Q12 C-1e-10")
    except QhullError as exc:
        raise SolverError(f"qhull failed on the lifted points: {str(exc).splitlines()[0]}") from None
    eq = hull.equations  # (f, k+2): outward normal (k+1), offset
    up = eq[:, k] > 1e-9 * np.linalg.norm(eq[:, :k + 1], axis=1)
    simp = hull.simplices[up]
    idx = np.unique(simp)
    idx = idx[idx < m]
    if boundary is not None and len(hull.coplanar):
        cp = hull.coplanar
        on_up = up[cp[:, 1]] & (cp[:, 0] < m)
        boundary.extend(np.unique(cp[on_up, 0]).tolist())
    # merge triangulated simplices lying on one hyperplane
    E = eq[up]
    E = E / E[:, k:k + 1]
    key = np.round(E / max(1.0, float(np.abs(E).max())) / t.map_rtol).astype(np.int64)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    facets, xs = [], []
    for g in range(int(inv.max()) + 1 if len(inv) else 0):
        rows = np.flatnonzero(inv == g)
        pts = np.unique(simp[rows])
        facets.append(pts)
        # the facet's hyperplane cs = off - w·z; c' + w·z is maximal (= off) on it
        M = np.column_stack([Z[pts], np.ones(len(pts))])
        sol = np.linalg.lstsq(M, cs[pts], rcond=None)[0]
        w = -sol[:k]
        u = w * cscale / scale  # c + a·x with a = a0 + scale·z·V  ->  V x = u
        xs.append(Vt[:k].T @ u)
    return idx, facets, np.array(xs).reshape(-1, n)


def _upper_hull_1d(z: np.ndarray, c: np.ndarray, t: Tolerance) -> np.ndarray:
    """Upper hull of points (z_i, c_i) in the plane (monotone chain), distinct z.

    Only exactly collinear or lower points are dropped; near-degenerate vertices are left
    to the robust filter of :func:`prune_terms`.
    """
    order = np.argsort(z, kind="stable")
    hull: list[int] = []
    for i in order:
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            cross = (z[a] - z[o]) * (c[i] - c[o]) - (c[a] - c[o]) * (z[i] - z[o])
            if cross >= 0:  # a is on or below the segment o-i: not a vertex
                hull.pop()
            else:
                break
        hull.append(int(i))
    return np.sort(np.array(hull, dtype=np.int64))


class _MaxSlackLP:
    """Small dense LPs ``max s`` s.t. ``rows @ (x, s) <= rhs`` (and equalities), ``s <= 1``.

    One HiGHS instance through highspy (presolve off: these LPs have n + 1 columns and at
    most a few thousand rows), much cheaper per solve than ``scipy.optimize.linprog``.
    Returns ``(status, s, x)`` with status "optimal", "infeasible" or "failed".
    """

    def __init__(self, tol: Tolerance):
        import highspy

        from ..polyhedra._lp import new_highs  # silent, tolerance policy applied, presolve off

        self._hs = highspy
        self._h = new_highs(tol)

    def solve(self, rows: np.ndarray, rhs: np.ndarray, eq_rows: np.ndarray | None = None,
              eq_rhs: np.ndarray | None = None) -> tuple[str, float, np.ndarray | None]:
        hs = self._hs
        inf = hs.kHighsInf
        k = rows.shape[1]
        lo = np.full(len(rhs), -inf)
        up = np.asarray(rhs, float)
        if eq_rows is not None and len(eq_rows):
            rows = np.vstack([rows, eq_rows])
            lo = np.concatenate([lo, eq_rhs])
            up = np.concatenate([up, eq_rhs])
        m = rows.shape[0]
        lp = hs.HighsLp()
        lp.num_col_ = k
        lp.num_row_ = m
        cost = np.zeros(k)
        cost[-1] = -1.0
        lp.col_cost_ = cost
        lp.col_lower_ = np.full(k, -inf)
        cu = np.full(k, inf)
        cu[-1] = 1.0
        lp.col_upper_ = cu
        lp.row_lower_ = lo
        lp.row_upper_ = up
        lp.a_matrix_.format_ = hs.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, m * k + 1, k, dtype=np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(k, dtype=np.int32), m)
        lp.a_matrix_.value_ = np.ascontiguousarray(rows, float).ravel()
        lp.a_matrix_.num_col_ = k
        lp.a_matrix_.num_row_ = m
        self._h.passModel(lp)
        self._h.run()
        st = self._h.getModelStatus()
        if st == hs.HighsModelStatus.kOptimal:
            x = np.array(self._h.getSolution().col_value)
            return "optimal", float(x[-1]), x[:-1]
        if st == hs.HighsModelStatus.kInfeasible:
            return "infeasible", -np.inf, None
        return "failed", np.nan, None


def _lp_prune(A: np.ndarray, c: np.ndarray, cand: np.ndarray, *, dom_A: np.ndarray | None,
              dom_b: np.ndarray | None, tol: Tolerance, rng: np.random.Generator,
              V0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Clarkson's algorithm: which of the candidate indices are strictly maximal somewhere
    against all rows of (A, c) (distinct exponents); returns (kept indices, witnesses)."""
    m, n = A.shape
    margin = tol.interior_atol  # an x-space radius, as for regions
    vmargin = _margin(A, c, tol)  # ties of values
    cand = np.asarray(cand, dtype=np.int64)
    if m == 1 and dom_A is None:
        return cand, np.zeros((len(cand), n))
    Ac, cc = A, c
    r = rng.normal(size=n)
    secondary = Ac @ r

    def argmax_at(x: np.ndarray) -> tuple[int, float, float]:
        v = Ac @ x + cc
        top = v.max()
        tied = np.flatnonzero(v >= top - vmargin)
        k = int(tied[np.argmax(secondary[tied])])
        if len(v) == 1:
            return k, float(v[k]), np.inf
        # distance from x to the nearest point where another term catches up with term k
        d = np.linalg.norm(Ac - Ac[k], axis=1)
        d[k] = np.inf
        ratio = (v[k] - v) / np.where(d > 0, d, np.inf)
        ratio[k] = np.inf
        return k, float(v[k]), float(np.min(ratio))

    # seed V by sampling
    scale = max(1.0, float(np.abs(cc).max()) / max(1e-12, float(np.abs(Ac).max(initial=1e-12))))
    X = rng.normal(size=(64, n)) * scale
    if dom_A is not None:
        X = X[np.all(X @ dom_A.T <= dom_b, axis=1)]
    V: set[int] = set()
    for x in X:
        V.add(argmax_at(x)[0])
    if V0 is not None:
        V.update(int(v) for v in V0)
    status = np.zeros(len(cand), np.int8)  # 0 unknown, 1 kept, -1 redundant
    wit = np.zeros((len(cand), n))
    lp = _MaxSlackLP(tol)
    for pi, i in enumerate(cand.tolist()):
        for _ in range(m + 1):
            others = np.array(sorted(V - {i}), dtype=np.int64)
            diff = Ac[others] - Ac[i]
            rows = np.column_stack([diff, np.linalg.norm(diff, axis=1)])
            rhs = cc[i] - cc[others]
            if dom_A is not None:
                rows = np.vstack([rows, np.column_stack([dom_A, np.zeros(len(dom_b))])])
                rhs = np.concatenate([rhs, dom_b])
            status_, s, x = lp.solve(rows, rhs)
            if status_ == "infeasible":  # only possible with an empty domain
                status[pi] = -1
                break
            if status_ != "optimal":
                raise SolverError(f"pruning LP failed for term {i}")
            if s <= margin:
                status[pi] = -1
                break
            v = Ac @ x + cc
            d = np.linalg.norm(Ac - Ac[i], axis=1)
            ratio = (v[i] - v) / np.where(d > 0, d, np.inf)
            ratio[i] = np.inf
            if np.min(ratio) > margin:
                status[pi] = 1
                wit[pi] = x
                V.add(i)
                break
            # terms outside V that beat or nearly tie term i at x: add the best one to V
            near = np.flatnonzero((ratio <= margin) | (v >= v[i] - vmargin))
            near = [j for j in near.tolist() if j != i and j not in V]
            if not near:
                status[pi] = -1
                break
            k = int(max(near, key=lambda j: (v[j], secondary[j])))
            V.add(k)
        else:  # pragma: no cover - Clarkson adds a new term per round
            raise SolverError("Clarkson pruning did not terminate")
    keep = status == 1
    return cand[keep], wit[keep]


def _robust_filter(A: np.ndarray, c: np.ndarray, idx: np.ndarray, facets: list, xs: np.ndarray,
                   t: Tolerance, rng: np.random.Generator) -> np.ndarray:
    """Drop hull vertices that are strictly maximal only within ``t.interior_atol`` (noise).

    Each qhull vertex gets a witness, the mean of the hypersurface vertices of its upper
    facets (a point of its cell); vertices that beat all others there by a radius above
    the tolerance are kept at once, the others are decided by LPs.
    """
    idx = np.asarray(idx)
    if len(idx) <= 2 or len(facets) == 0:
        return idx
    Av, cv = A[idx], c[idx]
    m, n = Av.shape
    pos = np.full(int(idx.max()) + 1, -1)
    pos[idx] = np.arange(m)
    W = np.zeros((m, n))
    cnt = np.zeros(m)
    for f, x in zip(facets, xs):
        f = np.asarray(f)
        f = f[f < len(pos)]
        loc = pos[f]
        loc = loc[loc >= 0]
        W[loc] += x
        cnt[loc] += 1
    W[cnt > 0] /= cnt[cnt > 0, None]
    # unbounded cells: also try points pushed outwards, along a_i − mean(a)
    out = Av - Av.mean(axis=0)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-300)
    spread = float(np.ptp(xs, axis=0).max()) if len(xs) > 1 else 1.0
    spread = spread if spread > 0 else 1.0
    radius = np.full(m, -np.inf)
    for push in (0.0, 0.01, 0.1, 1.0):
        Wp = W + push * spread * out
        todo = np.flatnonzero(radius <= t.interior_atol)
        step = max(1, 4_000_000 // max(1, m * n))
        for s0 in range(0, len(todo), step):
            rows = todo[s0:s0 + step]
            vals = Wp[rows] @ Av.T + cv  # (r, m)
            own = vals[np.arange(len(rows)), rows]
            d = np.linalg.norm(Av[None, :, :] - Av[rows][:, None, :], axis=2)
            ratio = (own[:, None] - vals) / np.where(d > 0, d, np.inf)
            ratio[np.arange(len(rows)), rows] = np.inf
            radius[rows] = np.maximum(radius[rows], np.min(ratio, axis=1))
    robust = (radius > t.interior_atol) & (cnt > 0)
    if np.all(robust):
        return idx
    sus = np.flatnonzero(~robust)
    kept, _ = _lp_prune(Av, cv, sus, dom_A=None, dom_b=None, tol=t, rng=rng)
    log.debug("robust filter: %d vertices, %d checked by LP, %d kept", m, len(sus), len(kept))
    return np.sort(idx[np.concatenate([np.flatnonzero(robust), kept]).astype(np.int64)])


def prune_terms(A: np.ndarray, c: np.ndarray, *, method: PruneMethod | str = PruneMethod.AUTO,
                domain: object | None = None, tol: Tolerance | None = None,
                rng: object = 0) -> np.ndarray:
    """Indices (sorted) of the non-redundant terms of ``max_i (c_i + A_i·x)``.

    Parameters
    ----------
    A : ndarray (m, n)
        Exponent vectors, one per row.
    c : ndarray (m,)
        Coefficients.
    method : PruneMethod or str
        ``"auto"``, ``"hull"`` or ``"lp"``.
    domain : HPolytope, optional
        Keep terms strictly maximal somewhere in this polyhedron (LP method) instead of R^n.
    tol : Tolerance, optional
        A term counts as strictly maximal when it is the unique maximum on a ball of radius
        more than ``tol.interior_atol`` in x-space (the LP's slack is that radius; qhull's
        vertices are checked against it by the robust filter), as for regions.
    rng : seed
        Seed of the random sampling and tie-breaking of the LP method.

    Examples
    --------
    >>> A = np.array([[3.0], [2.0], [0.0], [1.0]]); c = np.array([0.0, 0.0, 0.0, -5.0])
    >>> prune_terms(A, c).tolist()
    [0, 2]
    >>> prune_terms(A, c, method="lp").tolist()
    [0, 2]
    """
    method = PruneMethod(method)
    t = resolve(tol)
    A = np.asarray(A, float)
    c = np.asarray(c, float)
    m, n = A.shape
    if m == 0:
        return np.zeros(0, np.int64)
    keep = dedup_terms(A, c, tol=t)
    if len(keep) == 1 and domain is None:
        return keep
    gen = np.random.default_rng(rng)
    if domain is None and method is not PruneMethod.LP:
        try:
            v, facets, xs = upper_hull(A[keep], c[keep], tol=t)
            v = _robust_filter(A[keep], c[keep], v, facets, xs, t, gen)
            return np.sort(keep[v])
        except SolverError as exc:
            if method is PruneMethod.HULL:
                raise
            log.debug("hull pruning unavailable (%s); using LPs", exc)
    if domain is not None and method is PruneMethod.HULL:
        raise ValueError("method 'hull' prunes over R^n only; use 'lp' or 'auto' with a domain")
    dom_A = dom_b = None
    if domain is not None:
        dom_A = np.asarray(domain.A, float)
        dom_b = np.asarray(domain.b, float)
        if len(getattr(domain, "b_eq", ())):
            raise ValueError("pruning over a domain needs a full-dimensional domain (no equalities)")
        if domain.dim != n:
            raise ValueError(f"domain must live in R^{n}; got dimension {domain.dim}")
    kept, _ = _lp_prune(A[keep], c[keep], np.arange(len(keep)), dom_A=dom_A, dom_b=dom_b, tol=t, rng=gen)
    return np.sort(keep[kept])
