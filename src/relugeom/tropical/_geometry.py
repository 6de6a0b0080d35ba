"""Newton polytopes, dual subdivisions, tropical hypersurfaces, decision boundaries, zonotopes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .._tol import Tolerance, resolve
from ..errors import SolverError
from ..polyhedra import Box, HPolytope
from ._poly import TropicalPolynomial, product
from ._prune import prune_terms, upper_hull
from ._rational import TropicalRational, _tie_lp

log = logging.getLogger(__name__)

__all__ = ["newton_polytope", "DualSubdivision", "dual_subdivision", "HypersurfaceCell",
           "TropicalHypersurface", "tropical_hypersurface", "decision_boundary",
           "OneLayerZonotopes", "one_layer_zonotopes"]


def newton_polytope(poly: TropicalPolynomial) -> np.ndarray:
    """Vertices of the Newton polytope ``conv{a_i}`` of a tropical polynomial.

    Returns a float array (n_vertices, n), rows sorted lexicographically.

    Examples
    --------
    >>> F = TropicalPolynomial([0.0] * 4, [[0, 0], [1, 0], [0, 1], [0.2, 0.2]])
    >>> newton_polytope(F).tolist()
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    A, _ = poly.float_arrays()
    A = np.unique(A, axis=0)
    if len(A) <= 2:
        return A
    # vertices of conv(A) = upper-hull vertices of the points lifted with the constant 0
    idx = upper_hull(A, np.zeros(len(A)))[0]
    V = A[idx]
    return V[np.lexsort(V.T[::-1])]


@dataclass(frozen=True)
class DualSubdivision:
    """The regular subdivision of the Newton polytope induced by the coefficients.

    Attributes
    ----------
    polynomial : TropicalPolynomial
        The pruned polynomial; indices below refer to its terms.
    cells : list of int arrays
        The terms on each maximal cell (an upper facet of the lifted Newton polytope,
        projected). Each cell is dual to a vertex of the tropical hypersurface.
    vertices : ndarray (n_cells, n)
        That vertex: the point where exactly the cell's terms attain the maximum.

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0, 0.0, 1.0], [[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> S = dual_subdivision(F)
    >>> len(S.cells), sorted(map(len, S.cells))
    (2, [3, 3])
    """

    polynomial: TropicalPolynomial
    cells: list
    vertices: np.ndarray

    def edges(self) -> list[tuple[int, int]]:
        """Edges of the subdivision (pairs of terms), from the cells' convex hulls in 2-D.

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0, 0.0, 1.0], [[0, 0], [1, 0], [0, 1], [1, 1]])
        >>> sorted(dual_subdivision(F).edges())
        [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3)]
        """
        A, _ = self.polynomial.float_arrays()
        out: set[tuple[int, int]] = set()
        for cell in self.cells:
            cell = np.asarray(cell)
            if A.shape[1] == 2 and len(cell) >= 3:
                from scipy.spatial import ConvexHull

                try:
                    h = ConvexHull(A[cell])
                    for s in h.simplices:
                        i, j = sorted(int(cell[v]) for v in s)
                        out.add((i, j))
                    continue
                except Exception:  # degenerate (collinear) cell: fall through
                    pass
            order = cell[np.lexsort(A[cell].T[::-1])]
            for i, j in zip(order[:-1], order[1:]):
                out.add((int(min(i, j)), int(max(i, j))))
        return sorted(out)


def dual_subdivision(poly: TropicalPolynomial, *, tol: Tolerance | None = None) -> DualSubdivision:
    """The dual subdivision of a tropical polynomial (projection of the upper faces).

    Examples
    --------
    >>> S = dual_subdivision(TropicalPolynomial([0.0, 1.0, 0.0], [[0.0], [1.0], [2.0]]))
    >>> [c.tolist() for c in S.cells], S.vertices.ravel().tolist()
    ([[0, 1], [1, 2]], [-1.0, 1.0])
    """
    t = resolve(tol)
    P = poly.prune(tol=t)
    A, c = P.float_arrays()
    _, facets, xs = upper_hull(A, c, tol=t)
    return DualSubdivision(P, [np.asarray(f, dtype=np.int64) for f in facets], xs)


