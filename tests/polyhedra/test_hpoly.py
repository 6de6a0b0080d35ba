"""HPolytope / Box / VPolytope: properties checked against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, strategies as st
from scipy.spatial import ConvexHull

from relugeom.errors import EmptyDomainError, InfeasibleError, UnboundedError
from relugeom.polyhedra import Box, HPolytope, VPolytope, generators, irredundant_rows

seeds = st.integers(0, 2**32 - 1)


def tangent_polytope(rng, m, d):
    """m halfspaces tangent to the unit sphere: every row is a facet."""
    N = rng.normal(size=(m, d))
    N /= np.linalg.norm(N, axis=1, keepdims=True)
    return N, np.ones(m)


def hull_polytope(P):
    """H-representation of conv(P) from Qhull (independent of pycddlib)."""
    hull = ConvexHull(P)
    return HPolytope(hull.equations[:, :-1], -hull.equations[:, -1]), hull


def same_rows(A1, b1, A2, b2):
    """Equal sets of normalised rows."""
    def norm(A, b):
        n = np.linalg.norm(A, axis=1)
        return np.round(np.hstack([A / n[:, None], (b / n)[:, None]]), 8)
    k1 = sorted(map(tuple, norm(A1, b1)))
    k2 = sorted(map(tuple, norm(A2, b2)))
    return len(k1) == len(k2) and np.allclose(np.array(k1), np.array(k2), atol=1e-7)


# ----------------------------------------------------------------- Chebyshev centre
def test_chebyshev_known_shapes():
    c, r = Box([0, 0], [2, 4]).chebyshev_center()
    assert r == pytest.approx(1.0) and c[0] == pytest.approx(1.0)
    simplex = HPolytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
    c, r = simplex.chebyshev_center()
    assert r == pytest.approx(1 / (2 + math.sqrt(2)))
    assert np.allclose(c, [r, r])
    # regular 12-gon circumscribed about the unit disc, shifted
    th = 2 * np.pi * np.arange(12) / 12
    N = np.column_stack([np.cos(th), np.sin(th)])
    shift = np.array([3.0, -1.0])
    c, r = HPolytope(N, 1.0 + N @ shift).chebyshev_center()
    assert r == pytest.approx(1.0) and np.allclose(c, shift, atol=1e-7)


def test_chebyshev_within_equalities():
    # the square [0,2]^2 x {0.5} inside the slab 0 <= z <= 1: radius 1 in the plane z = 0.5
    B = Box([0, 0, 0], [2, 2, 1])
    P = HPolytope(B.A, B.b, [[0.0, 0.0, 1.0]], [0.5])
    c, r = P.chebyshev_center()
    assert r == pytest.approx(1.0) and c[2] == pytest.approx(0.5)
    # a repeated (dependent) equality must not change the answer
    P2 = HPolytope(B.A, B.b, [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]], [0.5, 1.0])
    assert P2.chebyshev_center()[1] == pytest.approx(1.0)
    # tilted plane x + y + z = 1 in the positive orthant: a triangle with inradius 1/sqrt(6)
    P3 = HPolytope(-np.eye(3), np.zeros(3), [[1.0, 1.0, 1.0]], [1.0])
    assert P3.chebyshev_center()[1] == pytest.approx(1 / math.sqrt(6))
    assert P3.interior_point() == pytest.approx(np.full(3, 1 / 3))


def test_emptiness_and_full_dimensionality():
    empty = HPolytope([[1.0, 0.0], [-1.0, 0.0]], [0.0, -1.0])
    assert empty.is_empty() and empty.dimension() == -1
    with pytest.raises(InfeasibleError):
        empty.chebyshev_center()
    flat = Box([0, 0], [1, 0])
    assert not flat.is_empty() and not flat.is_full_dimensional()
    with pytest.raises(InfeasibleError, match="empty relative interior"):
        flat.interior_point()
    with pytest.raises(EmptyDomainError):
        Box([0, 1], [1, 0])


# ----------------------------------------------------------------- boundedness
def test_is_bounded_cases():
    assert Box([0, 0], [1, 1]).is_bounded()
    assert HPolytope(Box([0, 0], [1, 1]).A, Box([0, 0], [1, 1]).b).is_bounded()
    assert not HPolytope([[1.0, 0.0]], [1.0]).is_bounded()                      # half-plane
    assert not HPolytope([[1.0, 0.0], [-1.0, 0.0]], [1.0, 1.0]).is_bounded()    # strip
    assert not HPolytope([[-1.0, 0.0], [0.0, -1.0]], [0.0, 0.0]).is_bounded()   # orthant
    assert not HPolytope(np.zeros((0, 2)), np.zeros(0)).is_bounded()            # the plane
    # empty set with a nontrivial recession cone is bounded
    assert HPolytope([[1.0, 0.0], [-1.0, 0.0]], [-1.0, -1.0]).is_bounded()
    # a ray inside an equality: unbounded; a segment: bounded
    assert not HPolytope([[-1.0, 0.0]], [0.0], [[0.0, 1.0]], [1.0]).is_bounded()
    assert HPolytope([[-1.0, 0.0], [1.0, 0.0]], [0.0, 1.0], [[0.0, 1.0]], [1.0]).is_bounded()


@given(seed=seeds, m=st.integers(2, 9), d=st.integers(1, 4))
def test_is_bounded_matches_generators(seed, m, d):
    rng = np.random.default_rng(seed)
    A, b = tangent_polytope(rng, m, d)
    P = HPolytope(A, b)
    V, R = generators(P)
    assert P.is_bounded() == (len(R) == 0)


# ----------------------------------------------------------------- redundancy
@given(seed=seeds, m=st.integers(3, 10), d=st.integers(2, 4))
def test_remove_redundant_recovers_facets(seed, m, d):
    rng = np.random.default_rng(seed)
    A, b = tangent_polytope(rng, m, d)
    A = np.vstack([A, np.eye(d), -np.eye(d)])  # bounded, the box rows are cut off or facets
    b = np.concatenate([b, np.full(2 * d, 1.5)])
    P = HPolytope(A, b)
    facets = P.remove_redundant()
    # independent facet test: a row is a facet iff it is tight at >= d affinely independent vertices
    V = P.vertices()
    slack = b[None, :] - V @ A.T
    is_facet = []
    for i in range(len(b)):
        tight = V[np.abs(slack[:, i]) < 1e-9]
        is_facet.append(len(tight) >= d and np.linalg.matrix_rank(tight[1:] - tight[0], tol=1e-9) == d - 1)
    assert same_rows(facets.A, facets.b, A[is_facet], b[is_facet])
    assert np.all(np.asarray(is_facet)[:m])  # tangent rows are always facets
    # now add redundant rows: scaled duplicates, loose copies, positive combinations
    k = int(rng.integers(1, 6))
    pick = rng.integers(0, m, size=k)
    lam = rng.uniform(0.1, 1.0, size=(k, len(b)))
    extra_A = np.vstack([2.5 * A[pick], A[pick], lam @ A])
    extra_b = np.concatenate([2.5 * b[pick], b[pick] + 0.5, lam @ b + 0.1])
    Q = HPolytope(np.vstack([A, extra_A]), np.concatenate([b, extra_b]))
    Qr = Q.remove_redundant()
    assert same_rows(Qr.A, Qr.b, facets.A, facets.b)


def test_irredundant_rows_duplicates_and_zero_rows():
    A = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.0, 0.0]])
    b = np.array([1.0, 2.0, 0.0, 1.0, 0.0, 3.0])
    keep = irredundant_rows(A, b)
    assert keep.tolist() == [0, 2, 3, 4]  # of two equal rows exactly one survives
    with pytest.raises(InfeasibleError):
        irredundant_rows(np.array([[0.0, 0.0]]), np.array([-1.0]))
    with pytest.raises(InfeasibleError):
        irredundant_rows(np.array([[1.0], [-1.0]]), np.array([0.0, -1.0]))


def test_nearly_redundant_rows_follow_the_tolerance():
    # unit square plus corner cuts x + y <= 2 - depth*sqrt(2): a cut shallower than
    # interior_atol counts as redundant, a deeper one is a facet (with or without rays)
    sq = Box([0, 0], [1, 1])
    for depth, kept in [(1e-10, False), (1e-3, True)]:
        A = np.vstack([sq.A, [[1.0, 1.0]], [[-1.0, 1.0]], [[1.0, -1.0]]])
        b = np.concatenate([sq.b, [2 - depth * math.sqrt(2), 1.0 + 0.5, 1.0 + 0.5]])
        rows = irredundant_rows(A, b)
        assert (4 in rows) == kept
        assert set(range(4)) <= set(rows.tolist())


# ----------------------------------------------------------------- vertices, volume
@given(seed=seeds, n=st.integers(3, 15))
def test_vertices_match_qhull_and_shapely(seed, n):
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(n, 2))
    P, hull = hull_polytope(pts)
    V = P.vertices()
    want = pts[hull.vertices]
    assert len(V) == len(want)
    dist = np.linalg.norm(V[:, None, :] - want[None, :, :], axis=2)
    assert np.all(dist.min(axis=1) < 1e-8)
    poly = P.to_shapely()
    assert poly.area == pytest.approx(shapely.MultiPoint(pts).convex_hull.area, rel=1e-9)
    assert P.volume() == pytest.approx(hull.volume, rel=1e-9)


@given(seed=seeds, d=st.integers(1, 4))
def test_volume_of_simplices_and_rotated_boxes(seed, d):
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(d + 1, d))
    exact = abs(np.linalg.det(S[1:] - S[0])) / math.factorial(d)
    if d == 1:
        P = HPolytope([[1.0], [-1.0]], [S.max(), -S.min()])
    else:
        P, _ = hull_polytope(S)
    assert P.volume() == pytest.approx(exact, rel=1e-9)
    lo = rng.normal(size=d)
    hi = lo + rng.uniform(0.1, 2.0, size=d)
    B = Box(lo, hi)
    Qm, _ = np.linalg.qr(rng.normal(size=(d, d)))
    rotated = HPolytope(B.A @ Qm.T, B.b)  # {Q x : x in B}
    assert rotated.volume() == pytest.approx(np.prod(hi - lo), rel=1e-9)
    assert HPolytope(B.A, B.b).volume() == pytest.approx(B.volume(), rel=1e-12)


def test_volume_degenerate_and_unbounded():
    assert Box([0, 0], [1, 0]).volume() == 0.0
    assert HPolytope(Box([0, 0], [1, 1]).A, Box([0, 0], [1, 1]).b, [[1.0, -1.0]], [0.0]).volume() == 0.0
    assert HPolytope([[1.0], [-1.0]], [0.0, -1.0]).volume() == 0.0  # empty
    with pytest.raises(UnboundedError):
        HPolytope([[1.0, 0.0]], [1.0]).volume()


# ----------------------------------------------------------------- dimension, hull
@given(seed=seeds, d=st.integers(1, 5), data=st.data())
def test_dimension_of_embedded_boxes(seed, d, data):
    k = data.draw(st.integers(0, d))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    x0 = rng.normal(size=d)
    lo = -rng.uniform(0.5, 1.0, size=k)
    hi = rng.uniform(0.5, 1.0, size=k)
    # x = x0 + Q[:, :k] t, t in [lo, hi]; the other coordinates pinned by inequality pairs
    Qk, Qr = Q[:, :k], Q[:, k:]
    A = np.vstack([Qk.T, -Qk.T, Qr.T, -Qr.T])
    b = np.concatenate([hi + Qk.T @ x0, -lo - Qk.T @ x0, Qr.T @ x0, -Qr.T @ x0])
    P = HPolytope(A, b)
    assert P.dimension() == k
    imp = P.implicit_equalities()
    assert sorted(imp.tolist()) == list(range(2 * k, 2 * d))
    H = P.affine_hull()
    assert H.dimension == k
    assert P.contains(H.origin)
    # directions span the same space as Qk
    if k:
        assert np.linalg.matrix_rank(np.vstack([H.directions, Qk.T]), tol=1e-8) == k
    assert np.allclose(H.A_eq @ x0, H.b_eq, atol=1e-8)
    R, H2 = P.restrict_to_affine_hull()
    if k:
        assert R.volume() == pytest.approx(np.prod(hi - lo), rel=1e-7)


def test_dimension_with_equalities():
    P = HPolytope(-np.eye(3), np.zeros(3), [[1.0, 1.0, 1.0]], [1.0])
    assert P.dimension() == 2
    P = HPolytope(-np.eye(3), np.zeros(3), [[1.0, 1.0, 1.0]], [0.0])
    assert P.dimension() == 0
    assert HPolytope(np.zeros((0, 2)), np.zeros(0)).dimension() == 2


# ----------------------------------------------------------------- images
@given(seed=seeds)
def test_affine_image_matches_shapely(seed):
    rng = np.random.default_rng(seed)
    B = Box(-rng.uniform(0.5, 1, 3), rng.uniform(0.5, 1, 3))
    M = rng.normal(size=(2, 3))
    t = rng.normal(size=2)
    img = B.affine_image(M, t)
    want = shapely.MultiPoint(B.vertices() @ M.T + t).convex_hull
    assert img.volume() == pytest.approx(want.area, rel=1e-9)
    H = img.to_hpolytope()
    assert H.volume() == pytest.approx(want.area, rel=1e-9)
    X = B.sample(50, rng) @ M.T + t
    assert H.contains(X, ).all() and img.contains(X[:5]).all()


def test_vpolytope_roundtrip_and_rays():
    sq = VPolytope([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [1.0, 1.0]])
    hull = sq.convex_hull()
    assert hull.n_points == 4
    H = sq.to_hpolytope()
    assert H.n_constraints == 4 and H.volume() == pytest.approx(1.0)
    cone = VPolytope([[0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]])
    assert not cone.is_bounded()
    Hc = cone.to_hpolytope()
    assert not Hc.is_bounded() and Hc.contains([5.0, 7.0]) and not Hc.contains([-1.0, 0.0])
    seg = VPolytope([[0.0, 0.0], [1.0, 2.0]]).to_hpolytope()
    assert seg.dimension() == 1
    with pytest.raises(ValueError, match="at least one point"):
        VPolytope(np.zeros((0, 2)))


def test_project_triangle_and_bounding_box():
    P = HPolytope([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 2.0, 4.0]],
                  [0.0, 0.0, 0.0, 4.0])
    Q = P.project([1, 2])
    assert Q.volume() == pytest.approx(0.5 * 2 * 1)
    bb = P.bounding_box()
    assert np.allclose(bb.lo, 0) and np.allclose(bb.hi, [4, 2, 1])
    V = P.vertices()
    assert np.allclose(bb.lo, V.min(axis=0)) and np.allclose(bb.hi, V.max(axis=0))
    with pytest.raises(UnboundedError):
        HPolytope([[1.0, 0.0]], [1.0]).bounding_box()
    with pytest.raises(InfeasibleError):
        HPolytope([[1.0], [-1.0]], [0.0, -1.0]).bounding_box()


@given(seed=seeds, m=st.integers(3, 9), d=st.integers(1, 4))
def test_supports_match_vertices(seed, m, d):
    rng = np.random.default_rng(seed)
    A, b = tangent_polytope(rng, m, d)
    A = np.vstack([A, np.eye(d), -np.eye(d)])
    b = np.concatenate([b, np.full(2 * d, 1.5)])
    P = HPolytope(A, b)
    U = rng.normal(size=(6, d))
    want = (P.vertices() @ U.T).max(axis=0)
    assert np.allclose(P.supports(U), want, atol=1e-8)
    assert P.support(U[0]) == pytest.approx(want[0], abs=1e-8)


# ----------------------------------------------------------------- boxes
def test_box_split_and_sample():
    B = Box([0, -1, 2], [1, 3, 2.5])
    lo_box, hi_box = B.split()
    assert lo_box.volume() + hi_box.volume() == pytest.approx(B.volume())
    assert lo_box.hi[1] == hi_box.lo[1] == 1.0  # the longest side (axis 1) was halved
    with pytest.raises(ValueError):
        B.split(axis=3)
    with pytest.raises(ValueError):
        B.split(axis=0, at=2.0)
    X = B.sample(200, rng=7)
    assert X.shape == (200, 3) and B.contains(X).all()
    assert np.array_equal(X, B.sample(200, rng=7))
    assert (lo_box.contains(X) | hi_box.contains(X)).all()
    assert Box([0, 0], [1, 0]).vertices().shape == (2, 2)


def test_dict_roundtrip_and_contains():
    P = HPolytope(-np.eye(2), np.zeros(2), [[1.0, 1.0]], [1.0])
    Q = HPolytope.from_dict(P.to_dict())
    assert np.array_equal(Q.A, P.A) and np.array_equal(Q.A_eq, P.A_eq)
    assert P.contains([0.5, 0.5]) and not P.contains([0.5, 0.4])
    with pytest.raises(ValueError, match="keys 'A' and 'b'"):
        HPolytope.from_dict({"A": [[1.0]]})
    with pytest.raises(ValueError, match="b must have shape"):
        HPolytope([[1.0, 0.0]], [1.0, 2.0])
