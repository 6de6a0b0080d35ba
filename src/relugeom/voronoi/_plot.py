"""Pictures of 2-D and 3-D Voronoi cells and of models with their cells (matplotlib, lazy)."""

from __future__ import annotations

import numpy as np

from ..polyhedra import HPolytope, generators
from ._models import FiniteModel

__all__ = ["plot_cell", "plot_cells"]


def _window(cell: object, pad: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    pts = np.vstack([cell.vertices, cell.q[None, :]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(1.0, float((hi - lo).max()))
    return lo - pad * span, hi + pad * span


def _clipped_vertices(cell: object, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    d = cell.dim
    A = np.vstack([cell.A, np.eye(d), -np.eye(d)])
    b = np.concatenate([cell.b, hi, -lo])
    V, _ = generators(HPolytope(A, b, cell.A_eq, cell.b_eq))
    return V


def plot_cell(cell: object, ax: object = None, *, window: tuple | None = None, color: str = "C0",
              alpha: float = 0.3, label: str | None = None, show_q: bool = True) -> object:
    """Draw a 2-D or 3-D cell, clipped to ``window = (lo, hi)`` (unbounded cells).

    Returns the matplotlib axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from relugeom.voronoi import voronoi_cell
    >>> ax = plot_cell(voronoi_cell([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [0.0, 0.0, 0.0]))
    """
    import matplotlib.pyplot as plt

    d = cell.dim
    if d not in (2, 3):
        raise ValueError(f"only 2-D and 3-D cells can be drawn; this one lives in R^{d}")
    lo, hi = (np.asarray(window[0], float), np.asarray(window[1], float)) if window else _window(cell)
    V = _clipped_vertices(cell, lo, hi)
    if ax is None:
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d" if d == 3 else None)
    if d == 2:
        if len(V) >= 3 and np.linalg.matrix_rank(V - V[0]) == 2:
            c = V.mean(axis=0)
            order = np.argsort(np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0]))
            ax.fill(V[order, 0], V[order, 1], color=color, alpha=alpha, label=label)
        elif len(V) >= 2:
            direc = V[-1] - V[0]
            tt = (V - V[0]) @ direc
            ax.plot(V[[tt.argmin(), tt.argmax()], 0], V[[tt.argmin(), tt.argmax()], 1], color=color, lw=2,
                    label=label)
        if show_q:
            ax.plot(*cell.q, "o", color=color)
        ax.set_aspect("equal", adjustable="box")
    else:
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection
        from scipy.spatial import ConvexHull, QhullError

        try:
            hull = ConvexHull(V)
            ax.add_collection3d(Poly3DCollection([V[s] for s in hull.simplices], alpha=alpha, facecolor=color))
        except (QhullError, ValueError):
            if len(V) >= 2:
                ax.plot(V[:, 0], V[:, 1], V[:, 2], color=color)
        if show_q:
            ax.scatter(*cell.q, color=color)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_zlim(lo[2], hi[2])
    return ax


def plot_cells(model: object, cells: list, ax: object = None, *, window: tuple | None = None,
               n_curve: int = 400) -> object:
    """Draw a 2-D or 3-D model (points, polyhedra/cones or a curve) with Voronoi cells of some of its points.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from relugeom.voronoi import voronoi_cell, half_circle, twisted_cubic
    >>> M = half_circle()
    >>> ax = plot_cells(M, [voronoi_cell(M, [1.0, 0.0], rng=0), voronoi_cell(M, [-1.0, 0.0], rng=0)])
    >>> ax3 = plot_cells(FiniteModel([[0, 0, 0], [1, 1, 1], [1, 0, 0]]),
    ...                  [voronoi_cell([[0, 0, 0], [1, 1, 1], [1, 0, 0]], [1.0, 1.0, 1.0])])
    """
    import matplotlib.pyplot as plt

    from ._models import ParametrizedModel, PolyhedralModel

    d = model.dim
    if d not in (2, 3):
        raise ValueError(f"plot_cells draws models in R^2 or R^3; this one lives in R^{d}")
    if ax is None:
        if d == 2:
            _, ax = plt.subplots()
        else:
            ax = plt.figure().add_subplot(projection="3d")
    if window is None:
        pts = np.vstack([np.vstack([c.vertices, c.q[None]]) for c in cells]) if cells else np.zeros((1, d))
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = max(1.0, float((hi - lo).max()))
        window = (lo - 0.6 * span, hi + 0.6 * span)
    lo, hi = np.asarray(window[0], float), np.asarray(window[1], float)
    for i, c in enumerate(cells):
        plot_cell(c, ax=ax, window=window, color=f"C{i % 10}")
    if isinstance(model, FiniteModel):
        ax.plot(*model.points.T, "k.", ms=8)
    elif isinstance(model, PolyhedralModel):
        for P in model.pieces:
            A = np.vstack([P.A, np.eye(d), -np.eye(d)])
            b = np.concatenate([P.b, hi, -lo])
            V, _ = generators(HPolytope(A, b, P.A_eq, P.b_eq))
            _draw_hull(ax, V, d)
    elif isinstance(model, ParametrizedModel) and model.n_params == 1 and model._box is not None:
        tt = np.linspace(model._box[0][0], model._box[1][0], n_curve)[:, None]
        P = np.asarray(model.param.evaluate(tt))
        ax.plot(*P.T, "k-", lw=2)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if d == 3:
        ax.set_zlim(lo[2], hi[2])
    return ax


def _draw_hull(ax: object, V: np.ndarray, d: int) -> None:
    """A clipped piece of a model: filled polygon (2-D) or hull surface (3-D), segments if thin."""
    if len(V) == 0:
        return
    r = np.linalg.matrix_rank(V - V[0]) if len(V) > 1 else 0
    if d == 2 and r == 2:
        cc = V.mean(axis=0)
        o = np.argsort(np.arctan2(V[:, 1] - cc[1], V[:, 0] - cc[0]))
        ax.fill(V[o, 0], V[o, 1], color="k", alpha=0.5)
    elif d == 3 and r == 3:
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection
        from scipy.spatial import ConvexHull

        hull = ConvexHull(V)
        ax.add_collection3d(Poly3DCollection([V[s] for s in hull.simplices], alpha=0.3, facecolor="k"))
    elif r >= 1:
        direc = V[-1] - V[0] if r == 1 else None
        if direc is not None:
            tt = (V - V[0]) @ direc
            ax.plot(*V[[tt.argmin(), tt.argmax()]].T, "k-", lw=2)
        else:
            ax.plot(*V.T, "k.", ms=3)
    else:
        ax.plot(*V.T, "k.", ms=6)
