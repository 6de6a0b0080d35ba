"""Known cases, structural properties and round trips of the LP reference method."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from relugeom import ReLUNetwork
from relugeom.errors import EmptyDomainError
from relugeom.network import example_network, load_npz
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope
from relugeom.regions import RegionComplex, Slice, count_regions, enumerate_regions, line_regions

from conftest import shared_path


# ----------------------------------------------------------------------------- known cases
def test_three_pieces_on_R():
    cx = enumerate_regions(example_network("three_pieces"), "unbounded", method="lp")
    assert cx.n_regions == 3
    assert cx.n_linear_pieces() == 3
    assert cx.complete and cx.check().ok


def test_sawtooth_six_pieces_on_R():
    # h(h(x)): a second-layer neuron is identically zero on whole intervals (degenerate)
    net = example_network("sawtooth")
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_linear_pieces() == 6
    assert cx.check().ok
    # the function really is the sawtooth with 4 teeth on [0, 1] and 0 outside
    x = np.linspace(-1, 2, 301)[:, None]
    h = lambda v: np.maximum(2 * v, 0) - np.maximum(4 * v - 2, 0) + np.maximum(2 * v - 2, 0)  # noqa: E731
    assert np.allclose(net(x)[:, 0], h(h(x[:, 0])))


def test_three_units_seven_regions():
    cx = enumerate_regions(example_network("three_units"), "unbounded", method="lp")
    assert cx.n_regions == 7
    assert cx.n_interior_facets == 9
    rep = cx.check()
    assert rep.ok and rep.checks["volumes"] is None  # unbounded: volumes not checked


@given(n0=st.integers(1, 3), n1=st.integers(1, 7), seed=st.integers(0, 10_000))
def test_one_hidden_layer_zaslavsky(n0, n1, seed):
    rng = np.random.default_rng(seed)
    net = ReLUNetwork([rng.normal(size=(n1, n0)), rng.normal(size=(1, n1))],
                      [rng.normal(size=n1), rng.normal(size=1)])
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_regions == sum(comb(n1, i) for i in range(n0 + 1))
    b = {x.name: x.value for x in cx.bounds()}
    assert cx.n_regions == b["zaslavsky"]


# ----------------------------------------------------------------------------- 1-D
@given(seed=st.integers(0, 10_000), w=st.integers(2, 8), depth=st.integers(1, 3))
def test_1d_against_line_walk(seed, w, depth):
    net = random_network((1,) + (w,) * depth + (1,), rng=seed)
    lr = line_regions(net, -2.0, 2.0)
    gaps = np.diff(np.concatenate([[-2.0], lr.breakpoints, [2.0]]))
    assume(len(gaps) == 0 or gaps.min() > 1e-5)  # filter near-degenerate draws
    cx = enumerate_regions(net, Box([-2.0], [2.0]), method="lp")
    assert cx.n_regions == lr.n_regions
    assert cx.n_linear_pieces() == lr.n_pieces == len(lr.kinks) + 1
    # the same patterns, and region boundaries = the walk's breakpoints
    assert {p.tobytes() for p in cx.patterns} == {p.tobytes() for p in lr.patterns}
    V = cx.vertices().ravel()
    inner = np.sort(V[(V > -2 + 1e-9) & (V < 2 - 1e-9)])
    assert np.allclose(inner, lr.breakpoints, atol=1e-9)


def test_line_walk_unbounded_sawtooth():
    lr = line_regions(example_network("sawtooth"))
    assert lr.n_regions == 6 and lr.n_pieces == 6
    assert np.allclose(lr.kinks, [0, 0.25, 0.5, 0.75, 1.0])


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("widths,seed", [((2, 6, 6, 1), 0), ((2, 5, 4, 3, 1), 1), ((3, 5, 5, 1), 2),
                                         ((3, 8, 1), 3)])
def test_check_volumes_patterns_facets(widths, seed):
    net = random_network(widths, rng=seed)
    d = widths[0]
    cx = enumerate_regions(net, Box(-np.ones(d), np.ones(d)), method="lp")
    rep = cx.check()
    assert rep.ok, str(rep)
    assert rep.checks["volumes"] is True
    assert abs(cx.volumes().sum() - 2.0 ** d) <= 1e-9 * 2.0 ** d
    # every interior facet appears once; each region's H-rep is irredundant and contains its point
    F = cx.facets
    inner = F[F[:, 1] >= 0]
    assert np.all(inner[:, 0] < inner[:, 1])
    for i in range(cx.n_regions):
        r = cx.region(i)
        assert np.all(r.polytope.A @ r.point < r.polytope.b)
        assert len(r.polytope.remove_redundant().b) == len(r.polytope.b)
    G = cx.dual_graph()
    import networkx as nx

    assert nx.is_connected(G)
    for a, b, data in G.edges(data=True):
        diff = np.flatnonzero(cx.patterns[a] != cx.patterns[b])
        assert data["k"] == diff[0] and data["neuron"] == net.neuron(int(diff[0]))


def test_polytope_domain_and_locate(rng):
    net = random_network((2, 6, 5, 1), rng=4)
    tri = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])
    cx = enumerate_regions(net, tri, method="lp")
    assert cx.check().ok
    X = rng.uniform(-1.5, 1.5, size=(500, 2))
    idx = cx.locate(X)
    inside = tri.contains(X)
    assert np.all(idx[~inside] == -1)
    assert np.all(idx[inside] >= 0)
    assert np.array_equal(cx.patterns[idx[inside]], net.activation_patterns(X[inside]))
    assert np.array_equal(cx.locate(cx.points), np.arange(cx.n_regions))


def test_affine_map_matches_network(rng):
    net = random_network((2, 5, 5, 2), rng=5)
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    for i in range(cx.n_regions):
        A, c = cx.region(i).affine_map
        x = cx.points[i]
        assert np.allclose(A @ x + c, net(x))


def test_json_round_trip(tmp_path):
    net = random_network((2, 5, 4, 1), rng=6)
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    cx.to_json(tmp_path / "c.json")
    cy = RegionComplex.from_json(tmp_path / "c.json", net)
    assert cy.n_regions == cx.n_regions
    assert np.array_equal(cy.patterns, cx.patterns)
    assert np.array_equal(cy.points, cx.points)
    assert np.array_equal(cy.facets, cx.facets)
    assert cy.tol == cx.tol and cy.complete
    import json

    data = json.loads((tmp_path / "c.json").read_text())
    assert data["n_regions"] == cx.n_regions
    with pytest.raises(ValueError, match="widths"):
        RegionComplex.from_json(tmp_path / "c.json", random_network((2, 3, 1), rng=0))


def test_slices():
    net = random_network((4, 8, 6, 1), rng=7)
    o = np.array([0.1, -0.2, 0.3, 0.0])
    U = np.array([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, -0.5]])
    cx = enumerate_regions(net, Slice(o, U, Box([-1, -1], [1, 1])), method="lp")
    assert cx.dim == 2 and cx.slice is not None
    assert cx.check().ok
    # interior points mapped back have the ambient patterns
    assert np.array_equal(net.activation_patterns(cx.to_ambient(cx.points)), cx.patterns)
    # JSON keeps the slice
    import json as _json

    cy = RegionComplex.from_dict(_json.loads(_json.dumps(cx.to_dict())), net)
    assert cy.slice is not None and np.array_equal(cy.slice.directions, U)
    assert np.array_equal(cy.facets, cx.facets) and cy.check().ok
    # a 1-D slice agrees with the line walk on the same line
    cl = enumerate_regions(net, Slice(o, U[:1], Box([-3], [3])), method="lp")
    lr = line_regions(net, -3.0, 3.0, origin=o, direction=U[0])
    assert cl.n_regions == lr.n_regions


def test_limits_give_partial_complex():
    net = example_network("demo")
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp", max_regions=10)
    assert cx.n_regions == 10 and not cx.complete and cx.reason == "max_regions"
    # facets towards regions not enumerated are kept as [a, -1, k]: H-reps stay complete
    open_rows = cx.facets[(cx.facets[:, 1] == -1) & (cx.facets[:, 2] >= 0)]
    assert len(open_rows) > 0
    rep = cx.check()
    assert rep.ok and rep.checks["volumes"] is None, str(rep)
    for i in range(cx.n_regions):
        r = cx.region(i)
        assert len(r.polytope.remove_redundant().b) == r.polytope.n_constraints
        assert abs(r.polytope.volume() - cx.volumes()[i]) < 1e-9
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp", time_limit=0.0)
    assert not cx.complete and cx.reason == "time_limit"


def test_deterministic_order():
    net = random_network((2, 6, 6, 1), rng=8)
    a = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    b = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert np.array_equal(a.patterns, b.patterns) and np.array_equal(a.facets, b.facets)
    packed = np.packbits(a.patterns, axis=1)
    assert [r.tobytes() for r in packed] == sorted(r.tobytes() for r in packed)


def test_bad_input():
    net = example_network("three_units")
    with pytest.raises(ValueError, match="needs a domain"):
        enumerate_regions(net)
    with pytest.raises(ValueError, match="Method"):
        enumerate_regions(net, "unbounded", method="fast")
    with pytest.raises(ValueError, match="R\\^3"):
        enumerate_regions(net, Box([0, 0, 0], [1, 1, 1]))
    with pytest.raises(EmptyDomainError):
        enumerate_regions(net, HPolytope([[1.0, 0.0], [-1.0, 0.0]], [0.0, 0.0]))


def test_no_hidden_layer():
    net = ReLUNetwork([[[1.0, 2.0]]])
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert cx.n_regions == 1 and cx.check().ok


def test_count_regions_lp():
    c = count_regions(example_network("three_units"), "unbounded", method="lp")  # streaming
    assert (c.n_regions, c.n_linear_pieces, c.complete) == (7, None, True)
    assert int(c) == 7
    c = count_regions(example_network("three_units"), "unbounded")  # builds the complex
    assert (c.n_regions, c.n_linear_pieces) == (7, 7)
    c = count_regions(example_network("demo"), Box([-1, -1], [1, 1]), method="lp", max_regions=20)
    assert (c.n_regions, c.complete, c.reason) == (20, False, "max_regions")


# ----------------------------------------------------------------------------- suite
def test_suite_N1():
    net = load_npz(shared_path("benchmarks", "regions-suite", "N1.npz"))
    cx = enumerate_regions(net, Box([-1.0], [1.0]), method="lp")
    assert cx.n_regions == 15
    assert line_regions(net, -1.0, 1.0).n_regions == 15


def test_suite_N2a():
    net = load_npz(shared_path("benchmarks", "regions-suite", "N2a.npz"))
    cx = enumerate_regions(net, Box([-1.0, -1.0], [1.0, 1.0]), method="lp")
    assert cx.n_regions == 412
    assert cx.complete
    assert cx.check(max_facets=200).ok


def test_count_regions_auto_matches_lp():
    net = random_network((2, 6, 6, 1), rng=14)
    B = Box([-1.0, -1.0], [1.0, 1.0])
    c_auto = count_regions(net, B)  # skeleton when available (patterns only), else LP
    c_lp = count_regions(net, B, method="lp")
    assert c_auto.n_regions == c_lp.n_regions == enumerate_regions(net, B, method="lp").n_regions
    assert set(c_lp.to_dict()) >= {"n_regions", "seconds", "tolerance"}
