"""Exact checks: strict inclusion, Farkas certificates, dual bound certificates."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from relugeom.polyhedra import (Box, HPolytope, bound_certificate, exact_strictly_inside,
                                farkas_certificate)

seeds = st.integers(0, 2**32 - 1)


def brute_slacks(A, b, x):
    return [Fraction(bi) - sum(Fraction(a) * Fraction(xj) for a, xj in zip(row, x))
            for row, bi in zip(np.asarray(A).tolist(), np.asarray(b).tolist())]


def check_farkas(A, b, y, Ae=None, be=None, z=()):
    """Independent exact check of a Farkas certificate."""
    A = np.asarray(A).tolist()
    n = len(A[0])
    comb = [sum((yi * Fraction(row[j]) for yi, row in zip(y, A)), Fraction(0)) for j in range(n)]
    val = sum((yi * Fraction(bi) for yi, bi in zip(y, np.asarray(b).tolist())), Fraction(0))
    if Ae is not None:
        for j in range(n):
            comb[j] += sum((zi * Fraction(row[j]) for zi, row in zip(z, np.asarray(Ae).tolist())),
                           Fraction(0))
        val += sum((zi * Fraction(ei) for zi, ei in zip(z, np.asarray(be).tolist())), Fraction(0))
    return all(v >= 0 for v in y) and all(c == 0 for c in comb) and val < 0


# ------------------------------------------------------------------ strict inclusion
def test_strict_inside_ties_and_rounding():
    r = exact_strictly_inside([[1.0, 1.0]], [0.75], [0.25, 0.5])  # exactly on the boundary
    assert not r.inside and r.min_slack == 0 and r.row == 0
    r = exact_strictly_inside([[1.0, 1.0]], [0.3], [0.1, 0.2])    # float says 0.30000000000000004
    assert not r.inside and r.min_slack < 0
    r = exact_strictly_inside([[1.0, 1.0]], [0.30000000000000004], [0.1, 0.2])
    assert r.min_slack == Fraction(0.30000000000000004) - Fraction(0.1) - Fraction(0.2)
    assert r.inside == (r.min_slack > 0)
    assert exact_strictly_inside(np.zeros((0, 2)), np.zeros(0), [1.0, 2.0]).inside
    with pytest.raises(ValueError, match="x must have shape"):
        exact_strictly_inside([[1.0, 1.0]], [1.0], [1.0])


@given(seed=seeds, m=st.integers(1, 10), n=st.integers(1, 6))
def test_strict_inside_matches_brute_force(seed, m, n):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    x = rng.normal(size=n)
    b = A @ x + rng.normal(size=m) * rng.choice([1.0, 1e-15, 0.0], size=m)  # near ties
    r = exact_strictly_inside(A, b, x)
    exact = brute_slacks(A, b, x)
    assert r.min_slack == min(exact)
    assert r.inside == (min(exact) > 0)
    assert exact[r.row] == r.min_slack


@given(seed=seeds, K=st.integers(1, 12), m=st.integers(1, 8), n=st.integers(1, 5),
       shared=st.booleans())
def test_strict_inside_many_matches_brute_force(seed, K, m, n, shared):
    from relugeom.polyhedra import exact_strictly_inside_many

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K, n))
    A = rng.normal(size=(m, n)) if shared else rng.normal(size=(K, m, n))
    AX = X @ A.T if shared else np.einsum("kmd,kd->km", A, X)
    b = AX + rng.normal(size=(K, m)) * rng.choice([1.0, 1e-15, 0.0], size=(K, m)) ** 2
    b = b[0] if shared else b  # shared system: one b for all points
    inside, n_exact = exact_strictly_inside_many(A, b, X)
    for k in range(K):
        Ak = A if shared else A[k]
        bk = b if shared else b[k]
        assert inside[k] == (min(brute_slacks(Ak, bk, X[k])) > 0)
        assert inside[k] == exact_strictly_inside(Ak, bk, X[k]).inside


# ------------------------------------------------------------------ Farkas
def infeasible_system(rng, m, d, extra):
    """Σ λ_i a_i = 0 exactly (integer rows) and Σ λ_i b_i < 0, plus loose extra rows.

    (Float rows that are only approximately dependent usually define an exactly
    feasible system, for which no certificate exists.)
    """
    A = rng.integers(-5, 6, size=(m, d)).astype(float)
    lam = rng.integers(1, 4, size=m).astype(float)
    A = np.vstack([A, -(lam @ A)])
    lam = np.append(lam, 1.0)
    b = rng.normal(size=m + 1)
    b[-1] = -(lam[:m] @ b[:m]) - rng.uniform(1e-6, 1.0)
    E = rng.normal(size=(extra, d))
    return np.vstack([A, E]), np.concatenate([b, np.abs(rng.normal(size=extra)) + 10])


@given(seed=seeds, m=st.integers(1, 6), d=st.integers(1, 5), extra=st.integers(0, 4))
def test_farkas_found_on_infeasible(seed, m, d, extra):
    rng = np.random.default_rng(seed)
    A, b = infeasible_system(rng, m, d, extra)
    assert HPolytope(A, b).is_empty()
    cert = farkas_certificate(A, b)
    assert cert.verified, cert.message
    assert check_farkas(A, b, cert.y)
    assert cert.value < 0


@given(seed=seeds, m=st.integers(1, 12), d=st.integers(1, 5))
def test_farkas_never_verified_when_feasible(seed, m, d):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, d))
    x0 = rng.normal(size=d)
    b = A @ x0 + np.abs(rng.normal(size=m)) * rng.choice([1.0, 0.0], size=m)  # some tight rows
    cert = farkas_certificate(A, b)
    exactly_feasible = all(s >= 0 for s in brute_slacks(A, b, x0))
    if exactly_feasible:  # x0 is an exact witness: no certificate may be verified
        assert not cert.verified
    if cert.verified:  # rounding made the tight rows exactly infeasible: must be a real proof
        assert check_farkas(A, b, cert.y) and not exactly_feasible


def test_farkas_with_equalities_and_degenerate_cases():
    # x + y = 1, x, y >= 0, x + y >= 2: infeasible, needs the equality multiplier
    A = [[-1.0, 0.0], [0.0, -1.0], [-1.0, -1.0]]
    b = [0.0, 0.0, -2.0]
    cert = farkas_certificate(A, b, [[1.0, 1.0]], [1.0])
    assert cert.verified and check_farkas(A, b, cert.y, [[1.0, 1.0]], [1.0], cert.y_eq)
    # a single point (feasible, lower-dimensional): never verified
    assert not farkas_certificate([[1.0], [-1.0]], [0.0, 0.0]).verified
    # infeasible by a hair (1e-12), still exactly certified
    cert = farkas_certificate([[1.0], [-1.0]], [0.0, -1e-12])
    assert cert.verified and cert.support == (0, 1)
    # inconsistent equalities only
    cert = farkas_certificate(np.zeros((0, 2)), np.zeros(0), [[1.0, 1.0], [2.0, 2.0]], [1.0, 3.0])
    assert cert.verified


# ------------------------------------------------------------------ bound certificates
def test_bound_certificate_box_tie_is_exact():
    B = Box([0, 0], [1, 1])
    cert = bound_certificate([1.0, 1.0], B.A, B.b, 2.0)       # max is exactly 2
    assert cert.verified and cert.value == 2 and cert.kind == "dual"
    assert not bound_certificate([1.0, 1.0], B.A, B.b, 1.999999).verified


@given(seed=seeds, m=st.integers(3, 10), d=st.integers(1, 4))
def test_bound_certificate_random(seed, m, d):
    rng = np.random.default_rng(seed)
    N = rng.normal(size=(m, d))
    A = np.vstack([N, np.eye(d), -np.eye(d)])
    x0 = rng.normal(size=d) * 0.1
    b = np.concatenate([N @ x0 + rng.uniform(0.1, 1.0, size=m), np.full(2 * d, 2.0)])
    c = rng.normal(size=d)
    top = HPolytope(A, b).support(c)
    cert = bound_certificate(c, A, b, top + 1e-6)
    assert cert.verified, cert.message
    # independent exact check of weak duality
    y = cert.y
    comb = [sum((yi * Fraction(row[j]) for yi, row in zip(y, A.tolist())), Fraction(0)) for j in range(d)]
    assert comb == [Fraction(v) for v in c.tolist()] and all(v >= 0 for v in y)
    assert sum((yi * Fraction(bi) for yi, bi in zip(y, b.tolist())), Fraction(0)) <= Fraction(top + 1e-6)
    assert not bound_certificate(c, A, b, top - 1e-3).verified


def test_bound_certificate_empty_and_unbounded():
    cert = bound_certificate([1.0], [[1.0], [-1.0]], [0.0, -1.0], -100.0)
    assert cert.verified and cert.kind == "empty"
    cert = bound_certificate([1.0], [[-1.0]], [0.0], 100.0)
    assert not cert.verified and "unbounded" in cert.message
    # with an equality: max x over {x + y = 1, y >= 0} is 1
    cert = bound_certificate([1.0, 0.0], [[0.0, -1.0]], [0.0], 1.0, [[1.0, 1.0]], [1.0])
    assert cert.verified and cert.value == 1


# ------------------------------------------------------------------ redundancy certificates
@given(seed=seeds, m=st.integers(3, 8), d=st.integers(2, 4))
@example(seed=30, m=7, d=4)  # HiGHS once ended its Chebyshev LP with status "unknown" here
def test_certify_redundancy_matches_float_classification(seed, m, d):
    from relugeom.polyhedra import certify_redundancy, irredundant_rows

    rng = np.random.default_rng(seed)
    N = rng.normal(size=(m, d))
    N /= np.linalg.norm(N, axis=1, keepdims=True)
    lam = rng.uniform(0.1, 1.0, size=(2, m))
    A = np.vstack([N, np.eye(d), -np.eye(d), lam @ N])       # last rows: implied (+ slack)
    b = np.concatenate([np.ones(m), np.full(2 * d, 1.5), lam @ np.ones(m) + 0.25])
    facets = set(irredundant_rows(A, b).tolist())
    for i in range(len(b)):
        cert = certify_redundancy(A, b, i)
        assert cert.verified, cert.message
        assert (cert.kind == "irredundant") == (i in facets)
        others = [j for j in range(len(b)) if j != i]
        if cert.kind == "irredundant":  # independent exact check of the witness
            sl = brute_slacks(A[others], b[others], cert.witness)
            assert min(sl) >= 0 and brute_slacks(A[[i]], b[[i]], cert.witness)[0] < 0
        else:
            y = cert.y
            comb = [sum((yi * Fraction(A[j, c]) for yi, j in zip(y, others)), Fraction(0))
                    for c in range(d)]
            assert comb == [Fraction(v) for v in A[i].tolist()] and min(y) >= 0
            assert sum((yi * Fraction(b[j]) for yi, j in zip(y, others)), Fraction(0)) <= Fraction(b[i])


def test_certify_redundancy_touching_row_and_equalities():
    from relugeom.polyhedra import certify_redundancy

    # x + y <= 2 touches the unit square only at a corner: redundant, exactly
    sq = Box([0, 0], [1, 1])
    A = np.vstack([sq.A, [[1.0, 1.0]]])
    b = np.append(sq.b, 2.0)
    assert certify_redundancy(A, b, 4).kind == "redundant"
    assert certify_redundancy(A, b, 0).kind == "irredundant"
    # inside the plane z = 0, the row x <= 1 is a facet and x + z <= 1 is implied by it
    A = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
    b = np.array([1.0, 0.0, 1.5])
    c = certify_redundancy(A, b, 2, [[0.0, 0.0, 1.0]], [0.0])
    assert c.verified and c.kind == "redundant"
    with pytest.raises(IndexError):
        certify_redundancy(A, b, 3)


@given(seed=seeds, m=st.integers(1, 6), d=st.integers(1, 5))
def test_farkas_with_rounded_dependencies_inside_a_box(seed, m, d):
    """Float rows only approximately dependent (Σλa = ε ≠ 0 exactly) + a box: still exactly
    infeasible, and the certificate must absorb ε with the box rows."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, d))
    lam = rng.uniform(0.2, 2.0, size=m)
    A = np.vstack([A, -(lam @ A), np.eye(d), -np.eye(d)])
    b = np.concatenate([rng.normal(size=m), [0.0], np.full(2 * d, 10.0)])
    b[m] = -(lam @ b[:m]) - 0.5  # gap 0.5 >> 20 * |ε|
    cert = farkas_certificate(A, b)
    assert cert.verified, cert.message
    assert check_farkas(A, b, cert.y)