@dataclass(frozen=True)
class HypersurfaceCell:
    """One maximal cell of a tropical hypersurface: where terms ``i`` and ``j`` tie on top.

    Attributes
    ----------
    terms : (int, int)
    polytope : HPolytope
        ``{x in domain : c_i + a_i·x = c_j + a_j·x >= c_k + a_k·x for all k}``.
    witness : ndarray (n,)
        A point in its relative interior.

    Examples
    --------
    >>> from relugeom.tropical import TropicalPolynomial, tropical_hypersurface
    >>> cell = tropical_hypersurface(TropicalPolynomial([0.0, 1.0], [[1.0], [0.0]])).cells[0]   # max(x, 1)
    >>> cell.terms, cell.witness.tolist()
    ((0, 1), [1.0])
    """

    terms: tuple[int, int]
    polytope: HPolytope
    witness: np.ndarray


@dataclass(frozen=True)
class TropicalHypersurface:
    """The tropical hypersurface of a polynomial within a domain, as a polyhedral complex.

    Attributes
    ----------
    polynomial : TropicalPolynomial
        The pruned polynomial (term indices refer to it).
    cells : list of HypersurfaceCell
        The (n−1)-dimensional cells.
    domain : HPolytope or None
        None means R^n.
    tol : Tolerance

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0, 0.0], [[1, 0], [0, 1], [0, 0]])   # max(x, y, 0)
    >>> H = tropical_hypersurface(F, Box([-1, -1], [1, 1]))
    >>> H.n_cells, np.round(H.segments(), 6).tolist()[0]
    (3, [[0.0, 0.0], [1.0, 1.0]])
    """

    polynomial: TropicalPolynomial
    cells: list
    domain: HPolytope | None
    tol: Tolerance = field(default_factory=Tolerance)

    @property
    def n_cells(self) -> int:
        """Number of maximal cells."""
        return len(self.cells)

    def segments(self, box: HPolytope | None = None) -> np.ndarray:
        """The cells of a curve in R^2 as line segments, shape (n_cells, 2, 2).

        Unbounded cells are clipped to ``box`` (default: the domain if bounded, else a box
        around the curve's vertices).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[1.0, 0.0], [0.0, 0.0]])     # max(x, 0)
        >>> tropical_hypersurface(F).segments(Box([-1, -1], [1, 1])).tolist()
        [[[0.0, -1.0], [0.0, 1.0]]]
        """
        A, c = self.polynomial.float_arrays()
        if A.shape[1] != 2:
            raise ValueError(f"segments() needs a tropical curve in R^2; got R^{A.shape[1]}")
        if box is None:
            box = self.domain if self.domain is not None and self.domain.is_bounded() else _auto_box(self)
        out = []
        for cell in self.cells:
            i, j = cell.terms
            d = np.array([-(A[i] - A[j])[1], (A[i] - A[j])[0]])
            d = d / np.linalg.norm(d)
            p = cell.witness
            P = cell.polytope
            rowsA = np.vstack([P.A, box.A])
            rowsb = np.concatenate([P.b, box.b])
            ad = rowsA @ d
            slack = rowsb - rowsA @ p
            lo, hi = -np.inf, np.inf
            pos, neg = ad > 1e-14, ad < -1e-14
            if np.any(pos):
                hi = float(np.min(slack[pos] / ad[pos]))
            if np.any(neg):
                lo = float(np.max(slack[neg] / ad[neg]))
            if not (np.isfinite(lo) and np.isfinite(hi)) or hi < lo:
                continue
            out.append([p + lo * d, p + hi * d])
        return np.array(out).reshape(-1, 2, 2)


def _auto_box(H: TropicalHypersurface) -> Box:
    pts = np.array([cell.witness for cell in H.cells]).reshape(-1, 2)
    try:
        V = dual_subdivision(H.polynomial).vertices
        pts = np.vstack([pts, V.reshape(-1, 2)])
    except SolverError:
        pass
    if len(pts) == 0:
        return Box([-1.0, -1.0], [1.0, 1.0])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = max(1.0, float(np.max(hi - lo))) * 0.25
    return Box(lo - pad, hi + pad)


