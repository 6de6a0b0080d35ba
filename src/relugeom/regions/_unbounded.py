r"""All regions of ``R^n`` from the skeleton method on one certified box.

Why a box suffices
------------------
When the first weight matrix has rank ``n`` every region of ``R^n`` is pointed (a line in a
region would move some first-layer pre-activation from ``-inf`` to ``+inf``), so the
complex has vertices and its vertex–edge graph is connected. If every vertex lies in the
open box ``B``, every region meets ``B`` (at one of its vertices) in a full-dimensional
piece, and every facet does too; so the regions, facets and interior points found by the
skeleton method on ``B`` are those of ``R^n`` once the facets on ``∂B`` are dropped.

The certificate
---------------
Suppose some vertex ``u`` lies outside the open box. A path in the edge graph from a vertex
``w`` inside ``B`` to ``u`` leaves ``B`` along some edge, which crosses ``∂B`` at a skeleton
vertex ``p`` lying on one box facet and ``n - 1`` neuron hyperplanes. Along that edge,
beyond ``p``, every pre-activation stays affine until the first neuron changes sign, and
that point is the edge's next vertex. So it suffices to check, at every such ``p``, that
no neuron with a non-zero pre-activation at ``p`` changes sign along the outward edge
direction ``r`` (the null vector of the ``n - 1`` zero neurons' gradients): with
``z_k(p) + t g_k·r`` this is ``z_k(p) · (g_k·r) >= 0`` for every such ``k``. When a check
fails, the first crossing is a vertex outside ``B``; the box is enlarged to contain it with
room to spare and the enumeration repeats. At least one vertex must lie inside ``B`` for
the path argument; the check requires it.

When anything does not hold (rank-deficient first layer, degenerate skeleton, an edge
parallel to a box facet, too many rounds) the caller falls back to the LP traversal.
"""

from __future__ import annotations

import logging
import time
from itertools import combinations
from math import comb

import numpy as np

from .._tol import Tolerance
from ..polyhedra import Box
from ._lp_traversal import TraversalResult

log = logging.getLogger(__name__)

__all__: list[str] = []

_MAX_ROUNDS = 6
_MAX_SCALE = 1e9  # give up when the box would exceed this multiple of the weights' scale
_SAMPLE_SUBSETS = 4096


def _first_level(net) -> tuple[np.ndarray, np.ndarray]:
    """The first level's pre-activation maps ``(W, b)`` (affine on all of ``R^n``)."""
    a, e = net.levels[0]
    G, g = net.preactivation_maps(np.zeros(net.n_neurons, dtype=bool))
    return G[a:e], g[a:e]


def _initial_radius(net, rng: np.random.Generator) -> float:
    """Half-width covering the first layer's vertices (all, or a sample of n-subsets)."""
    W, b = _first_level(net)
    N1, n = W.shape
    if comb(N1, n) <= _SAMPLE_SUBSETS:
        idx = np.array(list(combinations(range(N1), n)), dtype=np.int64).reshape(-1, n)
    else:
        idx = np.argsort(rng.random((_SAMPLE_SUBSETS, N1)), axis=1)[:, :n]
    A = W[idx]
    ok = np.abs(np.linalg.det(A)) > 1e-12 * np.prod(np.linalg.norm(A, axis=2), axis=1)
    radius = 1.0
    if np.any(ok):
        sol = np.linalg.solve(A[ok], -b[idx[ok]][:, :, None])[:, :, 0]
        radius = max(radius, float(np.abs(sol).max()))
    return 2.0 * radius


def _exact_slope_is_zero(net, pattern: np.ndarray, zeros: np.ndarray, k: int) -> bool:
    """Whether neuron ``k`` is exactly constant along the edge on the ``zeros`` hyperplanes.

    The edge direction is the null vector of the zero neurons' gradients (generalised cross
    product of ``n - 1`` exact rows), the slope its product with neuron ``k``'s gradient, all
    in rational arithmetic on the vertex's region.
    """
    from flint import fmpq_mat

    n = net.input_dim
    G, _ = net.exact_preactivation_maps(pattern, list(zeros) + [k])
    rows = [[G[i, t] for t in range(n)] for i in range(len(zeros))]
    r = []
    for j in range(n):
        cols = [t for t in range(n) if t != j]
        minor = fmpq_mat(n - 1, n - 1, [rows[i][t] for i in range(n - 1) for t in cols]) if n > 1 else None
        det = minor.det() if minor is not None else 1
        r.append(det if j % 2 == 0 else -det)
    slope = sum((G[-1, t] * r[t] for t in range(n)), 0)
    return slope == 0


