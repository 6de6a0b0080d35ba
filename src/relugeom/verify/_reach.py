"""Exact reachable sets: the image of an input set as a union of polytopes.

On every region of the network inside an input polytope the network is affine, so the image
of the input set is the finite union of the affine images ``A_i R_i + c_i`` of the regions
``R_i`` (clipped to the input set). :func:`reachable_set` finds the regions by exact splitting
(:mod:`relugeom.verify._star`) and keeps each piece as its input polytope and its affine map;
the image of a piece is the convex hull of the mapped vertices of its region.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_points
from ..polyhedra import HPolytope, LPStatus, solve_lp
from ..network import as_network
from ..network._bounds import crown_bounds
from ._sets import as_input_set, check_sizes
from ._star import StarStats, iter_pieces

log = logging.getLogger(__name__)

__all__ = ["ReachPiece", "ReachableSet", "reachable_set"]


@dataclass(frozen=True)
class ReachPiece:
    """One piece of a reachable set: ``{A x + c : x ∈ region}``.

    Attributes
    ----------
    input_part : int
        Index of the input polytope the region lies in.
    region : HPolytope
        The region (intersected with the input polytope) in input space.
    A, c : ndarray
        The affine map of the network on the region.
    pattern : ndarray of bool
        The activation pattern of the region.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box
    >>> p = reachable_set(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]), Box([-1], [2])).pieces[0]
    >>> p.input_part, p.A.shape, p.pattern.shape
    (0, (1, 1), (2,))
    """

    input_part: int
    region: HPolytope
    A: np.ndarray
    c: np.ndarray
    pattern: np.ndarray

    def image_vertices(self) -> np.ndarray:
        """Images of the region's vertices (their convex hull is the piece's image).

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> from relugeom.polyhedra import Box
        >>> R = reachable_set(ReLUNetwork([[[2.0]]]), Box([0], [1]))
        >>> sorted(R.pieces[0].image_vertices().ravel().tolist())
        [0.0, 2.0]
        """
        V = self.region.vertices()
        return V @ self.A.T + self.c


@dataclass(frozen=True)
class ReachableSet:
    """The image ``f(P)`` of an input set as a union of polytopes.

    Attributes
    ----------
    pieces : tuple of ReachPiece
    complete : bool
        False when a limit (``max_pieces``, ``time_limit``) stopped the enumeration; the
        pieces then cover only part of the input set.
    tol : Tolerance
    seconds : float

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box
    >>> R = reachable_set(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]), Box([-1], [2]))   # |x|
    >>> R.n_pieces, R.bounding_box()
    (2, (array([0.]), array([2.])))
    >>> R.contains([[1.5], [-0.5]]).tolist()
    [True, False]
    """

    pieces: tuple[ReachPiece, ...]
    complete: bool
    tol: Tolerance
    seconds: float

    @property
    def n_pieces(self) -> int:
        """Number of pieces (regions)."""
        return len(self.pieces)

    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` of the image (from the mapped vertices).

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> from relugeom.polyhedra import Box
        >>> reachable_set(ReLUNetwork([[[-1.0]]]), Box([0], [1])).bounding_box()[0].tolist()
        [-1.0]
        """
        V = np.vstack([p.image_vertices() for p in self.pieces])
        return V.min(axis=0), V.max(axis=0)

    def contains(self, y: object) -> np.ndarray | bool:
        """Whether outputs ``y`` are reached (one LP per piece and point, up to ``tol``).

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> from relugeom.polyhedra import Box
        >>> reachable_set(ReLUNetwork([[[1.0]]]), Box([0], [1])).contains([0.5])
        True
        """
        if not self.pieces:
            raise ValueError("the reachable set has no pieces")
        Y, single = as_points(y, self.pieces[0].A.shape[0], name="y")
        out = np.zeros(len(Y), dtype=bool)
        for i, yv in enumerate(Y):
            for p in self.pieces:
                r = solve_lp(np.zeros(p.A.shape[1]), p.region.A, p.region.b,
                             np.vstack([p.region.A_eq, p.A]), np.concatenate([p.region.b_eq, yv - p.c]),
                             tol=self.tol)
                if r.status is LPStatus.OPTIMAL:
                    out[i] = True
                    break
        return bool(out[0]) if single else out

    def plot(self, ax: object = None, *, dims: tuple[int, int] = (0, 1), unsafe: object = None,
             **kwargs: object) -> object:
        """Draw the image projected to two output coordinates (matplotlib, lazy import).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        dims : (int, int)
            Output coordinates to show (for a 1-D output, ``(0, 0)`` draws intervals).
        unsafe : UnsafeSet, optional
            Not drawn (unbounded polyhedra); its rows are drawn as lines when 2-D.

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from relugeom.network import example_network
        >>> from relugeom.polyhedra import Box
        >>> net = example_network("demo").compose_output([[1.0], [2.0]], [0.0, 0.0])
        >>> ax = reachable_set(net, Box([-1, -1], [1, 1])).plot()
        """
        import matplotlib.pyplot as plt
        from scipy.spatial import ConvexHull, QhullError

        if ax is None:
            _, ax = plt.subplots()
        i, j = dims
        style = {"alpha": 0.5, "edgecolor": "k", "linewidth": 0.3}
        style.update(kwargs)
        for p in self.pieces:
            V = p.image_vertices()[:, [i, j]]
            try:
                hull = ConvexHull(V)
                P = V[hull.vertices]
                ax.fill(P[:, 0], P[:, 1], **style)
            except (QhullError, ValueError):  # a segment or a point
                order = np.lexsort(V.T[::-1])
                ax.plot(V[order, 0], V[order, 1], color=style.get("edgecolor", "k"), linewidth=1.0)
        if unsafe is not None and len(dims) == 2:
            lo, hi = self.bounding_box()
            xs = np.linspace(lo[i], hi[i], 2)
            for row, rhs in zip(unsafe.C, unsafe.d):
                if abs(row[j]) > 0 and np.count_nonzero(row) <= 2:
                    ax.plot(xs, (rhs - row[i] * xs) / row[j], "r--", linewidth=1.0)
        ax.set_xlabel(f"y_{i}")
        ax.set_ylabel(f"y_{j}")
        return ax


