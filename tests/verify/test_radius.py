"""The robust radius against dense sampling on 2-D nets, norm inequalities, and bisection bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.network import ReLUNetwork, random_network
from relugeom.polyhedra import Box
from relugeom.verify import robust_radius


def _net(seed: int):
    return random_network((2, 8, 8, 3), rng=seed)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), x=st.tuples(st.floats(-0.8, 0.8), st.floats(-0.8, 0.8)))
def test_exact_radius_against_dense_sampling(seed, x):
    net = _net(seed)
    x0 = np.array(x)
    r = robust_radius(net, x0, max_radius=1.0)
    assert r.complete
    lab = r.label
    if not r.exact:          # nothing misclassified within the search box
        assert r.lower == 1.0 and r.upper == np.inf
        rad = 1.0
    else:
        rad = r.radius
        # the witness is at that distance and another class scores at least as high there
        assert abs(np.max(np.abs(r.witness - x0)) - rad) <= 1e-7
        y = net(r.witness[None])[0]
        assert y[r.witness_class] >= y[lab] - 1e-7
    # every sampled input strictly inside the ball keeps the class
    g = np.linspace(-1, 1, 121)
    P = x0 + 0.999 * rad * np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    Y = net(P)
    assert np.all(np.argmax(Y, axis=1) == lab) or np.min(Y[:, lab] - np.max(np.delete(Y, lab, 1), 1)) > -1e-9
    if r.exact:
        # the L1 radius lies between the L-infinity radius and twice it (2-D norm inequalities)
        r1 = robust_radius(net, x0, norm=1, max_radius=2.0)
        assert rad - 1e-7 <= r1.radius <= 2 * rad + 1e-7


@pytest.mark.parametrize("seed", [0, 3])
def test_bisection_brackets_the_exact_radius(seed):
    net = _net(seed)
    x0 = np.array([0.1, -0.2])
    ex = robust_radius(net, x0, max_radius=1.0)
    bi = robust_radius(net, x0, max_radius=1.0, method="bisect", steps=10)
    assert bi.lower <= ex.lower + 1e-7 and bi.upper >= ex.upper - 1e-7
    if ex.exact:
        assert bi.upper - bi.lower <= 2 ** -9 + 1e-7 or not bi.complete


def test_linear_classifier_closed_form():
    # class 0 iff w.x >= 0 with w = (1, 2): L-inf distance |w.x| / |w|_1, L1 distance |w.x| / |w|_inf
    net = ReLUNetwork([[[1.0, 2.0], [0.0, 0.0]]])
    x0 = np.array([0.3, 0.1])
    assert robust_radius(net, x0).radius == pytest.approx(0.5 / 3, abs=1e-9)
    assert robust_radius(net, x0, norm=1).radius == pytest.approx(0.5 / 2, abs=1e-9)
    # a domain that stops the search before the boundary
    far = robust_radius(net, x0, max_radius=0.1)
    assert (far.lower, far.upper, far.exact) == (0.1, np.inf, False)
    # inside the domain x >= 0.2, y >= 0, w.x >= 0.2 > 0: the boundary is never reached
    r = robust_radius(net, x0, domain=Box([0.2, 0.0], [1.0, 1.0]))
    assert (r.lower, r.upper) == (1.0, np.inf)
    # with y >= 0 kept, x + 2y reaches 0 only once y = 0 and x = 0: at ε = 0.3
    r = robust_radius(net, x0, domain=Box([-1.0, 0.0], [1.0, 1.0]))
    assert r.radius == pytest.approx(0.3, abs=1e-9)


def test_bad_arguments():
    net = _net(0)
    with pytest.raises(ValueError, match="norm"):
        robust_radius(net, [0.0, 0.0], norm=2)
    with pytest.raises(ValueError, match="label 5"):
        robust_radius(net, [0.0, 0.0], label=5)
    with pytest.raises(ValueError, match="two outputs"):
        robust_radius(ReLUNetwork([[[1.0, 1.0]]]), [0.0, 0.0])
    with pytest.raises(ValueError, match="max_radius"):
        robust_radius(net, [0.0, 0.0], max_radius=0.0)
