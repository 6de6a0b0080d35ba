"""Voronoi cells of the worked examples (talks 000 and 002), checked by independent optimisers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.polyhedra import Box, HPolytope
from relugeom.voronoi import (ParametrizedModel, PolyhedralModel, VoronoiCell, critical_cell,
                              half_circle, independence_model, mse_metric, rank_one_model, twisted_cubic,
                              voronoi_cell)


# ----------------------------------------------------------------------- helpers
def sample_inside(cell: VoronoiCell, n: int, gen: np.random.Generator, ray_scale: float = 3.0) -> np.ndarray:
    V, R = cell.vertices, cell.rays
    lam = gen.dirichlet(np.ones(len(V)), size=n)
    U = lam @ V
    if len(R):
        U = U + gen.exponential(ray_scale, size=(n, len(R))) @ (R / np.linalg.norm(R, axis=1, keepdims=True))
    return U


def sample_outside(cell: VoronoiCell, U: np.ndarray, gen: np.random.Generator, delta: float) -> np.ndarray:
    """Push inside points across a random facet (or off the affine hull) by ``delta``."""
    out = []
    for u in U:
        rows = [(a, b) for a, b in zip(cell.A, cell.b)] + [(a, b) for a, b in zip(cell.A_eq, cell.b_eq)] \
            + [(-a, -b) for a, b in zip(cell.A_eq, cell.b_eq)]
        a, b = rows[gen.integers(len(rows))]
        a_n = a / np.linalg.norm(a)
        out.append(u + ((b - a @ u) / np.linalg.norm(a) + delta) * a_n)
    return np.array(out)


def check_cell(cell: VoronoiCell, dist_to_model, gen, *, n: int = 25, delta: float = 0.2, inside_tol: float = 1e-6,
               check_inside: bool = True) -> None:
    """Inside points have q nearest (up to the tolerance), outside points do not."""
    q = cell.q
    U = sample_inside(cell, n, gen)
    if check_inside:
        for u in U:
            assert np.linalg.norm(u - q) <= dist_to_model(u) + inside_tol * max(1.0, np.linalg.norm(u))
    for w in sample_outside(cell, U, gen, delta):
        assert not cell.contains(w)
        assert dist_to_model(w) < np.linalg.norm(w - q) - 1e-9


# ------------------------------------------------------------------ half circle
T_GRID = np.linspace(0.0, np.pi, 200001)
CIRCLE = np.stack([np.cos(T_GRID), np.sin(T_GRID)], axis=1)


def circle_dist(u: np.ndarray) -> float:
    return float(np.sqrt(((CIRCLE - u) ** 2).sum(axis=1).min()))


@pytest.mark.parametrize("q, rays", [((1.0, 0.0), [(0.0, -1.0), (1.0, 0.0)]),
                                     ((-1.0, 0.0), [(-1.0, 0.0), (0.0, -1.0)])])
def test_half_circle_endpoints_are_quadrants(q, rays, rng):
    cell = voronoi_cell(half_circle(), q, rng=0)
    assert cell.complete and not cell.exact          # inexact oracle: never claimed exact
    assert np.allclose(cell.vertices, [[0.0, 0.0]], atol=1e-6)
    got = sorted(map(tuple, np.round(cell.rays / np.linalg.norm(cell.rays, axis=1, keepdims=True), 5)))
    assert got == sorted(rays)
    assert cell.contains([q[0] * 2.0, -3.0]) and not cell.contains([-q[0] * 0.5, -3.0])
    check_cell(cell, circle_dist, rng, inside_tol=1e-5)


def test_half_circle_interior_points_have_rays(rng):
    M = half_circle()
    for t in (0.4, 2.5):
        q = np.array([np.cos(t), np.sin(t)])
        cell = voronoi_cell(M, q, rng=1)
        assert cell.complete and cell.dimension() == 1
        assert len(cell.rays) == 1 and np.allclose(cell.rays[0] / np.linalg.norm(cell.rays[0]), q, atol=1e-6)
        assert np.allclose(cell.vertices, [[0.0, 0.0]], atol=1e-5)     # the segment starts at the centre
        check_cell(cell, circle_dist, rng, inside_tol=1e-5)


# ------------------------------------------------------------------- rank one
def svd_dist(shape):
    def dist(u):
        s = np.linalg.svd(np.asarray(u).reshape(shape), compute_uv=False)
        return float(np.sqrt((s[1:] ** 2).sum()))
    return dist


@pytest.mark.parametrize("seed", [0, 1])
def test_eckart_young_2x2(seed, rng):
    gen = np.random.default_rng(seed)
    U, _ = np.linalg.qr(gen.standard_normal((2, 2)))
    V, _ = np.linalg.qr(gen.standard_normal((2, 2)))
    sigma = 1.5 + seed
    q = (sigma * np.outer(U[:, 0], V[:, 0])).ravel()
    cell = voronoi_cell(rank_one_model(2, 2), q, rng=seed)
    assert cell.complete and not cell.exact and cell.gap <= cell.gap_tol
    # the spectral-norm ball of radius sigma in the (1-dim) normal space: a segment
    e = np.outer(U[:, 1], V[:, 1]).ravel()
    assert len(cell.rays) == 0 and len(cell.vertices) == 2
    assert np.allclose(sorted((cell.vertices - q) @ e), [-sigma, sigma], atol=1e-5)
    assert np.allclose((cell.vertices - q) - np.outer((cell.vertices - q) @ e, e), 0.0, atol=1e-6)
    check_cell(cell, svd_dist((2, 2)), rng, inside_tol=1e-5)


@pytest.mark.slow
def test_eckart_young_2x3_disk(rng):
    """Cell of sigma e1 e1ᵀ in 2x3: the disk of radius sigma in the normal plane (curved: outer approx)."""
    sigma = 2.0
    q = np.zeros(6)
    q[0] = sigma
    cell = voronoi_cell(rank_one_model(2, 3), q, rng=0, max_cuts=24)
    assert not cell.exact and cell.dimension() == 2
    radii = np.linalg.norm(cell.vertices - q, axis=1)
    assert np.all(radii >= sigma * (1 - 1e-5)) and np.all(radii <= 2.0 * sigma)
    # the disk is inside the outer approximation; everything outside is outside the true cell
    ang = np.linspace(0, 2 * np.pi, 50)
    disk = np.zeros((50, 6))
    disk[:, 0] = sigma
    disk[:, 4], disk[:, 5] = 0.999 * sigma * np.cos(ang), 0.999 * sigma * np.sin(ang)
    assert np.all(cell.contains(disk))
    check_cell(cell, svd_dist((2, 3)), rng, check_inside=False)


def test_rank_one_cell_of_zero_is_a_point():
    cell = voronoi_cell(rank_one_model(2, 2), np.zeros(4), rng=0)
    assert cell.complete and len(cell.rays) == 0
    assert np.allclose(cell.vertices, 0.0, atol=1e-9)
    assert cell.dimension() == 0


def test_critical_cell_contains_voronoi_cell():
    M = rank_one_model(2, 2)
    theta = np.array([2.0, 0.0, 1.0, 0.0])                  # q = 2 e1 e1ᵀ
    C = critical_cell(M, theta)
    assert C.dimension() == 1                                 # 4 - dim(tangent space) 3
    cell = voronoi_cell(M, M.param.evaluate(theta), theta=theta, rng=0)
    assert np.all(C.contains(cell.vertices))


# ------------------------------------------------------------------ log cells
def test_independence_model_log_cell_segment():
    cell = voronoi_cell(independence_model(2, 2), [1 / 12, 1 / 4, 1 / 6, 1 / 2], metric="log")
    assert cell.exact and cell.complete
    got = sorted(map(tuple, np.round(cell.vertices, 12)))
    want = sorted(map(tuple, np.round([[1 / 4, 1 / 12, 0, 2 / 3], [0, 1 / 3, 1 / 4, 5 / 12]], 12)))
    assert got == want


def test_independence_model_parametrized_agrees():
    """The generic loop (parametrized model, numerical MLE) finds the same segment."""
    from relugeom.algebra import PolynomialParametrization

    phi = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"], params=["a", "b"])
    M = ParametrizedModel(phi, Box([0.0, 0.0], [1.0, 1.0]), n_starts=3)
    cell = voronoi_cell(M, [1 / 12, 1 / 4, 1 / 6, 1 / 2], metric="log", rng=0)
    assert cell.complete and not cell.exact
    got = np.array(sorted(map(tuple, cell.vertices)))
    want = np.array(sorted([(1 / 4, 1 / 12, 0, 2 / 3), (0, 1 / 3, 1 / 4, 5 / 12)]))
    assert np.allclose(got, want, atol=1e-6)


def test_twisted_cubic_log_cells_are_polytopes(rng):
    M = twisted_cubic()
    tgrid = np.linspace(1e-3, 1 - 1e-3, 100001)
    P = M.param.evaluate(tgrid[:, None])
    for t in rng.uniform(0.1, 0.9, size=2):
        q = M.param.evaluate([t])
        cell = voronoi_cell(M, q, metric="log", rng=0)
        assert cell.complete and len(cell.rays) == 0 and cell.dimension() == 2
        for u in sample_inside(cell, 15, rng):
            t_hat = tgrid[np.argmax(np.log(P) @ u)]                # numerical MLE (grid)
            assert abs(t_hat - t) < 2e-4
            assert abs((3 * u[0] + 2 * u[1] + u[2]) / 3 - t) < 1e-8     # the closed form
        # outside (inside the simplex): the MLE moves
        c = cell.vertices.mean(axis=0)
        for v in cell.vertices:
            w = c + 1.5 * (v - c)
            if np.all(w >= 0):
                assert abs((3 * w[0] + 2 * w[1] + w[2]) / 3 - t) > 1e-6


@given(st.integers(1, 6), st.lists(st.floats(0.0, 1.0), min_size=7, max_size=7).filter(lambda v: sum(v) > 0.1))
def test_binomial_toric_model_mle_is_binomial_of_the_mean(n, w):
    """Scaled toric model ``p_k = C(n, k) s^(n-k) t^k``: the MLE is Binomial(n, mean count / n)."""
    from math import comb

    from relugeom.voronoi import ToricModel

    k = np.arange(n + 1)
    B = ToricModel([n - k, k], coefficients=[comb(n, j) for j in k])
    u = np.asarray(w[: n + 1]) + 1e-3
    t = float(k @ u) / (n * u.sum())
    want = np.array([comb(n, j) * (1 - t) ** (n - j) * t ** j for j in k])
    np.testing.assert_allclose(B.nearest(u).point, want, atol=1e-9)
    assert B.contains(want)
    assert B.contains(np.full(n + 1, 1 / (n + 1))) == (n == 1)  # uniform: binomial only for n = 1


def test_binomial_twisted_cubic_log_cell():
    """The cell of q = Binomial(3, t) is {u in the simplex : mean count = 3t}, exactly."""
    from relugeom.voronoi import ToricModel

    B = ToricModel([[3, 2, 1, 0], [0, 1, 2, 3]], coefficients=[1, 3, 3, 1])
    for t in (0.5, 0.3):
        q = np.array([(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3])
        cell = voronoi_cell(B, q, metric="log")
        assert cell.exact and cell.complete and cell.dimension() == 2
        # vertices: on simplex edges {i, j}, u_i + u_j = 1 and 3 - (mean count) = 3 (1 - t)
        a = np.array([3.0, 2.0, 1.0, 0.0])
        want = []
        for i in range(4):
            for j in range(i + 1, 4):
                ui = (3 * (1 - t) - a[j]) / (a[i] - a[j])
                if -1e-12 <= ui <= 1 + 1e-12:
                    v = np.zeros(4)
                    v[i], v[j] = ui, 1 - ui
                    want.append(tuple(np.round(v, 10)))
        assert sorted(set(map(tuple, np.round(cell.vertices, 10)))) == sorted(set(want))
    with pytest.raises(ValueError, match="not a positive point"):   # unit coefficients: not on it
        voronoi_cell(ToricModel([[3, 2, 1, 0], [0, 1, 2, 3]]), [1 / 8, 3 / 8, 3 / 8, 1 / 8], metric="log")
    with pytest.raises(ValueError, match="positive"):
        ToricModel([[1, 0], [0, 1]], coefficients=[1, 0])


# ----------------------------------------------------------------- finite sets
@given(st.integers(0, 10_000), st.sampled_from([2, 3]))
def test_finite_point_cells(seed, d):
    gen = np.random.default_rng(seed)
    P = gen.standard_normal((7, d))
    i = int(gen.integers(7))
    cell = voronoi_cell(P, P[i])
    assert cell.exact and cell.complete
    U = gen.standard_normal((200, d)) * 3
    D = np.linalg.norm(U[:, None, :] - P[None], axis=2)
    nearest_is_q = D[:, i] <= D.min(axis=1) + 1e-12
    inside = cell.contains(U, atol=1e-9)
    assert np.array_equal(inside, nearest_is_q)


def test_finite_cells_q_metric_and_log():
    gen = np.random.default_rng(3)
    P = gen.standard_normal((6, 3))
    met = mse_metric([-1.0, 0.0, 2.0], 2)          # Q = AᵀA (Vandermonde), PD
    cell = voronoi_cell(P, P[2], metric=met)
    U = gen.standard_normal((300, 3)) * 3
    Dq = np.einsum("nkj,jl,nkl->nk", U[:, None] - P[None], met.Q, U[:, None] - P[None])
    assert np.array_equal(cell.contains(U, atol=1e-9), Dq[:, 2] <= Dq.min(axis=1) + 1e-10)
    # log cells of finitely many distributions
    S = gen.dirichlet(np.ones(3), size=5)
    lc = voronoi_cell(S, S[0], metric="log")
    Uq = gen.dirichlet(np.ones(3), size=300)
    L = Uq @ np.log(S).T
    assert np.array_equal(lc.contains(Uq, atol=1e-9), L[:, 0] >= L.max(axis=1) - 1e-12)


def test_psd_metric_cells_have_kernel_lineality():
    met = mse_metric([0.0, 1.0], 2)                # 2 inputs, 3 monomials: singular Q
    P = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    cell = voronoi_cell(P, P[0], metric=met)
    k = np.linalg.svd(met.Q)[2][-1]                 # kernel direction
    assert cell.contains(50 * k) and cell.contains(-50 * k)


# -------------------------------------------------------------------- polyhedra
def test_polyhedral_model_cells_are_normal_cones(rng):
    M = PolyhedralModel([Box([0.0, 0.0], [1.0, 1.0]), Box([2.0, -1.0], [3.0, 0.5])])
    # a vertex of the first box: the normal cone (negative quadrant), whose ray (0, -1) the
    # corner (2, -1) of the second box turns into (-1, -2)/sqrt(5) (the recession cone is
    # the polar of cone(M - q))
    cell = voronoi_cell(M, [0.0, 0.0])
    assert cell.exact
    want = sorted([(-1.0, 0.0), tuple(np.round(np.array([-1.0, -2.0]) / np.sqrt(5), 9))])
    assert sorted(map(tuple, np.round(cell.rays, 9))) == want

    def dist(u):
        return M.nearest(u).loss

    check_cell(cell, dist, rng)
    # a point on the right edge of the first box: competitor box cuts the normal ray
    cell2 = voronoi_cell(M, [1.0, 0.25])
    assert cell2.exact and cell2.is_bounded
    assert np.allclose(sorted(cell2.vertices[:, 0]), [1.0, 1.5], atol=1e-9)
    check_cell(cell2, dist, rng, delta=0.05)


def test_polyhedral_log_single_piece_is_exact():
    # a linear model in the simplex: the segment between two distributions
    p1, p2 = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.2, 0.6])
    seg = HPolytope(np.array([[-1.0], [1.0]]) @ np.zeros((1, 3)) + np.array([[0, 0, -1.0], [0, 0, 1.0]]),
                    [-0.1, 0.6], np.array([[1.0, 1.0, 1.0], np.cross(p2 - p1, [1.0, 1.0, 1.0])]),
                    [1.0, float(np.cross(p2 - p1, [1.0, 1.0, 1.0]) @ p1)])
    q = 0.5 * (p1 + p2)
    cell = voronoi_cell(PolyhedralModel([seg]), q, metric="log")
    assert cell.exact and cell.complete
    # log-normal polytope: (u/q) ⊥ (p2 - p1)
    assert np.allclose((cell.vertices / q) @ (p2 - p1), 0.0, atol=1e-9)


def test_bad_inputs():
    with pytest.raises(ValueError, match="not a valid MetricKind"):
        voronoi_cell([[0.0], [1.0]], [0.0], metric="manhattan")
    with pytest.raises(ValueError, match="not on the model"):
        voronoi_cell([[0.0], [1.0]], [0.5])
    with pytest.raises(ValueError, match="probability vector"):
        voronoi_cell([[0.5, 0.5]], [0.5, 0.6], metric="log")
    with pytest.raises(ValueError, match="shape"):
        voronoi_cell([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="log-likelihood cells only"):
        voronoi_cell(independence_model(2, 2), [0.25] * 4)


def test_budget_gives_incomplete_outer_approximation():
    cell = voronoi_cell(rank_one_model(2, 3), [2.0, 0, 0, 0, 0, 0], rng=0, max_cuts=3)
    assert not cell.complete and not cell.exact and cell.n_cuts == 3
    assert cell.to_dict()["complete"] is False


def test_semialgebraic_domain_matches_box_domain():
    """t ↦ (t, t²) over {1 − t² >= 0} (SLSQP with a polynomial constraint) and over the box [-1, 1]."""
    from relugeom.algebra import PolynomialParametrization

    phi = PolynomialParametrization(["t", "t^2"], params=["t"])
    semi = ParametrizedModel(phi, inequalities=["1 - t^2"], n_starts=4)
    box = ParametrizedModel(phi, Box([-1.0], [1.0]), n_starts=4)
    q = np.array([1.0, 1.0])                        # an endpoint: full-dimensional cell
    a = voronoi_cell(semi, q, rng=0, max_cuts=30)
    b = voronoi_cell(box, q, rng=0, max_cuts=30)
    assert a.dimension() == b.dimension() == 2
    ts = np.linspace(-1, 1, 400001)
    curve = np.stack([ts, ts ** 2], axis=1)
    gen = np.random.default_rng(0)
    for cell in (a, b):
        check_cell(cell, lambda u: float(np.sqrt(((curve - u) ** 2).sum(axis=1).min())), gen, n=10,
                   check_inside=cell.complete, inside_tol=1e-4)
    U = sample_inside(a, 50, gen)
    assert np.mean(b.contains(U, atol=1e-4)) > 0.95


def test_q_weighted_half_circle_interior_ray():
    Q = np.diag([4.0, 1.0])
    t = 1.0
    q = np.array([np.cos(t), np.sin(t)])
    cell = voronoi_cell(half_circle(), q, metric=Q, rng=0)
    assert cell.complete and cell.dimension() == 1
    d = np.linalg.solve(Q, q)                        # Q(u − q) ∥ normal q
    assert np.allclose(np.abs(cell.rays[0] @ d) / np.linalg.norm(d), 1.0, atol=1e-6)
    Qd = lambda u: float(np.sqrt(np.einsum("ij,jk,ik->i", CIRCLE - u, Q, CIRCLE - u).min()))
    gen = np.random.default_rng(1)
    for u in sample_inside(cell, 15, gen):
        du = float(np.sqrt((u - q) @ Q @ (u - q)))
        assert du <= Qd(u) + 1e-5
