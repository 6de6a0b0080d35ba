"""Tests of the skeleton (vertex/edge) region enumerator, relugeom.regions._skeleton."""

from __future__ import annotations

import itertools
from math import comb

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from relugeom.network import ReLUNetwork, load_npz
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope
from relugeom.regions._skeleton import SkeletonResult, enumerate_skeleton
from relugeom.errors import UnboundedError

from conftest import shared_path


def _box(d: int, r: float = 1.0) -> Box:
    return Box(-r * np.ones(d), r * np.ones(d))


def _region_hrep(net: ReLUNetwork, domain: HPolytope, pattern: np.ndarray):
    G, g = net.preactivation_maps(pattern)
    s = np.where(pattern, -1.0, 1.0)  # active: -(Gx+g) <= 0; inactive: Gx+g <= 0
    return np.vstack([s[:, None] * G, domain.A]), np.concatenate([-s * g, domain.b])


def _check_structure(net, domain, res: SkeletonResult) -> None:
    """Properties every complete, non-degenerate result has."""
    R, N, d = res.n_regions, net.n_neurons, net.input_dim
    assert res.complete and not res.degenerate
    assert res.patterns.shape == (R, N) and res.points.shape == (R, d)
    # interior points have their region's pattern and lie inside the domain
    assert np.array_equal(net.activation_patterns(res.points), res.patterns)
    assert np.all(domain.A @ res.points.T < domain.b[:, None])
    # patterns distinct, sorted as the contract says
    keys = [bytes(r) for r in np.packbits(res.patterns, axis=1)]
    assert keys == sorted(keys) and len(set(keys)) == R
    F = res.facets
    # face numbers from minimal vertices agree with the skeleton, facets and regions
    fv = res.stats["f_vector"]
    assert fv[0] == len(res.vertices) and fv[d] == R and res.stats["euler_characteristic"] == 1
    assert fv[d - 1] == len(F) and (d == 1 or fv[1] == len(res.edges))
    inner = F[F[:, 1] >= 0]
    # interior facets: a < b, the two patterns differ exactly in the labelled neuron
    assert np.all(inner[:, 0] < inner[:, 1]) and np.all(inner[:, 2] >= 0)
    diff = res.patterns[inner[:, 0]] != res.patterns[inner[:, 1]]
    assert np.all(diff.sum(axis=1) == 1)
    assert np.array_equal(np.argmax(diff, axis=1), inner[:, 2])
    outer = F[F[:, 1] < 0]
    assert np.all(outer[:, 2] < 0) and np.all(outer[:, 2] >= -domain.A.shape[0])
    # every region has at least d + 1 facets; the dual graph is connected
    assert np.all(np.bincount(np.r_[F[:, 0], inner[:, 1]], minlength=R) >= d + 1)
    if R:
        G = nx.Graph()
        G.add_nodes_from(range(R))
        G.add_edges_from(inner[:, :2].tolist())
        assert nx.is_connected(G)


# ------------------------------------------------------------- literature / suite
def test_small_known_cases():
    # relu(x) + relu(y) + relu(1 - x - y): 7 regions in a box containing all vertices
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [[1.0, 1.0, 1.0]]],
                      [[0.0, 0.0, 1.0], [0.0]])
    res = enumerate_skeleton(net, _box(2, 3.0))
    assert res.n_regions == 7
    _check_structure(net, _box(2, 3.0), res)
    # sawtooth h(h(x)): layer-2 neurons vanish identically on x <= 0: an exact tie
    h = np.array([[2.0], [4.0], [2.0]]), np.array([0.0, -2.0, -2.0])
    c = np.array([[1.0, -1.0, 1.0]])
    saw = ReLUNetwork([h[0], h[0] @ c, c], [h[1], h[1], np.zeros(1)])
    assert enumerate_skeleton(saw, Box([-1.0], [2.0])).degenerate


@pytest.mark.parametrize("name,count", [("N1", 15), ("N2a", 412), ("N2b", 4029)])
def test_suite_counts(name, count):
    net = load_npz(shared_path("benchmarks", "regions-suite", f"{name}.npz"))
    dom = _box(net.input_dim)
    res = enumerate_skeleton(net, dom)
    assert res.n_regions == count
    assert res.stats["regions_incremental"] == res.stats["regions_cmin"] == count
    _check_structure(net, dom, res)


