"""Pictures in 2-D: tropical curves, Newton polygons with subdivisions, the network's regions.

matplotlib is imported only when a picture is drawn.
"""

from __future__ import annotations

import logging

import numpy as np

from ..polyhedra import Box, HPolytope
from ._geometry import dual_subdivision, tropical_hypersurface
from ._poly import TropicalPolynomial
from ._rational import TropicalRational

log = logging.getLogger(__name__)

__all__ = ["plot_tropical_curve", "plot_newton_polygon", "plot_pieces", "plot_tropical"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4, 4))
    return ax


def plot_tropical_curve(poly: TropicalPolynomial, box: HPolytope | None = None, ax=None, *,
                        color: str = "C3", linewidth: float = 1.5, label: str | None = None):
    """Draw the tropical curve of a polynomial in two variables, clipped to ``box``.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> F = TropicalPolynomial([0.0, 0.0, 0.0], [[1, 0], [0, 1], [0, 0]])
    >>> ax = plot_tropical_curve(F, Box([-1, -1], [1, 1])); len(ax.lines)
    3
    """
    ax = _axes(ax)
    if poly.n_vars != 2:
        raise ValueError(f"a tropical curve needs 2 variables; got {poly.n_vars}")
    H = tropical_hypersurface(poly, box)
    segs = H.segments(box)
    for k, (p, q) in enumerate(segs):
        ax.plot([p[0], q[0]], [p[1], q[1]], color=color, lw=linewidth,
                label=label if k == 0 else None)
    if box is not None and isinstance(box, Box):
        ax.set_xlim(box.lo[0], box.hi[0])
        ax.set_ylim(box.lo[1], box.hi[1])
    ax.set_aspect("equal", adjustable="box")
    return ax


