"""Pictures of region complexes (matplotlib, imported lazily).

The classifier picture (SplineCam, Humayun et al., CVPR 2023): the linear regions on a
2-D slice, each coloured by the predicted class, with the decision boundary drawn. Inside a
region the network is affine, so the set where class ``c`` wins is the region's polygon
clipped by the half-planes ``f_c >= f_j``; :func:`class_cells` computes these cells exactly
(up to the complex's tolerance) and :func:`decision_boundary` the segments between cells of
different classes.

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

from dataclasses import dataclass
from enum import Enum

import numpy as np

from ..polyhedra import Box

__all__ = ["plot_complex", "class_cells", "decision_boundary", "ClassCells", "class_palette"]

_MODES = ("pattern", "value", "piece", "class", "output")

#: Qualitative palette for classes (matplotlib's tab10, then tab20's light shades, then the
#: dark and light shades of tab20b/tab20c): class ``k`` always gets colour ``k mod 60``.
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_TAB10_LIGHT = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
                "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
_TAB20BC = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
            "#756bb1", "#636363", "#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194", "#6baed6",
            "#fd8d3c", "#74c476", "#9e9ac8", "#969696", "#6b6ecf", "#b5cf6b", "#e7ba52", "#d6616b",
            "#ce6dbd", "#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#bdbdbd", "#9c9ede", "#cedb9c",
            "#e7cb94", "#e7969c", "#de9ed6", "#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#d9d9d9"]
_PALETTE = _TAB10 + _TAB10_LIGHT + _TAB20BC


def class_palette(k: int, *, tint: float = 0.0) -> tuple[float, float, float]:
    """The fixed colour of class ``k`` (RGB), optionally mixed with white by ``tint``.

    Examples
    --------
    >>> class_palette(0)
    (0.12156862745098039, 0.4666666666666667, 0.7058823529411765)
    >>> class_palette(60) == class_palette(0)
    True
    """
    h = _PALETTE[int(k) % len(_PALETTE)].lstrip("#")
    rgb = np.array([int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])
    rgb = (1.0 - tint) * rgb + tint
    return tuple(float(v) for v in rgb)


def _color_mode(color_by: object) -> str:
    v = color_by.value if isinstance(color_by, Enum) else color_by
    if v not in _MODES:
        raise ValueError(f"{v!r} is not a valid ColorBy; choose one of {', '.join(_MODES)}")
    return str(v)


# ------------------------------------------------------------------ class cells
@dataclass(frozen=True)
class ClassCells:
    """Where each class wins, region by region (2-D complexes).

    Attributes
    ----------
    region : ndarray of int (m,)
        The region of each cell.
    cls : ndarray of int (m,)
        The winning class of each cell (ties go to the lower index, as ``argmax``).
    polygons : list of ndarray (k, 2)
        Each cell's vertices, counter-clockwise.
    uniform : ndarray of bool (R,)
        Regions where one class wins everywhere (one cell, the whole region).
    n_classes : int
        Number of classes (outputs; 2 for a single-output network read as a logit).

    Examples
    --------
    See :func:`class_cells`.
    """

    region: np.ndarray
    cls: np.ndarray
    polygons: list
    uniform: np.ndarray
    n_classes: int


def _region_map(cx, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Class scores of region ``i`` as an affine map ``(A (K, 2), c (K,))``: the network's
    outputs, or ``(0, f)`` for a single output (class 1 where ``f > 0``)."""
    cached = cx.__dict__.get("affine_maps")  # RegionComplex.affine_maps, when already computed
    if cached is not None:
        A, c = cached[0][i], cached[1][i]
    else:
        A, c = cx.net.affine_map(cx.patterns[i])
    A = np.asarray(A, float).reshape(-1, cx.dim)
    c = np.asarray(c, float).reshape(-1)
    if A.shape[0] == 1:
        A = np.vstack([np.zeros_like(A), A])
        c = np.concatenate([[0.0], c])
    return A, c


