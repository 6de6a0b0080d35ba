r"""Fast region enumeration from the vertex/edge skeleton of the region complex.

The method
----------
The domain ``{x : A x <= b}`` (bounded, full-dimensional, simple) and the hidden neurons
define hyperplanes, numbered ``0..m-1`` for the domain rows and ``m + k`` for hidden neuron
``k``. Every skeleton vertex carries its *sign vector* over these hyperplanes, packed into
two bit arrays of ``uint64`` words: ``Z`` (the vertex lies on the hyperplane) and ``P``
(strictly positive side; for a domain row, strictly inside).

1. Start from the domain's vertices and edges.
2. Add the neurons one at a time, layer by layer. Neuron ``k`` of layer ``l`` is affine on
   every cell of the complex of the layers before ``l``, so its pre-activation is linear
   along every current edge: evaluate it at all vertices at once (a vector of the previous
   layer's post-activations is kept per vertex and interpolated for new vertices), split
   every edge whose endpoints have strictly opposite signs, and join the two new vertices
   of every cut 2-face. A 2-face containing an edge is named by the edge's sign vector with
   one of its ``d - 1`` zero hyperplanes replaced by a side; the new vertices are grouped
   by these names (hashing, then an exact comparison of the full keys), and every group must
   have exactly two members.
3. Regions without linear programs: for a generic direction ``c``, each (convex, bounded)
   region has exactly one ``c``-minimal vertex ``v``, and at a simple vertex the region
   with signs ``s`` on ``v``'s zero hyperplanes has ``v`` as its minimum iff for every zero
   hyperplane ``i`` the edge leaving ``i`` on side ``s_i`` goes ``c``-upward. So the
   regions are enumerated by expanding, at every vertex, all upward choices; the edges of
   the choice span a simplex inside the region whose barycentre is the region's interior
   point. Facets are found the same way within each hyperplane.

Checks
------
* Every near tie (``|pre-activation| <= zero_atol * scale`` at a vertex) is decided in
  exact rational arithmetic (:mod:`._skeleton_exact`); an exact zero is a degeneracy.
* The number of regions is counted twice: as ``1 + Σ_k (pieces of neuron k's zero set)``
  while the skeleton grows (each piece splits one region in two) and by the ``c``-minimum
  rule on the final skeleton. They must agree.
* The face numbers ``f_k = Σ_v e_k(upward-edge counts at v)`` (each face has one
  ``c``-minimal vertex) must give Euler characteristic ``Σ (-1)^k f_k = 1`` (a ball);
  ``stats["f_vector"]`` reports them.
* Every region's interior point has the region's pattern (exactly, in rational arithmetic,
  where the float margin is small); patterns are distinct; every interior facet's two
  sides are found among the regions.

Any failure sets ``degenerate=True``: the caller then uses the LP method.

Examples
--------
>>> from relugeom.network import example_network
>>> from relugeom.polyhedra import Box
>>> res = enumerate_skeleton(example_network("demo"), Box([-1, -1], [1, 1]))
>>> res.n_regions == len(res.patterns), res.complete, res.degenerate
(True, True, False)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .._grow import Grow as _Grow
from .._tol import Tolerance, resolve
from ..errors import UnboundedError
from ..polyhedra import Box, HPolytope

__all__ = ["SkeletonResult", "enumerate_skeleton"]

log = logging.getLogger(__name__)

_ONE = np.uint64(1)
_CHUNK = 1 << 20  # rows per chunk in memory-heavy vectorized passes
_IDX = np.int32  # vertex indices (int64 above 2**31 - 1 vertices is not supported)
_MAX_EXACT = 20000  # near ties decided exactly before giving up (degenerate)
#: the region phase takes about this multiple of the skeleton's time (0.5-1.6 measured)
_REGION_PHASE = 1.0
_VERIFY_ALL = 100_000  # interior points checked on a general network (an even sample beyond)
_HASH_SEED = 0x5EED


# ------------------------------------------------------------------ result
@dataclass(frozen=True)
class SkeletonResult:
    """Regions of a network on a bounded domain, found from the complex's skeleton.

    Attributes
    ----------
    patterns : ndarray of bool, shape (R, N)
        Activation pattern of each region, sorted lexicographically by
        ``np.packbits(patterns, axis=1)``.
    points : ndarray, shape (R, d)
        A point strictly inside each region.
    facets : ndarray of int64, shape (F, 3) or None
        ``[region_a, region_b, label]`` per facet (see the regions contract); None when
        ``with_facets=False``.
    n_regions : int
        ``len(patterns)``, or the full count when ``max_regions`` truncated the list.
    complete : bool
        False when ``max_regions``/``time_limit`` stopped the run or a degeneracy did.
    degenerate : bool
        True when a tie or an inconsistency was found; the result is then not trusted.
    stats : dict
        Method, seconds, counters and the checks done.
    vertices : ndarray (V, d) or None
    edges : ndarray (E, 2) or None
        The final skeleton (kept when ``keep_skeleton=True``).
    zero_bits, pos_bits : ndarray of uint64 (V, words) or None
        Per vertex, bit ``i`` (domain row ``i``) or ``m + k`` (hidden neuron ``k``) is set
        in ``zero_bits`` when the vertex lies on that hyperplane and in ``pos_bits`` when it
        lies strictly on the positive side (inside the domain row; neuron active). Kept with
        the skeleton.
    tol : Tolerance
    rng : int or None
        Seed of the generic direction ``c``.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.5], [0.0]])
    >>> r = enumerate_skeleton(net, Box([-1], [1]))
    >>> r.n_regions, r.patterns.astype(int).tolist()
    (3, [[0, 1], [1, 0], [1, 1]])
    """

    patterns: np.ndarray
    points: np.ndarray
    facets: np.ndarray | None
    n_regions: int
    complete: bool
    degenerate: bool
    stats: dict
    vertices: np.ndarray | None = None
    edges: np.ndarray | None = None
    zero_bits: np.ndarray | None = None
    pos_bits: np.ndarray | None = None
    tol: Tolerance = field(default_factory=Tolerance)
    rng: int | None = 0


# ------------------------------------------------------------- small helpers
_POW2 = np.left_shift(_ONE, np.arange(64, dtype=np.uint64))


def _bit(h: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Word index and bit mask of hyperplane(s) ``h``."""
    h = np.asarray(h)
    return h >> 6, _POW2[h & 63]


