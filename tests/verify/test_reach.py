"""reachable_set: pieces match brute-force regions; the network agrees with each piece's map."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings, strategies as st

from relugeom.errors import InfeasibleError
from relugeom.network import example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope
from relugeom.verify import InputSet, reachable_set


def brute_force_regions(net, box) -> int:
    """Patterns (of all 2^N) whose region inside the box is full-dimensional."""
    count = 0
    for bits in itertools.product([False, True], repeat=net.n_neurons):
        p = np.array(bits)
        G, g = net.preactivation_maps(p)
        s = np.where(p, 1.0, -1.0)
        P = HPolytope(np.vstack([-s[:, None] * G, box.A]), np.concatenate([s * g, box.b]))
        try:
            r = P.chebyshev_center()[1]
        except InfeasibleError:
            continue
        if r > 1e-6:
            count += 1
    return count


def test_three_units_has_seven_pieces():
    R = reachable_set(example_network("three_units"), Box([-2, -2], [2, 2]))
    assert R.n_pieces == 7 and R.complete


@given(st.integers(0, 10**6), st.integers(1, 2), st.integers(2, 4))
@settings(max_examples=10, deadline=None)
def test_pieces_match_brute_force_and_maps(seed, d, width):
    net = random_network((d, width, 3, 2), rng=seed, bias_scale=0.5)
    box = Box(-np.ones(d), np.ones(d))
    R = reachable_set(net, box)
    assert R.complete
    full = [p for p in R.pieces if p.region.chebyshev_center()[1] > 1e-6]
    assert len(full) == brute_force_regions(net, box)
    # every sampled input lies in a piece whose affine map gives the network's value
    X = np.random.default_rng(seed).uniform(-1, 1, (300, d))
    Y = net(X)
    hit = np.zeros(len(X), dtype=bool)
    for p in R.pieces:
        inside = p.region.contains(X)
        if inside.any():
            np.testing.assert_allclose(X[inside] @ p.A.T + p.c, Y[inside], atol=1e-9)
            hit |= inside
    assert hit.all()
    lo, hi = R.bounding_box()
    assert np.all(Y >= lo - 1e-9) and np.all(Y <= hi + 1e-9)


def test_union_input_and_limits():
    net = random_network((2, 6, 2), rng=1)
    ins = InputSet([Box([0, 0], [1, 1]), Box([-1, -1], [-0.5, -0.5])])
    R = reachable_set(net, ins)
    assert {p.input_part for p in R.pieces} == {0, 1}
    y = net([0.3, 0.4])
    assert R.contains(y)
    assert not R.contains(R.bounding_box()[1] + 1.0)
    part = reachable_set(net, ins, max_pieces=2)
    assert part.n_pieces == 2 and not part.complete


def test_plot_draws_pieces():
    import matplotlib

    matplotlib.use("Agg")
    net = random_network((2, 5, 2), rng=2)
    R = reachable_set(net, Box([-1, -1], [1, 1]))
    ax = R.plot()
    assert len(ax.patches) + len(ax.lines) >= R.n_pieces