def _scores(net, X: np.ndarray) -> np.ndarray:
    """Class scores at points: the outputs, or ``(0, f)`` for a single output."""
    Y = np.asarray(net(X), float).reshape(len(X), -1)
    if Y.shape[1] == 1:
        Y = np.column_stack([np.zeros(len(Y)), Y])
    return Y


def _region_polygons(cx) -> list[np.ndarray]:
    """Vertices of every region, counter-clockwise (empty for thin regions); cached."""
    cached = cx.__dict__.get("_ccw_polygons")
    if cached is not None:
        return cached
    out = []
    for V, _ in cx._local_vertices:
        if len(V) >= 3:
            ctr = V.mean(axis=0)
            ang = np.arctan2(V[:, 1] - ctr[1], V[:, 0] - ctr[0])
            out.append(V[np.argsort(ang)])
        else:
            out.append(np.zeros((0, cx.dim)))
    cx.__dict__["_ccw_polygons"] = out
    return out


def _clip(P: np.ndarray, L: list[int], a: np.ndarray, b: float, lab: int, eps: float):
    """Clip a convex polygon (vertices P, edge labels L: edge k runs from P[k] to P[k+1]) to
    ``a @ x + b >= 0`` (``a`` a unit vector); new edges get ``lab``."""
    g = P @ a + b
    n = len(P)
    out, olab = [], []
    for k in range(n):
        k1 = (k + 1) % n
        gc, gn = g[k], g[k1]
        inc, inn = gc >= -eps, gn >= -eps
        if inc:
            out.append(P[k])
            olab.append(L[k])
            if not inn:
                t = gc / (gc - gn)
                out.append(P[k] + t * (P[k1] - P[k]))
                olab.append(lab)
        elif inn:
            t = gc / (gc - gn)
            out.append(P[k] + t * (P[k1] - P[k]))
            olab.append(L[k])
    if len(out) < 3:
        return None, None
    Q = np.array(out)
    keep = np.linalg.norm(Q - np.roll(Q, -1, axis=0), axis=1) > eps  # drop the earlier of duplicates
    Q, olab = Q[keep], [lb for lb, kp in zip(olab, keep) if kp]
    if len(Q) < 3:
        return None, None
    x, y = Q[:, 0], Q[:, 1]
    area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    if area <= eps * max(1.0, float(np.ptp(Q, axis=0).max())):
        return None, None
    return Q, olab


