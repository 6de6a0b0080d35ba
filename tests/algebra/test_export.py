"""Exports (JSON, Macaulay2, Singular, sympy, LaTeX) and membership helpers."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import sympy

from relugeom.algebra import (PolynomialParametrization, as_output_poly, evaluate_invariants,
                              implicitize, in_ideal, m2_name, spans, to_json, to_latex,
                              to_macaulay2, to_singular, to_sympy)


@pytest.fixture(scope="module")
def cubic():
    return implicitize(PolynomialParametrization(["s^3", "s^2*t", "s*t^2", "t^3"], params=["s", "t"]), 3, rng=0)


@pytest.fixture(scope="module")
def indexed():
    # variables named like the pattern maps: m_b_i_j
    polys = [f"a{i}*b{j}" for i in range(2) for j in range(2)]
    outs = [f"m_1_{i + 1}_{j + 1}" for i in range(2) for j in range(2)]
    return implicitize(PolynomialParametrization(polys, outputs=outs), 2, rng=0)


def test_json_round_trip(cubic, tmp_path):
    path = tmp_path / "out.json"
    d = to_json(cubic, str(path))
    back = json.loads(path.read_text())
    assert back == json.loads(json.dumps(d))
    assert back["variables"] == ["y1", "y2", "y3", "y4"]
    assert back["generator_degrees"] == [2, 2, 2]
    assert back["variety_degree"] == 3
    assert back["dimension"] == 2
    assert back["hilbert_function"] == {"1": 4, "2": 7, "3": 10}
    assert back["certificate"]["all_passed"] is True
    # the generator strings parse with sympy and are the same polynomials
    syms = {n: sympy.Symbol(n) for n in back["variables"]}
    for s, g in zip(back["generators"], cubic.generators):
        assert sympy.expand(sympy.sympify(s, locals=syms) - sympy.sympify(g.sympy_str(), locals=syms)) == 0
        assert in_ideal(s, cubic)


def test_macaulay2_and_singular_text(indexed):
    m2 = to_macaulay2(indexed)
    assert "R = QQ[m_(1,1,1), m_(1,1,2), m_(1,2,1), m_(1,2,2)];" in m2
    assert "I = ideal(m_(1,1,1)*m_(1,2,2) - m_(1,1,2)*m_(1,2,1));" in m2
    sing = to_singular(indexed)
    assert sing.startswith("ring R = 0, (m_1_1_1, m_1_1_2, m_1_2_1, m_1_2_2), dp;")
    assert "ideal I = m_1_1_1*m_1_2_2 - m_1_1_2*m_1_2_1;" in sing
    assert m2_name("m_2_10_3") == "m_(2,10,3)" and m2_name("y_4") == "y_4"


def test_sympy_and_latex(indexed):
    (e,) = to_sympy(indexed)
    s = {str(x): x for x in e.free_symbols}
    assert sympy.expand(e - (s["m_1_1_1"] * s["m_1_2_2"] - s["m_1_1_2"] * s["m_1_2_1"])) == 0
    tex = to_latex(indexed)
    assert "m_{1,1,1}" in tex and tex.startswith("\\begin{align*}")


@pytest.mark.skipif(shutil.which("Singular") is None, reason="Singular not installed")
def test_singular_accepts_the_export(cubic):
    script = to_singular(cubic) + "\nprint(dim(std(I)));\nprint(mult(std(I)));\nquit;\n"
    out = subprocess.run(["Singular", "-q"], input=script, capture_output=True, text=True, timeout=60)
    assert out.stdout.split()[:2] == ["2", "3"]


def test_as_output_poly_and_errors(cubic):
    f = as_output_poly("y1*y3 - y2**2", cubic.variables)
    assert str(f) == "y1*y3 - y2^2"
    with pytest.raises(ValueError):
        in_ideal("y1^5", cubic)  # degree 5 was not computed
    assert not spans(["y1*y3 - y2^2"], cubic, 2)
    with pytest.raises(ValueError):
        evaluate_invariants(cubic, [1, 2])


def test_in_ideal_against_explicit_basis():
    assert in_ideal("x^2 - y^2", ["x - y", "x^2 - x*y", "x*y - y^2"])
    assert not in_ideal("x^2 + y^2", ["x^2 - x*y", "x*y - y^2"])
