"""Bound propagation is sound: sampled pre-activations and outputs respect every bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.network._examples import random_network
from relugeom.verify._bounds import crown_bounds, gradient_bounds, optimize_spec_alpha


@pytest.mark.parametrize("method", ["crown", "symbolic", "interval"])
@given(seed=st.integers(0, 10**6))
@settings(max_examples=10, deadline=None)
def test_bounds_are_sound(method, seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    net = random_network((d, 6, 5, 4, 2), rng=rng, bias_scale=0.5)
    lo = rng.normal(size=(3, d))
    hi = lo + rng.random((3, d))
    C = rng.normal(size=(3, 2))
    bb = crown_bounds(net, lo, hi, C, method=method)
    for i in range(3):
        X = lo[i] + (hi[i] - lo[i]) * rng.random((3000, d))
        X = np.vstack([X, np.where(rng.random((500, d)) < 0.5, lo[i], hi[i])])   # corners too
        Z = np.concatenate(net.preactivations(X), axis=1)
        assert np.all(Z >= np.concatenate([l[i] for l in bb.pre_lb]) - 1e-9)
        assert np.all(Z <= np.concatenate([u[i] for u in bb.pre_ub]) + 1e-9)
        assert np.all(net(X) @ C.T >= bb.spec_lb[i] - 1e-9)


@given(seed=st.integers(0, 10**6))
@settings(max_examples=8, deadline=None)
def test_alpha_optimisation_is_sound_and_not_worse(seed):
    rng = np.random.default_rng(seed)
    net = random_network((2, 8, 8, 2), rng=rng, bias_scale=0.5)
    lo = rng.normal(size=(2, 2))
    hi = lo + rng.random((2, 2))
    C = rng.normal(size=(2, 2))
    bb = crown_bounds(net, lo, hi, C)
    opt = optimize_spec_alpha(net, bb, np.arange(2), lo, hi, C, steps=15)
    assert np.all(opt >= bb.spec_lb - 1e-12)
    for i in range(2):
        X = lo[i] + (hi[i] - lo[i]) * rng.random((4000, 2))
        assert np.all(net(X) @ C.T >= opt[i] - 1e-9)


def test_crown_is_tighter_than_intervals():
    net = random_network((3, 20, 20, 1), rng=0)
    lo, hi = -np.ones((1, 3)), np.ones((1, 3))
    C = np.array([[1.0]])
    assert crown_bounds(net, lo, hi, C).spec_lb[0, 0] > crown_bounds(net, lo, hi, C, method="interval").spec_lb[0, 0]


@given(seed=st.integers(0, 10**6))
@settings(max_examples=10, deadline=None)
def test_gradient_bounds_contain_every_jacobian(seed):
    """The interval gradient (split heuristic) holds the exact Jacobian of every sampled
    point's region, read off the network's affine map on that activation pattern."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    net = random_network((d, 6, 5, 4, 2), rng=rng, bias_scale=0.5)
    lo = rng.normal(size=(3, d))
    hi = lo + rng.random((3, d))
    C = rng.normal(size=(3, 2))
    bb = crown_bounds(net, lo, hi, C)
    g_lo, g_hi = gradient_bounds(net, bb, np.array([2, 0]), C)
    assert g_lo.shape == g_hi.shape == (2, 3, d)
    for k, i in enumerate([2, 0]):
        X = lo[i] + (hi[i] - lo[i]) * rng.random((300, d))
        for p in net.activation_patterns(X):
            A, _ = net.affine_map(p)
            J = C @ A
            assert np.all(J >= g_lo[k] - 1e-9) and np.all(J <= g_hi[k] + 1e-9)


def test_gradient_bounds_are_exact_on_stable_boxes():
    net = random_network((2, 5, 5, 1), rng=4, bias_scale=0.5)
    x = np.array([[0.3, -0.2]])
    bb = crown_bounds(net, x, x)                       # a point: every neuron stable
    g_lo, g_hi = gradient_bounds(net, bb, np.array([0]), np.eye(1))
    A, _ = net.affine_map(net.activation_patterns(x)[0])
    np.testing.assert_allclose(g_lo[0], A, atol=1e-12)
    np.testing.assert_allclose(g_hi[0], A, atol=1e-12)


@given(seed=st.integers(0, 10**6))
@settings(max_examples=8, deadline=None)
def test_alpha_on_selected_rows_matches_all_rows(seed):
    """Rows are optimised independently: bounding one chosen row per box gives exactly
    that row's bound from the all-rows run, and stays sound."""
    rng = np.random.default_rng(seed)
    net = random_network((2, 8, 8, 3), rng=rng, bias_scale=0.5)
    lo = rng.normal(size=(3, 2))
    hi = lo + rng.random((3, 2))
    C = rng.normal(size=(4, 3))
    bb = crown_bounds(net, lo, hi, C)
    idx = np.array([2, 0])
    full = optimize_spec_alpha(net, bb, idx, lo, hi, C, steps=6)
    rows = rng.integers(0, 4, size=(2, 2))
    sel = optimize_spec_alpha(net, bb, idx, lo, hi, C, steps=6, rows=rows)
    np.testing.assert_allclose(sel, np.take_along_axis(full, rows, axis=1), rtol=1e-10, atol=1e-10)
    for k, i in enumerate(idx):
        X = lo[i] + (hi[i] - lo[i]) * rng.random((3000, 2))
        assert np.all(net(X) @ C[rows[k]].T >= sel[k] - 1e-9)
