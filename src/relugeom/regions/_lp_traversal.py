"""The reference enumeration method ("lp"): breadth-first traversal across facets.

Works in any input dimension, on boxes, H-polytopes and all of ``R^n`` (unbounded regions
included), and with degenerate networks (ties, neurons identically zero on a region).

Algorithm
---------
Start from the region met by a generic ray out of an interior point of the domain. For a
region with pattern ``p``, its H-representation is the sign constraint of every hidden
neuron (see :meth:`relugeom.network.ReLUNetwork.preactivation_maps`) plus the domain rows.
One LP gives its Chebyshev ball (full-dimensional iff the radius exceeds
``tol.interior_atol``); one warm-started LP per row that survives a bounding-box filter
finds the irredundant rows (row ``i`` is kept iff maximising ``a_i x`` with row ``i``
relaxed by one unit passes ``b_i`` by more than ``tol.interior_atol``); one LP per neuron
facet gives a point ``y`` in the facet's relative interior (its Chebyshev centre inside the
facet hyperplane). The neighbour's pattern is then read off *exactly*, layer by layer, from
the pre-activation at ``y`` and its directional derivative along the facet's outward normal
``n`` (see :func:`pattern_along`): a neuron that is zero at ``y`` takes the sign of its
derivative on the far side, and a neuron that is zero *and* has zero derivative is
identically zero there (inactive). No step of guessed length is taken.

Why one neighbour per facet: every pre-activation is continuous and affine on each closed
region, so a neuron that vanishes at a relative-interior point of a facet vanishes on the
whole facet hyperplane, and the far side of the facet lies in a single region whose
closure contains the whole facet. Hence every interior facet is shared by exactly two
regions, and the facet label (the lowest-numbered neuron that flips) is the same seen
from both sides.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .._tol import Tolerance
from ..errors import SolverError
from ..polyhedra import LPStatus
from ._highs import TinyLP

log = logging.getLogger(__name__)

__all__ = ["TraversalResult", "lp_traversal", "pattern_along", "region_rows", "pattern_keys"]

#: Chebyshev radii are capped at this value on unbounded domains, so that interior points
#: of unbounded regions stay at moderate coordinates (the cap is a scale, not a tolerance).
RADIUS_CAP = 1.0


def pattern_keys(patterns: np.ndarray) -> list[bytes]:
    """Hashable keys of patterns (rows of a bool array), via ``np.packbits``.

    Examples
    --------
    >>> pattern_keys(np.array([[True, False], [False, True]]))
    [b'\\x80', b'@']
    """
    P = np.atleast_2d(np.asarray(patterns, dtype=bool))
    packed = np.packbits(P, axis=1)
    return [row.tobytes() for row in packed]


def pattern_along(net, y: np.ndarray, v: np.ndarray, tol: Tolerance) -> np.ndarray:
    """The activation pattern on the open segment ``(y, y + ε v)`` for small ``ε > 0``.

    The network decides it (:meth:`relugeom.network.Network.pattern_along`): a neuron that
    is zero at ``y`` takes the sign of its directional derivative along ``v``, and is
    inactive when that derivative is zero too.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom._tol import DEFAULT
    >>> net = example_network("abs")                        # relu(x), relu(-x)
    >>> pattern_along(net, np.array([0.0]), np.array([1.0]), DEFAULT).tolist()
    [True, False]
    >>> pattern_along(net, np.array([0.0]), np.array([-1.0]), DEFAULT).tolist()
    [False, True]
    """
    return net.pattern_along(y, v, tol)


def region_rows(net, pattern: np.ndarray, DA: np.ndarray, Db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (redundant) H-representation of a pattern's region: neuron rows, then domain rows.

    Active neuron ``k``: ``-(G[k] x + g[k]) <= 0``; inactive: ``G[k] x + g[k] <= 0``, with
    ``(G, g) = net.preactivation_maps(pattern)``; then the domain's ``DA x <= Db``.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> A, b = region_rows(example_network("abs"), np.array([True, False]), np.zeros((0, 1)), np.zeros(0))
    >>> A.ravel().tolist(), b.tolist()
    ([-1.0, -1.0], [-0.0, 0.0])
    """
    G, g = net.preactivation_maps(pattern)
    s = np.where(np.asarray(pattern, dtype=bool), -1.0, 1.0)
    A = np.vstack([s[:, None] * G, DA])
    b = np.concatenate([-s * g, Db])
    return A, b


