"""Tropical rational functions ``F ⊘ G = F − G`` and their linear pieces."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_points
from ..errors import SolverError
from ._poly import TropicalPolynomial, _product_pruned
from ._prune import _MaxSlackLP, upper_hull

log = logging.getLogger(__name__)

__all__ = ["TropicalRational", "LinearPieces", "linear_pieces"]


class TropicalRational:
    r"""A tropical rational function ``F ⊘ G``, i.e. ``x ↦ F(x) − G(x)``.

    Parameters
    ----------
    F, G : TropicalPolynomial
        Numerator and denominator, in the same variables (and both exact or both float).

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])
    >>> G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
    >>> r = TropicalRational(F, G)
    >>> r([[-1.0], [0.5], [2.0]]).tolist()          # relu(x) − 2 relu(1 − x)
    [-4.0, -0.5, 2.0]
    >>> r.n_pieces()
    3
    """

    def __init__(self, F: TropicalPolynomial, G: TropicalPolynomial):
        if not isinstance(F, TropicalPolynomial) or not isinstance(G, TropicalPolynomial):
            raise TypeError("F and G must be TropicalPolynomial objects")
        if F.n_vars != G.n_vars:
            raise ValueError(f"F has {F.n_vars} variables but G has {G.n_vars}")
        if F.exact != G.exact:
            F, G = F.to_exact(), G.to_exact()
        self.F, self.G = F, G

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return self.F.n_vars

    @property
    def exact(self) -> bool:
        """Whether F and G are stored exactly."""
        return self.F.exact

    def __repr__(self) -> str:
        return f"TropicalRational(F: {self.F.n_terms} terms, G: {self.G.n_terms} terms, n={self.n_vars})"

    def __call__(self, x: object) -> np.ndarray | float:
        """Evaluate ``F(x) − G(x)`` (floating point, batched).

        Examples
        --------
        >>> r = TropicalRational(TropicalPolynomial([0.0], [[1.0]]), TropicalPolynomial([1.0], [[0.0]]))
        >>> r([2.0])
        1.0
        """
        return self.F(x) - self.G(x)

    evaluate = __call__

    def evaluate_exact(self, x: Sequence[object]) -> Fraction:
        """Evaluate ``F(x) − G(x)`` exactly at one rational point.

        Examples
        --------
        >>> r = TropicalRational(TropicalPolynomial([0], [[1]], exact=True),
        ...                      TropicalPolynomial([1], [[0]], exact=True))
        >>> r.evaluate_exact([Fraction(1, 3)])
        Fraction(-2, 3)
        """
        return self.F.evaluate_exact(x) - self.G.evaluate_exact(x)

    def prune(self, *, tol: Tolerance | None = None) -> "TropicalRational":
        """``F ⊘ G`` with both F and G pruned (the same function).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, -1.0], [[1.0], [1.0]])
        >>> TropicalRational(F, F).prune().F.n_terms
        1
        """
        return TropicalRational(self.F.prune(tol=tol), self.G.prune(tol=tol))

    def common_refinement(self, *, tol: Tolerance | None = None) -> tuple[TropicalPolynomial, np.ndarray, np.ndarray]:
        """``F ⊙ G`` pruned, with the F-term and G-term indices of each of its terms.

        The cells of ``F ⊙ G`` (where one of its terms is maximal) are the common refinement
        of the cells of F and of G; F − G is affine on each of them.

        Examples
        --------
        >>> r = TropicalRational(TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]]),
        ...                      TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]]))
        >>> P, I, J = r.common_refinement(); P.n_terms, I.tolist(), J.tolist()
        (2, [0, 1], [0, 1])
        """
        F, G = self.F.prune(tol=tol), self.G.prune(tol=tol)
        return _product_pruned(F, G, tol=tol, return_pairs=True)

    def linear_pieces(self, *, tol: Tolerance | None = None) -> "LinearPieces":
        """The linear pieces of ``F − G`` on R^n. See :func:`linear_pieces`.

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])
        >>> G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
        >>> TropicalRational(F, G).linear_pieces().n_pieces
        3
        """
        return linear_pieces(self, tol=tol)

    def n_pieces(self, *, tol: Tolerance | None = None) -> int:
        """Number of linear pieces of ``F − G`` on R^n.

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[1.0], [-1.0]])     # |x|
        >>> TropicalRational(F, TropicalPolynomial.constant(0.0, 1)).n_pieces()
        2
        """
        return self.linear_pieces(tol=tol).n_pieces

    def breakpoints(self, *, tol: Tolerance | None = None) -> np.ndarray:
        """Breakpoints of ``F − G`` on the real line (one variable only), sorted.

        These are the points between neighbouring cells of ``F ⊙ G`` where the affine map
        of ``F − G`` changes.

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])
        >>> G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
        >>> TropicalRational(F, G).breakpoints().tolist()
        [0.0, 1.0]
        """
        if self.n_vars != 1:
            raise ValueError(f"breakpoints() is for functions of one variable; got {self.n_vars}")
        t = resolve(tol)
        P, I, J = self.common_refinement(tol=t)
        Af, cf = self.F.prune(tol=t).float_arrays()
        Bf, df = self.G.prune(tol=t).float_arrays()
        maps = np.column_stack([Af[I] - Bf[J], cf[I] - df[J]])
        Pf, pf = P.float_arrays()
        order = np.argsort(Pf[:, 0])
        out = []
        scale = max(1.0, float(np.abs(maps).max(initial=0.0)))
        for k, l in zip(order[:-1], order[1:]):
            if np.abs(maps[k] - maps[l]).max() > t.map_rtol * scale:
                out.append((pf[k] - pf[l]) / (Pf[l, 0] - Pf[k, 0]))
        return np.sort(np.array(out, dtype=float))

    def upper_hull_bound(self, *, tol: Tolerance | None = None) -> int:
        """Number of upper-hull vertices of the lifted Newton polytope of ``F ⊙ G``.

        This bounds the number of linear pieces of ``F − G``.

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])
        >>> G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
        >>> TropicalRational(F, G).upper_hull_bound()
        3
        """
        return (self.F * self.G).prune(tol=tol).n_terms

    def to_network(self):
        """A ReLU network computing ``F − G`` (max-trees for F and G side by side).

        Examples
        --------
        >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]])
        >>> G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
        >>> TropicalRational(F, G).to_network()([[-1.0], [0.5], [2.0]]).ravel().tolist()
        [-4.0, -0.5, 2.0]
        """
        from ._convert import rationals_to_network

        return rationals_to_network([self])

    def to_dict(self) -> dict:
        """JSON-ready dict ``{"F": …, "G": …}``.

        Examples
        --------
        >>> sorted(TropicalRational(TropicalPolynomial([0.0], [[1.0]]),
        ...                         TropicalPolynomial([0.0], [[0.0]])).to_dict())
        ['F', 'G', 'n_terms_F', 'n_terms_G']
        """
        return {"F": self.F.to_dict(), "G": self.G.to_dict(),
                "n_terms_F": self.F.n_terms, "n_terms_G": self.G.n_terms}

    @classmethod
    def from_dict(cls, data: dict) -> "TropicalRational":
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> r = TropicalRational(TropicalPolynomial([0.0], [[1.0]]), TropicalPolynomial([0.0], [[0.0]]))
        >>> TropicalRational.from_dict(r.to_dict())([3.0])
        3.0
        """
        if "F" not in data or "G" not in data:
            raise ValueError(f"a tropical rational dict needs keys 'F' and 'G'; got {sorted(data)}")
        return cls(TropicalPolynomial.from_dict(data["F"]), TropicalPolynomial.from_dict(data["G"]))