def plot_newton_polygon(poly: TropicalPolynomial, ax=None, *, color: str = "k", show_all: bool = True):
    """Draw the Newton polygon of a polynomial in two variables with its dual subdivision.

    All exponents are drawn as small grey dots (``show_all``), the non-redundant ones black.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> F = TropicalPolynomial([0.0, 0.0, 0.0, 1.0], [[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> ax = plot_newton_polygon(F); len(ax.lines) >= 5
    True
    """
    ax = _axes(ax)
    if poly.n_vars != 2:
        raise ValueError(f"a Newton polygon needs 2 variables; got {poly.n_vars}")
    A_all, _ = poly.float_arrays()
    if show_all:
        ax.plot(A_all[:, 0], A_all[:, 1], ".", color="0.7", ms=3, zorder=1)
    S = dual_subdivision(poly)
    A, _ = S.polynomial.float_arrays()
    for i, j in S.edges():
        ax.plot(A[[i, j], 0], A[[i, j], 1], "-", color=color, lw=0.8, zorder=2)
    ax.plot(A[:, 0], A[:, 1], "o", color=color, ms=3, zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def _cell_polygons(r: TropicalRational, box: Box):
    """Polygons (shapely) of the cells of F ⊙ G in the box, with the piece of each."""
    lp = r.linear_pieces()
    Pf, pf = lp.product.float_arrays()
    polys = []
    for k in range(len(pf)):
        rows = Pf - Pf[k]
        rhs = pf[k] - pf
        keep = np.arange(len(pf)) != k
        P = HPolytope(np.vstack([rows[keep], box.A]), np.concatenate([rhs[keep], box.b]))
        try:
            poly = P.to_shapely()
        except Exception:  # empty in the box
            continue
        if not poly.is_empty:
            polys.append((poly, int(lp.cell_piece[k])))
    return polys, lp


def plot_pieces(r: TropicalRational, box: Box, ax=None, *, cmap: str = "tab20"):
    """Colour the cells of ``F ⊙ G`` in a box by the linear piece of ``F − G`` they belong to.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from relugeom.network import example_network
    >>> from relugeom.tropical import tropical_form
    >>> ax = plot_pieces(tropical_form(example_network("three_units"))[0], Box([-2, -2], [2, 2]))
    >>> len(ax.patches)
    7
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon as MplPolygon

    ax = _axes(ax)
    polys, lp = _cell_polygons(r, box)
    cm = plt.get_cmap(cmap)
    for poly, piece in polys:
        xy = np.asarray(poly.exterior.coords)
        ax.add_patch(MplPolygon(xy, closed=True, facecolor=cm(piece % cm.N), edgecolor="0.3", lw=0.3,
                                alpha=0.6))
    ax.set_xlim(box.lo[0], box.hi[0])
    ax.set_ylim(box.lo[1], box.hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(f"{lp.n_pieces} pieces ({lp.n_cells} cells of F⊙G)", fontsize=8)
    return ax


def plot_tropical(obj, box: Box | None = None, path: object | None = None, *, output: int = 0):
    """A figure of a network's tropical form (inputs in R^1 or R^2).

    In 2-D: the linear pieces (cells of ``F ⊙ G``) with the tropical curves of F (red) and
    G (blue); the network's regions from :mod:`relugeom.regions` when it is available; and
    the Newton polygons of F and G with their dual subdivisions. In 1-D: the graph of
    ``F − G`` with its breakpoints, and the lifted Newton polygons (upper hulls) of F and G.

    Parameters
    ----------
    obj : ReLUNetwork, TropicalForm or TropicalRational
    box : Box, optional
        The window (default [-2, 2]^n).
    path : path, optional
        Save the figure there (PNG, PDF, …).
    output : int
        Which output of a multi-output network.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from relugeom.network import example_network
    >>> fig = plot_tropical(example_network("three_units"))
    >>> len(fig.axes) >= 3
    True
    """
    import matplotlib.pyplot as plt

    from ._form import TropicalForm, tropical_form

    net = None
    if isinstance(obj, TropicalRational):
        r = obj
    elif isinstance(obj, TropicalForm):
        r = obj[output]
    else:
        net = obj
        r = tropical_form(net)[output]
    n = r.n_vars
    if n not in (1, 2):
        raise ValueError(f"pictures are for inputs in R^1 or R^2; got R^{n}")
    if box is None:
        box = Box(-2 * np.ones(n), 2 * np.ones(n))
    if n == 1:
        fig, axs = plt.subplots(1, 2, figsize=(9, 4))
        xs = np.linspace(box.lo[0], box.hi[0], 801)[:, None]
        axs[0].plot(xs[:, 0], r(xs), "k-", lw=1.2, label="F − G")
        axs[0].plot(xs[:, 0], r.F(xs), "C3--", lw=0.8, label="F")
        axs[0].plot(xs[:, 0], r.G(xs), "C0--", lw=0.8, label="G")
        for b in r.breakpoints():
            if box.lo[0] <= b <= box.hi[0]:
                axs[0].axvline(b, color="0.6", lw=0.5)
        axs[0].legend(fontsize=7)
        axs[0].set_title(f"{r.n_pieces()} linear pieces", fontsize=8)
        for poly, col, name in ((r.F, "C3", "F"), (r.G, "C0", "G")):
            V = poly.lifted_newton_polytope()
            V = V[np.argsort(V[:, 0])]
            axs[1].plot(V[:, 0], V[:, 1], "o-", color=col, ms=3, label=f"upper hull of {name}")
        axs[1].set_xlabel("exponent")
        axs[1].set_ylabel("coefficient")
        axs[1].legend(fontsize=7)
    else:
        have_regions = False
        cx = None
        if net is not None:
            try:
                from ..regions import enumerate_regions

                cx = enumerate_regions(net, box)
                have_regions = True
            except Exception as exc:  # regions unavailable or failed: tropical picture only
                log.info("network regions not drawn: %s", exc)
        ncols = 4 if have_regions else 3
        fig, axs = plt.subplots(1, ncols, figsize=(4 * ncols, 4))
        plot_pieces(r, box, axs[0])
        plot_tropical_curve(r.F, box, axs[0], color="C3", linewidth=1.0, label="curve of F")
        plot_tropical_curve(r.G, box, axs[0], color="C0", linewidth=1.0, label="curve of G")
        axs[0].legend(fontsize=6, loc="lower left")
        k = 1
        if have_regions:
            try:
                cx.plot(ax=axs[1])
            except Exception as exc:  # pragma: no cover - depends on the regions module
                log.info("regions plot failed: %s", exc)
            axs[1].set_title(f"network regions: {cx.n_regions}", fontsize=8)
            k = 2
        plot_newton_polygon(r.F, axs[k])
        axs[k].set_title(f"Newton polygon of F ({r.F.n_terms} terms)", fontsize=8)
        plot_newton_polygon(r.G, axs[k + 1], color="C0")
        axs[k + 1].set_title(f"Newton polygon of G ({r.G.n_terms} terms)", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
