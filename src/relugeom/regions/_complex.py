"""The :class:`RegionComplex`: the polyhedral complex of a network's linear regions.

The constructor stores the compact arrays of the regions contract (patterns, interior
points, facets); everything else — H-representations, affine maps, the dual graph,
linear pieces, vertices, polygons, pictures — is derived on demand and cached.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from itertools import combinations
from pathlib import Path

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_points
from ..errors import UnboundedError
from ..polyhedra import HPolytope

log = logging.getLogger(__name__)

__all__ = ["RegionComplex", "MergedRegionComplex", "Region", "Facet", "CheckReport", "ColorBy"]


class ColorBy(str, Enum):
    """How :meth:`RegionComplex.plot` colours regions.

    Examples
    --------
    >>> ColorBy("piece")
    <ColorBy.PIECE: 'piece'>
    """

    PATTERN = "pattern"
    VALUE = "value"
    PIECE = "piece"
    CLASS = "class"
    OUTPUT = "output"


@dataclass(frozen=True)
class Facet:
    """A facet of a region.

    Attributes
    ----------
    neighbor : int
        The region across the facet, -1 on the domain boundary.
    neuron : int or None
        Flat index of the hidden neuron that flips across it (None on the boundary).
    label : tuple (layer, index) or "boundary"
    domain_row : int or None
        Row of the domain's ``A x <= b`` for boundary facets.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> enumerate_regions(example_network("abs"), "unbounded").region(0).facets
    (Facet(neighbor=1, neuron=0, label=(0, 0), domain_row=None),)
    """

    neighbor: int
    neuron: int | None
    label: object
    domain_row: int | None = None


@dataclass(frozen=True)
class Region:
    """One linear region of a :class:`RegionComplex`.

    Attributes
    ----------
    index : int
    pattern : ndarray of bool (n_neurons,)
    point : ndarray (d,)
        A point strictly inside the region.
    polytope : HPolytope
        Irredundant H-representation: one row per facet, in the order of ``facets``.
    affine_map : (A, c)
        The network is ``x ↦ A x + c`` on the region.
    facets : tuple of Facet

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> r = enumerate_regions(example_network("three_units"), "unbounded").region(6)
    >>> r.pattern.astype(int).tolist(), r.n_facets, r.polytope.contains(r.point)
    ([1, 1, 1], 3, True)
    """

    index: int
    pattern: np.ndarray
    point: np.ndarray
    polytope: HPolytope
    affine_map: tuple
    facets: tuple

    @property
    def n_facets(self) -> int:
        """Number of facets (see the class example)."""
        return len(self.facets)


@dataclass(frozen=True)
class CheckReport:
    """Result of :meth:`RegionComplex.check`: each named check, whether it passed, and why not.

    Examples
    --------
    >>> CheckReport({"a": True}, {}).ok
    True
    """

    checks: dict
    messages: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every check that ran passed."""
        return all(v for v in self.checks.values() if v is not None)

    def __str__(self) -> str:
        parts = []
        for k, v in self.checks.items():
            s = "skipped" if v is None else ("ok" if v else "FAILED")
            msg = self.messages.get(k)
            parts.append(f"{k}: {s}" + (f" ({msg})" if msg and not v else ""))
        parts += [f"note: {m}" for k, m in self.messages.items() if k not in self.checks]
        return "; ".join(parts)


def _architecture(net) -> dict:
    """JSON fields that identify the network a complex belongs to."""
    if net.is_dense_relu:
        return {"widths": list(net.widths)}
    return {"input_shape": list(net.input_shape), "n_neurons": int(net.n_neurons),
            "output_dim": int(net.output_dim)}


