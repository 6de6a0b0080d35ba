"""Region-count bounds (hand values, exact counts never exceed them) and split + merge."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relugeom.network import example_network
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope
from relugeom.regions import enumerate_regions, region_bounds
from relugeom.regions._bounds import (montufar2017_bound, mpcb_lower_bound, serra_bound,
                                      serra_bound_direct, zaslavsky, zaslavsky_bounded)


def test_hand_values():
    # Zaslavsky: 3 lines in the plane -> 7 regions, 1 bounded; 4 lines -> 11, 3 bounded
    assert (zaslavsky(2, 3), zaslavsky_bounded(2, 3)) == (7, 1)
    assert (zaslavsky(2, 4), zaslavsky_bounded(2, 4)) == (11, 3)
    assert zaslavsky(1, 5) == 6 and zaslavsky(3, 3) == 8
    # one hidden layer: all upper bounds are Zaslavsky's number
    assert serra_bound((2, 4, 1)) == montufar2017_bound((2, 4, 1)) == 11
    # n0 = 1: every layer multiplies by n_l + 1
    assert serra_bound((1, 8, 8, 1)) == montufar2017_bound((1, 8, 8, 1)) == 81
    # Serra et al. is tighter than Montufar when a narrow layer follows a wide one:
    # widths (2, 3, 1): the bottleneck of width 1 after 3 ReLUs
    assert montufar2017_bound((2, 3, 1, 1)) == 7 * 2 == 14
    # by hand: j1 in 0..2 (C(3,j1)), dim after = min(2, 3-j1) = 2,2,1; layer of width 1: j2 <= min(dim,1)
    assert serra_bound((2, 3, 1, 1)) == 1 * 2 + 3 * 2 + 3 * 2 == 14
    # (2, 2, 2): j1 = 0, 1, 2 leave dimensions 2, 1, 0; the next layer gives 4, 3, 1 cells
    assert serra_bound((2, 2, 2, 1)) == 1 * 4 + 2 * 3 + 1 * 1 == 11
    assert montufar2017_bound((2, 2, 2, 1)) == 16
    # MPCB: (n0=2, [4, 4]) -> floor(4/2)^2 * (1 + 4 + 6) = 44; widths below n0: not applicable
    assert mpcb_lower_bound((2, 4, 4, 1)) == 44
    assert mpcb_lower_bound((2, 1, 4, 1)) is None
    assert mpcb_lower_bound((1, 3, 3, 3, 1)) == 3 * 3 * 4


@given(st.lists(st.integers(1, 5), min_size=2, max_size=5))
def test_serra_histogram_equals_definition(widths):
    assert serra_bound(widths) == serra_bound_direct(widths)
    assert serra_bound(widths) <= montufar2017_bound(widths)


def test_bounds_are_exact_ints_and_labelled():
    bs = region_bounds((6, 12, 12, 1))
    kinds = {b.name: b.kind for b in bs}
    assert kinds == {"serra": "upper", "montufar2017": "upper", "mpcb_lower": "lower-on-max"}
    assert all(isinstance(b.value, int) for b in bs)
    big = region_bounds((8, 64, 64, 64, 1))
    assert big[0].value > 2 ** 64  # Python ints: no overflow


@given(seed=st.integers(0, 10_000), widths=st.sampled_from([(2, 4, 3, 1), (2, 3, 3, 2, 1), (1, 4, 4, 1),
                                                             (3, 4, 2, 1), (2, 2, 5, 1)]))
def test_counts_never_exceed_upper_bounds(seed, widths):
    net = random_network(widths, rng=seed)
    cx = enumerate_regions(net, "unbounded", method="lp")
    b = {x.name: x.value for x in cx.bounds()}
    assert cx.n_regions <= b["serra"] <= b["montufar2017"]


# ----------------------------------------------------------------------------- split + merge
@pytest.mark.parametrize("n_jobs", [2, 5])
def test_split_merge_equals_one_job(n_jobs):
    net = random_network((2, 7, 6, 1), rng=11)
    B = Box([-1.0, -1.0], [1.0, 1.0])
    one = enumerate_regions(net, B, method="lp")
    with ThreadPoolExecutor(2) as ex:
        many = enumerate_regions(net, B, method="lp", executor=ex, n_jobs=n_jobs)
    assert np.array_equal(one.patterns, many.patterns)
    assert np.array_equal(one.facets, many.facets)
    assert np.allclose(one.points, many.points)
    assert many.check().ok


def test_split_with_hyperplane_on_the_cut():
    # relu(x) has its hyperplane x = 0 exactly on the first bisection of [-1, 1]^2
    net = example_network("three_units")
    B = Box([-1.0, -1.0], [1.0, 1.0])
    one = enumerate_regions(net, B, method="lp")
    with ThreadPoolExecutor(2) as ex:
        many = enumerate_regions(net, B, method="lp", executor=ex, n_jobs=4)
    assert np.array_equal(one.patterns, many.patterns)
    assert np.array_equal(one.facets, many.facets)


def test_split_polytope_domain_process_pool():
    net = random_network((2, 5, 5, 1), rng=12)
    P = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])
    one = enumerate_regions(net, P, method="lp")
    many = enumerate_regions(net, P, method="lp", n_jobs=2)  # ProcessPoolExecutor
    assert np.array_equal(one.patterns, many.patterns)
    assert np.array_equal(one.facets, many.facets)


class _InlineExecutor:
    """The smallest executor (like a Ray adapter): submit(fn, *args) -> Future."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, *args):
        from concurrent.futures import Future

        self.calls += 1
        f = Future()
        f.set_result(fn(*args))
        return f


def test_duck_typed_executor():
    net = random_network((2, 5, 5, 1), rng=13)
    B = Box([-1.0, -1.0], [1.0, 1.0])
    ex = _InlineExecutor()
    many = enumerate_regions(net, B, method="lp", executor=ex, n_jobs=3)
    one = enumerate_regions(net, B, method="lp")
    assert ex.calls == 3
    assert np.array_equal(one.patterns, many.patterns) and np.array_equal(one.facets, many.facets)