def _cell_polytope(A: np.ndarray, c: np.ndarray, i: int, j: int, domain: HPolytope | None) -> HPolytope:
    others = np.array([o for o in range(len(c)) if o not in (i, j)], dtype=np.int64)
    rows = A[others] - A[i]
    rhs = c[i] - c[others]
    if domain is not None:
        rows = np.vstack([rows, domain.A])
        rhs = np.concatenate([rhs, domain.b])
    n = A.shape[1]
    return HPolytope(rows.reshape(-1, n), rhs, (A[i] - A[j])[None], np.array([c[j] - c[i]]))


def _candidate_pairs(A: np.ndarray, c: np.ndarray, t: Tolerance) -> set[tuple[int, int]]:
    try:
        _, facets, _ = upper_hull(A, c, tol=t)
        pairs = set()
        for f in facets:
            f = sorted(int(v) for v in f)
            pairs.update((f[a], f[b]) for a in range(len(f)) for b in range(a + 1, len(f)))
        return pairs
    except SolverError:
        m = len(c)
        return {(i, j) for i in range(m) for j in range(i + 1, m)}


def tropical_hypersurface(poly: TropicalPolynomial, domain: HPolytope | None = None, *,
                          tol: Tolerance | None = None) -> TropicalHypersurface:
    """The tropical hypersurface of ``poly`` (where the max is attained at least twice).

    Each maximal cell is the set where two terms tie above all others; it is kept when an
    LP finds a point of the domain where the two tie and beat every other term by more than
    the margin (so the cell is (n−1)-dimensional). Candidate pairs are the edges of the
    dual subdivision when qhull applies, else all pairs.

    Parameters
    ----------
    poly : TropicalPolynomial
    domain : HPolytope, optional
        Restrict to this polyhedron (default R^n).
    tol : Tolerance, optional

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0, 1.0], [[1.0], [-1.0], [0.0]])   # max(x, -x, 1)
    >>> H = tropical_hypersurface(F)
    >>> sorted(round(float(cell.witness[0]), 9) for cell in H.cells)
    [-1.0, 1.0]
    """
    t = resolve(tol)
    P = poly.prune(tol=t)
    A, c = P.float_arrays()
    n = A.shape[1]
    if domain is not None and domain.dim != n:
        raise ValueError(f"domain must live in R^{n}; got dimension {domain.dim}")
    margin = t.interior_atol
    cells = []
    for i, j in sorted(_candidate_pairs(A, c, t)):
        r, x = _tie_lp(A, c, i, j, t, domain)
        if r > margin and x is not None:
            cells.append(HypersurfaceCell((i, j), _cell_polytope(A, c, i, j, domain), x))
    return TropicalHypersurface(P, cells, domain, t)


def decision_boundary(r1: TropicalRational, r2: TropicalRational, domain: HPolytope | None = None,
                      *, tol: Tolerance | None = None) -> tuple[TropicalHypersurface, TropicalHypersurface]:
    """Decision boundary ``{f_1 = f_2}`` of a two-class network from its tropical form.

    With ``f_k = F_k − G_k``, ``f_1 = f_2`` iff ``F_1 ⊙ G_2 = F_2 ⊙ G_1``. The boundary lies
    in the tropical hypersurface of ``F_1 ⊙ G_2 ⊕ F_2 ⊙ G_1`` and is the part of it where a
    term of the first summand ties with a term of the second.

    Returns
    -------
    boundary : TropicalHypersurface
        The cells where the two summands tie (the decision boundary).
    hypersurface : TropicalHypersurface
        All cells of the hypersurface of ``F_1 ⊙ G_2 ⊕ F_2 ⊙ G_1``.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.tropical import tropical_form
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 0.0], [0.0, 1.0]]])   # relu(x) vs relu(-x)
    >>> form = tropical_form(net)
    >>> B, H = decision_boundary(form[0], form[1])
    >>> [round(float(cell.witness[0]), 9) for cell in B.cells]
    [0.0]
    """
    t = resolve(tol)
    P = r1.F.otimes(r2.G, prune=True, tol=t)
    Q = r2.F.otimes(r1.G, prune=True, tol=t)
    Pa, pc = P.float_arrays()
    Qa, qc = Q.float_arrays()
    A = np.vstack([Pa, Qa])
    c = np.concatenate([pc, qc])
    label = np.concatenate([np.zeros(len(pc), int), np.ones(len(qc), int)])
    keep = prune_terms(A, c, tol=t)
    R = TropicalPolynomial.from_arrays(A[keep], c[keep], exact=False)
    H = tropical_hypersurface(R, domain, tol=t)
    lab = label[keep]
    bcells = [cell for cell in H.cells if lab[cell.terms[0]] != lab[cell.terms[1]]]
    return TropicalHypersurface(H.polynomial, bcells, domain, t), H