def _cells_and_edges(cx):
    """Class cells and the decision-boundary segments (the work behind the two public verbs)."""
    cache = cx.__dict__.get("_class_cells_cache")
    if cache is not None:
        return cache
    if cx.dim != 2:
        raise ValueError(f"class cells are computed on 2-D complexes; this complex lives in R^{cx.dim} "
                         "(enumerate on a 2-D slice: relugeom.regions.slice_through)")
    cx._require_lowdim("class cells", dims=(2,))
    polys = _region_polygons(cx)
    counts = np.array([len(p) for p in polys])
    allv = np.vstack([p for p in polys if len(p)]) if counts.sum() else np.zeros((0, 2))
    # f is continuous, so its value at a vertex is the value of every region's map there
    Yall = _scores(cx.net, allv) if len(allv) else np.zeros((0, max(2, int(cx.net.output_dim))))
    K = Yall.shape[1]
    Ys = np.split(Yall, np.cumsum(counts)[:-1])
    scale = (float(np.abs(allv).max()) + float(np.ptp(allv, axis=0).max())) if len(allv) else 1.0
    eps = cx.tol.feas_atol * (1.0 + scale)
    regions, classes, cells = [], [], []
    uniform = np.zeros(cx.n_regions, dtype=bool)
    segs = []
    rim = []  # (region, class, p, q, f(p), f(q)): cell edges on their region's boundary
    for i, (P, Y) in enumerate(zip(polys, Ys)):
        if len(P) < 3:
            continue
        win = Y.argmax(axis=1)
        if np.all(win == win[0]):  # the winning set of a class is convex: the whole region
            uniform[i] = True
            regions.append(i)
            classes.append(int(win[0]))
            cells.append(P)
            rim.extend((i, int(win[0]), P[e], P[(e + 1) % len(P)], Y[e], Y[(e + 1) % len(P)])
                       for e in range(len(P)))
            continue
        A, c = _region_map(cx, i)
        # sound filter: class k can win only if its best vertex value reaches the lowest
        # possible maximum (the largest worst-vertex value over the classes)
        floor = Y.min(axis=0).max()
        ymag = float(np.abs(Y).max()) + 1.0
        cand = np.flatnonzero(Y.max(axis=0) >= floor - cx.tol.eval_rtol * ymag).tolist()
        for k in cand:
            Q, L = P, [-1] * len(P)
            for j in cand:
                if j == k:
                    continue
                a = A[k] - A[j]
                bb = c[k] - c[j]
                na = float(np.linalg.norm(a))
                if na <= cx.tol.zero_atol * ymag:  # f_k - f_j constant on the region
                    if bb > eps or (abs(bb) <= eps and k < j):
                        continue
                    Q = None
                    break
                Q, L = _clip(Q, L, a / na, bb / na, j, eps)
                if Q is None:
                    break
            if Q is None:
                continue
            regions.append(i)
            classes.append(k)
            cells.append(Q)
            FQ = Q @ A.T + c
            for e, lab in enumerate(L):
                e1 = (e + 1) % len(Q)
                if lab > k:  # a tie edge f_k = f_lab; drawn once, from the lower class
                    segs.append((Q[e], Q[e1]))
                elif lab == -1:
                    rim.append((i, k, Q[e], Q[e1], FQ[e], FQ[e1]))
    segs.extend(_facet_boundaries(cx, rim, eps))
    out = (ClassCells(np.array(regions, dtype=np.int64), np.array(classes, dtype=np.int64), cells, uniform, K),
           np.array(segs, dtype=float).reshape(-1, 2, 2))
    cx.__dict__["_class_cells_cache"] = out
    return out


def _facet_boundaries(cx, rim, eps) -> list:
    """Decision-boundary pieces lying on region facets (a tie along a whole facet: rare).

    A cell edge on its region's boundary is a candidate when the top two scores tie at both
    of its ends (then, the scores being affine along it, they tie all along); it is a
    boundary when the class just across, evaluated by the network a small step outwards,
    differs."""
    if not rim:
        return []
    cls = np.array([t[1] for t in rim])
    p = np.array([t[2] for t in rim])
    q = np.array([t[3] for t in rim])
    Yp = np.array([t[4] for t in rim])
    Yq = np.array([t[5] for t in rim])
    mag = np.maximum(np.abs(Yp).max(axis=1), np.abs(Yq).max(axis=1)) + 1.0
    tol = cx.tol.eval_rtol * mag

    def gap(Y):
        s = np.sort(Y, axis=1)
        return s[:, -1] - s[:, -2]

    tie = (gap(Yp) <= tol) & (gap(Yq) <= tol)
    if cx.domain is not None and tie.any():
        D = np.asarray(cx.domain.A, float)
        nD = np.linalg.norm(D, axis=1)
        m = (p + q) / 2
        on_boundary = np.any(np.abs((m @ D.T - cx.domain.b) / nD) <= eps, axis=1)
        tie &= ~on_boundary
    idx = np.flatnonzero(tie)
    if not len(idx):
        return []
    m = (p[idx] + q[idx]) / 2
    d = q[idx] - p[idx]
    normal = np.column_stack([d[:, 1], -d[:, 0]])  # outward for counter-clockwise polygons
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    step = max(1e3 * eps, 1e-7 * (1.0 + float(np.abs(m).max())))
    across = _scores(cx.net, m + step * normal).argmax(axis=1)
    return [(p[j], q[j]) for j, a in zip(idx.tolist(), across.tolist()) if cls[j] < a]


