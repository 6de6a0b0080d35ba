"""Parametrizations: parsing, the four evaluators agree, Jacobians, gradings."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from relugeom.algebra import PolynomialParametrization
from relugeom.errors import ParseError

P = 2147483629  # a prime below 2**31


def test_parsing_forms_agree():
    a, b = sympy.symbols("a b")
    s = PolynomialParametrization(["a^2*b - 1/3", "a*b"], params=["a", "b"])
    e = PolynomialParametrization([a**2 * b - sympy.Rational(1, 3), a * b], params=["a", "b"])
    f = PolynomialParametrization(s.polynomials())
    for q in (e, f):
        assert q.param_names == ("a", "b")
        assert [str(x) for x in q.polynomials()] == [str(x) for x in s.polynomials()]


def test_bad_input():
    with pytest.raises(ParseError):
        PolynomialParametrization(["a +* b"])
    with pytest.raises(ParseError):
        PolynomialParametrization(["sin(a)"])
    with pytest.raises(ValueError):
        PolynomialParametrization(["a"], outputs=["y1", "y2"])
    with pytest.raises(ValueError):
        PolynomialParametrization([])
    phi = PolynomialParametrization(["a*b"])
    with pytest.raises(ValueError, match="shape"):
        phi.evaluate(np.zeros((3, 5)))


@st.composite
def random_param(draw):
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 4))
    polys = []
    for _ in range(m):
        terms = draw(st.integers(1, 3))
        expr = 0
        for _ in range(terms):
            c = sympy.Rational(draw(st.integers(-5, 5)), draw(st.integers(1, 4)))
            mono = 1
            for j in range(n):
                mono *= sympy.Symbol(f"t{j}") ** draw(st.integers(0, 3))
            expr += c * mono
        polys.append(expr)
    return PolynomialParametrization(polys, params=[f"t{j}" for j in range(n)])


@given(random_param(), st.integers(0, 10**6))
def test_float_modp_exact_agree(phi, seed):
    rng = np.random.default_rng(seed)
    ints = rng.integers(-7, 8, size=(4, phi.n_params))
    exact = [phi.evaluate_exact([Fraction(int(v)) for v in row]) for row in ints]
    flt = phi.evaluate(ints.astype(float))
    np.testing.assert_allclose(flt, np.array([[float(v) for v in r] for r in exact]), rtol=1e-12, atol=1e-12)
    mod = phi.evaluate_mod_p(ints % P, P)
    for r, row in zip(exact, mod):
        assert [v.numerator * pow(v.denominator, -1, P) % P for v in r] == row.tolist()
    # Jacobian: float vs exact finite difference of polynomials via sympy, and mod p vs float on integers
    J = phi.jacobian(ints[0].astype(float))
    Jp = phi.jacobian_mod_p(ints[0] % P, P)
    assert J.shape == (phi.n_outputs, phi.n_params)
    # J has rational entries with small denominators; compare mod P after scaling by 12^k
    for i in range(phi.n_outputs):
        for j in range(phi.n_params):
            q = Fraction(J[i, j]).limit_denominator(10**6)
            assert q.numerator * pow(q.denominator, -1, P) % P == Jp[i, j]


def test_gradings():
    seg = PolynomialParametrization([f"a{i}*b{j}*c{k}" for i in range(2) for j in range(2) for k in range(2)])
    G = seg.grading()
    assert G.shape == (8, 4)  # rank of the torus acting on the image of P1xP1xP1 cone: 4
    assert seg.homogeneous
    affine = PolynomialParametrization(["a*b", "a*(1-b)", "(1-a)*b", "(1-a)*(1-b)"])
    assert affine.grading().shape == (4, 0)
    assert not affine.homogeneous
    weighted = PolynomialParametrization(["t", "t^2", "t^3"])
    assert weighted.grading().tolist() == [[1], [2], [3]]
    assert not weighted.homogeneous
    # a zero output takes a row of another output, keeping homogeneity
    z = PolynomialParametrization(["a*b", "0", "a^2"], params=["a", "b"])
    assert z.homogeneous