def reachable_set(net, input_set: object, *, max_pieces: int | None = None,
                  time_limit: float | None = None, tol: Tolerance | None = None,
                  progress: bool = False) -> ReachableSet:
    """The exact image of ``input_set`` under ``net`` as a union of polytopes.

    Parameters
    ----------
    net : Network or ReLUNetwork
        Any piecewise-linear network (pieces are regions of its neurons, see
        :func:`relugeom.verify._star.iter_pieces`); meant for small input dimensions.
    input_set : Box, HPolytope, list of them, or InputSet
    max_pieces : int, optional
        Stop after this many pieces (result marked incomplete).
    time_limit : float, optional
        Seconds (result marked incomplete when hit).
    tol : Tolerance, optional
    progress : bool
        Show a counter of pieces found.

    Returns
    -------
    ReachableSet

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.polyhedra import Box
    >>> reachable_set(example_network("three_units"), Box([-2, -2], [2, 2])).n_pieces
    7
    """
    t0 = time.monotonic()
    net = as_network(net)
    tol = resolve(tol)
    ins = as_input_set(input_set)
    check_sizes(net, ins)
    deadline = None if time_limit is None else t0 + float(time_limit)
    pieces: list[ReachPiece] = []
    complete = True
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(desc="pieces", unit="")
    try:
        for k in range(len(ins)):
            lo, hi = ins.part_bounds(k, tol=tol)
            part = ins.parts[k]
            A0 = np.zeros((0, net.input_dim)) if ins.is_box(k) else part.A
            b0 = np.zeros(0) if ins.is_box(k) else part.b
            bb = crown_bounds(net, lo[None], hi[None])
            pre_lb = np.concatenate([l[0] for l in bb.pre_lb]) if bb.pre_lb else None
            pre_ub = np.concatenate([u[0] for u in bb.pre_ub]) if bb.pre_ub else None
            st = StarStats()
            box_A = np.vstack([np.eye(net.input_dim), -np.eye(net.input_dim)])
            box_b = np.concatenate([hi, -lo])
            for pc in iter_pieces(net, lo, hi, A0, b0, tol=tol, pre_lb=pre_lb, pre_ub=pre_ub,
                                  deadline=deadline, stats=st):
                region = HPolytope(np.vstack([pc.A, box_A]), np.concatenate([pc.b, box_b]),
                                   part.A_eq if len(part.b_eq) else None,
                                   part.b_eq if len(part.b_eq) else None)
                pieces.append(ReachPiece(k, region, pc.out_A, pc.out_c, pc.pattern))
                if bar is not None:
                    bar.update(1)
                if max_pieces is not None and len(pieces) >= max_pieces:
                    complete = False
                    break
            if st.timed_out or not complete:
                complete = False
                break
    finally:
        if bar is not None:
            bar.close()
    return ReachableSet(tuple(pieces), complete, tol, time.monotonic() - t0)