@dataclass(frozen=True)
class LinearPieces:
    """The linear pieces of ``F − G`` on R^n, found from the tropical side.

    Attributes
    ----------
    n_pieces : int
        Number of linear pieces: maximal facet-connected unions of cells of ``F ⊙ G`` on
        which ``F − G`` is given by one affine map.
    n_cells : int
        Number of cells of ``F ⊙ G`` (its non-redundant terms; the upper-hull vertex count
        of its lifted Newton polytope), an upper bound for ``n_pieces``.
    cell_piece : ndarray of int (n_cells,)
        The piece of each cell.
    maps : ndarray (n_pieces, n + 1)
        ``[A | c]`` of each piece: ``F − G = A·x + c`` on it.
    witnesses : ndarray (n_cells, n)
        A point in the interior of each cell (when available; NaN otherwise).
    product : TropicalPolynomial
        The pruned ``F ⊙ G``.
    tol : Tolerance

    Examples
    --------
    >>> from relugeom.tropical import TropicalPolynomial, TropicalRational
    >>> F = TropicalPolynomial([0.0, 0.0], [[3.0], [2.0]]); G = TropicalPolynomial([2.0, 0.0], [[0.0], [2.0]])
    >>> p = TropicalRational(F, G).linear_pieces(); p.n_pieces, p.n_cells >= p.n_pieces
    (3, True)
    """

    n_pieces: int
    n_cells: int
    cell_piece: np.ndarray
    maps: np.ndarray
    witnesses: np.ndarray
    product: TropicalPolynomial
    tol: Tolerance = field(default_factory=Tolerance)