@pytest.mark.slow
@pytest.mark.parametrize("name,count", [("N2c", 15410), ("N4", 40828), ("N6", 141259)])
def test_suite_counts_large(name, count):
    net = load_npz(shared_path("benchmarks", "regions-suite", f"{name}.npz"))
    res = enumerate_skeleton(net, _box(net.input_dim), with_facets=(name != "N6"))
    assert res.n_regions == count and res.complete and not res.degenerate
    assert np.array_equal(net.activation_patterns(res.points), res.patterns)


# -------------------------------------------------------- independent methods
@settings(max_examples=15, deadline=None)
@given(d=st.integers(1, 3), n1=st.integers(1, 6), seed=st.integers(0, 10 ** 6))
def test_zaslavsky_one_hidden_layer(d, n1, seed):
    """One hidden layer, box containing every vertex: Σ_{i<=d} C(n1, i) regions."""
    rng = np.random.default_rng(seed)
    W, b = rng.standard_normal((n1, d)), rng.standard_normal(n1)
    reach = 1.0  # every flat (intersection of <= d hyperplanes) must meet the box
    for k in range(1, min(d, n1) + 1):
        for S in itertools.combinations(range(n1), k):
            M = W[list(S)]
            assume(np.linalg.svd(M, compute_uv=False).min() > 1e-3)
            x = np.linalg.lstsq(M, -b[list(S)], rcond=None)[0]
            reach = max(reach, float(np.abs(x).max()))
    net = ReLUNetwork([W, np.ones((1, n1))], [b, np.zeros(1)])
    dom = _box(d, 2 * reach + 1)
    res = enumerate_skeleton(net, dom)
    assert res.n_regions == sum(comb(n1, i) for i in range(d + 1))
    _check_structure(net, dom, res)


@settings(max_examples=12, deadline=None)
@given(d=st.integers(1, 3), widths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       seed=st.integers(0, 10 ** 6))
def test_matches_sampling_and_lp(d, widths, seed):
    """Patterns ⊇ densely sampled patterns; equal to the LP traversal when available."""
    if d == 3 and sum(widths) > 9:
        widths = widths[:2]
    net = random_network((d, *widths, 1), rng=seed, bias_scale=0.5)
    dom = _box(d)
    res = enumerate_skeleton(net, dom)
    assume(not res.degenerate)
    _check_structure(net, dom, res)
    X = np.random.default_rng(seed).uniform(-1, 1, size=(4000, d))
    sampled = {bytes(r) for r in np.packbits(net.activation_patterns(X), axis=1)}
    found = {bytes(r) for r in np.packbits(res.patterns, axis=1)}
    assert sampled <= found
    try:
        from relugeom.regions import enumerate_regions
    except ImportError:  # pragma: no cover - the LP method lives in another module
        return
    cx = enumerate_regions(net, dom, method="lp")
    assert cx.complete
    assert cx.n_regions == res.n_regions
    assert np.array_equal(np.asarray(cx.patterns), res.patterns)
    assert np.array_equal(np.asarray(cx.facets), res.facets)


@settings(max_examples=10, deadline=None)
@given(widths=st.lists(st.integers(2, 6), min_size=1, max_size=3), seed=st.integers(0, 10 ** 6))
def test_areas_add_up_2d(widths, seed):
    net = random_network((2, *widths, 1), rng=seed, bias_scale=0.3)
    dom = Box([-1.0, -0.5], [1.5, 1.0])
    res = enumerate_skeleton(net, dom)
    assume(not res.degenerate)
    total = sum(HPolytope(*_region_hrep(net, dom, p)).volume() for p in res.patterns)
    assert abs(total - dom.volume()) <= 1e-9 * dom.volume()