@dataclass(frozen=True)
class OneLayerZonotopes:
    """For one hidden layer, the lifted Newton polytopes of F and G are zonotopes.

    ``F = β + Σ_{v_j>0} v_j max(b_j + W⁺_j x, W⁻_j x) + Σ_{v_j<0} |v_j| W⁻_j x`` has lifted
    Newton polytope ``shift_F + Σ [0, g]`` over the generators ``g = v_j (W_j, b_j)``,
    ``v_j > 0``; likewise G with ``|v_j| (W_j, b_j)``, ``v_j < 0``.

    Attributes
    ----------
    generators_F, generators_G : ndarray (k, n + 1)
    shift_F, shift_G : ndarray (n + 1,)

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> Z = one_layer_zonotopes(example_network("three_pieces"))
    >>> Z.generators_F.tolist(), Z.generators_G.tolist()
    ([[1.0, 0.0]], [[-2.0, 2.0]])
    """

    generators_F: np.ndarray
    shift_F: np.ndarray
    generators_G: np.ndarray
    shift_G: np.ndarray

    def polynomial(self, which: str = "F", *, tol: Tolerance | None = None) -> TropicalPolynomial:
        """The pruned tropical polynomial whose lifted points are the zonotope's upper vertices.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> Z = one_layer_zonotopes(example_network("three_units"))
        >>> Z.polynomial("F").n_terms
        7
        """
        if which not in ("F", "G"):
            raise ValueError(f"which must be 'F' or 'G'; got {which!r}")
        gens = self.generators_F if which == "F" else self.generators_G
        shift = self.shift_F if which == "F" else self.shift_G
        n = len(shift) - 1
        segs = [TropicalPolynomial([0.0, g[-1]], np.vstack([np.zeros(n), g[:-1]])) for g in gens]
        p = product(segs, n, tol=tol)
        A, c = p.float_arrays()
        return TropicalPolynomial.from_arrays(A + shift[:-1], c + shift[-1], exact=False)

    def vertices(self, which: str = "F", *, tol: Tolerance | None = None) -> np.ndarray:
        """Upper-hull vertices ``(a, c)`` of the zonotope, one per row.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> one_layer_zonotopes(example_network("three_pieces")).vertices("F").tolist()
        [[2.0, 0.0], [3.0, 0.0]]
        """
        p = self.polynomial(which, tol=tol)
        A, c = p.float_arrays()
        V = np.column_stack([A, c])
        return V[np.lexsort(V.T[::-1])]


def one_layer_zonotopes(net) -> OneLayerZonotopes:
    """The zonotope generators of F and G for a network with one hidden layer and one output.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> one_layer_zonotopes(example_network("abs")).generators_F.tolist()
    [[1.0, 0.0], [-1.0, 0.0]]
    """
    if net.n_layers != 2 or net.output_dim != 1:
        raise ValueError(f"zonotopes need one hidden layer and one output; got widths {net.widths}")
    W, b = net.weights[0], net.biases[0]
    v, beta = net.weights[1][0], float(net.biases[1][0])
    n = net.input_dim
    Wm = np.maximum(-W, 0.0)
    gens = np.column_stack([W, b])
    pos, neg = v > 0, v < 0
    base = np.column_stack([Wm, np.zeros(len(b))])  # the (W⁻_j, 0) end of each segment
    shift_F = np.concatenate([np.zeros(n), [beta]]) + (np.abs(v)[:, None] * base)[pos | neg].sum(axis=0)
    shift_G = (np.abs(v)[:, None] * base)[pos | neg].sum(axis=0)
    return OneLayerZonotopes(v[pos, None] * gens[pos], shift_F.reshape(-1),
                             -v[neg, None] * gens[neg], np.asarray(shift_G, float).reshape(-1))