def class_cells(cx) -> ClassCells:
    """Split every region of a 2-D complex into the cells where one class wins.

    On a region the network is affine, ``f(x) = A x + c``; class ``k`` wins on the region's
    polygon clipped by the half-planes ``f_k(x) >= f_j(x)``. Regions where one class wins at
    every vertex are one cell (the winning set is convex). A single-output network is read
    as a logit: class 1 where ``f > 0``, class 0 elsewhere.

    Parameters
    ----------
    cx : RegionComplex
        2-D, bounded (for a slice complex, ``cx.net`` is the restricted network).

    Returns
    -------
    ClassCells

    Raises
    ------
    ValueError
        If the complex is not 2-D.
    UnboundedError
        If its domain is unbounded.

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom.network import random_network
    >>> from relugeom.regions import enumerate_regions
    >>> net = random_network((2, 6, 3), rng=1)
    >>> cx = enumerate_regions(net, Box([-2, -2], [2, 2]))
    >>> cells = class_cells(cx)
    >>> area = lambda P: 0.5 * abs(np.sum(P[:, 0] * np.roll(P[:, 1], -1) - np.roll(P[:, 0], -1) * P[:, 1]))
    >>> round(float(sum(area(P) for P in cells.polygons)), 9)   # the cells tile the box
    16.0
    """
    return _cells_and_edges(cx)[0]


def decision_boundary(cx) -> np.ndarray:
    """Segments of the decision boundary of a 2-D complex: ``(m, 2, 2)`` (endpoints).

    The boundary between cells of different winning classes (see :func:`class_cells`):
    inside a region, pieces of the lines ``f_k = f_j``; on a facet, only where the top two
    scores tie along the whole facet. Coordinates are the complex's (slice coordinates for
    a slice complex).

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.regions import enumerate_regions
    >>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # relu(x), relu(y)
    >>> S = decision_boundary(enumerate_regions(net, Box([0.5, 0.5], [1.5, 1.5])))
    >>> np.round(np.sort(S[0], axis=0), 6).tolist()   # the diagonal x = y
    [[0.5, 0.5], [1.5, 1.5]]
    """
    return _cells_and_edges(cx)[1]