def _check_box(net, res, T: float, tol: Tolerance) -> tuple[bool, float, str]:
    """``(certified, needed_radius, reason)`` for a skeleton run on ``[-T, T]^n``."""
    from ._skeleton import _words_to_bool

    n = net.input_dim
    m = 2 * n
    N = int(net.n_neurons)
    Zb = _words_to_bool(res.zero_bits, 0, m + N)
    Pb = _words_to_bool(res.pos_bits, m, N)
    on_box = Zb[:, :m].sum(axis=1)
    if not np.any(on_box == 0):
        return False, 4.0 * T, "no vertex inside the box"
    sel = np.flatnonzero(on_box == 1)
    if len(sel) == 0:
        return True, T, ""
    X = np.asarray(res.vertices, float)[sel]
    Zn = Zb[sel, m:]
    if not np.all(Zn.sum(axis=1) == n - 1):
        return False, T, "a box-facet vertex is not on n - 1 neurons"
    facet = np.argmax(Zb[sel, :m], axis=1)
    # Box rows: x_i <= T (i < n), -x_i <= T (i >= n): the outward normal of row i
    normal = np.where(facet < n, 1.0, -1.0)
    axis = facet % n
    J, _ = net.preactivation_maps_many(Pb[sel])
    Vn = len(sel)
    if n == 1:
        r = np.ones((Vn, 1))
    else:
        rows = np.nonzero(Zn)[1].reshape(Vn, n - 1)
        Gz = np.take_along_axis(J, rows[:, :, None], axis=1)  # (V, n-1, n)
        _, _, vt = np.linalg.svd(Gz)
        r = vt[:, -1, :]
    along = normal * r[np.arange(Vn), axis]
    if np.any(np.abs(along) <= tol.zero_atol * np.linalg.norm(r, axis=1)):
        return False, T, "an edge is parallel to a box facet"
    r = r * np.sign(along)[:, None]
    # values of every neuron at the boundary vertices and their slopes along r
    z = np.concatenate(net.preactivations(X), axis=1)
    slope = np.einsum("vkn,vn->vk", J, r)
    scale = np.abs(J).sum(axis=2) * (np.abs(X).max(axis=1, keepdims=True) + 1.0)
    live = ~Zn
    cross = live & (z * slope < 0) & (np.abs(z) > tol.zero_atol * scale)
    # a slope at rounding level may be an exactly parallel hyperplane (a clip's two
    # thresholds, shared weights): decide those exactly on the vertex's region
    sscale = np.abs(J).sum(axis=2) * np.abs(r).sum(axis=1, keepdims=True)
    doubt = cross & (np.abs(slope) <= 1e-9 * np.maximum(sscale, 1e-300))
    for v, k in zip(*np.nonzero(doubt)):
        if _exact_slope_is_zero(net, Pb[sel[v]], np.flatnonzero(Zn[v]), int(k)):
            cross[v, k] = False
    if not np.any(cross):
        return True, T, ""
    t = np.where(cross, -z / np.where(cross, slope, 1.0), np.inf).min(axis=1)
    bad = np.isfinite(t)
    U = X[bad] + t[bad, None] * r[bad]
    return False, 2.0 * float(np.abs(U).max()), "a vertex lies outside the box"


def enumerate_unbounded(net, tol: Tolerance, *, max_regions=None, time_limit=None,
                        progress: bool = False, with_facets: bool = True,
                        rng: int = 0) -> TraversalResult | None:
    """All regions of ``R^n`` by the skeleton method on a certified box, or None.

    None means the method does not apply or could not certify its box; the caller then
    uses the LP traversal.

    Examples
    --------
    >>> from relugeom._tol import DEFAULT
    >>> from relugeom.network import example_network
    >>> r = enumerate_unbounded(example_network("three_units"), DEFAULT)
    >>> len(r.patterns), r.complete, r.stats["box_rounds"]
    (7, True, 1)
    """
    from ._skeleton import enumerate_skeleton

    t0 = time.perf_counter()
    n = net.input_dim
    if net.n_neurons == 0 or np.linalg.matrix_rank(_first_level(net)[0]) < n:
        return None
    gen = np.random.default_rng(rng)
    T = _initial_radius(net, gen)
    # the size of the constants: biases of a dense net, offsets of the first level and f(0)
    consts = [np.abs(_first_level(net)[1]).max(initial=0.0), np.abs(net(np.zeros(n))).max(initial=0.0)]
    if net.is_dense_relu:
        consts += [np.abs(b).max(initial=0.0) for b in net.biases]
    wscale = max(1.0, float(max(consts)))
    for rnd in range(1, _MAX_ROUNDS + 1):
        remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if remaining is not None and remaining <= 0:
            return None
        res = enumerate_skeleton(net, Box(-T * np.ones(n), T * np.ones(n)), tol=tol,
                                 max_regions=max_regions, time_limit=remaining,
                                 progress=progress, with_facets=with_facets,
                                 keep_skeleton=True, rng=rng)
        if res.degenerate or not res.complete:
            log.info("unbounded skeleton: round %d on [-%g, %g]^%d not usable (%s)", rnd, T, T, n,
                     res.stats.get("degenerate_reason") or res.stats.get("reason"))
            return None
        ok, need, why = _check_box(net, res, T, tol)
        if ok:
            facets = res.facets
            if facets is not None:
                facets = np.asarray(facets, np.int64)
                facets = facets[facets[:, 2] >= 0]
            else:
                facets = np.zeros((0, 3), np.int64)
            stats = dict(res.stats)
            stats.update(method="skeleton", box_radius=T, box_rounds=rnd,
                         box_certificate="every vertex inside the box (edge-ray check)")
            return TraversalResult(np.asarray(res.patterns, bool), np.asarray(res.points, float),
                                   np.full(len(res.patterns), np.nan), facets, True, None, stats)
        log.info("unbounded skeleton: round %d on [-%g, %g]^%d: %s", rnd, T, T, n, why)
        T = max(need, 2.0 * T)
        if T > _MAX_SCALE * wscale:
            return None
    return None
