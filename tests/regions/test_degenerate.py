"""Degenerate networks: duplicate and concurrent hyperplanes, dead neurons, boundary ties."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from relugeom import ReLUNetwork
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions, line_regions


def _sampled_patterns(net, lo, hi, n, seed=0):
    X = np.random.default_rng(seed).uniform(lo, hi, size=(n, net.input_dim))
    return {p.tobytes() for p in net.activation_patterns(X)}


def test_duplicate_neurons():
    # neurons 0 and 2 identical, neuron 3 = 2 * neuron 1: 2 distinct lines, 4 regions
    W = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, 0.5], [0.0, 2.0]])
    net = ReLUNetwork([W, np.ones((1, 4))], [[0.1, 0.0, 0.1, 0.0], [0.0]])
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert cx.n_regions == 4
    assert cx.check().ok
    # facet labels name the first neuron that flips
    assert set(cx.facets[cx.facets[:, 1] >= 0][:, 2].tolist()) == {0, 1}


def test_concurrent_lines_and_dead_neuron():
    # 4 lines through the origin (8 sectors) and a neuron with zero weights and negative bias
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0], [0.0, 0.0]])
    net = ReLUNetwork([W, np.ones((1, 5))], [[0, 0, 0, 0, -1.0], [0.0]])
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_regions == 8 and cx.check().ok
    cb = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert cb.n_regions == 8 and cb.check().ok


def test_hyperplane_on_domain_boundary():
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]], [[-1.0, 0.0], [0.0]])  # x = 1 is the box side
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert cx.n_regions == 2 and cx.check().ok
    assert np.sum(cx.facets[:, 1] == -1) == 6  # the right side is a boundary facet, not a neuron facet


def test_second_layer_identically_zero_on_regions():
    # layer-2 neuron relu(-relu(x) - relu(-x)) = 0 everywhere: no hyperplane of its own
    net = ReLUNetwork([[[1.0], [-1.0]], [[-1.0, -1.0]], [[1.0]]], [[0.0, 0.0], [0.0], [0.0]])
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_regions == 2 and cx.check().ok
    assert not cx.patterns[:, 2].any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integer_weights_many_ties(seed):
    # small integer weights: many parallel and concurrent bent hyperplanes
    rng = np.random.default_rng(seed)
    net = ReLUNetwork([rng.integers(-2, 3, size=(6, 2)).astype(float), rng.integers(-2, 3, size=(5, 6)).astype(float),
                       np.ones((1, 5))],
                      [rng.integers(-1, 2, size=6).astype(float), rng.integers(-1, 2, size=5).astype(float), [0.0]])
    cx = enumerate_regions(net, Box([-2.0, -2.0], [2.0, 2.0]), method="lp")
    rep = cx.check()
    assert rep.ok, str(rep)
    assert _sampled_patterns(net, -2, 2, 20000, seed) <= {p.tobytes() for p in cx.patterns}


def test_five_dimensional_one_layer():
    rng = np.random.default_rng(5)
    net = ReLUNetwork([rng.normal(size=(7, 5)), rng.normal(size=(1, 7))], [rng.normal(size=7), [0.0]])
    cx = enumerate_regions(net, "unbounded", method="lp")
    assert cx.n_regions == sum(comb(7, i) for i in range(6))
    assert cx.check(max_facets=100).ok


def test_deep_1d_against_walk_with_integer_weights():
    rng = np.random.default_rng(7)
    Ws = [rng.integers(-2, 3, size=(4, 1)).astype(float)] + [rng.integers(-2, 3, size=(4, 4)).astype(float) for _ in range(3)]
    bs = [rng.integers(-2, 3, size=4).astype(float) for _ in range(4)]
    net = ReLUNetwork(Ws + [np.ones((1, 4))], bs + [[0.0]])
    cx = enumerate_regions(net, Box([-4.0], [4.0]), method="lp")
    lr = line_regions(net, -4.0, 4.0)
    assert cx.n_regions == lr.n_regions
    assert cx.n_linear_pieces() == lr.n_pieces
    assert cx.check().ok


def test_random_deep_3d_vs_sampling():
    net = random_network((3, 5, 4, 4, 1), rng=40)
    cx = enumerate_regions(net, Box(-np.ones(3), np.ones(3)), method="lp")
    assert cx.check().ok
    assert _sampled_patterns(net, -1, 1, 30000) <= {p.tobytes() for p in cx.patterns}


def test_unbounded_polyhedron_domain():
    # the half-plane x >= 0, whose boundary is also relu(x)'s line
    from relugeom.network import example_network
    from relugeom.polyhedra import HPolytope

    cx = enumerate_regions(example_network("three_units"), HPolytope([[-1.0, 0.0]], [0.0]))
    assert cx.n_regions == 4 and cx.check().ok
    assert cx.patterns[:, 0].all()


def test_tiny_region_below_tolerance():
    # x = 0, y = 0, x + y = 1e-13: the triangle is far below interior_atol
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0, 1.0]]], [[0.0, 0.0, -1e-13], [0.0]])
    cx = enumerate_regions(net, Box([-1, -1], [1, 1]), method="lp")
    assert cx.n_regions == 6  # the LP method's notion: Chebyshev radius > tol.interior_atol
    assert cx.check().ok
    cz = enumerate_regions(net, Box([-1, -1], [1, 1]))  # the skeleton (when present) decides ties exactly
    rep = cz.check()
    assert rep.ok, str(rep)
    assert cz.n_regions in (6, 7)
    if cz.n_regions == 7:
        assert "thin_facets" in rep.messages