# ----------------------------------------------------------------------- plotting
def plot_complex(cx, ax=None, *, color_by: str = "pattern", edgecolor: str = "0.15",
                 linewidth: float = 0.4, cmap: str | None = None, colorbar: bool = False,
                 output: int | None = None, class_names: object = None,
                 decision_boundary: bool | None = None, boundary_color: str = "0.05",
                 boundary_width: float = 2.0, legend: bool = True, title: object = True,
                 mark_points: bool | None = None, point_labels: object = None):
    """Draw a :class:`RegionComplex` with matplotlib (2-D; 1-D draws the graph of every output).

    Parameters
    ----------
    cx : RegionComplex
        1-D or 2-D, bounded domain. For 3-D or more, enumerate on a 2-D slice
        (:func:`~relugeom.regions.slice_through`) and plot that.
    ax : matplotlib Axes, optional
    color_by : {"pattern", "value", "piece", "class", "output"}
        ``"pattern"``: one colour per region (adjacent regions differ); ``"value"``: the
        (first) output at the region's interior point; ``"piece"``: one colour per linear
        piece; ``"class"``: the predicted class (argmax of the outputs; a single output is
        read as a logit, class 1 where ``f > 0``) in a fixed qualitative palette, split
        exactly where the class changes inside a region; ``"output"``: the value of output
        ``output`` at the interior point, with a colour bar.
    edgecolor, linewidth :
        Style of the region edges.
    cmap : str, optional
        Colormap for "pattern", "piece" (default tab20), "value", "output" (viridis).
    colorbar : bool
        Colour bar for ``"value"`` (``"output"`` always has one).
    output : int, optional
        The output drawn by ``"output"`` (default 0).
    class_names : sequence of str, optional
        Legend labels of the classes (default: the class indices).
    decision_boundary : bool, optional
        Draw the decision boundary (:func:`decision_boundary`) as thick dark lines. Default:
        on for ``"class"``, off otherwise.
    boundary_color, boundary_width :
        Style of the decision boundary.
    legend : bool
        Class legend (``"class"``), outside the axes on the right.
    title : bool or str
        ``True``: the counts (regions, classes); a string: that title; ``False``: none.
    mark_points : bool, optional
        Mark ``P0, P1, P2`` at ``(0, 0), (1, 0), (0, 1)`` (those inside the domain). Default:
        on for a slice built by :func:`~relugeom.regions.slice_through`.
    point_labels : sequence of 3 str, optional
        Labels of the marked points (default ``P0``, ``P1``, ``P2``, with the predicted class
        in class pictures).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        For an unknown ``color_by``, an ``output`` out of range, or a complex of dimension
        3 or more (use a slice).
    UnboundedError
        If the complex's domain is unbounded.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relugeom.network import example_network, random_network
    >>> from relugeom.regions import enumerate_regions, slice_through
    >>> ax = plot_complex(enumerate_regions(example_network("abs"), Box([-1], [1])))
    >>> net = random_network((4, 8, 8, 3), rng=0)
    >>> sl = slice_through([0, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, -1], box=(-1, 2))
    >>> ax = plot_complex(enumerate_regions(net, sl), color_by="class")
    >>> ax.get_xlabel(), ax.get_title()
    ('s', '... linear regions · ... classes')
    """
    import matplotlib.pyplot as plt

    mode = _color_mode(color_by)
    if cx.dim not in (1, 2):
        raise ValueError(f"plot draws 1-D and 2-D complexes; this one lives in R^{cx.dim}: enumerate on a "
                         "2-D slice (relugeom.regions.slice_through) and plot that")
    cx._require_lowdim("plot", dims=(1, 2))
    n_out = int(cx.net.output_dim)
    if mode == "output":
        output = 0 if output is None else int(output)
        if not 0 <= output < n_out:
            raise ValueError(f"output must be in 0..{n_out - 1} for a network with {n_out} outputs; got {output}")
    if decision_boundary is None:
        decision_boundary = mode == "class"
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 6) if mode in ("class", "output") else (6, 6))
    names = _class_names(class_names, n_out)
    if cx.dim == 1:
        present = _plot_1d(cx, ax, mode=mode, names=names, decision_boundary=decision_boundary,
                 boundary_color=boundary_color, legend=legend)
    else:
        present = None
        _plot_2d(cx, ax, mode=mode, edgecolor=edgecolor, linewidth=linewidth, cmap=cmap, colorbar=colorbar,
                 output=output, names=names, decision_boundary=decision_boundary,
                 boundary_color=boundary_color, boundary_width=boundary_width, legend=legend)
    sl = getattr(cx, "slice", None)
    if cx.dim == 2:
        ax.set_xlabel("s" if sl is not None else "$x_1$")
        ax.set_ylabel("t" if sl is not None else "$x_2$")
    else:
        ax.set_xlabel("s" if sl is not None else "x")
        ax.set_ylabel("f(x)")
    if title:
        ax.set_title(title if isinstance(title, str) else _auto_title(cx, mode, present))
    if mark_points is None:
        from ._slices import PlaneSlice

        mark_points = isinstance(sl, PlaneSlice) and cx.dim == 2
    if mark_points and cx.dim == 2:
        _mark_points(cx, ax, mode=mode, names=names, labels=point_labels)
    return ax