def _tie_lp(Pf: np.ndarray, pf: np.ndarray, k: int, l: int, tol: Tolerance,
            domain: object | None = None) -> tuple[float, np.ndarray | None]:
    """max r s.t. term k = term l, and every other term stays below them on the ball of
    radius r around x (r <= 1); returns (r, x)."""
    m, n = Pf.shape
    others = np.array([o for o in range(m) if o not in (k, l)], dtype=np.int64)
    # (a_o - a_k) x + r |a_o - a_k| <= c_k - c_o: r is a radius in x-space
    diff = Pf[others] - Pf[k]
    rows = np.column_stack([diff, np.linalg.norm(diff, axis=1)])
    rhs = pf[k] - pf[others]
    if domain is not None:
        nrm = np.linalg.norm(domain.A, axis=1)
        rows = np.vstack([rows, np.column_stack([domain.A, nrm])])
        rhs = np.concatenate([rhs, domain.b])
    Aeq = np.concatenate([Pf[k] - Pf[l], [0.0]])[None]
    beq = np.array([pf[l] - pf[k]])
    status, r, x = _MaxSlackLP(tol).solve(rows, rhs, Aeq, beq)
    if status == "infeasible":
        return -np.inf, None
    if status != "optimal":
        raise SolverError("adjacency LP failed")
    return r, x


def linear_pieces(r: TropicalRational, *, tol: Tolerance | None = None) -> LinearPieces:
    """The linear pieces of a tropical rational function on R^n.

    The cells of ``F ⊙ G`` carry the affine maps ``(a_i − b_j)·x + (c_i − d_j)``; cells with
    the same map that share a facet (an LP finds a point where exactly the two tie, at
    distance more than ``tol.interior_atol`` from every other cell) are merged by union-find.

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]])
    >>> lp = linear_pieces(TropicalRational(F, F))     # F − F = 0: two cells, one piece
    >>> lp.n_cells, lp.n_pieces
    (2, 1)
    """
    t = resolve(tol)
    n = r.n_vars
    P, I, J = r.common_refinement(tol=t)
    Af, cf = r.F.prune(tol=t).float_arrays()
    Bf, df = r.G.prune(tol=t).float_arrays()
    maps = np.column_stack([Af[I] - Bf[J], cf[I] - df[J]])
    Pf, pf = P.float_arrays()
    m = P.n_terms
    scale = max(1.0, float(np.abs(maps).max(initial=0.0)))
    parent = np.arange(m)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    # candidate adjacent pairs: edges of the (triangulated) upper hull when qhull applies,
    # else all pairs of cells whose maps agree after rounding
    witnesses = np.full((m, n), np.nan)
    try:
        _, facets, _ = upper_hull(Pf, pf, tol=t)
        pairs: set[tuple[int, int]] = set()
        for f in facets:
            f = sorted(int(v) for v in f)
            pairs.update((f[a], f[b]) for a in range(len(f)) for b in range(a + 1, len(f)))
        cand = sorted(pairs)
    except SolverError:
        key = np.round(maps / (scale * t.map_rtol * 1e3)).astype(np.int64)
        _, group = np.unique(key, axis=0, return_inverse=True)
        group = np.asarray(group).reshape(-1)
        cand = [(int(a), int(b)) for g in np.unique(group) for a in np.flatnonzero(group == g)
                for b in np.flatnonzero(group == g) if a < b]
    margin = t.interior_atol
    for a, b in cand:
        if find(a) == find(b):
            continue
        if np.abs(maps[a] - maps[b]).max() > t.map_rtol * 1e3 * scale:
            continue
        rr, _ = _tie_lp(Pf, pf, a, b, t)
        if rr > margin:
            parent[find(a)] = find(b)
    roots = np.array([find(a) for a in range(m)])
    _, cell_piece = np.unique(roots, return_inverse=True)
    cell_piece = np.asarray(cell_piece).reshape(-1)
    n_pieces = int(cell_piece.max()) + 1 if m else 0
    piece_maps = np.zeros((n_pieces, n + 1))
    for k in range(m):
        piece_maps[cell_piece[k]] = maps[k]
    return LinearPieces(n_pieces, m, cell_piece, piece_maps, witnesses, P, t)