@dataclass
class TraversalResult:
    """Raw output of one traversal (compact arrays; see the regions contract).

    ``external`` lists facets whose neighbour region was not enumerated here (outside a
    subdomain, or not reached before a limit): rows ``(region, label, neighbour pattern)``;
    ``touches_cut`` marks regions with a facet on a subdomain cut.

    Examples
    --------
    >>> from relugeom._tol import DEFAULT
    >>> from relugeom.network import example_network
    >>> r = lp_traversal(example_network("abs"), np.zeros((0, 1)), np.zeros(0), bounded=False,
    ...                  x0=np.zeros(1), tol=DEFAULT)
    >>> r.patterns.shape, r.complete, r.facets.tolist()
    ((2, 2), True, [[0, 1, 0]])
    """

    patterns: np.ndarray
    points: np.ndarray
    radii: np.ndarray
    facets: np.ndarray
    complete: bool
    reason: str | None
    stats: dict
    external: list = field(default_factory=list)
    touches_cut: np.ndarray | None = None


@dataclass
class _RegionInfo:
    pattern: np.ndarray
    point: np.ndarray
    radius: float
    facets: list  # (label, neighbour key or None)
    touches_cut: bool = False


class _Traversal:
    def __init__(self, net, DA: np.ndarray, Db: np.ndarray, bounded: bool, tol: Tolerance,
                 n_primary: int | None = None):
        self.net = net
        self.DA = np.asarray(DA, dtype=float).reshape(-1, net.input_dim)
        self.Db = np.asarray(Db, dtype=float).reshape(-1)
        self.bounded = bounded
        self.tol = tol
        self.cap = np.inf if bounded else RADIUS_CAP
        self.N = net.n_neurons
        self.d = net.input_dim
        # domain rows with index >= n_primary (subdomain cuts) lose ties to neuron rows
        self.n_primary = len(self.Db) if n_primary is None else n_primary
        self.n_lp = 0
        self.n_empty = 0
        self.n_thin_facets = 0

    # ------------------------------------------------------------ one region
    def region(self, pattern: np.ndarray) -> _RegionInfo | None:
        """Chebyshev ball, irredundant rows and neighbours of a pattern's region."""
        t = self.tol
        A, b = region_rows(self.net, pattern, self.DA, self.Db)
        m = len(b)
        labels = np.concatenate([np.arange(self.N), -1 - np.arange(len(self.Db))]).astype(np.int64)
        norms = np.linalg.norm(A, axis=1)
        zero = norms <= t.zero_atol
        if np.any(b[zero] < -t.feas_atol):
            self.n_empty += 1
            return None
        keep = np.flatnonzero(~zero)
        A, b, labels, norms = A[keep], b[keep], labels[keep], norms[keep]
        if len(b) == 0:  # no constraint at all: the whole space (no hidden neurons, R^n)
            return _RegionInfo(np.asarray(pattern, bool), np.zeros(self.d), self.cap, [])
        An = A / norms[:, None]
        bn = b / norms
        lp = TinyLP(An, bn, np.ones(len(bn)), self.cap, t)
        cost = np.zeros(self.d + 1)
        cost[-1] = -1.0
        st, z, val = lp.solve(cost)
        if st is LPStatus.INFEASIBLE:
            self.n_empty += 1
            self.n_lp += lp.n_solves
            return None
        if st is not LPStatus.OPTIMAL:
            raise SolverError(f"Chebyshev-centre LP of a region failed ({st.value})")
        x0, radius = z[: self.d], float(z[-1])
        if radius <= t.interior_atol:
            self.n_empty += 1
            self.n_lp += lp.n_solves
            return None
        lp.set_t_upper(0.0)
        kept = self._irredundant(lp, An, bn, labels)
        facets = self._facets(pattern, An[kept], bn[kept], labels[kept])
        cut = any(isinstance(q, str) for _, q in facets)
        facets = [(lab, q) for lab, q in facets if not isinstance(q, str)]
        return _RegionInfo(np.asarray(pattern, bool), x0, radius, facets, cut)

    def _irredundant(self, lp: TinyLP, An: np.ndarray, bn: np.ndarray, labels: np.ndarray) -> np.ndarray:
        t = self.tol
        m, d = An.shape
        active = np.ones(m, dtype=bool)
        # bounding box filter: rows that cannot be reached on the box are redundant
        if m > 4 * d:
            lo = np.full(d, -np.inf)
            hi = np.full(d, np.inf)
            for j in range(d):
                for sgn in (1.0, -1.0):
                    c = np.zeros(d + 1)
                    c[j] = -sgn
                    st, z, val = lp.solve(c)
                    if st is LPStatus.OPTIMAL:
                        if sgn > 0:
                            hi[j] = z[j]
                        else:
                            lo[j] = z[j]
            with np.errstate(invalid="ignore"):
                top = np.where(An > 0, An * hi, np.where(An < 0, An * lo, 0.0)).sum(axis=1)
            dead = top < bn - t.interior_atol
            active &= ~dead
        # the survivors in a smaller model (dropped rows are redundant: same polyhedron)
        sub = np.flatnonzero(active)
        if len(sub) < m:
            self.n_lp += lp.n_solves
            lp = TinyLP(An[sub], bn[sub], np.zeros(len(sub)), 0.0, t)
            loc = np.full(m, -1)
            loc[sub] = np.arange(len(sub))
        else:
            loc = np.arange(m)
        # test order: later-preferred rows first, so that among duplicate rows the preferred
        # one (primary domain rows, then the lowest neuron, then subdomain cuts) survives
        prio = np.where(labels >= 0, 1, np.where(-1 - labels < self.n_primary, 0, 2))
        order = np.lexsort((-np.abs(labels), -prio))
        order = [i for i in order if active[i]]
        for i in order:
            li = loc[i]
            lp.set_row(li, -np.inf, bn[i] + 1.0)
            c = np.zeros(d + 1)
            c[:d] = -An[i]
            st, z, val = lp.solve(c)
            lp.set_row(li, -np.inf, bn[i])
            if st is LPStatus.OPTIMAL and -val <= bn[i] + t.interior_atol:
                active[i] = False
                lp.set_row(li, -np.inf, np.inf)
            elif st is LPStatus.INFEASIBLE:  # cannot happen for a full-dimensional region
                log.debug("redundancy LP infeasible; keeping row %d", i)
        self.n_lp += lp.n_solves
        return np.flatnonzero(active)

    def _facets(self, pattern, A: np.ndarray, b: np.ndarray, labels: np.ndarray) -> list:
        """For each irredundant row: a relative-interior point and the neighbour across."""
        t = self.tol
        out = []
        k = len(b)
        if k == 0:
            return out
        lp = None
        planar = _segments_2d(A, b, t) if self.d == 2 else None
        for i in range(k):
            lab = int(labels[i])
            if lab < 0:
                if -1 - lab < self.n_primary:  # domain boundary (subdomain cuts: dropped)
                    out.append((lab, None))
                else:
                    out.append((lab, "cut"))
                continue
            n = A[i]
            if self.d == 1:  # the facet is the point b_i / a_i
                out.append((lab, pattern_along(self.net, np.array([b[i] * n[0]]), n, t)))
                continue
            if planar is not None and planar[i] is not None:
                p, q = planar[i]
                if 0.5 * np.linalg.norm(q - p) <= t.interior_atol:
                    self.n_thin_facets += 1
                    continue
                out.append((lab, pattern_along(self.net, 0.5 * (p + q), n, t)))
                continue
            proj = A - np.outer(A @ n, n)
            tco = np.linalg.norm(proj, axis=1)
            tco[i] = 0.0
            if lp is None:
                lp = TinyLP(A, b, tco, self.cap, t)
            else:
                lp.set_tcoef(tco)
                lp.set_t_upper(self.cap)
            lp.set_row(i, b[i], b[i])
            c = np.zeros(self.d + 1)
            c[-1] = -1.0
            n0 = lp.n_solves
            st, z, val = lp.solve(c)
            if st is LPStatus.UNBOUNDED:  # e.g. a point facet in R^1: every row is parallel
                lp.set_t_upper(RADIUS_CAP)
                st, z, val = lp.solve(c)
            lp.set_row(i, -np.inf, b[i])
            self.n_lp += lp.n_solves - n0
            if st is not LPStatus.OPTIMAL or z[-1] <= t.interior_atol:
                self.n_thin_facets += 1
                log.debug("facet %d of a region is thinner than interior_atol; skipped", lab)
                continue
            y = z[: self.d]
            q = pattern_along(self.net, y, n, t)
            out.append((lab, q))
        return out