def _class_names(class_names, n_out: int) -> list[str]:
    K = max(n_out, 2)
    if class_names is None:
        return ["f ≤ 0", "f > 0"] if n_out == 1 else [str(k) for k in range(K)]
    names = [str(v) for v in class_names]
    if len(names) < K:
        raise ValueError(f"class_names has {len(names)} names; the network has {K} classes")
    return names


def _auto_title(cx, mode: str, present=None) -> str:
    txt = f"{cx.n_regions:,} linear regions"
    if mode == "class":
        k = len(set(present) if present is not None else np.unique(class_cells(cx).cls))
        txt += f" · {k} class{'es' if k != 1 else ''}"
    elif mode == "piece":
        txt += f" · {cx.n_linear_pieces():,} linear pieces"
    if not cx.complete:
        txt += f" (incomplete: {cx.reason})"
    return txt


def _plot_2d(cx, ax, *, mode, edgecolor, linewidth, cmap, colorbar, output, names, decision_boundary,
             boundary_color, boundary_width, legend) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    polys = _region_polygons(cx)
    extra = None
    norm = cm = None
    if mode == "value":
        vals = np.asarray(cx.net(cx.points), float).reshape(cx.n_regions, -1)[:, 0] if cx.n_regions else np.zeros(0)
        cm = plt.get_cmap(cmap or "viridis")
        norm = plt.Normalize(vals.min(), vals.max()) if len(vals) else plt.Normalize(0, 1)
        colors = cm(norm(vals)) if len(vals) else []
    elif mode == "output":
        # f is affine on each region: linear (Gouraud) shading of a fan triangulation of
        # each polygon, from the values at its vertices, is the exact picture
        cm = plt.get_cmap(cmap or "viridis")
        norm = _draw_output(cx, ax, polys, output, cm)
        colors = "none"
    elif mode == "class":
        cells = class_cells(cx)
        tint = 0.25
        # the region faces take the class at the interior point; regions where the class
        # changes are overdrawn by their cells
        point_cls = _scores(cx.net, cx.points).argmax(axis=1) if cx.n_regions else np.zeros(0, int)
        colors = [class_palette(int(k), tint=tint) for k in point_cls]
        mixed = ~cells.uniform[cells.region]
        extra = ([cells.polygons[j] for j in np.flatnonzero(mixed)],
                 [class_palette(int(cells.cls[j]), tint=tint) for j in np.flatnonzero(mixed)])
    else:
        colors = _map_colors(cx, mode, plt.get_cmap(cmap or "tab20"))
    if extra is None:
        pc = PolyCollection(polys, facecolors=colors, edgecolors=edgecolor, linewidths=linewidth,
                            zorder=2 if mode == "output" else 1)
        ax.add_collection(pc)
    else:
        ax.add_collection(PolyCollection(polys, facecolors=colors, edgecolors="face", linewidths=0.3, zorder=1))
        if extra[0]:
            ax.add_collection(PolyCollection(extra[0], facecolors=extra[1], edgecolors="face", linewidths=0.3,
                                             zorder=1.1))
        # dense complexes: thinner, translucent edges keep the classes readable
        from matplotlib.colors import to_rgba

        lw = linewidth * float(np.clip(np.sqrt(1500.0 / max(cx.n_regions, 1)), 0.4, 1.0))
        ax.add_collection(PolyCollection(polys, facecolors="none", edgecolors=[to_rgba(edgecolor, 0.6)],
                                         linewidths=lw, zorder=2))
    if decision_boundary:
        segs = _cells_and_edges(cx)[1]
        if len(segs):
            ax.add_collection(LineCollection(segs, colors=boundary_color, linewidths=boundary_width,
                                             capstyle="round", zorder=3, label="decision boundary"))
    nonempty = [p for p in polys if len(p)]
    lo = hi = None
    if isinstance(cx.domain, Box):  # the whole domain, also where an incomplete complex has holes
        lo, hi = np.asarray(cx.domain.lo, float), np.asarray(cx.domain.hi, float)
    elif nonempty:
        lo = np.min([p.min(axis=0) for p in nonempty], axis=0)
        hi = np.max([p.max(axis=0) for p in nonempty], axis=0)
    if lo is not None:
        pad = 0.02 * (hi - lo)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_aspect("equal")
    if (colorbar and mode == "value") or mode == "output":
        import matplotlib.cm as mcm

        sm = mcm.ScalarMappable(norm=norm, cmap=cm)
        label = "f(x)" if mode == "value" else f"output {output}" + (
            f" ({names[output]})" if names[output] != str(output) else "")
        plt.colorbar(sm, ax=ax, shrink=0.8, label=label)
    if mode == "class" and legend and len(class_cells(cx).cls):
        _class_legend(ax, np.unique(class_cells(cx).cls), names, decision_boundary and
                      len(_cells_and_edges(cx)[1]) > 0, boundary_color, boundary_width)


