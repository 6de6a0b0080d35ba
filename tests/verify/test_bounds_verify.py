"""Bound propagation is sound: sampled pre-activations and outputs respect every bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.network._examples import random_network
from relugeom.verify._bounds import crown_bounds, optimize_spec_alpha


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
