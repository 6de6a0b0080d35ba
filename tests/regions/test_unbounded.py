"""Regions of all of R^n by the skeleton method on a certified box, against the LP traversal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom._tol import DEFAULT
from relugeom.network import ReLUNetwork, example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions
from relugeom.regions._skeleton import enumerate_skeleton
from relugeom.regions._unbounded import _check_box, enumerate_unbounded


def _keyed(cx):
    """Patterns as bytes, and facets as (pattern, pattern, label) triples."""
    keys = [bytes(np.packbits(p)) for p in cx.patterns]
    facets = {(min(keys[a], keys[b]), max(keys[a], keys[b]), int(k))
              for a, b, k in cx.facets.tolist() if b >= 0}
    return set(keys), facets


@settings(max_examples=15, deadline=None)
@given(d=st.integers(1, 3), widths=st.lists(st.integers(3, 7), min_size=1, max_size=2),
       seed=st.integers(0, 10 ** 6))
def test_same_complex_as_lp(d, widths, seed):
    net = random_network((d, *widths, 1), rng=seed)
    sk = enumerate_regions(net, "unbounded")
    lp = enumerate_regions(net, "unbounded", method="lp")
    assert sk.complete and lp.complete
    assert _keyed(sk) == _keyed(lp)
    assert sk.n_linear_pieces() == lp.n_linear_pieces()
    # interior points lie in their regions (the complex's own check: patterns, facets)
    assert np.array_equal(net.activation_patterns(sk.points), sk.patterns)
    if sk.stats["method"] == "skeleton":
        assert sk.stats["box_rounds"] >= 1 and sk.stats["box_radius"] > 0


def test_known_counts_and_growth_of_the_box():
    r = enumerate_unbounded(example_network("three_units"), DEFAULT)
    assert len(r.patterns) == 7 and r.complete
    # a 4-D network whose second layer has vertices far outside the first layer's box
    net = random_network((4, 12, 12, 1), rng=0)
    r = enumerate_unbounded(net, DEFAULT, with_facets=False)
    assert len(r.patterns) == 13373
    assert r.stats["box_rounds"] >= 2


def test_small_box_is_rejected_with_the_far_vertex():
    # vertices at x = 0 and x = 10 (a second-layer kink); a box of radius 2 misses the second
    net = ReLUNetwork([[[1.0]], [[1.0]], [[1.0]]], [[0.0], [-10.0], [0.0]])
    res = enumerate_skeleton(net, Box([-2.0], [2.0]), keep_skeleton=True)
    ok, need, why = _check_box(net, res, 2.0, DEFAULT)
    assert not ok and need >= 20.0 and "outside" in why
    res = enumerate_skeleton(net, Box([-30.0], [30.0]), keep_skeleton=True)
    assert _check_box(net, res, 30.0, DEFAULT)[0]
    cx = enumerate_regions(net, "unbounded")
    assert cx.n_regions == 3 and cx.stats["method"] == "skeleton"


def test_rank_deficient_first_layer_falls_back_to_lp():
    # both neurons depend on x + y only: regions are strips, not pointed
    net = ReLUNetwork([[[1.0, 1.0], [2.0, 2.0]], [[1.0, -1.0]]], [[0.0, -1.0], [0.0]])
    assert enumerate_unbounded(net, DEFAULT) is None
    cx = enumerate_regions(net, "unbounded")
    assert cx.n_regions == 3 and cx.stats.get("method", "lp") != "skeleton"
    with pytest.raises(ValueError, match="certify a box"):
        enumerate_regions(net, "unbounded", method="skeleton")