def test_h_polytope_domain_and_facet_labels():
    # a triangle domain {x >= 0, y >= 0, x + y <= 1}
    dom = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
    net = random_network((2, 4, 3, 1), rng=3, bias_scale=0.3).compose_input(
        np.eye(2), np.array([-0.3, -0.3]))
    res = enumerate_skeleton(net, dom)
    _check_structure(net, dom, res)
    total = sum(HPolytope(*_region_hrep(net, dom, p)).volume() for p in res.patterns)
    assert abs(total - 0.5) <= 1e-9
    # every domain facet label names one of the three rows
    assert set(res.facets[res.facets[:, 1] < 0, 2].tolist()) == {-1, -2, -3}


# ------------------------------------------------------------- ties / limits
def test_near_tie_resolved_exactly():
    """x = 0, y = 0, x + y = 1e-13: a tiny triangle; decided in rational arithmetic."""
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0, 1.0]]],
                      [[0.0, 0.0, -1e-13], [0.0]])
    res = enumerate_skeleton(net, _box(2))
    assert not res.degenerate and res.n_regions == 7
    assert res.stats["near_ties_exact"] >= 1
    assert res.stats["points_checked_exactly"] >= 1  # the tiny triangle's point


def test_exact_tie_is_degenerate():
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0, 1.0]]],
                      [[0.0, 0.0, 0.0], [0.0]])
    res = enumerate_skeleton(net, _box(2))
    assert res.degenerate and not res.complete and "degenerate_reason" in res.stats


def test_non_simple_domain_is_degenerate():
    octahedron = HPolytope([list(s) for s in itertools.product([-1.0, 1.0], repeat=3)],
                           np.ones(8))
    res = enumerate_skeleton(random_network((3, 3, 1), rng=0), octahedron)
    assert res.degenerate


def test_limits():
    net = load_npz(shared_path("benchmarks", "regions-suite", "N2b.npz"))
    full = enumerate_skeleton(net, _box(2))
    part = enumerate_skeleton(net, _box(2), max_regions=100)
    assert not part.complete and len(part.patterns) == 0  # stopped while building
    assert part.stats["regions_lower_bound"] > 100
    part = enumerate_skeleton(net, _box(2), max_regions=4020)
    assert not part.complete and part.n_regions == 4029 and len(part.patterns) == 4020
    assert np.array_equal(part.patterns, full.patterns[:4020])
    assert part.facets.max() < 4020
    part = enumerate_skeleton(net, _box(2), time_limit=0.0)
    assert not part.complete and part.stats["stopped"] == "time_limit"
    counts = enumerate_skeleton(net, _box(2), with_facets=False, keep_skeleton=False)
    assert counts.facets is None and counts.vertices is None
    assert np.array_equal(counts.patterns, full.patterns)


def test_bad_input():
    net = random_network((2, 3, 1), rng=0)
    with pytest.raises(ValueError, match="dimension"):
        enumerate_skeleton(net, _box(3))
    with pytest.raises(UnboundedError):
        enumerate_skeleton(net, HPolytope([[1.0, 0.0]], [1.0]))
    with pytest.raises(TypeError):
        enumerate_skeleton(net, "box")


def test_certify_and_no_hidden_layer():
    net = load_npz(shared_path("benchmarks", "regions-suite", "N2a.npz"))
    res = enumerate_skeleton(net, _box(2), certify=True)
    assert res.n_regions == 412 and res.stats["points_checked_exactly"] == 412
    assert res.stats["min_vertex_margin"] > 0
    affine = ReLUNetwork([[[1.0, 2.0]]], [[0.5]])
    res = enumerate_skeleton(affine, _box(2))
    assert res.n_regions == 1 and res.patterns.shape == (1, 0)
    assert len(res.facets) == 4 and np.all(res.facets[:, 1] == -1)


def test_hash_collisions_settled_exactly(monkeypatch):
    """A deliberately weak 2-face hash: the collisions are grouped by the exact keys."""
    import relugeom.regions._skeleton as S

    orig = S._mix
    monkeypatch.setattr(S, "_mix", lambda x, salt: orig(x, salt) & np.uint64(0xF000000000000000))
    net = load_npz(shared_path("benchmarks", "regions-suite", "N2a.npz"))
    res = S.enumerate_skeleton(net, _box(2))
    assert res.n_regions == 412 and res.stats["hash_collisions"] > 0 and not res.degenerate