def _draw_output(cx, ax, polys, output: int, cm):
    """Exact colouring by one output (affine per region): Gouraud-shaded fan triangles."""
    import matplotlib.pyplot as plt

    nonempty = [p for p in polys if len(p) >= 3]
    if not nonempty:
        return plt.Normalize(0, 1)
    V = np.vstack(nonempty)
    vals = np.asarray(cx.net(V), float).reshape(len(V), -1)[:, output]
    tris, off = [], 0
    for p in nonempty:
        n = len(p)
        k = np.arange(1, n - 1)
        tris.append(np.column_stack([np.full(n - 2, off), off + k, off + k + 1]))
        off += n
    lo, hi = float(vals.min()), float(vals.max())
    norm = plt.Normalize(lo, hi if hi > lo else lo + 1.0)
    ax.tripcolor(V[:, 0], V[:, 1], np.vstack(tris), vals, shading="gouraud", cmap=cm, norm=norm, zorder=1)
    return norm


def _class_legend(ax, present, names, with_boundary, boundary_color, boundary_width) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    present = [int(k) for k in present]
    shown = present[:24]
    handles = [Patch(facecolor=class_palette(k, tint=0.25), edgecolor="0.3", linewidth=0.5, label=names[k])
               for k in shown]
    if len(present) > len(shown):
        handles.append(Patch(facecolor="none", edgecolor="none", label=f"+{len(present) - len(shown)} more"))
    if with_boundary:
        handles.append(Line2D([], [], color=boundary_color, linewidth=boundary_width, label="boundary"))
    ax.legend(handles=handles, title="class", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              frameon=False, fontsize=9, title_fontsize=9, handlelength=1.4)


def _mark_points(cx, ax, *, mode, names, labels) -> None:
    import matplotlib.patheffects as pe

    from ._slices import PlaneSlice

    P = PlaneSlice.COORDS
    if labels is None:
        labels = ["P0", "P1", "P2"]
        if mode == "class":
            cls = _scores(cx.net, P).argmax(axis=1)
            labels = [f"{lab} ({names[int(k)]})" for lab, k in zip(labels, cls)]
    labels = [str(v) for v in labels]
    if len(labels) != 3:
        raise ValueError(f"point_labels needs 3 labels; got {len(labels)}")
    inside = np.ones(3, bool) if cx.domain is None else np.asarray(cx.domain.contains(P, tol=cx.tol), bool)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ctr = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    halo = [pe.withStroke(linewidth=3, foreground="white")]
    for p, lab, ok in zip(P, labels, inside):
        if not ok:
            continue
        ax.plot([p[0]], [p[1]], "o", ms=7, mfc="white", mec="black", mew=1.5, zorder=5, clip_on=False)
        d = ctr - p
        d = d / (np.linalg.norm(d) or 1.0)
        ax.annotate(lab, p, xytext=(9 * np.sign(d[0]) if abs(d[0]) > 0.2 else 0,
                                    9 * np.sign(d[1]) if abs(d[1]) > 0.2 else 9),
                    textcoords="offset points", ha="left" if d[0] > 0.2 else ("right" if d[0] < -0.2 else "center"),
                    va="bottom" if d[1] > 0.2 else ("top" if d[1] < -0.2 else "bottom"),
                    fontsize=10, fontweight="bold", zorder=6, path_effects=halo, annotation_clip=False)