def _uf_components(n: int, pairs: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    # relabel by first appearance so labels are deterministic and ordered
    _, first = np.unique(lab, return_index=True)
    order = np.argsort(first)
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return remap[lab].astype(np.int64)


class RegionComplex:
    r"""The linear regions of a network on a domain, as a polyhedral complex.

    Parameters
    ----------
    net : ReLUNetwork
        The network whose input space is the complex's space (for a slice, the network
        restricted to the slice).
    domain : HPolytope or None
        The domain (None: all of ``R^d``).
    patterns : bool array (R, N)
    points : float array (R, d)
        A point strictly inside each region.
    facets : int array (F, 3)
        Rows ``[region_a, region_b, label]``: ``region_b = -1`` on the domain boundary;
        ``label = k >= 0`` for the neuron ``k`` flipping across, ``-1 - i`` for domain row ``i``.
        In an incomplete complex, a row ``[a, -1, k]`` with ``k >= 0`` is a facet towards a
        region that was not enumerated (so every region's H-representation stays complete).
    complete : bool
        False when a limit stopped the enumeration (``reason`` says which).
    reason : str or None
    stats : dict
    tol : Tolerance
    slice : Slice, optional
        When the complex lives on an affine slice of a larger input space.
    ambient_net : ReLUNetwork, optional
        The unrestricted network of a slice.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> cx = enumerate_regions(example_network("three_units"), "unbounded", method="lp")
    >>> cx.n_regions, cx.n_interior_facets, cx.n_linear_pieces()
    (7, 9, 7)
    >>> cx.locate([[5.0, 5.0], [-5.0, -5.0]]).tolist()
    [5, 0]
    """

    def __init__(self, net, domain: HPolytope | None, patterns: object, points: object, facets: object,
                 *, complete: bool = True, reason: str | None = None, stats: dict | None = None,
                 tol: Tolerance | None = None, slice: object = None, ambient_net: object = None):
        self.net = net
        self.domain = domain
        P = np.asarray(patterns, dtype=bool)
        if P.ndim != 2 or P.shape[1] != net.n_neurons:
            raise ValueError(f"patterns must have shape (R, {net.n_neurons}); got {P.shape}")
        X = np.asarray(points, dtype=float)
        if X.shape != (P.shape[0], net.input_dim):
            raise ValueError(f"points must have shape ({P.shape[0]}, {net.input_dim}); got {X.shape}")
        Fc = np.asarray(facets, dtype=np.int64).reshape(-1, 3)
        R = P.shape[0]
        if len(Fc) and (Fc[:, 0].min() < 0 or Fc[:, 0].max() >= R or Fc[:, 1].max() >= R or Fc[:, 1].min() < -1):
            raise ValueError("facets refer to regions outside 0..R-1")
        if domain is not None and domain.dim != net.input_dim:
            raise ValueError(f"domain lives in R^{domain.dim}; the network's input in R^{net.input_dim}")
        for a in (P, X, Fc):
            a.setflags(write=False)
        self.patterns, self.points, self.facets = P, X, Fc
        self.complete = bool(complete)
        self.reason = reason
        self.stats = dict(stats or {})
        self.tol = resolve(tol)
        self.slice = slice
        self.ambient_net = ambient_net

    # ------------------------------------------------------------------ sizes
    @property
    def dim(self) -> int:
        """Dimension of the space the complex lives in.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> cx = enumerate_regions(example_network("three_units"), "unbounded")
        >>> cx.dim, cx.n_regions, cx.n_facets, cx.n_interior_facets, cx.bounded, len(cx)
        (2, 7, 9, 9, False, 7)
        """
        return self.net.input_dim

    @property
    def n_regions(self) -> int:
        """Number of (full-dimensional) regions."""
        return int(self.patterns.shape[0])

    @property
    def n_facets(self) -> int:
        """Number of facets ((d−1)-faces) of the complex, boundary facets included."""
        return int(self.facets.shape[0])

    @property
    def n_interior_facets(self) -> int:
        """Number of facets shared by two regions (edges of the dual graph)."""
        return int(np.sum(self.facets[:, 1] >= 0))

    @cached_property
    def bounded(self) -> bool:
        """Whether the domain is bounded (one LP, cached)."""
        return self.domain is not None and self.domain.is_bounded(tol=self.tol)

    def __len__(self) -> int:
        return self.n_regions

    def __repr__(self) -> str:
        inc = "" if self.complete else f", incomplete: {self.reason}"
        arch = (f"widths={self.net.widths}" if self.net.is_dense_relu
                else f"neurons={self.net.n_neurons}")
        return (f"RegionComplex({self.n_regions} regions, {self.n_facets} facets, "
                f"dim={self.dim}, {arch}{inc})")

    # --------------------------------------------------------------- regions
    @cached_property
    def _facets_by_region(self) -> tuple[np.ndarray, np.ndarray]:
        F = self.facets
        owners = np.concatenate([F[:, 0], F[:, 1][F[:, 1] >= 0]])
        rows = np.concatenate([np.arange(len(F)), np.flatnonzero(F[:, 1] >= 0)])
        order = np.lexsort((rows, owners))
        owners, rows = owners[order], rows[order]
        starts = np.searchsorted(owners, np.arange(self.n_regions + 1))
        return starts, rows

    def facet_rows(self, i: int) -> np.ndarray:
        """Indices into :attr:`facets` of region ``i``'s facets.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> enumerate_regions(example_network("abs"), "unbounded").facet_rows(0).tolist()
        [0]
        """
        starts, rows = self._facets_by_region
        return rows[starts[i]:starts[i + 1]]

    def hrep(self, i: int) -> tuple[np.ndarray, np.ndarray, list[Facet]]:
        """Irredundant ``(A, b, facets)`` of region ``i`` (one row per facet).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> A, b, f = enumerate_regions(example_network("abs"), "unbounded").hrep(0)
        >>> A.tolist(), b.tolist(), f[0].label
        ([[1.0]], [0.0], (0, 0))
        """
        i = int(i)
        if not 0 <= i < self.n_regions:
            raise IndexError(f"region {i} out of range for {self.n_regions} regions")
        cache = self.__dict__.setdefault("_hrep_cache", {})
        if i in cache:
            return cache[i]
        if len(cache) > 200_000:
            cache.clear()
        cache[i] = out = self._hrep(i)
        return out

    def _hrep(self, i: int):
        rowsA, rowsb, fs = [], [], []
        rows = self._neuron_rows(i)
        for r in self.facet_rows(i):
            a, b_, lab = (int(v) for v in self.facets[r])
            nb = b_ if a == i else a
            if lab >= 0:
                row, rhs = rows(r, lab)
                rowsA.append(row)
                rowsb.append(rhs)
                fs.append(Facet(nb, lab, self.net.neuron(lab)))
            else:
                j = -1 - lab
                rowsA.append(self.domain.A[j])
                rowsb.append(self.domain.b[j])
                fs.append(Facet(-1, None, "boundary", j))
        A = np.array(rowsA, dtype=float).reshape(-1, self.dim)
        return A, np.array(rowsb, dtype=float), fs

    def _neuron_rows(self, i: int):
        """``(facet row, label) -> (a, b)``: neuron ``label``'s inequality ``a x <= b`` of region ``i``."""
        p = self.patterns[i]
        G, g = self.net.preactivation_maps(p)
        s = np.where(p, -1.0, 1.0)
        return lambda r, lab: (s[lab] * G[lab], -s[lab] * g[lab])

    def region(self, i: int) -> Region:
        """Region ``i``: pattern, interior point, irredundant H-rep, affine map, facets.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> r = enumerate_regions(example_network("three_pieces"), "unbounded").region(0)
        >>> r.pattern.astype(int).tolist(), r.affine_map[0].tolist(), r.facets[0].label
        ([0, 1], [[2.0]], (0, 0))
        """
        A, b, fs = self.hrep(i)
        return Region(int(i), self.patterns[i].copy(), self.points[i].copy(), HPolytope(A, b),
                      self.net.affine_map(self.patterns[i]), tuple(fs))

    def __iter__(self):
        return (self.region(i) for i in range(self.n_regions))

    def regions(self) -> list[Region]:
        """All regions (built on demand; for large complexes prefer :meth:`region`).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> len(enumerate_regions(example_network("abs"), "unbounded").regions())
        2
        """
        return [self.region(i) for i in range(self.n_regions)]

    def to_ambient(self, t: object) -> np.ndarray:
        """Map points of the complex's space to the network's input space (slices).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> enumerate_regions(example_network("abs"), "unbounded").to_ambient([[1.0]]).tolist()
        [[1.0]]
        """
        T = np.atleast_2d(np.asarray(t, dtype=float))
        return T if self.slice is None else self.slice.to_ambient(T)

    # ----------------------------------------------------------------- lookup
    @cached_property
    def _keys(self) -> dict:
        from ._lp_traversal import pattern_keys

        return {k: i for i, k in enumerate(pattern_keys(self.patterns))}

    def merged(self) -> "RegionComplex":
        """The complex of the units' regions (see :class:`MergedRegionComplex`); itself when
        every unit's pieces are decided by one neuron pattern each.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> cx = enumerate_regions(example_network("abs"), "unbounded"); cx.merged() is cx
        True
        """
        if not self.net.needs_merge or isinstance(self, MergedRegionComplex):
            return self
        return MergedRegionComplex(self)

    def locate(self, x: object) -> np.ndarray | int:
        """Region index of each point (``-1`` outside the domain).

        Points live in the complex's space: slice coordinates for a complex on a
        :class:`~relugeom.regions.Slice` (:meth:`to_ambient` maps them to input space).
        The pattern of each point is computed in one batched pass and looked up by its
        packed bits. Points on a boundary get the region of their pattern (ties count as
        inactive, as in :meth:`ReLUNetwork.activation_patterns`); when that pattern is no
        full-dimensional region, the first region whose closure contains the point.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> cx = enumerate_regions(example_network("abs"), Box([-1], [1]))
        >>> cx.locate([[-0.5], [0.5], [0.0], [3.0]]).tolist(), cx.locate([0.5])
        ([0, 1, 0, -1], 1)
        """
        from ._lp_traversal import pattern_keys

        X, single = as_points(x, self.dim)
        out = np.full(len(X), -1, dtype=np.int64)
        inside = np.ones(len(X), bool) if self.domain is None else self.domain.contains(X, tol=self.tol)
        if np.any(inside):
            idx = np.flatnonzero(inside)
            P = self.net.activation_patterns(X[idx])
            keys = self._keys
            found = np.array([keys.get(k, -1) for k in pattern_keys(P)], dtype=np.int64) if len(idx) else np.zeros(0, np.int64)
            out[idx] = found
            for j in idx[found < 0]:
                out[j] = self._locate_slow(X[j])
        return int(out[0]) if single else out

    def _locate_slow(self, x: np.ndarray) -> int:
        for i in range(self.n_regions):
            A, b, _ = self.hrep(i)
            if np.all(A @ x - b <= self.tol.feas_atol * (1 + np.abs(b))):
                return i
        return -1

    # ------------------------------------------------------------ dual graph
    def dual_graph(self):
        """The dual graph as a networkx Graph (built on demand).

        Nodes are regions (attribute ``pattern`` as a 0/1 string); edges are interior
        facets, with attributes ``neuron`` = (layer, index) and ``k`` = flat neuron index.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> G = enumerate_regions(example_network("three_units"), "unbounded").dual_graph()
        >>> G.number_of_nodes(), G.number_of_edges()
        (7, 9)
        """
        import networkx as nx

        G = nx.Graph()
        for i, p in enumerate(self.patterns):
            G.add_node(i, pattern="".join("1" if v else "0" for v in p))
        for a, b, k in self.facets[self.facets[:, 1] >= 0].tolist():
            G.add_edge(a, b, k=k, neuron=self.net.neuron(k))
        return G

    # ---------------------------------------------------------- linear pieces
    @cached_property
    def affine_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """All regions' affine maps: ``A`` (R, n_L, d) and ``c`` (R, n_L)."""
        return self.net.affine_maps(self.patterns)

    @cached_property
    def piece_labels(self) -> np.ndarray:
        """Linear piece of each region (adjacent regions with equal maps merged).

        Two maps are equal when they agree to ``tol.map_rtol`` relative to their size.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> enumerate_regions(example_network("abs"), "unbounded").piece_labels.tolist()
        [0, 1]
        """
        return self.output_piece_labels(None)

    def output_piece_labels(self, output: int | None = None) -> np.ndarray:
        """Linear piece of each region for one output (``None``: all outputs together).

        Adjacent regions are merged when output ``output``'s affine maps agree to
        ``tol.map_rtol`` relative to their size.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> from relugeom.regions import enumerate_regions
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0], [1.0, 0.0]]])   # |x| and relu(x)
        >>> cx = enumerate_regions(net, "unbounded")
        >>> [int(cx.output_piece_labels(k).max()) + 1 for k in (0, 1)]
        [2, 2]
        """
        A, c = self.affine_maps
        if output is not None:
            if not -A.shape[1] <= output < A.shape[1]:
                raise IndexError(f"output {output} out of range for {A.shape[1]} outputs")
            A, c = A[:, output:output + 1], c[:, output:output + 1]
        M = np.concatenate([A.reshape(len(A), -1), c], axis=1)
        inner = self.facets[self.facets[:, 1] >= 0]
        a, b = inner[:, 0], inner[:, 1]
        scale = 1.0 + np.maximum(np.abs(M[a]).max(axis=1, initial=0), np.abs(M[b]).max(axis=1, initial=0))
        same = np.abs(M[a] - M[b]).max(axis=1, initial=0) <= self.tol.map_rtol * scale
        return _uf_components(self.n_regions, inner[same][:, :2])

    def n_linear_pieces(self, output: int | None = None) -> int:
        """Number of linear pieces (maximal unions of adjacent regions with the same map).

        ``output`` counts the pieces of one output; by default all outputs together.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> enumerate_regions(example_network("sawtooth"), "unbounded").n_linear_pieces()
        6
        """
        if not self.n_regions:
            return 0
        lab = self.piece_labels if output is None else self.output_piece_labels(output)
        return int(lab.max() + 1)

    def linear_pieces(self) -> list[np.ndarray]:
        """Region indices of each linear piece.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> [p.tolist() for p in enumerate_regions(example_network("abs"), "unbounded").linear_pieces()]
        [[0], [1]]
        """
        lab = self.piece_labels
        return [np.flatnonzero(lab == k) for k in range(self.n_linear_pieces())]

    # ---------------------------------------------------------------- bounds
    def bounds(self) -> list:
        """Region-count bounds for the architecture (labelled; see :mod:`._bounds`).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> b = enumerate_regions(example_network("three_units"), "unbounded").bounds()
        >>> b[0].name, b[0].value
        ('zaslavsky', 7)
        """
        from ._bounds import region_bounds

        if not self.net.is_dense_relu:
            return []  # the architecture bounds are stated for fully connected ReLU networks
        return region_bounds(self.net.widths)

    # ------------------------------------------------------- low-dim geometry
    def _require_lowdim(self, what: str, dims=(1, 2, 3)) -> None:
        if self.dim not in dims:
            raise ValueError(f"{what} is available in dimension {', '.join(map(str, dims))}; "
                             f"this complex lives in R^{self.dim}")
        if not self.bounded:
            raise UnboundedError(f"{what} needs a bounded domain; this complex's domain is unbounded")

    @cached_property
    def _local_vertices(self) -> list[tuple[np.ndarray, list]]:
        """Per region: vertices (k, d) and, for each vertex, the set of tight facet rows."""
        d = self.dim
        out = []
        for i in range(self.n_regions):
            A, b, _ = self.hrep(i)
            nr = np.linalg.norm(A, axis=1)
            A, b = A / nr[:, None], b / nr
            vtol = self.tol.feas_atol * (1.0 + np.abs(b).max(initial=0.0))  # vertices: rows normalised
            combos = np.array(list(combinations(range(len(b)), d)), dtype=np.int64).reshape(-1, d)
            if len(combos) == 0:
                out.append((np.zeros((0, d)), []))
                continue
            M = A[combos]
            rhs = b[combos]
            det = np.linalg.det(M)
            ok = np.abs(det) > 1e-12
            V = np.zeros((len(combos), d))
            if np.any(ok):
                V[ok] = np.linalg.solve(M[ok], rhs[ok][..., None])[..., 0]
            feas = ok & np.all(V @ A.T - b <= vtol, axis=1)
            V = V[feas]
            # deduplicate within the region
            Vs, tights = [], []
            for v in V:
                if any(np.max(np.abs(v - w)) <= vtol for w in Vs):
                    continue
                Vs.append(v)
                tights.append(frozenset(np.flatnonzero(np.abs(A @ v - b) <= vtol).tolist()))
            out.append((np.array(Vs).reshape(-1, d) + 0.0, tights))
        return out

    def region_vertices(self, i: int) -> np.ndarray:
        """Vertices of region ``i`` (bounded domains, d <= 3).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> cx = enumerate_regions(example_network("abs"), Box([-1], [2]))
        >>> sorted(cx.region_vertices(0).ravel().tolist())
        [-1.0, 0.0]
        """
        self._require_lowdim("region_vertices")
        return self._local_vertices[i][0]

    @cached_property
    def _global_vertices(self) -> tuple[np.ndarray, list[np.ndarray]]:
        from scipy.spatial import cKDTree

        allv = [v for v, _ in self._local_vertices]
        counts = [len(v) for v in allv]
        V = np.vstack(allv) if allv else np.zeros((0, self.dim))
        if len(V) == 0:
            return V, [np.zeros(0, np.int64) for _ in counts]
        pairs = cKDTree(V).query_pairs(self.tol.feas_atol * (1 + np.abs(V).max()), output_type="ndarray")
        lab = _uf_components(len(V), pairs)
        n = lab.max() + 1
        sums = np.zeros((n, self.dim))
        np.add.at(sums, lab, V)
        cnt = np.bincount(lab, minlength=n)
        G = sums / cnt[:, None]
        ids = np.split(lab, np.cumsum(counts)[:-1])
        return G, ids

    def vertices(self) -> np.ndarray:
        """Vertices of the complex (d = 1, 2, 3; bounded domains), deduplicated.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2])).vertices().shape
        (13, 2)
        """
        self._require_lowdim("vertices")
        return self._global_vertices[0]

    def edges(self) -> np.ndarray:
        """Edges of the complex as pairs of indices into :meth:`vertices` (d = 2, 3).

        Two vertices of a region span an edge when they share ``d − 1`` tight facets of
        independent normals.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2])).edges().shape
        (19, 2)
        """
        self._require_lowdim("edges", dims=(2, 3))
        G, ids = self._global_vertices
        E = set()
        for i, (V, tights) in enumerate(self._local_vertices):
            if len(V) < 2:
                continue
            A = None
            if self.dim == 3:
                A, _, _ = self.hrep(i)
            for u, w in combinations(range(len(V)), 2):
                common = tights[u] & tights[w]
                if self.dim == 2:
                    okay = len(common) >= 1
                else:
                    okay = len(common) >= 2 and np.linalg.matrix_rank(A[sorted(common)], tol=1e-9) >= 2
                if okay:
                    a, b = int(ids[i][u]), int(ids[i][w])
                    if a != b:
                        E.add((min(a, b), max(a, b)))
        return np.array(sorted(E), dtype=np.int64).reshape(-1, 2)

    def volumes(self) -> np.ndarray:
        """Volume (length, area) of every region (d = 1, 2, 3; bounded domains).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> enumerate_regions(example_network("abs"), Box([-1], [3])).volumes().tolist()
        [1.0, 3.0]
        """
        from scipy.spatial import ConvexHull

        self._require_lowdim("volumes")
        out = np.zeros(self.n_regions)
        for i, (V, _) in enumerate(self._local_vertices):
            if len(V) <= self.dim:
                continue
            if self.dim == 1:
                out[i] = float(V.max() - V.min())
            else:
                out[i] = float(ConvexHull(V).volume)
        return out

    def polygons(self) -> list:
        """The regions as shapely Polygons (2-D, bounded domains).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> cx = enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2]))
        >>> round(sum(p.area for p in cx.polygons()), 9)
        16.0
        """
        import shapely
        from scipy.spatial import ConvexHull

        self._require_lowdim("polygons", dims=(2,))
        out = []
        for V, _ in self._local_vertices:
            if len(V) < 3:
                out.append(shapely.Polygon())
                continue
            out.append(shapely.Polygon(V[ConvexHull(V).vertices]))
        return out

    # ----------------------------------------------------------------- check
    def check(self, *, max_facets: int | None = None) -> CheckReport:
        """Check the complex where it is cheap; returns a :class:`CheckReport`.

        Checks: each interior point has its region's pattern and lies in the domain;
        every interior facet is shared by exactly two regions (at a relative-interior
        point of the facet, the two sides have the two regions' patterns, and no pair of
        regions has two facet rows); the dual graph is connected; in dimension 1–3 on a
        bounded domain, the region volumes add up to the domain's (relative 1e-9).
        ``max_facets`` limits the facet check to that many facets (evenly spaced).
        Facets of regions thinner than ``tol.interior_atol`` (which exact methods such as
        the skeleton's may report) are below the float check's resolution: they are counted
        in ``messages["thin_facets"]`` instead of failing.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2])).check().ok
        True
        """
        from ._lp_traversal import pattern_along

        checks: dict = {}
        msgs: dict = {}
        P = self.net.activation_patterns(self.points) if self.n_regions else self.patterns
        bad = np.flatnonzero(np.any(self._ident(P) != self._ident(self.patterns), axis=1))
        if self.domain is not None and self.n_regions:
            bad = np.union1d(bad, np.flatnonzero(~self.domain.contains(self.points, tol=self.tol)))
        checks["interior_points"] = len(bad) == 0
        if len(bad):
            msgs["interior_points"] = f"{len(bad)} regions, first {bad[:5].tolist()}"
        # facets
        F = self.facets
        inner = F[F[:, 1] >= 0]
        dup = len(np.unique(inner[:, :2], axis=0)) != len(inner)
        rows = np.flatnonzero(F[:, 1] >= 0)
        if max_facets is not None and len(rows) > max_facets:
            rows = rows[np.linspace(0, len(rows) - 1, max_facets).astype(int)]
        failures: list = []
        thin: list = []
        lowdim = self.dim in (1, 2, 3) and self.bounded
        for r in rows:
            a, b, k = (int(v) for v in F[r])
            y, n = self._facet_point_from_vertices(a, r) if lowdim else (None, None)
            if y is None:
                y, n = self._facet_point(a, r)
            if y is None or not (np.array_equal(self._ident(pattern_along(self.net, y, n, self.tol)),
                                                self._ident(self.patterns[b]))
                                 and np.array_equal(self._ident(pattern_along(self.net, y, -n, self.tol)),
                                                    self._ident(self.patterns[a]))):
                if self._thin(a) or self._thin(b):
                    thin.append(r)
                else:
                    failures.append(r)
        checks["facets_shared"] = not dup and not failures
        if dup or failures:
            msgs["facets_shared"] = f"duplicate pairs: {dup}; {len(failures)} facets fail, first {failures[:5]}"
        if thin:
            msgs["thin_facets"] = (f"{len(thin)} facets of regions thinner than interior_atol="
                                   f"{self.tol.interior_atol:g} are below the float check's resolution")
        # connected
        if self.n_regions:
            lab = _uf_components(self.n_regions, inner[:, :2])
            checks["connected"] = bool(lab.max() == 0)
        else:
            checks["connected"] = False
            msgs["connected"] = "no regions"
        # volumes
        if self.dim in (1, 2, 3) and self.bounded:
            vol = float(self.volumes().sum())
            dv = _domain_volume(self.domain)
            rel = abs(vol - dv) / dv
            checks["volumes"] = bool(rel <= 1e-9) if self.complete else None
            msgs["volumes"] = f"sum {vol!r} vs domain {dv!r} (relative {rel:.2e})"
        else:
            checks["volumes"] = None
        return CheckReport(checks, msgs)

    def _ident(self, patterns: np.ndarray) -> np.ndarray:
        """What identifies a region: its neuron pattern (the units' pieces when merged)."""
        return np.asarray(patterns, dtype=bool)

    def _thin(self, i: int) -> bool:
        """Whether region ``i``'s Chebyshev radius is at most ``tol.interior_atol``."""
        A, b, _ = self.hrep(i)
        try:
            return HPolytope(A, b).chebyshev_center(tol=self.tol)[1] <= self.tol.interior_atol
        except Exception:  # an LP failure on a sliver also means: below resolution
            return True

    def _facet_point_from_vertices(self, a: int, row: int):
        """Low dimension: the mean of the facet's vertices (a relative-interior point)."""
        V, tights = self._local_vertices[a]
        i = list(self.facet_rows(a)).index(row)
        on = [v for v, tt in zip(V, tights) if i in tt]
        if len(on) < self.dim:
            return None, None
        A, b, _ = self.hrep(a)
        n = A[i] / np.linalg.norm(A[i])
        return np.mean(on, axis=0), n

    def _facet_point(self, a: int, row: int):
        """A relative-interior point of facet ``row`` of region ``a`` and its outward normal."""
        from ._highs import TinyLP

        A, b, _ = self.hrep(a)
        rows_a = list(self.facet_rows(a))
        i = rows_a.index(row)
        nr = np.linalg.norm(A, axis=1)
        A, b = A / nr[:, None], b / nr
        n = A[i]
        tco = np.linalg.norm(A - np.outer(A @ n, n), axis=1)
        tco[i] = 0.0
        lp = TinyLP(A, b, tco, 1.0 if not self.bounded else np.inf, self.tol)
        lp.set_row(i, b[i], b[i])
        c = np.zeros(self.dim + 1)
        c[-1] = -1.0
        st, z, _ = lp.solve(c)
        if st.value == "unbounded":
            lp.set_t_upper(1.0)
            st, z, _ = lp.solve(c)
        if st.value != "optimal":
            return None, n
        return z[: self.dim], n

    # -------------------------------------------------------------- pictures
    def plot(self, ax=None, *, color_by: str = "pattern", **kwargs):
        """Draw the complex with matplotlib (2-D; 1-D draws the graph of the function).

        See :func:`relugeom.regions.plot_complex` for the options.

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> ax = enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2])).plot()
        """
        from ._plot import plot_complex

        return plot_complex(self, ax, color_by=color_by, **kwargs)

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """The whole complex as a JSON-ready dict (count under ``"n_regions"``).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> enumerate_regions(example_network("abs"), "unbounded").to_dict()["n_regions"]
        2
        """
        from ._enumerate import _jsonable

        return {
            "format": "relugeom.RegionComplex/1",
            "n_regions": self.n_regions,
            "n_facets": self.n_facets,
            "n_linear_pieces": self.n_linear_pieces(),
            "complete": self.complete,
            "reason": self.reason,
            **_architecture(self.net),
            "dim": self.dim,
            "domain": "unbounded" if self.domain is None else self.domain.to_dict(),
            "slice": None if self.slice is None else self.slice.to_dict(),
            "tolerance": self.tol.as_dict(),
            "stats": _jsonable(self.stats),
            "bounds": [b.to_dict() for b in self.bounds()],
            "patterns": ["".join("1" if v else "0" for v in p) for p in self.patterns],
            "points": self.points.tolist(),
            "facets": self.facets.tolist(),
        }

    def to_json(self, path: object) -> None:
        """Write :meth:`to_dict` to a JSON file.

        Examples
        --------
        >>> import tempfile, os
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> net = example_network("abs")
        >>> cx = enumerate_regions(net, "unbounded")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     cx.to_json(os.path.join(d, "c.json"))
        ...     RegionComplex.from_json(os.path.join(d, "c.json"), net).n_regions
        2
        """
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def from_dict(cls, data: dict, net) -> "RegionComplex":
        """Inverse of :meth:`to_dict`, given the network (checked against the stored widths).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> net = example_network("abs")
        >>> RegionComplex.from_dict(enumerate_regions(net, "unbounded").to_dict(), net).n_regions
        2
        """
        from ._enumerate import Slice

        sl = Slice.from_dict(data["slice"]) if data.get("slice") else None
        work = net.restrict(sl.origin, sl.directions) if sl is not None else net
        arch = _architecture(work)
        for key, val in arch.items():
            if key in data and data[key] != val:
                raise ValueError(f"the complex was computed for {key} {data[key]}; "
                                 f"this network has {val}")
        dom = data.get("domain", "unbounded")
        dom = None if dom == "unbounded" else HPolytope.from_dict(dom)
        N = work.n_neurons
        fine = data.get("neuron_regions")
        if fine is not None:  # a complex of units' regions: rebuild its neuron regions, merge
            return RegionComplex.from_dict({**data, **fine, "neuron_regions": None}, net).merged()
        pats = np.array([[c == "1" for c in s] for s in data["patterns"]], dtype=bool).reshape(-1, N)
        pts = np.array(data["points"], dtype=float).reshape(-1, work.input_dim)
        return cls(work, dom, pats, pts, np.array(data["facets"], dtype=np.int64).reshape(-1, 3),
                   complete=bool(data.get("complete", True)), reason=data.get("reason"),
                   stats=data.get("stats", {}), tol=Tolerance(**data.get("tolerance", {})),
                   slice=sl, ambient_net=net if sl is not None else None)

    @classmethod
    def from_json(cls, path: object, net) -> "RegionComplex":
        """Read a complex written by :meth:`to_json`; ``net`` is the network it belongs to.

        Examples
        --------
        >>> import os, tempfile
        >>> from relugeom.network import example_network
        >>> from relugeom.regions import enumerate_regions
        >>> net = example_network("three_units")
        >>> p = os.path.join(tempfile.mkdtemp(), "cx.json")
        >>> enumerate_regions(net, "unbounded").to_json(p)
        >>> RegionComplex.from_json(p, net).n_regions
        7
        """
        return cls.from_dict(json.loads(Path(path).read_text()), net)


class MergedRegionComplex(RegionComplex):
    """The regions of a network's *units*: unions of neuron regions with the same pieces.

    A max of ``k >= 3`` inputs is decided by a chain of ``k - 1`` neurons, so several neuron
    patterns give one choice of input; the region of a choice of pieces of every unit is
    convex (an intersection of half-spaces in the units' inputs, which are affine on it)
    and is the union of those neuron regions. This complex has one region per choice of
    pieces; its facets are the neuron facets between different such regions (deduplicated
    per pair), and each facet's row is read off the neuron region it came from.

    Attributes
    ----------
    pieces : int array (R, n_units)
        The piece of every unit in each region.
    members : list of int arrays
        The neuron regions of :attr:`fine` that make up each region.
    fine : RegionComplex
        The complex of neuron regions it was merged from.

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom.network import NetworkBuilder
    >>> from relugeom.regions import enumerate_regions
    >>> from relugeom.polyhedra import Box
    >>> b = NetworkBuilder((3,)); net = b.build(b.reduce_max(b.input, axes=(0,)))
    >>> cx = enumerate_regions(net, Box([-1, -1, -1], [1, 1, 1]))
    >>> cx.n_regions, cx.fine.n_regions, cx.pieces.ravel().tolist()
    (3, 4, [0, 1, 2])
    """

    def __init__(self, fine: RegionComplex):
        net = fine.net
        pieces = net.pieces_of(fine.patterns) if fine.n_regions else np.zeros((0, net.n_units), np.int32)
        uniq, first, inv = np.unique(pieces, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        R = len(uniq)
        F = fine.facets
        fa = inv[F[:, 0]] if len(F) else np.zeros(0, np.int64)
        fb = np.where(F[:, 1] >= 0, inv[np.maximum(F[:, 1], 0)], -1) if len(F) else np.zeros(0, np.int64)
        keep = fa != fb
        rows, owners = [], []
        seen: set = set()
        for r in np.flatnonzero(keep):
            a, b, lab = int(fa[r]), int(fb[r]), int(F[r, 2])
            key = (min(a, b), max(a, b)) if b >= 0 else (a, -1, lab)
            if key in seen:
                continue
            seen.add(key)
            rows.append((min(a, b), max(a, b), lab) if b >= 0 else (a, -1, lab))
            owners.append(int(F[r, 0]) if (b < 0 or inv[F[r, 0]] == min(a, b)) else int(F[r, 1]))
        facets = np.array(rows, dtype=np.int64).reshape(-1, 3)
        order = np.lexsort((facets[:, 2], facets[:, 1], facets[:, 0])) if len(facets) else np.zeros(0, int)
        facets = facets[order]
        stats = dict(fine.stats)
        stats.update(neuron_regions=fine.n_regions, merged_by_units=True)
        super().__init__(net, fine.domain, fine.patterns[first], fine.points[first], facets,
                         complete=fine.complete, reason=fine.reason, stats=stats, tol=fine.tol,
                         slice=fine.slice, ambient_net=fine.ambient_net)
        self.fine = fine
        self.pieces = uniq
        self.pieces.setflags(write=False)
        self.members = [np.flatnonzero(inv == i) for i in range(R)]
        self._facet_owner = np.asarray(owners, dtype=np.int64)[order] if len(owners) else np.zeros(0, np.int64)
        self._group = inv

    def __repr__(self) -> str:
        return super().__repr__().replace("RegionComplex(", "RegionComplex(units: ", 1)

    def to_dict(self) -> dict:
        """JSON-ready dict: the units' regions, with the neuron regions they are merged from
        (``"neuron_regions"``) so that :meth:`from_dict` rebuilds the same complex.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> from relugeom.regions import enumerate_regions
        >>> from relugeom.polyhedra import Box
        >>> b = NetworkBuilder((3,)); net = b.build(b.reduce_max(b.input, axes=(0,)))
        >>> d = enumerate_regions(net, Box([-1] * 3, [1] * 3)).to_dict()
        >>> d["n_regions"], d["neuron_regions"]["n_regions"], RegionComplex.from_dict(d, net).n_regions
        (3, 4, 3)
        """
        out = super().to_dict()
        f = self.fine.to_dict()
        out["pieces"] = self.pieces.tolist()
        out["neuron_regions"] = {k: f[k] for k in ("n_regions", "n_facets", "patterns", "points", "facets")}
        return out

    def _ident(self, patterns: np.ndarray) -> np.ndarray:
        return self.net.pieces_of(np.atleast_2d(patterns)).reshape(np.shape(patterns)[:-1] + (-1,))

    @cached_property
    def _keys(self) -> dict:
        from ._lp_traversal import pattern_keys

        return {k: int(self._group[i]) for i, k in enumerate(pattern_keys(self.fine.patterns))}

    def _neuron_rows(self, i: int):
        """Rows read off the neuron region each facet came from, oriented out of region ``i``."""
        maps: dict = {}

        def row(r: int, lab: int):
            own = int(self._facet_owner[r])
            if own not in maps:
                maps[own] = self.net.preactivation_maps(self.fine.patterns[own])
            G, g = maps[own]
            sgn = -1.0 if self.fine.patterns[own][lab] else 1.0
            if self._group[own] != i:  # the owner lies across the facet
                sgn = -sgn
            return sgn * G[lab], -sgn * g[lab]

        return row


def _domain_volume(domain: HPolytope) -> float:
    if hasattr(domain, "lo"):
        return float(np.prod(domain.hi - domain.lo))
    return float(domain.volume())
