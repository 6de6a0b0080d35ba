"""Activation regions: witnesses are checked exactly, infeasibility comes with a Farkas certificate."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.network._examples import random_network
from relugeom.patterns import theta_from_network
from relugeom.patterns import (ActivationRegion, PatternAssignment, RegionStatus, find_region_point,
                               is_realizable, parse_blocks)


def _check_farkas(region, cert):
    """Σ w_a x_a = Σ w_i x_i with w >= 0, Σ w_a = 1, exactly, for layer-1 neuron k."""
    k = cert["neuron"] - 1
    X = region.X_exact
    if region._layout.b_slices[0] is not None:
        X = np.hstack([X, np.full((X.shape[0], 1), Fraction(1), dtype=object)])
    act = np.flatnonzero(region.patterns[:, k])
    inact = np.flatnonzero(~region.patterns[:, k])
    w = cert["weights"]
    na = len(cert["active_points"])
    lhs = sum((wi * X[act[j]] for wi, j in zip(w[:na], cert["active_points"])), np.zeros(X.shape[1], dtype=object))
    rhs = sum((wi * X[inact[j]] for wi, j in zip(w[na:], cert["inactive_points"])), np.zeros(X.shape[1], dtype=object))
    assert all(v >= 0 for v in w)
    assert sum(w[:na]) == 1
    assert list(lhs) == list(rhs)


@given(st.integers(0, 10_000), st.sampled_from([(2, 4, 2), (3, 3, 2), (2, 3, 3, 2), (3, 3, 2, 3, 1)]))
def test_network_patterns_are_realizable(seed, widths):
    net = random_network(widths, rng=seed, bias_scale=0.0)
    X = np.random.default_rng(seed).normal(size=(12, widths[0]))
    A = PatternAssignment.from_network(net, X)
    R = ActivationRegion(A, X)
    r = find_region_point(R, rng=seed, max_restarts=200)
    # the assignment is realizable (the network itself realizes it): never claimed empty
    assert r.status is not RegionStatus.INFEASIBLE
    if len(widths) == 3:  # one hidden layer: the LP is exact, so a witness must be found
        assert r.status is RegionStatus.FOUND
    elif r.status is RegionStatus.NOT_FOUND:  # deep: the search may give up (nothing claimed)
        assert R.contains(theta_from_network(net), exact=True)
        return
    # exact pre-activation signs agree with the assignment (ties = 0 count as inactive)
    Z = np.concatenate(R.preactivations(r.theta, exact=True), axis=1)
    assert np.array_equal(Z > 0, A.point_patterns())


@given(st.integers(0, 10_000))
def test_shallow_lp_is_exact_either_way(seed):
    """Random assignments on random data: a checked witness or an exactly verified Farkas certificate."""
    gen = np.random.default_rng(seed)
    n0, n1, n = 2, 3, 6
    X = gen.integers(-3, 4, size=(n, n0)).astype(float)
    pats = gen.integers(0, 2, size=(n, n1)).astype(bool)
    uniq, inv = np.unique(pats, axis=0, return_inverse=True)
    A = PatternAssignment((n0, n1, 1), uniq, np.asarray(inv).ravel())
    R = ActivationRegion(A, X)
    r = R.find_point(rng=seed)
    if r.status is RegionStatus.FOUND:
        assert R.contains(r.theta, exact=True)
    else:
        assert r.status is RegionStatus.INFEASIBLE and r.exact
        _check_farkas(R, r.certificate)


def test_infeasible_examples():
    # x and 2x: a neuron positive on 2x but not on x is impossible (bias-free)
    A = parse_blocks("10;11", (1, 2, 1), point_blocks=[0, 1])
    r = ActivationRegion(A, [[1.0], [2.0]]).find_point()
    assert r.status is RegionStatus.INFEASIBLE and r.certificate["neuron"] == 2 and r.exact
    assert is_realizable(A, [[1.0], [2.0]]) is False
    # with a first-layer bias it becomes possible
    assert is_realizable(A, [[1.0], [2.0]], bias="first") is True
    # the origin is never active without bias
    B = parse_blocks("1", (2, 1, 1), point_blocks=[0])
    assert is_realizable(B, [[0.0, 0.0]]) is False


def test_deep_zero_feature_proof():
    A = parse_blocks("00,10", (2, 2, 2, 1), point_blocks=[0])
    r = find_region_point(ActivationRegion(A, [[1.0, 1.0]]))
    assert r.status is RegionStatus.INFEASIBLE and r.certificate["reason"] == "zero features"


def test_ties_are_inactive():
    A = parse_blocks("0", (2, 1, 1), point_blocks=[0])
    R = ActivationRegion(A, [[1.0, -1.0]])
    assert R.contains([1.0, 1.0, 1.0])        # pre-activation exactly 0: inactive
    # forced tie: points x and -x both inactive needs w.x = 0; the witness must be exact
    A2 = parse_blocks("0;1", (2, 1, 1), point_blocks=[0, 0, 1])
    R2 = ActivationRegion(A2, [[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    r = R2.find_point()
    assert r.status is RegionStatus.FOUND and R2.contains(r.theta, exact=True)


def test_bad_inputs():
    A = parse_blocks("1", (2, 1, 1))
    with pytest.raises(ValueError, match="point_blocks"):
        ActivationRegion(A, [[1.0, 1.0]])
    A = parse_blocks("1", (2, 1, 1), point_blocks=[0])
    with pytest.raises(ValueError, match="X must have shape"):
        ActivationRegion(A, [[1.0, 1.0, 1.0]])


@pytest.mark.parametrize("seed, widths", [(472, (2, 3, 3, 2))])
def test_deep_search_refines_by_alternating_lps(seed, widths):
    """A case where the greedy layer-by-layer LPs fail on every restart; the alternation finds θ."""
    net = random_network(widths, rng=seed, bias_scale=0.0)
    X = np.random.default_rng(seed).normal(size=(12, widths[0]))
    A = PatternAssignment.from_network(net, X)
    R = ActivationRegion(A, X)
    r = find_region_point(R, rng=seed, max_restarts=200)
    assert r.status is RegionStatus.FOUND and r.exact
    assert R.contains(r.theta, exact=True)
    Z = np.concatenate(R.preactivations(r.theta, exact=True), axis=1)
    assert np.array_equal(Z > 0, A.point_patterns())
