"""The general network model: one API for every engine, checked against independent paths.

* the general (program) implementation on a dense net's layers equals the dense fast path;
* affine maps, pre-activation maps and gradients agree with evaluation at random points;
* pieces of max/clip/abs units agree with direct numpy computation;
* exact rational evaluation agrees with float evaluation;
* a block of neurons evaluated alone equals the same columns of a full evaluation.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.errors import NetworkError
from relugeom.network import Network, NetworkBuilder, ReLUNetwork, as_network, random_network
from relugeom.polyhedra import Box
from relugeom.regions import enumerate_regions


def small_cnn(seed: int, *, maxpool: bool = False, clip: bool = False, residual: bool = True) -> Network:
    """A random conv net on a (2, 5, 5) input: conv, ReLU, residual conv, pooling, dense."""
    rng = np.random.default_rng(seed)
    b = NetworkBuilder((2, 5, 5))
    h = b.relu(b.conv(b.input, rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3) * 0.1, pads=(1,) * 4))
    if residual:
        g = b.conv(h, rng.normal(size=(3, 3, 3, 3)) * 0.3, rng.normal(size=3) * 0.1, pads=(1,) * 4)
        h = b.relu(b.add(g, h))
    if maxpool:
        h = b.maxpool(h, kernel=(2, 2), strides=(2, 2))
    else:
        h = b.avgpool(h, kernel=(2, 2), strides=(2, 2))
    h = b.flatten(h)
    h = b.dense(h, rng.normal(size=(6, 12)), rng.normal(size=6) * 0.1)
    h = b.clip(h, -1.0, 1.0) if clip else b.leaky_relu(h, 0.2)
    return b.build(b.dense(h, rng.normal(size=(3, 6))))


# ------------------------------------------------------------------ dense vs general
@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(1, 3))
def test_general_path_equals_dense_path(seed, hidden, d):
    rn = random_network((d, *hidden, 2), rng=seed)
    gn = Network(rn.layers, rn.input_shape)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(25, d))
    # the same formulas; BLAS may round a product differently for other batch shapes
    np.testing.assert_allclose(rn(X), gn(X), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(rn.activation_patterns(X), gn.activation_patterns(X))
    for a, b in zip(rn.values_and_scales(X), gn.values_and_scales(X)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    P = rn.activation_patterns(X)
    for a, b in zip(rn.affine_maps(P), gn.affine_maps(P)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for a, b in zip(rn.preactivation_maps_many(P), gn.preactivation_maps_many(P)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    y, v = X[0], rng.normal(size=d)
    np.testing.assert_array_equal(rn.pattern_along(y, v), gn.pattern_along(y, v))
    Gr, gr = rn.exact_preactivation_maps(P[0])
    Gg, gg = gn.exact_preactivation_maps(P[0])
    assert Gr.tolist() == Gg.tolist() and gr.tolist() == gg.tolist()
    assert rn.exact_pattern_at(X[1]) == gn.exact_pattern_at(X[1])
    U = rng.normal(size=(1, d))
    np.testing.assert_allclose(rn.restrict(X[2], U)(X[:4, :1]), gn.restrict(X[2], U)(X[:4, :1]), rtol=1e-12)
    assert gn.to_relu_network() == rn


# ------------------------------------------------------------- maps vs evaluation
@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.booleans(), st.booleans())
def test_maps_agree_with_evaluation(seed, maxpool, clip):
    net = small_cnn(seed, maxpool=maxpool, clip=clip)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, net.input_dim))
    P = net.activation_patterns(X)
    A, c = net.affine_maps(P)
    np.testing.assert_allclose(np.einsum("rij,rj->ri", A, X) + c, net(X), rtol=1e-9, atol=1e-9)
    G, g = net.preactivation_maps(P[0])
    Z = np.concatenate(net.preactivations(X[:1]), axis=1)[0]
    np.testing.assert_allclose(G @ X[0] + g, Z, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(net.gradient(X), A, rtol=1e-9, atol=1e-9)
    # every neuron's map on the region agrees with the pattern: signs at the point
    assert np.array_equal((G @ X[0] + g) > 0, P[0])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_neuron_blocks_equal_full_evaluation(seed):
    net = small_cnn(seed, maxpool=True)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, net.input_dim))
    Vf, Sf = net.values_and_scales(X)
    np.testing.assert_allclose(Vf, np.concatenate(net.preactivations(X), axis=1), rtol=1e-12, atol=1e-12)
    assert np.all(Sf >= np.abs(Vf) * (1 - 1e-12))
    for _ in range(4):
        sel = rng.choice(net.n_neurons, size=rng.integers(1, 12), replace=False)
        V, S = net.values_and_scales(X, sel)
        np.testing.assert_allclose(V, Vf[:, sel], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(S, Sf[:, sel], rtol=1e-12, atol=1e-12)


def test_exact_evaluation_agrees_with_float():
    net = small_cnn(3, maxpool=True, clip=True)
    x = np.random.default_rng(0).normal(size=net.input_dim)
    ye = net.evaluate_exact(list(x))
    np.testing.assert_allclose([float(v) for v in ye], net(x), rtol=1e-12, atol=1e-12)
    assert all(isinstance(v, Fraction) for v in ye)
    pat, strict = net.exact_pattern_at(x)
    assert pat == net.activation_patterns(x[None])[0].tolist()
    # max-pooling after a ReLU compares dead (zero) outputs: some neurons are exactly zero
    assert not strict
    pat2, strict2 = small_cnn(3, clip=True).exact_pattern_at(x)
    assert strict2
    G, g = net.exact_preactivation_maps(pat, [0, net.n_neurons - 1])
    Gf, gf = net.preactivation_maps(pat)
    np.testing.assert_allclose(np.array(G.tolist(), dtype=float), Gf[[0, -1]], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------- pieces
def test_pieces_of_units_agree_with_numpy():
    rng = np.random.default_rng(1)
    b = NetworkBuilder((2, 4, 4))
    mp = b.maxpool(b.input, kernel=(2, 2), strides=(2, 2))
    rm = b.reduce_max(b.input, axes=(0,))
    cl = b.clip(b.input, -0.3, 0.4)
    ab = b.abs(b.input)
    net = b.build(b.concat(b.flatten(mp), b.flatten(rm), b.flatten(cl), b.flatten(ab)))
    X = rng.normal(size=(50, 2, 4, 4))
    pieces = net.pieces(X)
    names = [g.kind for g in net.units]
    assert names == ["maxpool", "reduce_max", "clip", "abs"]
    win = X.reshape(50, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(50, 2, 2, 2, 4)
    off = 0
    np.testing.assert_array_equal(pieces[:, off: off + 8], win.argmax(axis=-1).reshape(50, 8))
    off += 8
    np.testing.assert_array_equal(pieces[:, off: off + 16], X.argmax(axis=1).reshape(50, 16))
    off += 16
    np.testing.assert_array_equal(pieces[:, off: off + 32], ((X > -0.3).astype(int) + (X > 0.4)).reshape(50, 32))
    off += 32
    np.testing.assert_array_equal(pieces[:, off:], (X > 0).reshape(50, 32))
    np.testing.assert_allclose(net(X)[:, :8], win.max(axis=-1).reshape(50, 8))
    assert net.n_pieces()[:8].tolist() == [4] * 8


# ------------------------------------------------------------------------ structure
def test_restrict_folds_the_first_block_into_dense_maps():
    net = small_cnn(0)
    rng = np.random.default_rng(0)
    o, U = rng.normal(size=net.input_dim), rng.normal(size=(2, net.input_dim))
    sl = net.restrict(o, U)
    assert sl.input_dim == 2 and sl.n_neurons == net.n_neurons
    from relugeom.network._program import Conv
    assert not isinstance(sl.program.ops[0], Conv)
    T = rng.normal(size=(5, 2))
    np.testing.assert_allclose(sl(T), net(o + T @ U), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(sl.activation_patterns(T), net.activation_patterns(o + T @ U))


def test_to_relu_network_refuses_skip_connections():
    b = NetworkBuilder((2,))
    h = b.relu(b.dense(b.input, np.eye(2)))
    net = b.build(b.dense(b.add(h, b.input), np.ones((1, 2))))
    with pytest.raises(NetworkError, match="skip connection"):
        net.to_relu_network()
    assert net.as_relu_network() is None


def test_bad_networks_get_one_clear_error():
    with pytest.raises(TypeError, match="must be a relugeom Network"):
        as_network([np.eye(2)])
    with pytest.raises(TypeError, match="must be a relugeom Network"):
        enumerate_regions([np.eye(2)], Box([-1, -1], [1, 1]))
    b = NetworkBuilder((1, 4))
    with pytest.raises(NetworkError, match="layer 1 .*conv"):
        b.build(b.conv(b.input, np.ones((1, 2, 3))))
    b = NetworkBuilder((2,))
    with pytest.raises(NetworkError, match="NaN or inf"):
        b.build(b.affine(b.input, np.array([1.0, np.nan])))
    with pytest.raises(NetworkError, match="lo < hi"):
        b2 = NetworkBuilder((2,))
        b2.build(b2.clip(b2.input, 1.0, 0.0))


def test_relu_network_is_a_network():
    rn = random_network((2, 3, 1), rng=0)
    assert isinstance(rn, Network) and rn.is_dense_relu
    assert rn.levels == [(0, 3)] and rn.units[0].kind == "relu"
    assert ReLUNetwork.from_npz is not None
