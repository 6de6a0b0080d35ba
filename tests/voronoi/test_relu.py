"""ReLU output sets as models: exact shallow cones, ReLU Voronoi cells, strata, critical cells."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.patterns import network_from_theta
from relugeom.voronoi import (ConeUnionModel, NetworkOutputs, ParametrizedModel, PolyhedralModel, critical_cell,
                              relu_model, relu_strata, relu_voronoi_cell, voronoi_cell)

from .test_cells import check_cell

X2 = np.array([[-1.0], [1.0]])
X4 = np.array([[-1.5], [-0.4], [0.3], [1.2]])


@pytest.fixture(scope="module")
def one_neuron():
    return relu_model((1, 1), X2, bias="first", output_layer=False)


@pytest.fixture(scope="module")
def shallow3():
    return relu_model((1, 3, 1), X4, bias="first")


# ------------------------------------------------------------------ one neuron
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=2))
def test_one_neuron_best_fit_is_relu(one_neuron, y):
    y = np.array(y)
    r = one_neuron.nearest(y)
    assert r.exact
    assert abs(r.loss - np.linalg.norm(y - np.maximum(y, 0.0))) <= 1e-12
    assert np.allclose(r.point, np.maximum(y, 0.0), atol=1e-8)     # ties below float resolution


def test_one_neuron_output_set_is_closed_quadrant(one_neuron, rng):
    assert isinstance(one_neuron, ConeUnionModel)
    Y = rng.uniform(0, 3, size=(50, 2))
    Y[:5, 0] = 0.0
    for y in Y:                                    # quadrant points are outputs (distance 0) ...
        assert one_neuron.nearest(y).loss <= 1e-12
    for y in -rng.uniform(0.1, 3, size=(20, 2)):   # ... and nothing else is
        assert one_neuron.nearest(y).loss > 0.1


def test_one_neuron_cells(one_neuron, rng):
    dead = voronoi_cell(one_neuron, [0.0, 0.0])
    assert dead.exact and np.allclose(dead.vertices, 0.0)
    assert sorted(map(tuple, np.round(dead.rays, 12))) == [(-1.0, 0.0), (0.0, -1.0)]
    check_cell(dead, lambda u: float(np.linalg.norm(u - np.maximum(u, 0))), rng)
    edge = voronoi_cell(one_neuron, [0.0, 2.0])   # kink at the first data point
    assert edge.exact and edge.dimension() == 1
    assert np.allclose(edge.rays, [[-1.0, 0.0]]) and np.allclose(edge.vertices, [[0.0, 2.0]])
    inner = voronoi_cell(one_neuron, [1.0, 2.0])
    assert inner.exact and inner.dimension() == 0
    # the same through parameters: θ = (w, b) with relu(w x + b) = (0, 0)
    c = relu_voronoi_cell((1, 1), X2, [1.0, -3.0], bias="first", output_layer=False)
    assert c.exact and sorted(map(tuple, np.round(c.rays, 12))) == [(-1.0, 0.0), (0.0, -1.0)]


# ---------------------------------------------------------------- parametrization
@given(st.integers(0, 1000))
def test_network_outputs_match_network_and_jacobian(seed):
    gen = np.random.default_rng(seed)
    widths, X = (2, 3, 2, 2), gen.standard_normal((4, 2))
    F = NetworkOutputs(widths, X, bias="all")
    th = gen.standard_normal(F.n_params)
    net = network_from_theta(widths, th, "all")
    assert np.allclose(F.evaluate(th), net(X).ravel())
    J = F.jacobian(th)
    h = 1e-6
    Jn = np.stack([(F.evaluate(th + h * e) - F.evaluate(th - h * e)) / (2 * h) for e in np.eye(F.n_params)], axis=1)
    assert np.allclose(J, Jn, atol=1e-5)


# -------------------------------------------------------------- shallow, 3 neurons
def qp_model(M: ConeUnionModel) -> PolyhedralModel:
    """The same union of cones, as H-polytopes (nearest points by QP instead of NNLS)."""
    return PolyhedralModel(M.pieces)


def bvls_dist(M: ConeUnionModel):
    """Distance to the union of cones by bounded-variable least squares (an independent solver)."""
    from scipy.optimize import lsq_linear

    def dist(u):
        return min(float(np.linalg.norm(G @ lsq_linear(G, u, bounds=(0, np.inf), method="bvls").x - u))
                   for G in M.generators if G.shape[1])
    return dist


def test_shallow_exact_nearest_point_agrees_with_qp_and_local_search(shallow3, rng):
    P = qp_model(shallow3)
    F = NetworkOutputs((1, 3, 1), X4, bias="first")
    local = ParametrizedModel(F, cone=True, n_starts=6)
    for _ in range(2):
        y = 2 * rng.standard_normal(4)
        a, b = shallow3.nearest(y), P.nearest(y)
        assert abs(a.loss - b.loss) <= 1e-8
        c = local.nearest(y, rng=0)                 # multistart over θ: never better than exact
        assert c.loss >= a.loss - 1e-8


def test_shallow_relu_voronoi_cell(shallow3, rng):
    dist = bvls_dist(shallow3)
    # a boundary point of the output set: the best fit of a target outside it
    y = np.array([1.0, -1.0, 1.0, -1.0])
    q = shallow3.nearest(y).point
    assert np.linalg.norm(q - y) > 0.1
    cell = voronoi_cell(shallow3, q, max_cuts=40)
    assert cell.contains(y)
    assert cell.exact and cell.complete
    check_cell(cell, dist, rng, n=12, delta=0.3)


def test_region_cell_contains_union_cell(rng):
    # neuron 3 is dead on the data and neuron 2 fires on x_4 only: inside its activation
    # region q is a boundary point (2-dim cell), while the union of all regions fits every
    # target near q (cell {q})
    theta = np.array([1.0, 1.0, 0.0, 0.1, -0.3, -1.0, 1.0, 2.0, 0.7])  # W1 (3x1), b1, W2 (1x3)
    union = relu_voronoi_cell((1, 3, 1), X4, theta, bias="first", max_cuts=30)
    region = relu_voronoi_cell((1, 3, 1), X4, theta, bias="first", region=True, max_cuts=30)
    net = network_from_theta((1, 3, 1), theta, "first")
    assert np.allclose(union.q, net(X4).ravel()) and np.allclose(region.q, union.q)
    assert union.exact and region.exact
    assert union.dimension() == 0 and region.dimension() == 2
    assert np.all(region.contains(union.vertices, atol=1e-7))       # more competitors: smaller cell
    from relugeom.patterns import PatternAssignment

    R = relu_model((1, 3, 1), X4, bias="first", assignment=PatternAssignment.from_network(net, X4))
    check_cell(region, bvls_dist(R), rng, n=10, delta=0.3)


def test_deep_model_is_parametrized_and_never_exact():
    X = np.array([[-1.0], [0.5], [2.0]])
    M = relu_model((1, 2, 2, 1), X, bias="all")
    assert isinstance(M, ParametrizedModel)
    theta = np.random.default_rng(0).standard_normal(M.n_params)
    q = M.param.evaluate(theta)
    cell = voronoi_cell(M, q, theta=theta, rng=0, max_cuts=5, max_iterations=3)
    assert not cell.exact and cell.contains(q)


def test_relu_region_model_deep_constraints():
    from relugeom.patterns import PatternAssignment

    X = np.array([[-1.0], [0.5], [2.0]])
    theta = np.array([1.0, -1.0, 0.3, 0.2, 1.0, 0.5, -0.5, 1.0, 0.2, 0.1, 1.0, -1.0, 0.3])
    widths = (1, 2, 2, 1)
    net = network_from_theta(widths, theta, "all")
    A = PatternAssignment.from_network(net, X)
    M = relu_model(widths, X, bias="all", assignment=A)
    assert isinstance(M, ParametrizedModel)
    assert M.feasible(theta)
    assert np.allclose(M.param.evaluate(theta), net(X).ravel())


# ------------------------------------------------------------------------ strata
def test_strata_one_neuron_all_interior():
    s = relu_strata((1, 1, 1), X2, n_samples=40, bias="first", rng=0)
    # O = quadrant ∪ −quadrant; every fit has a realisation strictly inside a chamber
    assert (s.dead, s.kink, s.interior) == (0, 0, 40)


def test_strata_three_neurons(shallow3):
    s = relu_strata((1, 3, 1), X4, n_samples=60, bias="first", rng=1)
    assert s.dead + s.kink + s.interior == 60 and s.seed == 1
    assert abs(sum(s.fractions.values()) - 1.0) < 1e-12
    # dead-neuron fits: some targets are fitted by fewer neurons (positive probability)
    assert s.dead > 0


def test_strata_bad_architecture():
    with pytest.raises(ValueError, match="one hidden layer"):
        relu_strata((1, 2, 2, 1), X4, n_samples=2)


def test_critical_cell_relu():
    theta = np.array([1.0, 0.2, -1.0, 0.1, 0.5, -0.3, 1.0, -2.0, 0.7])
    F = NetworkOutputs((1, 3, 1), X4, bias="first")
    C = critical_cell(F, theta)
    J = F.jacobian(theta)
    assert C.dimension() == 4 - np.linalg.matrix_rank(J)
    assert C.contains(F.evaluate(theta))


def test_strata_kinks_appear_for_one_neuron_on_three_points():
    # one neuron (plus output weight) on x = -1, 0, 1: fits whose line would cross zero
    # between the data are pushed to a kink at a data point (positive probability)
    s = relu_strata((1, 1, 1), [[-1.0], [0.0], [1.0]], n_samples=80, bias="first", rng=0)
    assert s.kink > 0 and s.interior > 0 and s.dead == 0
