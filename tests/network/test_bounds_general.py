"""Bound propagation on general networks (conv, residual, pooling, clip, leaky ReLU, ...).

Soundness against dense sampling of each box; the general path on a dense chain equals the
tuned dense path; CROWN is at least as tight as interval arithmetic where it is defined to be.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.network import Network, NetworkBuilder
from relugeom.network._bounds import (crown_bounds, gradient_bounds, interval_bounds,
                                      optimize_spec_alpha)
from relugeom.network._examples import random_network

KINDS = ("conv", "residual", "maxpool", "clip_leaky", "mixed")


def general_network(kind: str, seed: int) -> Network:
    """A small random network of one of several architectures (weights from ``seed``)."""
    rng = np.random.default_rng(seed)
    w = lambda *s: rng.normal(size=s) / np.sqrt(max(1, np.prod(s[1:])))   # noqa: E731
    if kind == "conv":
        b = NetworkBuilder((2, 4, 4))
        h = b.affine(b.input, scale=rng.uniform(0.5, 2.0, size=(2, 1, 1)), shift=rng.normal(size=(2, 1, 1)))
        h = b.relu(b.conv(h, w(3, 2, 3, 3), rng.normal(size=3) * 0.3, pads=(1, 1, 1, 1)))
        h = b.relu(b.conv(h, w(2, 3, 2, 2), rng.normal(size=2) * 0.3, strides=(2, 2)))
        h = b.flatten(h)
        return b.build(b.dense(h, w(3, 8), rng.normal(size=3)))
    if kind == "residual":
        b = NetworkBuilder((3,))
        h = b.relu(b.dense(b.input, w(5, 3), rng.normal(size=5) * 0.5))
        r = b.dense(b.relu(b.dense(h, w(5, 5), rng.normal(size=5) * 0.5)), w(5, 5))
        h = b.relu(b.add(h, r))
        r = b.dense(b.relu(b.dense(h, w(5, 5), rng.normal(size=5) * 0.5)), w(5, 5))
        h = b.relu(b.add(h, r, coefs=[1.0, 0.5]))
        return b.build(b.dense(h, w(2, 5), rng.normal(size=2)))
    if kind == "maxpool":
        b = NetworkBuilder((1, 6))
        h = b.relu(b.conv(b.input, w(2, 1, 2), rng.normal(size=2) * 0.3))
        h = b.maxpool(h, kernel=(3,), strides=(2,))
        h = b.flatten(h)
        h = b.reduce_max(b.reshape(b.dense(h, w(6, 4), rng.normal(size=6) * 0.3), (2, 3)), axes=(1,))
        return b.build(b.dense(h, w(2, 2), rng.normal(size=2)))
    if kind == "clip_leaky":
        b = NetworkBuilder((2,))
        h = b.clip(b.dense(b.input, w(5, 2), rng.normal(size=5) * 0.5), -0.5, 0.7)
        h = b.leaky_relu(b.dense(h, w(4, 5), rng.normal(size=4) * 0.5), alpha=0.1)
        h = b.abs(b.dense(h, w(3, 4), rng.normal(size=3) * 0.5))
        return b.build(b.dense(h, w(2, 3), rng.normal(size=2)))
    if kind == "mixed":
        b = NetworkBuilder((1, 3, 3))
        p = b.pad(b.input, (0, 1, 1, 0, 1, 1), value=0.25)
        c = b.relu(b.conv(p, w(2, 1, 3, 3), rng.normal(size=2) * 0.3))
        a = b.avgpool(c, kernel=(2, 2), strides=(1, 1))
        m = b.max(b.take(b.flatten(a), [0, 1, 2, 3], (4,)), b.take(b.flatten(a), [4, 5, 6, 7], (4,)))
        s = b.min(b.dense(b.flatten(b.input), w(4, 9)), m)
        t = b.concat(s, b.reduce_sum(b.reshape(m, (2, 2)), axes=(1,), keepdims=False), axis=0)
        return b.build(b.dense(b.relu(t), w(2, 6), rng.normal(size=2)))
    raise ValueError(kind)


def _boxes(net: Network, rng: np.random.Generator, B: int, scale: float = 1.0):
    lo = rng.normal(size=(B, net.input_dim))
    return lo, lo + scale * rng.random((B, net.input_dim))


def _samples(rng, lo, hi, n=1500):
    d = len(lo)
    X = lo + (hi - lo) * rng.random((n, d))
    return np.vstack([X, np.where(rng.random((n // 3, d)) < 0.5, lo, hi)])   # corners too


@pytest.mark.parametrize("kind", KINDS)
@given(seed=st.integers(0, 10**6))
@settings(max_examples=6, deadline=None)
def test_bounds_are_sound(kind, seed):
    net = general_network(kind, seed)
    rng = np.random.default_rng(seed + 1)
    B = 2
    lo, hi = _boxes(net, rng, B)
    C = rng.normal(size=(3, net.output_dim))
    bbs = {m: crown_bounds(net, lo, hi, C, method=m, alpha_steps=5) for m in ("crown", "alpha", "interval")}
    alpha = optimize_spec_alpha(net, bbs["crown"], np.arange(B), lo, hi, C, steps=8)
    assert np.all(alpha >= bbs["crown"].spec_lb - 1e-12)
    g_lo, g_hi = gradient_bounds(net, bbs["crown"], np.arange(B), C)
    for i in range(B):
        X = _samples(rng, lo[i], hi[i])
        Z = net.preactivations(X)
        Y = net(X) @ C.T
        for bb in bbs.values():
            assert len(bb.pre_lb) == len(net.levels) == len(bb.level_method)
            for l, z in enumerate(Z):
                assert np.all(z >= bb.pre_lb[l][i] - 1e-9)
                assert np.all(z <= bb.pre_ub[l][i] + 1e-9)
            assert np.all(Y >= bb.spec_lb[i] - 1e-9)
        assert np.all(Y >= alpha[i] - 1e-9)
        # the linear lower bound itself holds at every sample, with its stated minimiser
        cb = bbs["crown"]
        beta = cb.spec_lb[i] - np.einsum("rd,rd->r", cb.spec_coef[i], cb.spec_argmin[i])
        assert np.all(Y >= X @ cb.spec_coef[i].T + beta - 1e-9)
        # the interval gradient contains the gradient of every sampled point's region
        J = net.gradient(X[:200], C)
        assert np.all(J >= g_lo[i] - 1e-9) and np.all(J <= g_hi[i] + 1e-9)


@pytest.mark.parametrize("kind", KINDS)
@given(seed=st.integers(0, 10**6))
@settings(max_examples=5, deadline=None)
def test_crown_at_least_as_tight_as_intervals(kind, seed):
    """Intermediate bounds are intersected with interval arithmetic: never looser; the
    interval method agrees with plain interval_bounds; the root CROWN bound of the output
    rows is never looser than interval arithmetic of the output through the last affine
    block with CROWN's own intermediate bounds (stated in the docs of CROWN, checked here
    on the summed rows)."""
    net = general_network(kind, seed)
    rng = np.random.default_rng(seed)
    lo, hi = _boxes(net, rng, 3, scale=2.0)
    cr = crown_bounds(net, lo, hi, method="crown")
    iv = crown_bounds(net, lo, hi, method="interval")
    plb, pub, _, _ = interval_bounds(net, lo, hi)
    np.testing.assert_allclose(np.concatenate(iv.pre_lb, axis=1), plb, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.concatenate(iv.pre_ub, axis=1), pub, rtol=1e-12, atol=1e-12)
    assert np.all(np.concatenate(cr.pre_lb, axis=1) >= plb - 1e-12)
    assert np.all(np.concatenate(cr.pre_ub, axis=1) <= pub + 1e-12)
    assert iv.level_method == ["interval"] * len(net.levels)
    # per-bound optimised slopes: the first level that differs is at least as tight
    al = crown_bounds(net, lo, hi, method="alpha", alpha_steps=5)
    for a_l, a_u, c_l, c_u in zip(al.pre_lb, al.pre_ub, cr.pre_lb, cr.pre_ub):
        if not (np.allclose(a_l, c_l, atol=1e-12) and np.allclose(a_u, c_u, atol=1e-12)):
            assert np.all(a_l >= c_l - 1e-12) and np.all(a_u <= c_u + 1e-12)
            break


def test_crown_strictly_tighter_on_a_deep_net():
    net = general_network("residual", 3)
    lo, hi = -np.ones((1, 3)), np.ones((1, 3))
    C = np.eye(2)
    cr = crown_bounds(net, lo, hi, C)
    iv = crown_bounds(net, lo, hi, C, method="interval")
    assert np.all(cr.spec_lb >= iv.spec_lb - 1e-12) and np.any(cr.spec_lb > iv.spec_lb + 1e-6)
    width_cr = sum((u - l).sum() for l, u in zip(cr.pre_lb, cr.pre_ub))
    width_iv = sum((u - l).sum() for l, u in zip(iv.pre_lb, iv.pre_ub))
    assert width_cr < width_iv


@given(seed=st.integers(0, 10**6), method=st.sampled_from(["crown", "interval"]))
@settings(max_examples=10, deadline=None)
def test_general_path_equals_dense_path(seed, method):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    dense = random_network((d, 7, 6, 5, 2), rng=rng, bias_scale=0.5)
    gen = Network(dense.layers, dense.input_shape)
    assert not gen.is_dense_relu
    lo = rng.normal(size=(4, d))
    hi = lo + rng.random((4, d))
    C = rng.normal(size=(3, 2))
    a = crown_bounds(dense, lo, hi, C, method=method)
    b = crown_bounds(gen, lo, hi, C, method=method)
    for x, y in zip(a.pre_lb + a.pre_ub + [a.spec_lb], b.pre_lb + b.pre_ub + [b.spec_lb]):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)
    if method == "crown":
        np.testing.assert_allclose(a.spec_coef, b.spec_coef, rtol=0, atol=1e-9)
        idx = np.arange(4)
        np.testing.assert_allclose(optimize_spec_alpha(dense, a, idx, lo, hi, C, steps=5),
                                   optimize_spec_alpha(gen, b, idx, lo, hi, C, steps=5), rtol=0, atol=1e-9)
        for x, y in zip(gradient_bounds(dense, a, idx, C), gradient_bounds(gen, b, idx, C)):
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)


def test_budget_falls_back_to_intervals_and_says_so():
    net = general_network("conv", 0)
    rng = np.random.default_rng(0)
    lo, hi = _boxes(net, rng, 2, scale=2.0)
    full = crown_bounds(net, lo, hi)
    none = crown_bounds(net, lo, hi, budget=0)
    plb, pub, _, _ = interval_bounds(net, lo, hi)
    # level 0 is one affine operation of the input (exact by intervals): 'crown' either way
    assert full.level_method == ["crown", "crown"]
    assert none.level_method == ["crown", "interval"]
    np.testing.assert_allclose(np.concatenate(none.pre_lb, axis=1), plb, atol=1e-12)
    np.testing.assert_allclose(np.concatenate(none.pre_ub, axis=1), pub, atol=1e-12)
    assert np.all(full.pre_lb[1] >= none.pre_lb[1] - 1e-12)


def test_errors():
    net = general_network("clip_leaky", 0)
    with pytest.raises(ValueError, match="symbolic"):
        crown_bounds(net, [[0.0, 0.0]], [[1.0, 1.0]], method="symbolic")
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        crown_bounds(net, [[0.0]], [[1.0]])
    with pytest.raises(TypeError, match="relugeom Network"):
        crown_bounds([[1.0]], [[0.0]], [[1.0]])