def _segments_2d(A: np.ndarray, b: np.ndarray, tol: Tolerance) -> list | None:
    """Edge endpoints of a polygon given by irredundant unit rows (None where unbounded).

    In the plane the Chebyshev centre of a facet is the midpoint of its segment, so this
    replaces one LP per facet by pairwise line intersections.
    """
    k = len(b)
    if k < 3:
        return None
    i, j = np.triu_indices(k, 1)
    det = A[i, 0] * A[j, 1] - A[i, 1] * A[j, 0]
    ok = np.abs(det) > 1e-12
    i, j, det = i[ok], j[ok], det[ok]
    x = (b[i] * A[j, 1] - b[j] * A[i, 1]) / det
    y = (A[i, 0] * b[j] - A[j, 0] * b[i]) / det
    V = np.column_stack([x, y])
    slack = V @ A.T - b
    scale = 1.0 + np.abs(V).max(axis=1)
    feas = np.all(slack <= tol.feas_atol * scale[:, None], axis=1)
    V, slack, scale = V[feas], slack[feas], scale[feas]
    tight = np.abs(slack) <= tol.feas_atol * scale[:, None]
    out: list = []
    for r in range(k):
        P = V[tight[:, r]]
        if len(P) < 2:
            out.append(None)
            continue
        d = np.array([-A[r, 1], A[r, 0]])
        s = P @ d
        out.append((P[np.argmin(s)], P[np.argmax(s)]))
    return out


