"""Every long operation honours its time limit within 10 % + 1 s and says it stopped.

One hard instance per operation, a 2-second limit each. These measure wall time, so they
are marked slow; the limit is generous (1 s of slack) so that a busy machine does not fail
them, and each checks the result says what happened (incomplete, or complete within time).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from relugeom.network import random_network
from relugeom.polyhedra import Box

LIMIT = 2.0
pytestmark = pytest.mark.slow


def _within(t0: float) -> float:
    elapsed = time.perf_counter() - t0
    assert elapsed <= 1.1 * LIMIT + 1.0, f"took {elapsed:.2f} s for a {LIMIT} s limit"
    return elapsed


@pytest.mark.parametrize("method", ["skeleton", "lp"])
def test_regions_on_a_box(method):
    from relugeom.regions import enumerate_regions

    net = random_network((3, 64, 64, 64, 1), rng=0)
    t0 = time.perf_counter()
    cx = enumerate_regions(net, Box(-np.ones(3), np.ones(3)), method=method, time_limit=LIMIT)
    _within(t0)
    assert not cx.complete and cx.reason == "time_limit" and cx.n_regions > 0


def test_regions_on_all_of_rn():
    from relugeom.regions import enumerate_regions

    net = random_network((3, 64, 64, 64, 1), rng=0)
    t0 = time.perf_counter()
    cx = enumerate_regions(net, "unbounded", time_limit=LIMIT)
    _within(t0)
    assert not cx.complete and cx.n_regions > 0


def test_tropical_form():
    from relugeom.tropical import tropical_form

    net = random_network((4, 64, 64, 64, 64, 1), rng=0)
    t0 = time.perf_counter()
    form = tropical_form(net, time_limit=LIMIT)
    _within(t0)
    assert not form.complete


def test_voronoi_cell_and_strata():
    from relugeom.voronoi import rank_one_model, relu_strata, voronoi_cell

    t0 = time.perf_counter()
    c = voronoi_cell(rank_one_model(3, 3), np.outer([1, 0.5, 0.2], [1, 0.3, 0.1]).ravel(),
                     time_limit=LIMIT, max_cuts=10_000, max_iterations=10_000)
    _within(t0)
    assert not c.complete
    X = np.linspace(-1, 1, 6)[:, None]
    t0 = time.perf_counter()
    s = relu_strata((1, 3, 1), X, n_samples=100_000, bias="first", rng=0, time_limit=LIMIT)
    _within(t0)
    assert not s.complete and 0 < s.n_samples < 100_000


def test_invariants():
    from relugeom.algebra import implicitize
    from relugeom.patterns import PatternMap, parse_blocks

    phi = PatternMap(parse_blocks("110;011;101", (3, 3, 3)))
    t0 = time.perf_counter()
    res = implicitize(phi, 5, time_limit=LIMIT, rng=0)
    _within(t0)
    assert not res.complete


def test_safety_check_and_vnnlib_parsing(tmp_path):
    from relugeom.polyhedra import HPolytope
    from relugeom.verify import check_safety, read_vnnlib

    net = random_network((6, 64, 64, 64, 2), rng=1)
    box = Box(-np.ones(6), np.ones(6))
    # far from decidable in 2 s: y0 - y1 >= (a value a little above the sampled maximum)
    X = np.random.default_rng(0).uniform(-1, 1, (20_000, 6))
    Y = net(X)
    top = float(np.max(Y[:, 0] - Y[:, 1]))
    unsafe = HPolytope([[-1.0, 1.0]], [-(top + 1e-3)])
    t0 = time.perf_counter()
    res = check_safety(net, box, unsafe, time_limit=LIMIT, rng=0)
    _within(t0)
    assert res.verdict.value in ("timeout", "safe", "unsafe")
    # a 60 MB property
    p = tmp_path / "big.vnnlib"
    with open(p, "w") as fh:
        fh.write("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n")
        line = "(assert (or (and (>= X_0 -1) (<= X_0 1) (>= Y_0 0))))\n"
        fh.write(line * (60 * 2 ** 20 // len(line)))
    t0 = time.perf_counter()
    with pytest.raises(TimeoutError):
        read_vnnlib(p, time_limit=0.5)
    assert time.perf_counter() - t0 <= 1.1 * 0.5 + 1.0
