import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.errors import NetworkError
from relugeom.network import ReLUNetwork, example_network
from relugeom.network._examples import random_network


@st.composite
def networks(draw, max_in=3, max_width=6, max_depth=3):
    n0 = draw(st.integers(1, max_in))
    depth = draw(st.integers(1, max_depth))
    widths = [n0] + [draw(st.integers(1, max_width)) for _ in range(depth)] + [draw(st.integers(1, 2))]
    return random_network(widths, rng=draw(st.integers(0, 2**31)))


def test_validation_names_layer():
    with pytest.raises(NetworkError, match="W1 must have shape"):
        ReLUNetwork([np.ones((3, 2)), np.ones((1, 4))])
    with pytest.raises(NetworkError, match="NaN or inf"):
        ReLUNetwork([np.array([[np.nan]])])
    with pytest.raises(NetworkError, match="layer 0 is empty"):
        ReLUNetwork([np.ones((0, 2))])
    with pytest.raises(NetworkError, match="b0 must have shape"):
        ReLUNetwork([np.ones((2, 2))], [np.ones(3)])


@given(networks(), st.integers(0, 2**31))
def test_affine_map_matches_evaluation(net, seed):
    X = np.random.default_rng(seed).uniform(-2, 2, size=(20, net.input_dim))
    P = net.activation_patterns(X)
    Y = net(X)
    for x, p, y in zip(X, P, Y):
        A, c = net.affine_map(p)
        np.testing.assert_allclose(A @ x + c, y, rtol=1e-10, atol=1e-10)
        G, g = net.preactivation_maps(p)
        z = np.concatenate(net.preactivations(x[None]), axis=1)[0] if net.n_neurons else np.zeros(0)
        np.testing.assert_allclose(G @ x + g, z, rtol=1e-10, atol=1e-10)


@given(networks(), st.integers(0, 2**31))
def test_restrict_is_composition(net, seed):
    gen = np.random.default_rng(seed)
    o = gen.normal(size=net.input_dim)
    U = gen.normal(size=(2, net.input_dim))
    T = gen.normal(size=(7, 2))
    np.testing.assert_allclose(net.restrict(o, U)(T), net(o + T @ U), rtol=1e-10, atol=1e-12)


def test_exact_evaluation_agrees():
    net = random_network((3, 5, 4, 2), rng=1)
    x = [0.25, -0.5, 0.125]
    exact = np.array([float(v) for v in net.evaluate_exact(x)])
    np.testing.assert_allclose(exact, net(np.array(x)), rtol=1e-12)


def test_examples():
    assert example_network("abs")(np.array([[-2.0]])).item() == 2.0
    saw = example_network("sawtooth")
    x = np.array([[0.0], [0.25], [0.5], [0.75], [1.0], [0.125]])
    np.testing.assert_allclose(saw(x).ravel(), [0, 1, 0, 1, 0, 0.5])