def _start_pattern(tr: _Traversal, x0: np.ndarray) -> tuple[np.ndarray, _RegionInfo]:
    rng = np.random.default_rng(0)  # fixed: the generic direction is part of the algorithm
    for _ in range(20):
        v = rng.normal(size=tr.d)
        p = pattern_along(tr.net, x0, v / np.linalg.norm(v), tr.tol)
        info = tr.region(p)
        if info is not None:
            return p, info
    raise SolverError("could not find a full-dimensional region at the domain's interior point")


def lp_traversal(net, DA: np.ndarray, Db: np.ndarray, *, bounded: bool, x0: np.ndarray,
                 tol: Tolerance, max_regions: int | None = None, time_limit: float | None = None,
                 progress: bool = False, n_primary: int | None = None,
                 count_only: bool = False) -> TraversalResult:
    """Enumerate the full-dimensional regions of ``net`` on ``{x : DA x <= Db}``.

    Parameters
    ----------
    net : ReLUNetwork
    DA, Db : ndarray
        Domain rows (none for all of ``R^n``).
    bounded : bool
        Whether the domain is bounded (unbounded domains cap Chebyshev radii at 1).
    x0 : ndarray (d,)
        An interior point of the domain.
    tol : Tolerance
    max_regions, time_limit : optional
        Stop early; the result is then marked incomplete with the reason.
    progress : bool
        Show a tqdm progress bar.
    n_primary : int, optional
        Domain rows from this index on are subdomain cuts: their facets are not reported
        and neuron rows win ties against them.
    count_only : bool
        Stream: keep only the set of visited pattern keys, not the regions; the result
        has empty arrays and the count in ``stats["n_regions"]``.

    Returns
    -------
    TraversalResult
        Regions sorted by packed pattern; interior facets once with ``region_a < region_b``.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom._tol import DEFAULT
    >>> DA = np.array([[1.0], [-1.0]]); Db = np.array([3.0, 3.0])
    >>> res = lp_traversal(example_network("three_pieces"), DA, Db, bounded=True,
    ...                    x0=np.zeros(1), tol=DEFAULT)
    >>> res.patterns.astype(int).tolist(), res.facets.tolist()
    ([[0, 1], [1, 0], [1, 1]], [[0, -1, -2], [0, 2, 0], [1, -1, -1], [1, 2, 1]])
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    tr = _Traversal(net, DA, Db, bounded, tol, n_primary)
    N = net.n_neurons
    infos: dict[bytes, _RegionInfo] = {}
    p0, info0 = _start_pattern(tr, np.asarray(x0, dtype=float))
    k0 = pattern_keys(p0)[0]
    seen = {k0}
    queue: deque = deque([(k0, p0, info0)])
    complete, reason = True, None
    n_done = 0
    bar = tqdm(total=None, disable=not progress, unit="region", desc="regions")
    try:
        while queue:
            if max_regions is not None and n_done >= max_regions:
                complete, reason = False, "max_regions"
                break
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                complete, reason = False, "time_limit"
                break
            key, p, info = queue.popleft()
            if info is None:
                info = tr.region(p)
            if info is None:
                log.debug("neighbour pattern gives no full-dimensional region")
                continue
            n_done += 1
            if not count_only:
                infos[key] = info
            bar.update(1)
            for lab, q in info.facets:
                if q is None:
                    continue
                kq = pattern_keys(q)[0]
                if kq not in seen:
                    seen.add(kq)
                    queue.append((kq, q, None))
    finally:
        bar.close()
    keys = sorted(infos)
    index = {k: i for i, k in enumerate(keys)}
    R = len(keys)
    d = net.input_dim
    patterns = np.array([infos[k].pattern for k in keys], dtype=bool).reshape(R, N)
    points = np.array([infos[k].point for k in keys], dtype=float).reshape(R, d)
    radii = np.array([infos[k].radius for k in keys], dtype=float)
    rows: set = set()
    external = []
    for k in keys:
        a = index[k]
        pa = infos[k].pattern
        for lab, q in infos[k].facets:
            if q is None:
                rows.add((a, -1, lab))
                continue
            kq = pattern_keys(q)[0]
            flip = np.flatnonzero(pa != q)
            label = int(flip[0]) if len(flip) else lab
            if kq in index:
                bq = index[kq]
                if bq == a:
                    continue
                rows.add((min(a, bq), max(a, bq), label))
            else:
                external.append((a, label, q))
                if n_primary is None:  # partial run: a facet to a region not enumerated
                    rows.add((a, -1, label))
    facets = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)
    # interior facets first sorted by (a, b); boundary rows (b = -1) sorted with them
    stats = {
        "method": "lp",
        "seconds": time.perf_counter() - t0,
        "lps": tr.n_lp,
        "empty_patterns": tr.n_empty,
        "thin_facets": tr.n_thin_facets,
        "unvisited": len(queue),
        "n_regions": n_done,
    }
    cut = np.array([infos[k].touches_cut for k in keys], dtype=bool)
    return TraversalResult(patterns, points, radii, facets, complete, reason, stats, external, cut)
