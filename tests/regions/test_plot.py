"""Slices through three inputs, input points from files, and the class pictures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from relugeom.network import ReLUNetwork, random_network  # noqa: E402
from relugeom.polyhedra import Box  # noqa: E402
from relugeom import load_point  # noqa: E402
from relugeom.regions import Slice, enumerate_regions, slice_through  # noqa: E402
from relugeom.regions._plot import _ties_1d, class_cells, class_palette, decision_boundary, plot_complex  # noqa: E402
from relugeom.regions._slices import PlaneSlice  # noqa: E402


def _area(P: np.ndarray) -> float:
    x, y = P[:, 0], P[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.fixture(scope="module")
def three_class():
    """A 4 -> 8 -> 8 -> 3 classifier on a plane where all three classes win somewhere."""
    net = random_network((4, 8, 8, 3), rng=2)
    P = np.random.default_rng(0).normal(size=(3, 4))  # predicted classes 2, 1, 0
    sl = slice_through(*P, box=(-1.5, 2.5))
    cx = enumerate_regions(net, sl)
    assert len(np.unique(class_cells(cx).cls)) == 3  # the fixture is interesting
    return net, P, sl, cx


# ------------------------------------------------------------------ slice geometry
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(3,), (2, 3), (1, 2, 2), (7,)]),
       st.floats(-3, 0), st.floats(0.5, 4))
def test_slice_through_maps_the_unit_points_to_the_three_inputs(seed, shape, lo, width):
    P = np.random.default_rng(seed).normal(size=(3, *shape))
    sl = slice_through(P[0], P[1], P[2], box=(lo, lo + width))
    assert isinstance(sl, Slice) and isinstance(sl, PlaneSlice)
    X = sl.to_ambient([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(X, P.reshape(3, -1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sl.points(), P.reshape(3, -1), atol=1e-12)
    # the plane is affine: (s, t) = (1, 1) is P1 + P2 - P0
    np.testing.assert_allclose(sl.to_ambient([[1.0, 1.0]])[0], (P[1] + P[2] - P[0]).ravel(), atol=1e-12)
    np.testing.assert_allclose(sl.domain.lo, [lo, lo])
    np.testing.assert_allclose(sl.domain.hi, [lo + width] * 2)


def test_slice_restricts_the_network():
    net = random_network((4, 8, 8, 3), rng=0)
    P = np.random.default_rng(2).normal(size=(3, 4))
    cx = enumerate_regions(net, slice_through(*P))
    T = np.random.default_rng(3).uniform(0, 1, size=(50, 2))
    np.testing.assert_allclose(cx.net(T), net(cx.slice.to_ambient(T)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("args, kw, match", [
    (([0, 0], [1, 0, 0], [0, 1]), {}, "same number of entries"),
    (([0, np.nan], [1, 0], [0, 1]), {}, "p0 has 1 non-finite"),
    (([0, 0], [1, 1], [3, 3]), {}, "collinear"),
    (([0, 0], [0, 0], [0, 1]), {}, "P1 equals P0"),
    (([0, 0], [1, 0], [0, 1]), {"box": (1, 1)}, "lo < hi"),
    (([0, 0], [1, 0], [0, 1]), {"box": (0, np.inf)}, "finite"),
    (([0, 0], [1, 0], [0, 1]), {"box": (0, 1, 2)}, "pair"),
    ((["a", 0], [1, 0], [0, 1]), {}, "p0 must be a numeric array"),
])
def test_slice_through_errors(args, kw, match):
    with pytest.raises(ValueError, match=match):
        slice_through(*args, **kw)


# ------------------------------------------------------------------ point loading
def test_load_point_shapes(tmp_path):
    x = np.arange(12.0).reshape(3, 4)
    for name, arr in [("shape.npy", x), ("flat.npy", x.ravel()), ("batch.npy", x[None]),
                      ("int.npy", x.astype(np.int32)), ("f32.npy", x.astype(np.float32))]:
        np.save(tmp_path / name, arr)
        got = load_point(tmp_path / name, (3, 4))
        assert got.shape == (12,) and got.dtype == np.float64
        np.testing.assert_array_equal(got, x.ravel())
    np.testing.assert_array_equal(load_point(str(tmp_path / "flat.npy"), 12), x.ravel())


def test_load_point_refuses_pickles(tmp_path):
    f = tmp_path / "obj.npy"
    np.save(f, np.array([{"a": 1}, 2], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickled"):
        load_point(f, 2)


@pytest.mark.parametrize("arr, shape, match", [
    (np.zeros(5), 4, r"has shape \(5,\) \(5 entries\); the network's input has shape \(4,\)"),
    (np.zeros((2, 2)), (4, 1), "has shape"),
    (np.array([0.0, np.nan, 1.0]), 3, "1 non-finite entries .* flat index 1"),
    (np.array([0.0, np.inf, -np.inf]), 3, "2 non-finite"),
    (np.array([1 + 2j, 0j]), 2, "real numeric array"),
    (np.array(["a", "b"]), 2, "real numeric array"),
])
def test_load_point_bad_arrays(tmp_path, arr, shape, match):
    f = tmp_path / "p.npy"
    np.save(f, arr)
    with pytest.raises(ValueError, match=match):
        load_point(f, shape)


def test_load_point_bad_files(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="no such file"):
        load_point(tmp_path / "missing.npy", 2)
    with pytest.raises(ValueError, match="no such file"):
        load_point("vnnlib:" + str(tmp_path / "missing.vnnlib"), 2)
    np.savez(tmp_path / "p.npz", x=np.zeros(2))
    with pytest.raises(ValueError, match="expected a .npy array file"):
        load_point(tmp_path / "p.npz", 2)
    (tmp_path / "junk.npy").write_bytes(b"not an array at all")
    with pytest.raises(ValueError, match="not a readable .npy array"):
        load_point(tmp_path / "junk.npy", 2)
    np.save(tmp_path / "big.npy", np.zeros(1000))
    monkeypatch.setattr("relugeom._points.MAX_POINT_BYTES", 100)
    with pytest.raises(ValueError, match="over the 100-byte limit"):
        load_point(tmp_path / "big.npy", 1000)


_HEAD = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"


@pytest.mark.parametrize("body, dim, match", [
    ("(assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 0))(assert (>= Y_0 1))", 2,
     "not a box .*X_1 has no upper bound"),
    ("(assert (>= Y_0 1))", 2, "not a box .*no input constraints"),
    ("(assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 0))(assert (<= (+ X_0 X_1) 1))(assert (>= Y_0 1))", 2,
     "not a box .*involve several X_i"),
    ("(assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1))"
     "            (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1))))(assert (>= Y_0 1))", 2,
     "union of 2 polytopes"),
    ("(assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 0))(assert (<= X_1 1))(assert (>= Y_0 1))", 3,
     "declares 2 inputs X_i; the network has 3"),
])
def test_load_point_vnnlib_errors(tmp_path, body, dim, match):
    f = tmp_path / "p.vnnlib"
    f.write_text(_HEAD + body)
    with pytest.raises(ValueError, match=match):
        load_point(f"vnnlib:{f}", dim)


def test_load_point_vnnlib_centre(tmp_path):
    f = tmp_path / "p.vnnlib"
    f.write_text(_HEAD + "(assert (>= X_0 -1))(assert (<= X_0 3))(assert (<= X_1 0.5))(assert (>= X_1 0.25))"
                 "(assert (or (and (>= Y_0 1)) (and (<= Y_0 -1))))")
    np.testing.assert_allclose(load_point(f"vnnlib:{f}", (1, 2)), [1.0, 0.375])


# ------------------------------------------------------------------ class cells
def test_class_cells_tile_regions_and_agree_with_the_network(three_class):
    net, _, sl, cx = three_class
    cells = class_cells(cx)
    vols = cx.volumes()
    per_region = np.zeros(cx.n_regions)
    for i, P in zip(cells.region, cells.polygons):
        assert _area(P) > 0  # counter-clockwise, non-degenerate
        per_region[i] += _area(P)
    np.testing.assert_allclose(per_region, vols, rtol=1e-9, atol=1e-12)
    assert cells.uniform.sum() < cx.n_regions  # some regions are split by the boundary
    # points strictly inside each cell: the ambient network's argmax is the cell's class
    rng = np.random.default_rng(0)
    T, want = [], []
    for k, P in zip(cells.cls, cells.polygons):
        w = rng.dirichlet(np.ones(len(P)), size=4)
        T.append(w @ P)
        want += [k] * 4
    got = net(sl.to_ambient(np.vstack(T))).argmax(axis=1)
    assert np.mean(got == np.array(want)) == 1.0


def test_plot_class_colours_are_the_argmax_at_the_interior_points(three_class):
    net, _, sl, cx = three_class
    ax = cx.plot(color_by="class")
    try:
        want = net(sl.to_ambient(cx.points)).argmax(axis=1)
        faces = ax.collections[0].get_facecolors()
        assert len(faces) == cx.n_regions
        expected = np.array([class_palette(k, tint=0.25) for k in want])
        np.testing.assert_allclose(faces[:, :3], expected, atol=1e-9)
        # the split regions are overdrawn by their cells, in the cells' classes
        cells = class_cells(cx)
        mixed = np.flatnonzero(~cells.uniform[cells.region])
        over = ax.collections[1].get_facecolors()
        np.testing.assert_allclose(over[:, :3], [class_palette(cells.cls[j], tint=0.25) for j in mixed], atol=1e-9)
        # the legend lists the classes present, then the boundary
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["0", "1", "2", "boundary"]
        assert ax.get_xlabel() == "s" and ax.get_ylabel() == "t"
        assert ax.get_title() == f"{cx.n_regions} linear regions · 3 classes"
        texts = [t.get_text() for t in ax.texts]
        k = net(sl.points()).argmax(axis=1)
        assert texts == [f"P{j} ({k[j]})" for j in range(3)]
    finally:
        plt.close(ax.figure)


def test_decision_boundary_lies_on_ties_and_separates_the_classes(three_class):
    import shapely

    net, _, sl, cx = three_class
    S = decision_boundary(cx)
    assert S.ndim == 3 and S.shape[1:] == (2, 2) and len(S) > 5
    lengths = np.linalg.norm(S[:, 1] - S[:, 0], axis=1)
    assert lengths.min() > 0
    for pts in (S.mean(axis=1), S[:, 0], S[:, 1], 0.25 * S[:, 0] + 0.75 * S[:, 1]):
        Y = np.sort(net(sl.to_ambient(pts)), axis=1)
        gap = Y[:, -1] - Y[:, -2]
        assert gap.max() <= 1e-9 * (1 + np.abs(Y).max())
    # completeness: two nearby grid points of different classes have a segment between them
    g = np.linspace(-1.5, 2.5, 81)
    G = np.stack(np.meshgrid(g, g), axis=-1)
    C = net(sl.to_ambient(G.reshape(-1, 2))).argmax(axis=1).reshape(G.shape[:2])
    lines = shapely.MultiLineString([s for s in S]).buffer(1e-9)
    n_changes = 0
    for a, b in [((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))]:
        diff = C[a] != C[b]
        for p, q in zip(G[a][diff], G[b][diff]):
            n_changes += 1
            assert lines.intersects(shapely.LineString([p, q]))
    assert n_changes > 10


def test_decision_boundary_on_a_facet():
    """f = (relu(x), relu(-x)): the classes tie along the neuron's line x = 0 only."""
    net = ReLUNetwork([[[1.0, 0.0], [-1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]))
    cells = class_cells(cx)
    assert cx.n_regions == 2 and sorted(zip(cells.region.tolist(), cells.cls.tolist())) == [(0, 1), (1, 0)]
    S = decision_boundary(cx)
    assert len(S) == 1
    np.testing.assert_allclose(np.sort(S[0], axis=0), [[0.0, -1.0], [0.0, 1.0]], atol=1e-12)


def test_single_output_is_read_as_a_logit():
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, -1.0]]], [[0.0, 0.0], [-0.25]])  # relu(x) - relu(y) - 1/4
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]))
    cells = class_cells(cx)
    assert cells.n_classes == 2
    for k, P in zip(cells.cls, cells.polygons):
        assert ((net(P.mean(axis=0)[None])[0, 0] > 0) == bool(k))
    S = decision_boundary(cx)
    np.testing.assert_allclose(net(S.mean(axis=1))[:, 0], 0.0, atol=1e-12)
    ax = cx.plot(color_by="class")
    try:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f ≤ 0", "f > 0", "boundary"]
        assert ax.get_xlabel() == "$x_1$" and not ax.texts  # not a slice: no P0..P2
    finally:
        plt.close(ax.figure)


