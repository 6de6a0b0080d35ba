"""Safety checks on general networks (conv, residual, pooling, clip, leaky ReLU).

Exact region enumeration is not available for general networks, so the reference is a fine
grid of the (low-dimensional) input box plus a rigorous Lipschitz gap: with ``G`` the
interval bounds of the gradient of ``c·f`` over the box (sound, tested in
tests/network/test_bounds_general.py), the true minimum is at least
``min over the grid - Σ_i G_i h_i / 2`` (``h`` the grid spacing).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.network import Network, NetworkBuilder
from relugeom.network._bounds import crown_bounds, gradient_bounds, optimize_spec_alpha
from relugeom.network._examples import random_network
from relugeom.polyhedra import Box, HPolytope
from relugeom.verify import UnsafeSet, Verdict, check_safety, reachable_set

KINDS = ("conv", "residual", "clip_leaky", "pool2d", "dense_as_general")


def small_net(kind: str, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    w = lambda *s: rng.normal(size=s) / np.sqrt(max(1, math.prod(s[1:])))   # noqa: E731
    if kind == "conv":                       # 3 inputs
        b = NetworkBuilder((1, 3))
        h = b.relu(b.conv(b.input, w(3, 1, 2), rng.normal(size=3) * 0.3))
        h = b.flatten(b.maxpool(h, kernel=(2,)))
        return b.build(b.dense(b.relu(b.dense(h, w(4, 3), rng.normal(size=4) * 0.3)), w(2, 4)))
    if kind == "residual":                   # 2 inputs
        b = NetworkBuilder((2,))
        h = b.relu(b.dense(b.input, w(6, 2), rng.normal(size=6) * 0.5))
        r = b.dense(b.relu(b.dense(h, w(6, 6), rng.normal(size=6) * 0.5)), w(6, 6))
        h = b.relu(b.add(h, r))
        return b.build(b.dense(h, w(2, 6), rng.normal(size=2)))
    if kind == "clip_leaky":                 # 2 inputs
        b = NetworkBuilder((2,))
        h = b.clip(b.dense(b.input, w(5, 2), rng.normal(size=5) * 0.5), -0.5, 0.7)
        h = b.leaky_relu(b.dense(h, w(5, 5), rng.normal(size=5) * 0.5), alpha=0.1)
        return b.build(b.dense(b.abs(h), w(2, 5), rng.normal(size=2)))
    if kind == "pool2d":                     # 4 inputs
        b = NetworkBuilder((1, 2, 2))
        h = b.relu(b.conv(b.input, w(2, 1, 2, 2), rng.normal(size=2) * 0.3, pads=(1, 1, 1, 1)))
        h = b.avgpool(b.maxpool(h, kernel=(2, 2)), kernel=(2, 1))
        return b.build(b.dense(b.flatten(h), w(2, 4), rng.normal(size=2)))
    if kind == "dense_as_general":           # a dense chain through the general path
        dense = random_network((2, 6, 5, 2), rng=seed, bias_scale=0.5)
        return Network(dense.layers, dense.input_shape)
    raise ValueError(kind)


def grid_reference(net: Network, box: Box, c: np.ndarray, n: int) -> tuple[float, np.ndarray, float]:
    """(min of c·f over a grid, its argmin, Lipschitz gap: the true min is >= grid min - gap)."""
    lo, hi = np.asarray(box.lo, float), np.asarray(box.hi, float)
    axes = [np.linspace(a, b, n) for a, b in zip(lo, hi)]
    X = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))
    v = net(X) @ c
    i = int(np.argmin(v))
    bb = crown_bounds(net, lo[None], hi[None])
    g_lo, g_hi = gradient_bounds(net, bb, np.array([0]), c[None])
    G = np.maximum(np.abs(g_lo), np.abs(g_hi))[0, 0]
    gap = float(G @ ((hi - lo) / (n - 1) / 2))
    return float(v[i]), X[i], gap


def assert_counterexample(net, box: Box, uns: UnsafeSet, res) -> None:
    cex = res.counterexample
    assert res.verdict is Verdict.UNSAFE and cex is not None
    assert box.contains(cex.x)
    y = net(cex.x)                                    # re-checked by evaluation, in float64
    np.testing.assert_allclose(y, cex.y, rtol=0, atol=1e-12)
    assert uns.margin(y) <= 1e-9


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.slow) if k == "pool2d" else k
                                  for k in KINDS])
@given(seed=st.integers(0, 10**6), where=st.sampled_from(["below", "between", "above"]),
       falsify=st.booleans())
@settings(max_examples=6, deadline=None)
def test_verdicts_agree_with_grid(kind, seed, where, falsify):
    net = small_net(kind, seed)
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-1.5, 0.0, net.input_dim)
    box = Box(lo, lo + rng.uniform(0.5, 2.0, net.input_dim))
    c = rng.normal(size=net.output_dim)
    m, _, gap = grid_reference(net, box, c, {2: 200, 3: 50, 4: 20}[net.input_dim])
    t = {"below": m - gap - 0.05, "between": m - gap / 2, "above": m + 0.05}[where]
    uns = UnsafeSet(HPolytope([c], [t]))          # unsafe: c·f(x) <= t
    res = check_safety(net, box, uns, rng=seed, time_limit=120, falsify=falsify)
    if res.verdict is Verdict.UNSAFE:
        assert_counterexample(net, box, uns, res)
    else:
        assert res.verdict is Verdict.SAFE, res.reason
        assert t < m                               # no grid point is unsafe
    if where == "below":
        assert res.verdict is Verdict.SAFE
    if where == "above":
        assert res.verdict is Verdict.UNSAFE


@given(seed=st.integers(0, 10**6))
@settings(max_examples=8, deadline=None)
def test_general_path_gives_the_dense_verdict(seed):
    dense = random_network((2, 8, 6, 2), rng=seed, bias_scale=0.5)
    gen = Network(dense.layers, dense.input_shape)
    rng = np.random.default_rng(seed)
    box = Box([-1.0, -1.0], [1.0, 1.0])
    c = rng.normal(size=2)
    m, _, gap = grid_reference(gen, box, c, 150)
    for t in (m - gap - 0.05, m + 0.05):
        uns = HPolytope([c], [t])
        a = check_safety(dense, box, uns, rng=0, time_limit=60)
        b = check_safety(gen, box, uns, rng=0, time_limit=60)
        assert a.verdict is b.verdict
        assert a.verdict in (Verdict.SAFE, Verdict.UNSAFE)


def test_union_of_unsafe_parts_and_polytope_input():
    net = small_net("residual", 7)
    box = Box([-1.0, -1.0], [1.0, 1.0])
    X = box.lo + 2 * np.random.default_rng(0).random((20000, 2))
    # two unsafe parts, each out of reach by a margin on the samples (+ Lipschitz gap)
    m0, _, g0 = grid_reference(net, box, np.array([1.0, 0.0]), 200)
    m1, _, g1 = grid_reference(net, box, np.array([0.0, -1.0]), 200)
    uns = UnsafeSet([HPolytope([[1.0, 0.0]], [m0 - g0 - 0.05]), HPolytope([[0.0, -1.0]], [m1 - g1 - 0.05])])
    r = check_safety(net, box, uns, rng=0, time_limit=60)
    assert r.verdict is Verdict.SAFE and r.coverage == 1.0
    # a triangle input part: a counterexample must lie in it
    tri = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 0.0])
    inside = X[(X @ np.array([1.0, 1.0])) <= 0]
    t = float(np.median(net(inside)[:, 0]))
    r = check_safety(net, tri, HPolytope([[1.0, 0.0]], [t]), rng=0, time_limit=60)
    assert r.verdict is Verdict.UNSAFE
    assert tri.contains(r.counterexample.x, tol=None) and net(r.counterexample.x)[0] <= t + 1e-9


def high_dim_net(seed: int) -> Network:
    """A conv net on 1×5×5 inputs: 25 dimensions, too many to split."""
    rng = np.random.default_rng(seed)
    b = NetworkBuilder((1, 5, 5))
    h = b.relu(b.conv(b.input, rng.normal(size=(3, 1, 3, 3)) / 3, rng.normal(size=3) * 0.1, pads=(1, 1, 1, 1)))
    h = b.maxpool(h, kernel=(2, 2), strides=(1, 1))
    r = b.relu(b.conv(h, rng.normal(size=(3, 3, 3, 3)) / 5, pads=(1, 1, 1, 1)))
    h = b.flatten(b.add(h, r))
    return b.build(b.dense(b.relu(b.dense(h, rng.normal(size=(8, 48)) / 7)), rng.normal(size=(2, 8)) / 3))


def test_high_dimensional_inputs_bounds_or_unknown():
    net = high_dim_net(0)
    x0 = np.random.default_rng(1).uniform(0, 1, 25)
    c = np.array([1.0, -1.0])
    # a small box: CROWN over the whole box proves it
    small = Box(x0 - 0.01, x0 + 0.01)
    lb = crown_bounds(net, small.lo[None], small.hi[None], c[None]).spec_lb[0, 0]
    r = check_safety(net, small, HPolytope([c], [lb - 0.01]), rng=0, time_limit=60)
    assert r.verdict is Verdict.SAFE, r.reason
    # an unsafe property: falsification finds an input, checked by evaluation
    big = Box(x0 - 0.5, x0 + 0.5)
    v = net(x0) @ c
    uns = UnsafeSet(HPolytope([c], [v + 0.01]))
    r = check_safety(net, big, uns, rng=0, time_limit=60)
    assert_counterexample(net, big, uns, r)
    # between the α-CROWN bound and every sampled value: never UNSAFE without a checked
    # counterexample; UNKNOWN (no neuron splitting) says why
    X = big.lo + (big.hi - big.lo) * np.random.default_rng(2).random((20000, 25))
    m = float(np.min(net(X) @ c))
    lo, hi = big.lo[None], big.hi[None]
    bb = crown_bounds(net, lo, hi, c[None])
    lb = optimize_spec_alpha(net, bb, np.array([0]), lo, hi, c[None], steps=100)[0, 0]
    assert bb.spec_lb[0, 0] <= lb < m - 0.1
    uns = UnsafeSet(HPolytope([c], [(lb + m) / 2]))
    r = check_safety(net, big, uns, rng=0, time_limit=60)
    if r.verdict is Verdict.UNSAFE:
        assert_counterexample(net, big, uns, r)
    else:
        assert r.verdict is Verdict.UNKNOWN and "too many dimensions (25)" in r.reason
        assert r.coverage == 0.0
    r = check_safety(net, big, uns, rng=0, time_limit=0.0)
    assert r.verdict in (Verdict.TIMEOUT, Verdict.UNSAFE)


@pytest.mark.parametrize("kind", ["conv", "clip_leaky", "residual"])
def test_exact_mode_on_general_networks(kind):
    net = small_net(kind, 11)
    box = Box(-np.ones(net.input_dim) * 0.5, np.ones(net.input_dim) * 0.5)
    c = np.array([1.0, 0.5])
    m, x, gap = grid_reference(net, box, c, {2: 200, 3: 50}[net.input_dim])
    r = check_safety(net, box, HPolytope([c], [m - gap - 0.05]), exact=True, rng=0, time_limit=120)
    assert r.verdict is Verdict.SAFE and r.exact
    assert any(cert.kind == "leaf" for cert in r.certificates)
    r = check_safety(net, box, HPolytope([c], [m + 0.05]), exact=True, rng=0, falsify=False, time_limit=120)
    assert r.verdict is Verdict.UNSAFE and r.counterexample.exact_margin <= 0
    y = net.evaluate_exact([Fraction(float(v)) for v in r.counterexample.x])
    assert sum(Fraction(float(ci)) * yi for ci, yi in zip(c, y)) <= Fraction(m + 0.05)


def test_reachable_set_of_a_general_network():
    net = small_net("clip_leaky", 3)
    box = Box([-1.0, -1.0], [1.0, 1.0])
    rs = reachable_set(net, box)
    assert rs.complete
    X = box.lo + 2 * np.random.default_rng(0).random((300, 2))
    Y = net(X)
    for x, y in zip(X, Y):
        hits = [p for p in rs.pieces if p.region.contains(x, tol=None)]
        assert hits and any(np.allclose(p.A @ x + p.c, y, atol=1e-9) for p in hits)


def test_not_a_network_is_one_type_error():
    with pytest.raises(TypeError, match="relugeom Network"):
        check_safety([[1.0]], Box([0], [1]), HPolytope([[1.0]], [0.0]))
    with pytest.raises(TypeError, match="relugeom Network"):
        reachable_set("net.onnx", Box([0], [1]))


def test_cli_verifies_a_general_network(tmp_path, capsys):
    from relugeom.cli.main import main

    net = small_net("conv", 5)
    path = tmp_path / "conv.onnx"
    net.to_onnx(path)
    box = Box(-np.ones(3), np.ones(3))
    c = np.array([1.0, 0.0])
    m, _, gap = grid_reference(net, box, c, 50)
    head = "".join(f"(declare-const X_{i} Real)\n(assert (>= X_{i} -1))\n(assert (<= X_{i} 1))\n"
                   for i in range(3)) + "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
    p = tmp_path / "p.vnnlib"
    out = tmp_path / "ce.txt"
    for t, word in ((m - gap - 0.05, "unsat"), (m + 0.05, "sat")):
        p.write_text(head + f"(assert (<= Y_0 {t!r}))\n")
        code = main(["verify", str(path), str(p), "--counterexample", str(out)])
        lines = capsys.readouterr().out.splitlines()
        assert code == 0 and lines[0] == word
    vals = dict(re.findall(r"\((\w+_\d+) ([-+0-9.eE]+)\)", out.read_text()))
    x = np.array([float(vals[f"X_{i}"]) for i in range(3)])
    assert box.contains(x) and net(x)[0] <= m + 0.05 + 1e-9
    assert abs(float(vals["Y_0"]) - net(x)[0]) <= 1e-12