def _plot_1d(cx, ax, *, mode, names, decision_boundary, boundary_color, legend) -> list[int]:
    """The graph of every output; class pictures shade the winning class and mark the ties.

    Returns the classes that win somewhere."""
    segs = []
    for V, _ in cx._local_vertices:
        if len(V) >= 2:
            segs.append(np.array([V.min(), V.max()]))
    segs.sort(key=lambda s: s[0])
    if not segs:
        return []
    xs = np.unique(np.concatenate(segs))
    Y = np.asarray(cx.net(xs[:, None]), float).reshape(len(xs), -1)
    n_out = Y.shape[1]
    for k in range(n_out):
        ax.plot(xs, Y[:, k], "-", lw=1.8, color=class_palette(k), marker="o", ms=2.5,
                label=names[k] if n_out > 1 else None, zorder=3)
    for x in xs[1:-1]:
        ax.axvline(x, color="0.8", lw=0.6, zorder=0)
    ties = _ties_1d(xs, _scores(cx.net, xs[:, None]), cx.tol)
    first = int(_scores(cx.net, xs[:1, None])[0].argmax())
    if mode == "class":
        edges = [xs[0]] + [t[0] for t in ties] + [xs[-1]]
        kls = [first] + [t[2] for t in ties]
        for lo, hi, k in zip(edges[:-1], edges[1:], kls):
            ax.axvspan(lo, hi, color=class_palette(k, tint=0.6), zorder=0, lw=0)
    if decision_boundary:
        for t in ties:
            ax.axvline(t[0], color=boundary_color, lw=1.8, zorder=2)
    if n_out > 1 and legend:
        ax.legend(title="output", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
                  fontsize=9, title_fontsize=9)
    ax.set_xlim(xs[0], xs[-1])
    return sorted({first} | {t[2] for t in ties})


def _ties_1d(xs: np.ndarray, S: np.ndarray, tol) -> list[tuple[float, int, int]]:
    """Points where the winning class changes along a line: ``(x, old, new)``.

    ``S`` holds the class scores at the breakpoints ``xs``; between two breakpoints every
    score is affine, so the crossings are exact."""
    out: list[tuple[float, int, int]] = []
    cur = int(S[0].argmax())
    for a, b, Sa, Sb in zip(xs[:-1], xs[1:], S[:-1], S[1:]):
        mag = tol.eval_rtol * (1.0 + float(np.abs(Sa).max()))
        k = int(Sa.argmax())
        if k != cur and Sa[cur] >= Sa[k] - mag:
            k = cur  # a tie at the breakpoint: the class so far still wins there
        if k != cur:
            out.append((float(a), cur, k))
        x = a
        for _ in range(S.shape[1]):
            da, db = Sa - Sa[k], Sb - Sb[k]
            best, nxt = None, None
            for j in range(S.shape[1]):
                if j != k and db[j] > 0 and db[j] > da[j]:
                    xt = a + (-da[j] / (db[j] - da[j])) * (b - a)
                    if xt >= x and (best is None or xt < best):
                        best, nxt = xt, j
            if best is None:
                break
            out.append((float(best), k, nxt))
            k, x = nxt, best
        cur = k
    return out


def _map_colors(cx, mode: str, cm) -> list:
    """Colours from a palette, chosen (deterministically at random) so that adjacent
    regions (or pieces) differ."""
    ids = cx.piece_labels if mode == "piece" else np.arange(cx.n_regions)
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
