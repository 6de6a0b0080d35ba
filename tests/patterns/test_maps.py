"""Pattern maps φ^A and φ_X^A: every evaluator agrees with every other."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest


from relugeom.network import ReLUNetwork
from relugeom.patterns._modp import fractions_mod
from relugeom.patterns import (OutputMap, PatternAssignment, PatternMap, network_from_theta, parse_blocks,
                               pattern_matrices, theta_from_network)

P = 2**31 - 1

CASES = [((2, 2, 2), "10;11", "none"), ((3, 3, 3), "110;011", "none"), ((3, 2, 3, 3), "10,110;11,011", "none"),
         ((2, 3, 2), "101;011", "first"), ((2, 3, 2, 2), "101,11;011,10", "all"),
         ((2, 2, 2, 1, 1), "11,10,1;01,11,1", "none")]


def _maps(widths, blocks, bias, rng):
    A = parse_blocks(blocks, widths, point_blocks=[0, 0, 0, 1, 1, 1, 1])
    X = rng.integers(-3, 4, size=(7, widths[0])).astype(float) / 2
    return [PatternMap(A, bias=bias), OutputMap(A, X, bias=bias)]


@pytest.mark.parametrize("widths, blocks, bias", CASES)
def test_evaluators_agree(widths, blocks, bias, rng):
    for phi in _maps(widths, blocks, bias, rng):
        th = rng.integers(-5, 6, size=phi.n_params)
        exact = phi.evaluate_exact([Fraction(int(v)) for v in th])
        assert np.allclose(phi.evaluate(th.astype(float)), np.array(exact, dtype=float))
        assert np.array_equal(phi.evaluate_mod_p(th % P, P), fractions_mod(np.array(exact, dtype=object), P))
        sym = [f(*[flint.fmpq(int(v)) for v in th]) for f in phi.polynomials()]
        assert [Fraction(int(v.p), int(v.q)) for v in sym] == exact
        # the base-class evaluator (from the polynomials) agrees with the fast one
        from relugeom.algebra import Parametrization
        assert np.array_equal(Parametrization.evaluate_mod_p(phi, th % P, P), phi.evaluate_mod_p(th % P, P))


@pytest.mark.parametrize("widths, blocks, bias", CASES)
def test_jacobians(widths, blocks, bias, rng):
    for phi in _maps(widths, blocks, bias, rng):
        th = rng.integers(-5, 6, size=phi.n_params)
        J = phi.jacobian(th.astype(float))
        eps = 1e-6
        E = np.eye(phi.n_params)
        Jn = np.array([(phi.evaluate(th + eps * E[k]) - phi.evaluate(th - eps * E[k])) / (2 * eps)
                       for k in range(phi.n_params)]).T
        assert np.allclose(J, Jn, atol=1e-5)
        Jq = np.array([[Fraction(float(v)) for v in row] for row in J], dtype=object)  # exact: halves
        assert np.array_equal(phi.jacobian_mod_p(th % P, P), fractions_mod(Jq, P))


@pytest.mark.parametrize("widths, blocks, bias", CASES)
def test_grading_is_respected(widths, blocks, bias, rng):
    """Scaling rows of W_L and columns of W_1 scales every output by t^deg."""
    for phi in _maps(widths, blocks, bias, rng):
        G = phi.grading()
        assert G.shape[0] == phi.n_outputs
        exps = phi.output_exponents()
        # every term of an output has the same degree under the parameter weights that the grading encodes:
        # check numerically with the torus action on theta
        t = rng.uniform(0.5, 2.0, size=G.shape[1])
        th = rng.normal(size=phi.n_params)
        nL = widths[-1]
        lay = phi._layout
        th2 = th.copy()
        s, e = lay.W_slices[-1]
        WL = th2[s:e].reshape(nL, -1) * t[:nL, None]
        th2[s:e] = WL.ravel()
        if lay.b_slices[-1] is not None:
            bs, be = lay.b_slices[-1]
            th2[bs:be] *= t[:nL]
            if G.shape[1] > nL:
                th2[bs:be] *= t[-1]
        if G.shape[1] > nL:  # column grading: scale columns of W_1 (and the bias column)
            n0 = widths[0]
            s, e = lay.W_slices[0]
            th2[s:e] = (th2[s:e].reshape(-1, n0) * t[nL:nL + n0][None, :]).ravel()
            for l, bsl in enumerate(lay.b_slices[:-1]):
                if bsl is not None:
                    th2[bsl[0]:bsl[1]] *= t[-1]
        expected = phi.evaluate(th) * np.prod(t[None, :] ** G, axis=1)
        assert np.allclose(phi.evaluate(th2), expected)
        assert phi.homogeneous
        # every term is one path: multilinear, and at most one parameter of each layer
        layers = [sl for sl in list(lay.W_slices) + list(lay.b_slices) if sl is not None]
        for E in exps:
            assert E.shape[1] == phi.n_params and np.all((E == 0) | (E == 1))
            for a, b in layers:
                assert np.all(E[:, a:b].sum(axis=1) <= 1)


def test_theta_network_round_trip(rng):
    net = ReLUNetwork([rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 2))],
                      [rng.normal(size=3), rng.normal(size=2), rng.normal(size=2)])
    for bias in ("none", "first", "all"):
        th = theta_from_network(net, bias)
        back = network_from_theta(net.widths, th, bias)
        assert np.array_equal(back.weights[1], net.weights[1])
    # with all biases the pattern matrices reproduce the network on each block's points
    X = rng.normal(size=(30, 2))
    A = PatternAssignment.from_network(net, X)
    Ms = pattern_matrices(A, net, bias="all")
    for b, M in enumerate(Ms):
        pts = X[A.point_blocks == b]
        assert np.allclose(pts @ M[:, :2].T + M[:, 2], net(pts))


def test_output_map_equals_network_on_its_region(rng):
    net = ReLUNetwork([rng.normal(size=(3, 2)), rng.normal(size=(2, 3))])
    X = rng.normal(size=(10, 2))
    A = PatternAssignment.from_network(net, X)
    psi = OutputMap(A, X)
    y = psi.evaluate(theta_from_network(net))
    pos = 0
    for b in range(A.n_blocks):
        pts = X[A.point_blocks == b]
        blk = y[pos:pos + 2 * len(pts)].reshape(2, len(pts))
        pos += blk.size
        assert np.allclose(blk.T, net(pts))


def test_large_prime_no_overflow():
    A = parse_blocks("1111;1111", (4, 4, 4))
    phi = PatternMap(A)
    th = np.full((1, phi.n_params), P - 1, dtype=np.int64)
    v = phi.evaluate_mod_p(th, P)
    assert int(v[0, 0]) == (4 * (P - 1) ** 2) % P