def _mask_indices(M: np.ndarray, count: int, dtype=np.int64) -> np.ndarray | None:
    """Indices of the set bits of each row of ``M`` (n, W) uint64, exactly ``count`` per row."""
    n = M.shape[0]
    if M.shape[1] == 1:  # one word: peel the lowest set bit ``count`` times
        if not np.all(np.bitwise_count(M[:, 0]) == count):
            return None
        out = np.empty((n, count), dtype=dtype)
        for s in range(0, n, _CHUNK):
            x = M[s: s + _CHUNK, 0].copy()
            for j in range(count):
                low = x & (~x + _ONE)
                out[s: s + len(x), j] = _log2(low)
                x ^= low
        return out
    out = np.empty((n, count), dtype=dtype)
    if count <= 4:  # few bits: peel the lowest set bit of the first non-zero word
        step = max(1, _CHUNK // max(1, M.shape[1]))
        for s in range(0, n, step):
            blk = np.array(M[s: s + step])
            if not np.all(np.bitwise_count(blk).sum(axis=1, dtype=np.int64) == count):
                return None
            ar = np.arange(len(blk))
            for j in range(count):
                w = np.argmax(blk != 0, axis=1)
                x = blk[ar, w]
                low = x & (~x + _ONE)
                out[s: s + len(blk), j] = w.astype(np.int64) * 64 + _log2(low)
                blk[ar, w] = x ^ low
        return out
    for s in range(0, n, _CHUNK):
        blk = np.ascontiguousarray(M[s: s + _CHUNK])
        bits = np.unpackbits(blk.view(np.uint8), axis=1, bitorder="little")
        rows, cols = np.nonzero(bits)
        if len(cols) != len(blk) * count or (count and not np.all(
                np.bincount(rows, minlength=len(blk)) == count)):
            return None
        out[s: s + len(blk)] = cols.reshape(len(blk), count)
    return out


def _log2(x: np.ndarray) -> np.ndarray:
    """Exponent of powers of two (uint64, exact: float64 holds every 2**k exactly)."""
    return np.frexp(x.astype(np.float64))[1].astype(np.int64) - 1


def _test_bits(M: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``M[rows[i]]`` has bit ``idx[i, j]`` set (vectorized), shape of ``idx``."""
    w, b = _bit(idx)
    return (M[rows[:, None], w] & b) != 0


def _word_rows(M: np.ndarray) -> int:
    """Rows per chunk when unpacking ``M`` (n, W): about 64 MB of bits at a time."""
    return max(1, min(_CHUNK, (64 * 2 ** 20) // (64 * max(1, M.shape[1]))))


def _words_to_bool(M: np.ndarray, start: int, n: int) -> np.ndarray:
    """Bits ``start..start+n-1`` of each row of ``M`` as a bool array (rows, n)."""
    out = np.empty((M.shape[0], n), dtype=bool)
    step = _word_rows(M)
    for s in range(0, M.shape[0], step):
        blk = np.ascontiguousarray(M[s: s + step])
        bits = np.unpackbits(blk.view(np.uint8), axis=1, bitorder="little")
        out[s: s + len(blk)] = bits[:, start: start + n].view(bool)
    return out


def _words_to_packed(M: np.ndarray, start: int, n: int) -> np.ndarray:
    """``np.packbits`` of :func:`_words_to_bool`, chunked (never the whole bool array)."""
    out = np.empty((M.shape[0], (n + 7) // 8), dtype=np.uint8)
    step = _word_rows(M)
    for s in range(0, M.shape[0], step):
        blk = np.ascontiguousarray(M[s: s + step])
        bits = np.unpackbits(blk.view(np.uint8), axis=1, bitorder="little")[:, start: start + n]
        out[s: s + len(blk)] = np.packbits(bits, axis=1)
    return out


def _pattern_keys(patterns: np.ndarray) -> np.ndarray:
    """Sortable keys (void, big-endian bytes) of bool patterns (R, N): contract order."""
    return _packed_keys(np.packbits(patterns, axis=1))


def _packed_keys(pk: np.ndarray) -> np.ndarray:
    """:func:`_pattern_keys` of patterns given packed (rows of ``np.packbits`` bytes)."""
    nb = pk.shape[1]
    if nb <= 8:  # one big-endian word: numeric order = byte order, and fast to search
        pk = np.hstack([pk, np.zeros((len(pk), 8 - nb), dtype=np.uint8)])
        return np.ascontiguousarray(pk).view(">u8").ravel().astype(np.uint64)
    return np.ascontiguousarray(pk).view(f"V{nb}").ravel()


def _sort_order(patterns: np.ndarray) -> np.ndarray:
    """Permutation sorting patterns lexicographically (as packbits bytes)."""
    return _sort_order_packed(np.packbits(patterns, axis=1))


def _sort_order_packed(pk: np.ndarray) -> np.ndarray:
    """Permutation sorting packed patterns (rows of ``np.packbits`` bytes) lexicographically."""
    nb = pk.shape[1]
    if nb == 0:
        return np.arange(len(pk))
    pad = (-nb) % 8
    if pad:
        pk = np.hstack([pk, np.zeros((len(pk), pad), dtype=np.uint8)])
    words = np.ascontiguousarray(pk).view(">u8").astype(np.uint64)
    return np.lexsort(words.T[::-1])


def _mix(x: np.ndarray, salt: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser of ``x + salt`` (uint64, wrapping), elementwise."""
    z = x + salt + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _salts(W: int) -> tuple[np.ndarray, np.ndarray]:
    rs = np.random.default_rng(_HASH_SEED)
    return (rs.integers(0, 2 ** 63, size=W, dtype=np.uint64),
            rs.integers(0, 2 ** 63, size=W, dtype=np.uint64))


def _pair_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact grouping of full keys (n, K) uint64 into pairs; None if a group is not a pair."""
    order = np.lexsort(keys.T[::-1])
    ks = keys[order]
    n = len(ks)
    if n % 2 or not np.array_equal(ks[0::2], ks[1::2]):
        return None
    if n > 2 and np.any(np.all(ks[1:-1:2] == ks[2::2], axis=1)):
        return None
    return order[0::2], order[1::2]


def _f_vector(cnt: np.ndarray) -> list[int]:
    """Face numbers f_0..f_d of the complex from the upward-edge counts at each vertex.

    Every k-face has one ``c``-minimal vertex; at a simple vertex the k-faces starting there
    pick k of its hyperplanes and one upward edge leaving each, so
    ``f_k = Σ_v e_k(cnt_v)`` (elementary symmetric polynomials).
    """
    n, d = cnt.shape
    f = np.zeros(d + 1, dtype=np.int64)
    for s in range(0, n, _CHUNK):
        c = cnt[s: s + _CHUNK].astype(np.int64)
        poly = np.zeros((len(c), d + 1), dtype=np.int64)
        poly[:, 0] = 1
        for i in range(d):
            poly[:, 1:] = poly[:, 1:] + c[:, i: i + 1] * poly[:, :-1]
        f += poly.sum(axis=0)
    return [int(v) for v in f]


class _RegionIndex:
    """Region index of sign-vector words (-1 if absent), by binary search."""

    def __init__(self, words: np.ndarray, keys: np.ndarray, m: int, N: int):
        self.m, self.N = m, N
        self.fast = words.shape[1] == 1
        self.table = None
        if self.fast:  # neuron bits of one word, shifted down: an injective uint64 key
            rk = words[:, 0] >> np.uint64(m)
            if N <= 24:  # a dense table: O(1) lookups
                self.table = np.full(1 << N, -1, dtype=np.int64)
                self.table[rk.astype(np.int64)] = np.arange(len(rk))
            self.order = np.argsort(rk)
            self.keys = rk[self.order]
        else:
            self.order, self.keys = None, keys

    def lookup(self, words: np.ndarray) -> np.ndarray:
        if self.fast:
            q = words[:, 0] >> np.uint64(self.m)
            if self.table is not None:
                return self.table[q.astype(np.int64)]
        else:
            q = _packed_keys(_words_to_packed(words, self.m, self.N))
        if len(self.keys) == 0:
            return np.full(len(q), -1, dtype=np.int64)
        i = np.minimum(np.searchsorted(self.keys, q), len(self.keys) - 1)
        found = self.keys[i] == q
        if self.order is not None:
            i = self.order[i]
        return np.where(found, i, -1).astype(np.int64)


def _upward(X: np.ndarray, NB: np.ndarray, c: np.ndarray) -> np.ndarray | None:
    """``NB[v, p, s]`` exists and goes ``c``-upward from ``v`` (chunked); None on a tie."""
    cx = X @ c
    UP = np.empty(NB.shape, dtype=bool)
    for s in range(0, len(NB), _CHUNK):
        nb = NB[s: s + _CHUNK]
        has = nb >= 0
        ncx = cx[np.where(has, nb, 0)]
        here = cx[s: s + _CHUNK, None, None]
        if np.any(has & (ncx == here)):
            return None
        UP[s: s + _CHUNK] = has & (ncx > here)
    return UP


def _domain_skeleton(domain: HPolytope, tol: Tolerance):
    """Vertices, zero sets and edges of a simple bounded polytope (None if not simple)."""
    A, b = np.asarray(domain.A, float), np.asarray(domain.b, float)
    d = A.shape[1]
    V = np.asarray(domain.vertices(), dtype=float)
    slack = b[None, :] - V @ A.T
    scale = np.abs(V) @ np.abs(A).T + np.abs(b)[None, :]
    zero = np.abs(slack) <= tol.zero_atol * np.maximum(scale, 1.0)
    if np.any(slack < -tol.feas_atol * np.maximum(scale, 1.0)):
        return None
    if not np.all(zero.sum(axis=1) == d):
        return None
    Zidx = [tuple(np.flatnonzero(r)) for r in zero]
    groups: dict[tuple, list[int]] = {}
    for v, z in enumerate(Zidx):
        for p in range(d):
            groups.setdefault(z[:p] + z[p + 1:], []).append(v)
    edges = []
    for key, vs in groups.items():
        if len(vs) != 2:
            return None
        edges.append(vs)
    return V, zero, np.asarray(edges, dtype=np.int64).reshape(-1, 2)


# --------------------------------------------------------------- main entry
def enumerate_skeleton(net, domain: HPolytope, *, tol: Tolerance | None = None,
                       max_regions: int | None = None, time_limit: float | None = None,
                       progress: bool = False, with_facets: bool = True,
                       keep_skeleton: bool = True, verify: bool = True,
                       certify: bool = False, rng: int | None = 0) -> SkeletonResult:
    """Enumerate the regions of ``net`` in a bounded domain from the complex's skeleton.

    Parameters
    ----------
    net : ReLUNetwork
    domain : HPolytope or Box
        Bounded, full-dimensional, simple (every vertex on exactly ``d`` facets; boxes are).
    tol : Tolerance, optional
        ``zero_atol`` (relative to the size of the terms) marks near ties, which are then
        decided exactly.
    max_regions : int, optional
        Keep at most this many regions (the first in the sorted order); ``complete=False``
        when more exist. If the running count passes ``max_regions`` already while the
        skeleton is built, the run stops there and returns no regions.
    time_limit : float, optional
        Seconds; checked between neurons. When hit, no regions are returned
        (``complete=False``); ``stats["regions_lower_bound"]`` says how many exist at least.
    progress : bool
        Show a tqdm progress bar over the neurons.
    with_facets : bool
        Compute the facets (``False``: count and patterns only, less memory).
    keep_skeleton : bool
        Return the final vertices and edges.
    verify : bool
        Check interior points (exactly where close to a tie) and facet matching.
    certify : bool
        Stronger checks for a certificate: every vertex sign whose relative margin is
        below ``tol.eval_rtol`` (not only below ``tol.zero_atol``) is decided in exact
        arithmetic, and every interior point's pattern is checked exactly (slow: about
        0.1 ms per region).
    rng : int, optional
        Seed of the generic direction used to pick each region's minimal vertex.

    Returns
    -------
    SkeletonResult

    Raises
    ------
    ValueError
        If the domain's dimension differs from the network's input dimension or it has
        equality constraints.
    UnboundedError
        If the domain is unbounded.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [[1.0, 1.0, 1.0]]],
    ...                   [[0.0, 0.0, 1.0], [0.0]])
    >>> r = enumerate_skeleton(net, Box([-2, -2], [2, 2]))
    >>> r.n_regions, len(r.facets), r.stats["verified"]
    (7, 19, True)
    """
    tol = resolve(tol)
    t0 = time.perf_counter()
    if not isinstance(domain, HPolytope):
        raise TypeError(f"domain must be an HPolytope or Box; got {type(domain).__name__}")
    d = net.input_dim
    if domain.dim != d:
        raise ValueError(f"domain has dimension {domain.dim} but the network's input "
                         f"dimension is {d}")
    if domain.A_eq.shape[0]:
        raise ValueError("the skeleton method needs a full-dimensional domain (no equality "
                         "constraints); restrict the network to the slice instead")
    if not isinstance(domain, Box) and not domain.is_bounded():
        raise UnboundedError("the skeleton method needs a bounded domain")
    run = _Run(net, domain, tol, max_regions, time_limit, progress, with_facets,
               keep_skeleton, verify, rng, t0)
    run.certify = bool(certify)
    return run.go()


class _Run:
    """State of one skeleton enumeration (kept in a class to share the big arrays)."""

    def __init__(self, net, domain, tol, max_regions, time_limit, progress, with_facets,
                 keep_skeleton, verify, rng, t0):
        self.net, self.domain, self.tol = net, domain, tol
        self.max_regions, self.time_limit = max_regions, time_limit
        self.progress, self.with_facets = progress, with_facets
        self.keep_skeleton, self.verify, self.rng, self.t0 = keep_skeleton, verify, rng, t0
        self.d = net.input_dim
        self.N = int(net.n_neurons)
        self.m = int(domain.A.shape[0])
        self.W = (self.m + self.N + 63) // 64
        self.stats: dict = {"method": "skeleton", "near_ties_exact": 0, "pieces": [],
                            "rng": rng, "min_vertex_margin": float("inf")}
        self.certify = False
        self.c = self._direction(0)
        self._exact = None
        self.degenerate_reason: str | None = None

    # ----------------------------------------------------------- utilities
    def _direction(self, attempt: int) -> np.ndarray:
        """A generic direction, drawn from the seed (salted: never a weight row)."""
        seq = np.random.SeedSequence([0 if self.rng is None else int(self.rng), 0xC0FFEE,
                                      attempt])
        return np.random.default_rng(seq).standard_normal(self.d)

    @property
    def exact(self):
        if self._exact is None:
            from ._skeleton_exact import ExactNetwork

            self._exact = ExactNetwork(self.net, np.asarray(self.domain.A, float),
                                       np.asarray(self.domain.b, float))
        return self._exact

    def _result(self, patterns=None, points=None, facets=None, n_regions=0, complete=False,
                degenerate=False) -> SkeletonResult:
        N, d = self.N, self.d
        self.stats["seconds"] = time.perf_counter() - self.t0
        if self.degenerate_reason:
            self.stats["degenerate_reason"] = self.degenerate_reason
        keep = self.keep_skeleton and getattr(self, "X", None) is not None
        return SkeletonResult(
            patterns=np.zeros((0, N), bool) if patterns is None else patterns,
            points=np.zeros((0, d)) if points is None else points,
            facets=(np.zeros((0, 3), np.int64) if (facets is None and self.with_facets)
                    else facets),
            n_regions=int(n_regions), complete=bool(complete), degenerate=bool(degenerate),
            stats=self.stats, vertices=self.X.v.copy() if keep else None,
            edges=np.stack([self.EA.v, self.EB.v], axis=1) if keep else None,
            zero_bits=self.Z.v if keep else None, pos_bits=self.P.v if keep else None,  # views: no copies
            tol=self.tol,
            rng=self.rng)

    def _late(self) -> bool:
        """Whether the time limit has passed (checked between the steps of the region phase)."""
        return self.time_limit is not None and time.perf_counter() - self.t0 > self.time_limit

    def _stop_late(self) -> SkeletonResult:
        self.stats.update(stopped="time_limit", reason="time_limit",
                          regions_lower_bound=self.count)
        return self._result(n_regions=0)

    def _degenerate(self, reason: str) -> SkeletonResult:
        log.info("skeleton method: degeneracy (%s); use the LP method", reason)
        self.degenerate_reason = reason
        return self._result(degenerate=True)

    # ------------------------------------------------------------------ run
    def go(self) -> SkeletonResult:
        dom = _domain_skeleton(self.domain, self.tol)
        if dom is None:
            return self._degenerate("domain is not a simple polytope")
        V0, zero0, E0 = dom
        W, m = self.W, self.m
        Z = np.zeros((len(V0), W), np.uint64)
        P = np.zeros((len(V0), W), np.uint64)
        for i in range(m):
            w, bv = _bit(i)
            Z[zero0[:, i], w] |= bv
            P[~zero0[:, i], w] |= bv
        self.X, self.Z, self.P = _Grow(V0), _Grow(Z), _Grow(P)
        self.EA, self.EB = _Grow(E0[:, 0].astype(_IDX)), _Grow(E0[:, 1].astype(_IDX))
        self.count = 1
        net = self.net
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.N, desc="neurons", unit="neuron")
        try:
            done = 0
            carry = None
            for l, (start, stop) in enumerate(net.levels):
                # the network keeps whatever makes this level's values cheapest at the
                # vertices (previous layer's outputs, or a block of values), within a budget
                self.ev = net.level_evaluator(l, self.X.v, carry=carry)
                for k in self.ev.order.tolist():
                    done += 1
                    msg = self._add_neuron(k)
                    if msg is not None:
                        return self._degenerate(msg)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(V=self.X.n, E=self.EA.n, regions=self.count)
                    elapsed = time.perf_counter() - self.t0
                    if self.time_limit is not None and elapsed > self.time_limit \
                            and done < self.N:
                        self.stats.update(stopped="time_limit", reason="time_limit",
                                          regions_lower_bound=self.count)
                        return self._result(n_regions=0)
                    if self.max_regions is not None and self.count > self.max_regions \
                            and done < self.N:
                        self.stats.update(stopped="max_regions", reason="max_regions",
                                          regions_lower_bound=self.count)
                        return self._result(n_regions=0)
                carry = self.ev.finish(self.X.n)
                self.ev = None
                log.info("skeleton: level %d done (%d neurons): %d vertices, %d edges, %d regions, %.1f s",
                         l, stop - start, self.X.n, self.EA.n, self.count, time.perf_counter() - self.t0)
        finally:
            if bar is not None:
                bar.close()
        for g in (self.X, self.Z, self.P, self.EA, self.EB):
            g.shrink()
        elapsed = time.perf_counter() - self.t0
        self.stats.update(n_vertices=self.X.n, n_edges=self.EA.n, seconds_skeleton=elapsed,
                          regions_incremental=self.count)
        if self.time_limit is not None and (1.0 + _REGION_PHASE) * elapsed > self.time_limit:
            # the region phase would not end in time: stop now rather than overrun the limit
            log.info("skeleton: %.1f s of a %.1f s limit used; the region phase would not fit",
                     elapsed, self.time_limit)
            return self._stop_late()
        return self._regions()

    # ------------------------------------------------------ one neuron step
    def _add_neuron(self, k: int) -> str | None:
        tol, d, m = self.tol, self.d, self.m
        val, scale = self.ev.values(k, self.X.v)
        sgn = np.sign(val).astype(np.int8)
        rel = np.abs(val) / np.maximum(scale, 1e-300)
        if len(rel):
            self.stats["min_vertex_margin"] = min(self.stats["min_vertex_margin"],
                                                  float(rel.min()))
        thr = tol.eval_rtol if self.certify else tol.zero_atol
        near = np.flatnonzero(rel <= thr)
        del rel
        log.debug("neuron %d: %d vertices, %d edges, %d near ties", k, len(val), self.EA.n,
                  len(near))
        if len(near):
            if len(near) > _MAX_EXACT:
                return f"{len(near)} near ties at neuron {k}"
            msg = self._resolve_ties(near, k, sgn)
            if msg is not None:
                return msg
        h = m + k
        hw, hb = _bit(h)
        pos = sgn > 0
        Pv = self.P.v
        n_pos = int(np.count_nonzero(pos))
        if n_pos == 0 or n_pos == len(pos):  # one side only: no edge is cut
            if n_pos:
                Pv[:, hw] |= hb
            self.stats["pieces"].append(0)
            return None
        Pv[pos, hw] |= hb
        ea, eb = self.EA.v, self.EB.v
        step = 8 * _CHUNK  # chunked: no edge-sized temporaries
        ci = np.concatenate([s + np.flatnonzero(pos[ea[s: s + step]] != pos[eb[s: s + step]])
                             for s in range(0, len(ea), step)] or [np.zeros(0, np.int64)])
        C = len(ci)
        self.stats["pieces"].append(0)
        if C == 0:
            return None
        ca, cb = ea[ci].copy(), eb[ci].copy()
        va, vb = val[ca], val[cb]
        t = np.clip(va / (va - vb), 0.0, 1.0)
        Xv = self.X.v
        Xn = Xv[ca] + t[:, None] * (Xv[cb] - Xv[ca])
        self.ev.extend(ca, cb, t, Xn)
        Zv = self.Z.v
        Ze = Zv[ca] & Zv[cb]
        Pe = (Pv[ca] | Pv[cb]) & ~Ze
        Pe[:, hw] &= ~hb
        Zn = Ze.copy()
        Zn[:, hw] |= hb
        V0 = self.X.n
        u = np.arange(V0, V0 + C, dtype=_IDX)
        eb[ci] = u
        new_edges = [(u, cb)]
        pieces = C
        if d >= 2:
            res = self._join_2faces(Ze, Pe, u, Xn)
            if isinstance(res, str):
                return res
            pairs, pieces = res
            new_edges.append(pairs)
        self.X.extend(Xn)
        self.Z.extend(Zn)
        self.P.extend(Pe)
        for na, nb in new_edges:
            self.EA.extend(na)
            self.EB.extend(nb)
        self.count += int(pieces)
        self.stats["pieces"][-1] = int(pieces)
        return None

    @staticmethod
    def _face_keys(Ze, Pe, idx, e):
        """Exact 2-face keys (Z words, P words) of flat entries ``e`` = (u, p, s)."""
        dm1 = idx.shape[1]
        u, r = np.divmod(e, 2 * dm1)
        p, s = np.divmod(r, 2)
        w, b = _bit(idx[u, p])
        ar = np.arange(len(u))
        K = Ze[u].copy()
        K[ar, w] &= ~b
        Q = Pe[u].copy()
        Q[ar, w] |= np.where(s == 1, b, np.uint64(0))
        return K, Q

    def _resolve_ties(self, near: np.ndarray, k: int, sgn: np.ndarray) -> str | None:
        """Decide near-tie signs of neuron ``k`` at vertices ``near`` exactly."""
        m, d = self.m, self.d
        zidx = _mask_indices(self.Z.v[near], d)
        if zidx is None:
            return "non-simple vertex"
        Pb = _words_to_bool(self.P.v[near], m, k)
        Zb = _words_to_bool(self.Z.v[near], m, k)
        for r, v in enumerate(near):
            active = list(Pb[r] | Zb[r])
            s = self.exact.vertex_sign([int(i) for i in zidx[r]], active, k)
            if s == 0:
                return f"neuron {k} passes exactly through a vertex"
            if s == 2:
                return "vertex hyperplanes not independent"
            sgn[v] = s
        self.stats["near_ties_exact"] += len(near)
        return None

    def _join_2faces(self, Ze, Pe, u, Xn):
        """Pair the new vertices on each cut 2-face; returns (new edges, pieces)."""
        d, m, W = self.d, self.m, self.W
        C = len(u)
        idx = _mask_indices(Ze, d - 1)  # (C, d-1) zero hyperplanes of the cut edges
        if idx is None:
            return "non-simple edge"
        s1_, s2_ = _salts(W)
        ib = _POW2[idx & 63]
        if W == 1:
            ze, pe = Ze[:, 0], Pe[:, 0]
            mp = _mix(pe, s1_[0])[:, None]
            hz = _mix(ze[:, None] & ~ib, s2_[0])
            h1 = hz + _mix(pe[:, None] | ib, s1_[0])
            hz += mp
            del mp
        else:
            iw = idx >> 6
            mz, mp = _mix(Ze, s2_[None, :]), _mix(Pe, s1_[None, :])
            base = mz.sum(axis=1, dtype=np.uint64) + mp.sum(axis=1, dtype=np.uint64)
            rows = np.arange(C)[:, None]
            zw, pw = Ze[rows, iw], Pe[rows, iw]
            # key of (u, p, s): Z without the bit; P with the bit when s == 1 (P lacks it)
            hz = base[:, None] - mz[rows, iw] + _mix(zw & ~ib, s2_[iw])
            h1 = hz - mp[rows, iw] + _mix(pw | ib, s1_[iw])
            del mz, mp, zw, pw
        hsh = np.stack([hz, h1], axis=2).ravel()  # entries (u, p, s), C * (d-1) * 2
        del hz, h1, ib
        dom = idx < m  # domain rows: only the inside (s == 1) is a 2-face
        if np.any(dom):
            valid = np.ones((C, d - 1, 2), dtype=bool)
            valid[:, :, 0] = ~dom
            flat = np.flatnonzero(valid.ravel())
            del valid
            hv = hsh[flat]
        else:
            flat, hv = None, hsh
        del hsh
        n = len(hv)
        # sort (hash | entry) packed in one uint64: np.sort is far faster than argsort
        kb = max(1, int(n - 1).bit_length())
        low = np.uint64((1 << kb) - 1)
        packed = (hv & ~low) | np.arange(n, dtype=np.uint64)
        packed.sort()
        sh = np.uint64(kb)
        ok = n % 2 == 0 and not np.any((packed[0::2] ^ packed[1::2]) >> sh) and \
            (n <= 2 or not np.any(((packed[1:-1:2] ^ packed[2::2]) >> sh) == 0))
        ent = (packed & low).astype(np.int64)
        th = None if ok else packed >> sh
        del packed
        if ok:
            e1, e2 = ent[0::2], ent[1::2]
            ok = np.array_equal(hv[e1], hv[e2])  # full 64-bit hashes agree too
        if not ok:  # truncated-hash collisions (or a degeneracy): settle those exactly
            if th is None:
                th = hv[ent] >> sh  # the sorted truncated hashes
            starts = np.flatnonzero(np.r_[True, th[1:] != th[:-1]])
            sizes = np.diff(np.r_[starts, n])
            gs = starts[sizes == 2]
            e1, e2 = ent[gs], ent[gs + 1]
            fine = hv[e1] == hv[e2]
            mark = np.ones(n, dtype=bool)
            mark[e1[fine]] = False
            mark[e2[fine]] = False
            e1, e2 = e1[fine], e2[fine]
            rest = np.flatnonzero(mark)
            K, Q = self._face_keys(Ze, Pe, idx, rest if flat is None else flat[rest])
            grp = _pair_groups(np.hstack([K, Q]))
            if grp is None:
                return "a cut 2-face without exactly two new vertices"
            e1 = np.concatenate([e1, rest[grp[0]]])
            e2 = np.concatenate([e2, rest[grp[1]]])
            self.stats["hash_collisions"] = self.stats.get("hash_collisions", 0) + len(rest)
        if flat is not None:
            e1, e2 = flat[e1], flat[e2]
        del th, ent, hv
        u1 = e1 // (2 * (d - 1))
        u2 = e2 // (2 * (d - 1))
        # pieces of the new hyperplane: c-minimal vertices within it (the new edge of entry
        # e goes up from its vertex); missing entries (domain outside) never go up
        for attempt in range(4):
            c = self.c if attempt == 0 else self._direction(100 + attempt)
            cx = Xn @ c
            c1, c2 = cx[u1], cx[u2]
            if not np.any(c1 == c2):
                break
        else:
            return "no generic direction found (ties)"
        up = np.zeros(C * (d - 1) * 2, dtype=bool)
        up[e1] = c2 > c1
        up[e2] = c1 > c2
        del c1, c2
        pieces = int(np.prod(up.reshape(C, d - 1, 2).sum(axis=2), axis=1).sum())
        pairs = (u[u1], u[u2])
        return pairs, pieces

    # --------------------------------------------------- regions from skeleton
    def _regions(self) -> SkeletonResult:
        d, m, N = self.d, self.m, self.N
        X, Z, P, EA, EB = self.X.v, self.Z.v, self.P.v, self.EA.v, self.EB.v
        nV = len(X)
        zidx = _mask_indices(Z, d, np.int16 if m + N < 2 ** 15 else np.int32)
        if zidx is None:
            return self._degenerate("non-simple vertex")
        # half-edges: vertex a, position p of the hyperplane it leaves, side, other end b
        NB = np.full((nV, d, 2), -1, dtype=np.int64 if nV >= 2 ** 31 - 1 else np.int32)
        filled = 0
        ar = np.arange(d)
        for s in range(0, len(EA), _CHUNK):
            ba, bb = EA[s: s + _CHUNK], EB[s: s + _CHUNK]
            for a, b in ((ba, bb), (bb, ba)):
                if Z.shape[1] == 1:  # fast path: one word of bits
                    za, zb = Z[a, 0], Z[b, 0]
                    x = za & ~zb  # the hyperplane a leaves
                    if not np.all(np.bitwise_count(x) == 1) or \
                            not np.all(np.bitwise_count(za & zb) == d - 1):
                        return self._degenerate("edge not on d-1 hyperplanes")
                    p = np.bitwise_count(za & (x - _ONE)).astype(np.int64)
                    hp = _log2(x)
                    side = np.where(hp < m, 1, (P[b, 0] & x) != 0).astype(np.int64)
                    NB[a, p, side] = b
                    filled += len(a)
                    continue
                onb = _test_bits(Z, zidx[a], b)  # (n, d): a's hyperplanes b is also on
                if not np.all(onb.sum(axis=1) == d - 1):
                    return self._degenerate("edge not on d-1 hyperplanes")
                p = np.argmin(onb, axis=1)
                hp = zidx[a, p]
                side = np.where(hp < m, 1, _test_bits(P, hp[:, None], b)[:, 0].astype(np.int64))
                NB[a, p, side] = b
                filled += len(a)
        expected = int(np.sum(np.where(zidx >= m, 2, 1)))
        if filled != expected or int(np.count_nonzero(NB >= 0)) != expected:
            return self._degenerate("vertex incidences are not those of simple vertices")
        del ar
        if not self.keep_skeleton:  # the incidences NB replace the edge list from here on
            self.EA = self.EB = None
            EA = EB = ba = bb = a = b = None  # noqa: F841 (drop every view of the edges)
        for attempt in range(4):
            if attempt:
                self.c = self._direction(attempt)
            UP = _upward(X, NB, self.c)
            if UP is not None:
                break
        else:
            return self._degenerate("no generic direction found (ties)")
        self.stats["direction_attempts"] = attempt + 1
        cnt = UP.sum(axis=2, dtype=np.int8)  # (V, d): 0, 1 or 2
        mult = np.prod(cnt, axis=1)
        R = int(mult.sum())
        self.stats["regions_cmin"] = R
        if R != self.count:
            return self._degenerate(f"region counts disagree ({R} by minimal vertices, "
                                    f"{self.count} incrementally)")
        fvec = _f_vector(cnt)
        chi = int(sum((-1) ** k * f for k, f in enumerate(fvec)))
        self.stats.update(f_vector=fvec, euler_characteristic=chi)
        if chi != 1:
            return self._degenerate(f"Euler characteristic {chi} != 1")
        if self._late():
            return self._stop_late()
        rv, side = self._expand(np.flatnonzero(mult > 0), UP, range(d))
        words = P[rv].copy()
        for p in range(d):
            hw, hb = _bit(zidx[rv, p])
            words[np.arange(len(rv)), hw] |= np.where(side[:, p] == 1, hb, np.uint64(0))
        points = X[rv].copy()
        for p in range(d):
            points += X[NB[rv, p, side[:, p]]]
        points /= d + 1
        del rv, side, NB
        if not self.keep_skeleton:
            self.X = None
            X = None
        # sort by the packed patterns, then unpack once in sorted order (one bool array)
        order = _sort_order_packed(_words_to_packed(words, m, N))
        words = words[order]
        points = points[order]
        del order
        patterns = _words_to_bool(words, m, N)
        if not self.with_facets:
            words = None
        keys = _pattern_keys(patterns)
        if len(keys) > 1 and np.any(keys[1:] == keys[:-1]):
            return self._degenerate("two regions with one pattern")
        facets = None
        if self._late():
            return self._stop_late()
        if self.with_facets:
            self.n_regions_found = len(patterns)
            facets = self._facets(zidx, UP, cnt, _RegionIndex(words, keys, m, N))
            if isinstance(facets, str):
                return self._degenerate(facets)
        del keys, words
        if self._late():
            return self._stop_late()
        if self.verify:
            msg = self._verify_points(patterns, points)
            if msg is not None:
                return self._degenerate(msg)
        self.stats["verified"] = bool(self.verify)
        complete = True
        if self.max_regions is not None and R > self.max_regions:
            complete = False
            patterns, points = patterns[: self.max_regions], points[: self.max_regions]
            if facets is not None:
                keep = (facets[:, 0] < self.max_regions) & (facets[:, 1] < self.max_regions)
                facets = facets[keep]
            self.stats["stopped"] = self.stats["reason"] = "max_regions"
        return self._result(patterns, points, facets, R, complete, False)

    @staticmethod
    def _expand(rv: np.ndarray, UP: np.ndarray, positions) -> tuple[np.ndarray, np.ndarray]:
        """All upward side choices at vertices ``rv`` over ``positions``."""
        d = UP.shape[1]
        pos = list(positions)
        if not pos:
            return rv, np.zeros((len(rv), d), dtype=np.int8)
        # rows with exactly one upward edge per position need no expansion (most rows)
        sub = UP[rv][:, pos, :]
        simple = np.all(sub.sum(axis=2) == 1, axis=1)
        side_s = np.zeros((int(simple.sum()), d), dtype=np.int8)
        side_s[:, pos] = sub[simple][:, :, 1]
        rv_s = rv[simple]
        rv = rv[~simple]
        del sub
        side = np.zeros((len(rv), d), dtype=np.int8)
        for p in pos:
            opts = UP[rv, p, :]
            cnt = opts.sum(axis=1)
            first = np.argmax(opts, axis=1).astype(np.int8)
            rep = np.repeat(np.arange(len(rv)), cnt)
            starts = np.repeat(np.cumsum(cnt) - cnt, cnt)
            rank = (np.arange(len(rep)) - starts).astype(np.int8)
            rv, side = rv[rep], side[rep]
            side[:, p] = first[rep] + rank
        return np.concatenate([rv_s, rv]), np.concatenate([side_s, side])

    def _facets(self, zidx, UP, cnt, keys):
        d, m, N = self.d, self.m, self.N
        P = self.P.v
        out = []
        for p in range(d):
            others = [q for q in range(d) if q != p]
            mult = np.prod(cnt[:, others], axis=1) if others else np.ones(len(cnt), np.int64)
            rv, side = self._expand(np.flatnonzero(mult > 0), UP, others)
            hp = zidx[rv, p]
            words = P[rv].copy()
            ar = np.arange(len(rv))
            for q in others:
                hw, hb = _bit(zidx[rv, q])
                hb[side[:, q] != 1] = 0
                if words.shape[1] == 1:
                    words[:, 0] |= hb
                else:
                    words[ar, hw] |= hb
            hw, hb = _bit(hp)
            dom = hp < m
            w_plus = words.copy()
            w_plus[ar, hw] |= hb
            ra = keys.lookup(w_plus)
            rb = np.full(len(rv), -1, dtype=np.int64)
            if np.any(~dom):
                rb[~dom] = keys.lookup(words[~dom])
            if np.any(ra < 0) or np.any(rb[~dom] < 0):
                return "a facet whose neighbouring region was not found"
            label = np.where(dom, -1 - hp, hp - m)
            lo = np.where(dom, ra, np.minimum(ra, rb))
            hi = np.where(dom, -1, np.maximum(ra, rb))
            out.append(np.stack([lo, hi, label], axis=1).astype(np.int64))
        F = np.concatenate(out) if out else np.zeros((0, 3), np.int64)
        R, L = self.n_regions_found, m + N + 1
        if (R + 1) ** 2 * L < 2 ** 62:  # one combined key: a fast sort
            key = (F[:, 0] * (R + 1) + F[:, 1] + 1) * L + F[:, 2] + m
            F = F[np.argsort(key, kind="stable")]
        else:
            F = F[np.lexsort((F[:, 2], F[:, 1], F[:, 0]))]
        if len(F) > 1 and np.any(np.all(F[1:] == F[:-1], axis=1)):
            return "a facet found twice"
        self.stats["n_facets"] = len(F)
        return F


    def _verify_points(self, patterns: np.ndarray, points: np.ndarray) -> str | None:
        """Each interior point has its region's pattern (exactly where the margin is small).

        On a general network with more than :data:`_VERIFY_ALL` regions (where each point
        costs a pass through convolutions) an evenly spaced sample of that many regions is
        checked; ``stats["points_checked"]`` says how many.
        """
        net, tol = self.net, self.tol
        bad_total, exact_checked = 0, 0
        margin_min = np.inf
        if not net.is_dense_relu and len(points) > _VERIFY_ALL and not self.certify:
            pick = np.unique(np.linspace(0, len(points) - 1, _VERIFY_ALL).astype(np.int64))
            patterns, points = patterns[pick], points[pick]
        self.stats["points_checked"] = int(len(points))
        step = max(1, min(_CHUNK, (64 * 2 ** 20) // (8 * max(self.N, 1))))
        for s in range(0, len(points), step):
            x = points[s: s + step]
            if not self.N:
                continue
            if s and self._late():  # out of time: the check stops here (stats say how far it went)
                self.stats["points_check_stopped"] = True
                break
            z, sc = net.values_and_scales(x)
            rel = np.abs(z) / np.maximum(sc, 1e-300)
            margin_min = min(margin_min, float(rel.min()))
            wrong = (z > 0) != patterns[s: s + step]
            if self.certify:
                doubt = np.arange(len(x))
            else:
                doubt = np.flatnonzero(np.any(wrong | (rel <= tol.eval_rtol * 1e-3), axis=1))
            if self._late():  # out of time: the check stops here (stats say how far it went)
                self.stats["points_check_stopped"] = True
                break
            for r in doubt:
                exact_checked += 1
                pat, strict = self.exact.pattern_at(x[r])
                if not strict or not np.array_equal(np.asarray(pat, bool),
                                                    patterns[s + r]):
                    bad_total += 1
        self.stats.update(points_checked_exactly=exact_checked,
                          min_relative_margin=margin_min)
        if bad_total:
            return f"{bad_total} interior points without their region's pattern"
        return None
