"""Implicitization on models with known ideals (literature values), certificates, symmetry."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.algebra import (PermutationSymmetry, PolynomialParametrization, certify_invariant,
                              evaluate_invariants, implicitize, in_ideal, spans)


def minors(M: sympy.Matrix, k: int) -> list:
    out = []
    for rows in itertools.combinations(range(M.rows), k):
        for cols in itertools.combinations(range(M.cols), k):
            out.append(sympy.expand(M.extract(list(rows), list(cols)).det()))
    return [f for f in out if f != 0]


def check_certified(res):
    assert res.complete
    assert res.all_certified
    for g in res.generators:
        assert g.certificate.passed


def test_independence_model_homogeneous():
    phi = PolynomialParametrization([f"a{i}*b{j}" for i in range(2) for j in range(2)],
                                    outputs=["p11", "p12", "p21", "p22"])
    res = implicitize(phi, 3, rng=1)
    check_certified(res)
    assert [str(g) for g in res.generators] == ["p11*p22 - p12*p21"]
    assert res.dimension == 3 and res.projective_dimension == 2
    assert res.hilbert_function == {1: 4, 2: 9, 3: 16}  # (d+1)^2 for P1 x P1
    assert res.variety_degree == 2


def test_independence_model_sum_to_one():
    phi = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"],
                                    outputs=["p11", "p12", "p21", "p22"])
    res = implicitize(phi, 3, rng=2)
    check_certified(res)
    assert not res.homogeneous
    assert res.generator_degrees == [1, 2]
    assert in_ideal("p11 + p12 + p21 + p22 - 1", res)
    assert in_ideal("p11*p22 - p12*p21", res)
    assert not in_ideal("p11*p22 + p12*p21", res)
    assert res.dimension == 2
    assert res.variety_degree is None and "not determined" in res.degree_justification


def test_twisted_cubic():
    phi = PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"])
    res = implicitize(phi, 4, rng=3)
    check_certified(res)
    assert res.generator_degrees == [2, 2, 2]
    assert res.hilbert_function == {d: 3 * d + 1 for d in range(1, 5)}
    assert res.variety_degree == 3
    assert res.dimension == 2
    assert spans(["y1*y3 - y2^2", "y1*y4 - y2*y3", "y2*y4 - y3^2"], res, 4)


def test_weighted_homogeneous_curve():
    # (t, t^2): grading (1, 2), not standard-homogeneous; y2 - y1^2 is found in degree 2
    res = implicitize(PolynomialParametrization(["t", "t^2"]), 3, rng=4)
    check_certified(res)
    assert [str(g) for g in res.generators] == ["y1^2 - y2"]


@pytest.mark.parametrize("shape,r", [((3, 3), 2), ((3, 3), 1), ((2, 4), 1), ((3, 4), 2)])
def test_rank_r_matrices_from_linear_networks(shape, r):
    n2, n0 = shape
    W1 = sympy.Matrix(r, n0, lambda i, j: sympy.Symbol(f"u{i}_{j}"))
    W2 = sympy.Matrix(n2, r, lambda i, j: sympy.Symbol(f"v{i}_{j}"))
    M = W2 * W1
    names = [f"m{i + 1}{j + 1}" for i in range(n2) for j in range(n0)]
    phi = PolynomialParametrization(list(M), params=[str(s) for s in list(W1) + list(W2)], outputs=names)
    D = r + 1
    res = implicitize(phi, D, rng=5)
    check_certified(res)
    Y = sympy.Matrix(n2, n0, lambda i, j: sympy.Symbol(names[i * n0 + j]))
    mins = minors(Y, r + 1)
    assert res.generator_degrees == [r + 1] * len(mins)
    assert res.dimension == r * (n2 + n0 - r)
    for f in mins:
        assert in_ideal(f, res)
    assert spans(mins, res, r + 1)


def test_segre_2x2x2():
    phi = PolynomialParametrization([f"a{i}*b{j}*c{k}" for i in range(2) for j in range(2) for k in range(2)])
    res = implicitize(phi, 3, rng=6)
    check_certified(res)
    assert res.generator_degrees == [2] * 9
    assert res.dimension == 4
    assert res.hilbert_function == {d: (d + 1) ** 3 for d in range(1, 4)}
    assert res.variety_degree == 6
    assert "toric" in res.degree_justification


def binary_cubic_coefficients(expr, x, y):
    P = sympy.Poly(sympy.expand(expr), x, y)
    return [P.coeff_monomial(x**3), P.coeff_monomial(x**2 * y), P.coeff_monomial(x * y**2),
            P.coeff_monomial(y**3)]


def test_polynomial_network_dominant_vs_twisted_cubic():
    a, b, c, d, e, f, x, y = sympy.symbols("a b c d e f x y")
    two = binary_cubic_coefficients(e * (a * x + b * y) ** 3 + f * (c * x + d * y) ** 3, x, y)
    phi2 = PolynomialParametrization(two, params=["a", "b", "c", "d", "e", "f"], outputs=["A", "B", "C", "D"])
    res2 = implicitize(phi2, 4, rng=7)
    assert res2.dimension == 4  # dominant: Zariski dense in the binary cubics
    assert res2.generators == () and all(v == 0 for v in res2.ideal_dimensions.values())
    assert res2.variety_degree == 1
    # over the reals it misses x^3 - x y^2 (A=1, B=0, C=-1, D=0), but no invariant sees that
    assert evaluate_invariants(res2, [1, 0, -1, 0]).all_vanish
    one = binary_cubic_coefficients(e * (a * x + b * y) ** 3, x, y)
    phi1 = PolynomialParametrization(one, params=["a", "b", "e"], outputs=["A", "B", "C", "D"])
    res1 = implicitize(phi1, 3, rng=8)
    check_certified(res1)
    assert res1.generator_degrees == [2, 2, 2]
    assert res1.dimension == 2
    assert res1.variety_degree == 3
    assert in_ideal("B^2 - 3*A*C", res1)


def pattern_parametrization(widths, patterns):
    n0, n1, n2 = widths
    W1 = sympy.Matrix(n1, n0, lambda i, j: sympy.Symbol(f"w1_{i}_{j}"))
    W2 = sympy.Matrix(n2, n1, lambda i, j: sympy.Symbol(f"w2_{i}_{j}"))
    polys, outs = [], []
    for b, pat in enumerate(patterns):
        M = W2 * sympy.diag(*pat) * W1
        for i in range(n2):
            for j in range(n0):
                polys.append(sympy.expand(M[i, j]))
                outs.append(f"m_{b + 1}_{i + 1}_{j + 1}")
    return PolynomialParametrization(polys, params=[str(s) for s in list(W1) + list(W2)], outputs=outs)


def test_pattern_variety_two_blocks_222():
    phi = pattern_parametrization((2, 2, 2), [(1, 0), (1, 1)])
    res = implicitize(phi, 4, rng=9)
    check_certified(res)
    M1 = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"m_1_{i + 1}_{j + 1}"))
    M2 = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"m_2_{i + 1}_{j + 1}"))
    known = [sympy.expand(M1.det()), sympy.expand((M2 - M1).det())]
    assert res.generator_degrees == [2, 2]
    for d in range(2, 5):
        assert spans(known, res, d)
    assert res.dimension == 6
    assert res.variety_degree == 4  # complete intersection of two quadrics


def test_pattern_variety_333_complete_intersection():
    phi = pattern_parametrization((3, 3, 3), [(1, 1, 0), (0, 1, 1)])
    res = implicitize(phi, 3, rng=10)
    check_certified(res)
    assert res.generator_degrees == [3, 3, 3]
    assert res.dimension == 15
    assert res.variety_degree == 27


def row_col_symmetry(widths, k, G):
    n0, _, n2 = widths
    idx = {(b, i, j): b * n2 * n0 + i * n0 + j for b in range(k) for i in range(n2) for j in range(n0)}

    def perm(f):
        p = np.arange(len(idx))
        for key, v in idx.items():
            p[v] = idx[f(*key)]
        return p
    gens = [perm(lambda b, i, j: (b, {0: 1, 1: 0}.get(i, i), j)),
            perm(lambda b, i, j: (b, (i + 1) % n2, j)),
            perm(lambda b, i, j: (b, i, {0: 1, 1: 0}.get(j, j))),
            perm(lambda b, i, j: (b, i, (j + 1) % n0))]
    return PermutationSymmetry(gens, G)


def test_symmetry_gives_the_same_result():
    widths, pats = (3, 3, 3), [(1, 1, 0), (0, 1, 1)]
    phi = pattern_parametrization(widths, pats)
    sym = row_col_symmetry(widths, 2, phi.grading())
    assert sym.order == 36
    a = implicitize(phi, 3, rng=11)
    b = implicitize(phi, 3, rng=11, symmetry=sym)
    check_certified(b)
    assert a.hilbert_function == b.hilbert_function
    assert a.generator_degrees == b.generator_degrees
    for g in b.generators:
        assert in_ideal(g.polynomial, a)
    assert spans([g.polynomial for g in b.generators], a, 3)
    # the full bases agree too (blocks obtained by renaming variables)
    basis_b = b.basis(3)
    assert len(basis_b) == len(a.basis(3)) == 3
    assert all(in_ideal(f, a) for f in basis_b)
    assert all(in_ideal(f, b) for f in a.basis(3))


def test_wrong_symmetry_is_rejected_or_caught():
    phi = PolynomialParametrization(["a^2", "a*b", "b^3"], params=["a", "b"])
    # swapping y1 and y3 does not preserve the grading linearly
    with pytest.raises(ValueError):
        PermutationSymmetry([[2, 1, 0]], phi.grading())


def test_wrong_polynomial_never_certified():
    phi = PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"])
    for method in ("substitution", "evaluation"):
        assert certify_invariant("y1*y3 - y2^2", phi, method=method, rng=0).passed
        assert not certify_invariant("y1*y3 - y2^2 + y1*y4", phi, method=method, rng=0).passed
        assert not certify_invariant("y1*y3 - 2*y2^2", phi, method=method, rng=1).passed


def test_float_and_exact_paths_agree():
    phi = PolynomialParametrization([f"a{i}*b{j}*c{k}" for i in range(2) for j in range(2) for k in range(2)])
    res = implicitize(phi, 2, rng=12)
    rng = np.random.default_rng(0)
    for _ in range(5):
        theta = rng.integers(-9, 10, size=phi.n_params)
        y_exact = phi.evaluate_exact([Fraction(int(v)) for v in theta])
        y_float = phi.evaluate(theta.astype(float))
        ex = evaluate_invariants(res, y_exact)
        fl = evaluate_invariants(res, list(y_float))
        assert ex.exact and ex.all_vanish
        assert not fl.exact and fl.all_vanish
        # off the variety: both paths see it
        y_bad = list(y_exact)
        y_bad[0] += 1
        assert not evaluate_invariants(res, y_bad).all_vanish
        assert not evaluate_invariants(res, [float(v) for v in y_bad]).all_vanish


def test_time_limit_returns_incomplete():
    phi = PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"])
    res = implicitize(phi, 5, rng=0, time_limit=0.0)
    assert not res.complete
    assert res.degrees_done == () and res.hilbert_function == {}
    assert res.variety_degree == 3  # the toric justification does not need the ideal


def test_bad_arguments():
    phi = PolynomialParametrization(["a"])
    with pytest.raises(ValueError):
        implicitize(phi, 0)
    with pytest.raises(ValueError):
        implicitize(phi, 2, certify="maybe")
    with pytest.raises(ValueError):
        implicitize(phi, 2, primes=[15])
    with pytest.raises(TypeError):
        implicitize("a*b", 2)


def test_seed_reproducible_and_recorded():
    phi = PolynomialParametrization(["s^2", "s*t", "t^2"], params=["s", "t"])
    a = implicitize(phi, 3, rng=42)
    b = implicitize(phi, 3, rng=42)
    assert a.seed == b.seed == 42 and a.primes == b.primes
    assert [str(g) for g in a.generators] == [str(g) for g in b.generators]


def test_rational_coefficients_need_reconstruction():
    # invariants with non-trivial rational coefficients: y2^2 = (9/4)... via scaled monomials
    phi = PolynomialParametrization(["2*s^2/3", "5*s*t/7", "t^2"], params=["s", "t"])
    res = implicitize(phi, 2, rng=13)
    check_certified(res)
    (g,) = res.generators
    # (5st/7)^2 = (25/49) s^2 t^2 = (25/49)(3/2) y1 y3  ->  98 y2^2 - 75 y1 y3
    assert str(g) in ("75*y1*y3 - 98*y2^2",)


@st.composite
def monomial_map(draw):
    """A homogeneous monomial map with random coefficients (a toric variety, scaled)."""
    n = draw(st.integers(2, 3))
    deg = draw(st.integers(1, 3))
    allexps = [e for e in itertools.product(range(deg + 1), repeat=n) if sum(e) == deg]
    exps = draw(st.lists(st.sampled_from(allexps), min_size=2, max_size=min(6, len(allexps)), unique=True))
    coeffs = draw(st.lists(st.integers(1, 5), min_size=len(exps), max_size=len(exps)))
    polys = [f"{c}*" + "*".join(f"t{j}^{k}" for j, k in enumerate(e) if k) for c, e in zip(coeffs, exps)]
    return PolynomialParametrization(polys, params=[f"t{j}" for j in range(n)])


@settings(max_examples=10, deadline=None)
@given(monomial_map(), st.integers(0, 10**6))
def test_random_monomial_maps_invariants_vanish(phi, seed):
    res = implicitize(phi, 3, rng=seed)
    assert res.all_certified
    rng = np.random.default_rng(seed)
    for _ in range(3):
        theta = [Fraction(int(v)) for v in rng.integers(-20, 21, size=phi.n_params)]
        y = phi.evaluate_exact(theta)
        assert evaluate_invariants(res, y).all_vanish
    # every basis polynomial of every degree vanishes too
    for d in res.degrees_done:
        for f in res.basis(d):
            assert evaluate_invariants([f], y).all_vanish


def test_symmetry_three_blocks_matches_plain():
    widths, pats = (3, 3, 3), [(1, 1, 0), (0, 1, 1), (1, 0, 1)]
    phi = pattern_parametrization(widths, pats)
    sym = row_col_symmetry(widths, 3, phi.grading())
    a = implicitize(phi, 3, rng=14)
    b = implicitize(phi, 3, rng=15, symmetry=sym)
    check_certified(a)
    check_certified(b)
    assert a.hilbert_function == b.hilbert_function
    assert a.generator_degrees == b.generator_degrees == [2] * 27
    assert a.dimension == b.dimension == 15
    assert spans([g.polynomial for g in b.generators], a, 3)
    assert spans([g.polynomial for g in a.generators], b, 3)


@pytest.mark.parametrize("symmetric", [False, True])
def test_normal_form_path_matches(monkeypatch, symmetric):
    """Large blocks solve only the complement of the lower-degree part: same ideal."""
    import relugeom.algebra._implicit as impl

    widths, pats = (3, 3, 3), [(1, 1, 0), (0, 1, 1), (1, 0, 1)]
    phi = pattern_parametrization(widths, pats)
    sym = row_col_symmetry(widths, 3, phi.grading()) if symmetric else None
    a = implicitize(phi, 3, rng=16, symmetry=sym)
    monkeypatch.setattr(impl, "NICE_BLOCK", 0)
    b = implicitize(phi, 3, rng=17, symmetry=sym)
    check_certified(b)
    assert a.ideal_dimensions == b.ideal_dimensions
    assert a.generator_degrees == b.generator_degrees
    basis_b = b.basis(3)
    assert len(basis_b) == b.ideal_dimensions[3]
    assert all(in_ideal(f, a) for f in basis_b[:50])
    assert spans([g.polynomial for g in b.generators], a, 3)
    # inhomogeneous filtration through the normal-form path
    indep = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"])
    r = implicitize(indep, 3, rng=18)
    check_certified(r)
    assert r.generator_degrees == [1, 2]
    assert in_ideal("y1*y4 - y2*y3", r)


def test_explicit_primes_and_progress():
    phi = PolynomialParametrization(["s^2", "s*t", "t^2"], params=["s", "t"])
    res = implicitize(phi, 3, primes=[2147483629, 2147483587], rng=0, progress=True)
    assert res.primes[:2] == (2147483629, 2147483587)
    assert res.generator_degrees == [2]
    assert res.hilbert_function == {1: 3, 2: 5, 3: 7}
