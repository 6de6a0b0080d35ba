"""Pictures of region complexes (matplotlib, imported lazily).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from relugeom.network import example_network
>>> from relugeom.regions import enumerate_regions
>>> from relugeom.polyhedra import Box
>>> ax = plot_complex(enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2])))
"""

from __future__ import annotations

import numpy as np

from ..polyhedra import Box  # noqa: F401 (doctest)
from ._complex import ColorBy

__all__ = ["plot_complex"]


def plot_complex(cx, ax=None, *, color_by: str = "pattern", edgecolor: str = "0.15",
                 linewidth: float = 0.4, cmap: str | None = None, colorbar: bool = False):
    """Draw a :class:`RegionComplex` with matplotlib (2-D; 1-D draws the graph of the function).

    Parameters
    ----------
    cx : RegionComplex
    ax : matplotlib Axes, optional
    color_by : {"pattern", "value", "piece"}
        Colour per region, by the network's (first) output at the interior point, or
        per linear piece.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> ax = plot_complex(enumerate_regions(example_network("abs"), Box([-1], [1])))
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    color_by = ColorBy(color_by)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    if cx.dim == 1:
        cx._require_lowdim("plot", dims=(1,))
        for i, (V, _) in enumerate(cx._local_vertices):
            xs = np.sort(V.ravel())
            ys = cx.net(xs[:, None])[:, 0]
            ax.plot(xs, ys, "-", lw=1.8, marker="o", ms=2.5)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        return ax
    cx._require_lowdim("plot", dims=(2,))
    polys = []
    for V, _ in cx._local_vertices:
        if len(V) >= 3:
            c = V.mean(axis=0)
            ang = np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0])
            polys.append(V[np.argsort(ang)])
        else:
            polys.append(np.zeros((0, 2)))
    if color_by is ColorBy.VALUE:
        vals = cx.net(cx.points)[:, 0]
        cm = plt.get_cmap(cmap or "viridis")
        norm = plt.Normalize(vals.min(), vals.max()) if len(vals) else None
        colors = cm(norm(vals)) if len(vals) else []
    else:
        colors = _map_colors(cx, color_by, plt.get_cmap(cmap or "tab20"))
    pc = PolyCollection(polys, facecolors=colors, edgecolors=edgecolor, linewidths=linewidth)
    ax.add_collection(pc)
    if cx.domain is not None:
        lo = np.min([p.min(axis=0) for p in polys if len(p)], axis=0)
        hi = np.max([p.max(axis=0) for p in polys if len(p)], axis=0)
        pad = 0.02 * (hi - lo)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_aspect("equal")
    if colorbar and color_by is ColorBy.VALUE:
        import matplotlib.cm as mcm

        sm = mcm.ScalarMappable(norm=norm, cmap=cm)
        plt.colorbar(sm, ax=ax, shrink=0.8, label="f(x)")
    return ax


def _map_colors(cx, color_by: ColorBy, cm) -> list:
    """Colours from a palette, chosen (deterministically at random) so that adjacent
    regions (or pieces) differ."""
    ids = cx.piece_labels if color_by is ColorBy.PIECE else np.arange(cx.n_regions)
    if not len(ids):
        return []
    n_nodes = int(ids.max()) + 1
    inner = cx.facets[cx.facets[:, 1] >= 0]
    nbrs: list[set] = [set() for _ in range(n_nodes)]
    for u, v in zip(ids[inner[:, 0]].tolist(), ids[inner[:, 1]].tolist()):
        if u != v:
            nbrs[u].add(v)
            nbrs[v].add(u)
    n = getattr(cm, "N", 256)
    palette = n if n < 256 else 12
    rng = np.random.default_rng(0)
    col = np.full(n_nodes, -1)
    for u in range(n_nodes):
        used = {int(col[v]) for v in nbrs[u]}
        free = [c for c in range(palette) if c not in used] or list(range(palette))
        col[u] = free[int(rng.integers(len(free)))]
    if n < 256:
        return [cm(int(col[j])) for j in ids]
    return [cm((col[j] + 0.5) / palette) for j in ids]