# ------------------------------------------------------------------ other pictures
def test_plot_output_and_options(three_class, tmp_path):
    net, _, _, cx = three_class
    fig, ax = plt.subplots()
    cx.plot(ax, color_by="output", output=2, class_names=["cat", "dog", "emu"], title="custom")
    assert ax.get_title() == "custom"
    cbar_axes = [a for a in fig.axes if a is not ax]
    assert len(cbar_axes) == 1 and cbar_axes[0].get_ylabel() == "output 2 (emu)"
    # the shading is exact: the colour range is the range of output 2 over the vertices
    tri = [c for c in ax.collections if type(c).__name__ == "TriMesh"][0]
    V = np.vstack([cx.region_vertices(i) for i in range(cx.n_regions)])
    np.testing.assert_allclose(tri.norm.vmax, cx.net(V)[:, 2].max(), rtol=1e-12)
    fig.savefig(tmp_path / "o.png")
    plt.close(fig)
    with pytest.raises(ValueError, match="output must be in 0..2"):
        cx.plot(color_by="output", output=3)
    with pytest.raises(ValueError, match="not a valid ColorBy"):
        cx.plot(color_by="klass")
    with pytest.raises(ValueError, match="class_names has 2 names"):
        cx.plot(color_by="class", class_names=["a", "b"])
    ax = cx.plot(color_by="class", class_names=["cat", "dog", "emu"], mark_points=False, title=False,
                 decision_boundary=False)
    assert ax.get_title() == "" and not ax.texts
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cat", "dog", "emu"]
    plt.close(ax.figure)


def test_points_outside_the_box_are_not_marked():
    net = random_network((4, 8, 8, 3), rng=0)
    P = np.random.default_rng(1).normal(size=(3, 4))
    cx = enumerate_regions(net, slice_through(*P, box=(0.5, 2.0)))  # holds none of (0,0), (1,0), (0,1)
    ax = cx.plot(color_by="pattern")
    assert not ax.texts
    plt.close(ax.figure)
    cx = enumerate_regions(net, slice_through(*P, box=(0.0, 1.0)))
    ax = cx.plot(color_by="pattern", point_labels=["a", "b", "c"])
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]
    plt.close(ax.figure)


def test_plot_1d_graphs_every_output_and_marks_the_class_changes():
    net = random_network((4, 8, 8, 3), rng=2)
    P = np.random.default_rng(0).normal(size=(3, 4))
    sl = Slice(P[0], (P[2] - P[0])[None], Box([-1.5], [2.5]))
    cx = enumerate_regions(net, sl)
    ax = cx.plot(color_by="class")
    try:
        assert len(ax.get_lines()) >= 3
        xs = np.unique(np.concatenate([cx.region_vertices(i).ravel() for i in range(cx.n_regions)]))
        ties = _ties_1d(xs, cx.net(xs[:, None]), cx.tol)
        assert ties  # the class changes along this line
        for x, old, new in ties:
            y = net(sl.to_ambient([[x]]))[0]
            assert abs(y[old] - y[new]) <= 1e-9 and y.max() - y[new] <= 1e-9
        dense = np.linspace(-1.5, 2.5, 4001)
        changes = np.flatnonzero(np.diff(net(sl.to_ambient(dense[:, None])).argmax(axis=1)))
        assert len(changes) == len(ties)
        assert ax.get_title() == f"{cx.n_regions} linear regions · {len({ties[0][1]} | {t[2] for t in ties})} classes"
    finally:
        plt.close(ax.figure)


def test_plot_needs_a_low_dimensional_complex():
    net = random_network((3, 5, 2), rng=0)
    cx = enumerate_regions(net, Box([-1] * 3, [1] * 3))
    with pytest.raises(ValueError, match="use a slice|2-D slice"):
        cx.plot(color_by="class")
    with pytest.raises(ValueError, match="2-D"):
        class_cells(cx)


def test_plot_refuses_three_or_more_dimensions():
    net = random_network((4, 8, 3), rng=0)
    cx = enumerate_regions(net, Box([-1] * 4, [1] * 4), max_regions=3)
    with pytest.raises(ValueError, match="enumerate on a 2-D slice"):
        plot_complex(cx)
