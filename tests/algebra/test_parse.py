"""The polynomial parser (relugeom.algebra._parse): agreement with an independent oracle,
round trips through three printers, error positions, limits, and hostile strings (no code
is ever run: a temporary directory stays empty)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relugeom.algebra import PolynomialParametrization, certify_invariant, implicitize, in_ideal
from relugeom.algebra import _parse as PZ
from relugeom.algebra._parse import ParsedPolynomial, parse_inequality, parse_polynomial
from relugeom.cli.main import main
from relugeom.errors import ParseError

NAMES = ["x", "y", "z", "t0", "m_1_2"]


# ---------------------------------------------------------------------------------- oracle
# A random expression tree is rendered to text with as few parentheses as the precedence
# rules allow, and evaluated independently by exact Fraction arithmetic on sparse dicts.
# The parser must agree. The rendering exercises precedence (-x^2, a-b-c, a/2/3, a*-b),
# the number formats and both power operators.

def _d_add(a, b, s=1):
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, 0) + s * c
        if out[m] == 0:
            del out[m]
    return out


def _d_mul(a, b):
    out: dict = {}
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            e: dict = dict(m1)
            for n, k in m2:
                e[n] = e.get(n, 0) + k
            m = tuple(sorted(e.items()))
            out[m] = out.get(m, 0) + c1 * c2
    return {m: c for m, c in out.items() if c != 0}


def _number_text(draw, v: Fraction) -> str:
    """A literal whose exact value is ``v >= 0``, in one of the accepted formats."""
    if v.denominator == 1:
        fmt = draw(st.sampled_from(["int", "dec", "sci"]))
        if fmt == "int":
            return str(v.numerator)
        if fmt == "dec":
            return f"{v.numerator}.0" if draw(st.booleans()) else f"{v.numerator}."
        return f"{v.numerator * 10}e-1" if v.numerator else "0e5"
    if 10 % v.denominator == 0 or 100 % v.denominator == 0:
        # a finite decimal
        digits = v.numerator * (100 // v.denominator)
        s = f"{digits // 100}.{digits % 100:02d}"
        return draw(st.sampled_from([s, s.lstrip("0") if s.startswith("0.") else s, f"{digits}E-2"]))
    return f"{v.numerator}/{v.denominator}"


@st.composite
def expressions(draw, depth=0):
    """(text, precedence, value) with precedence 1: + -, 2: * /, 3: unary, 4: power, 5: atom."""
    ws = draw(st.sampled_from(["", " ", "  ", "\n"]))
    kind = draw(st.sampled_from(["num", "var"] if depth >= 3 else
                                ["num", "var", "add", "sub", "mul", "div", "neg", "pow", "add", "mul"]))
    if kind == "num":
        v = Fraction(draw(st.integers(0, 30)), draw(st.sampled_from([1, 1, 2, 4, 5, 3, 7])))
        text = _number_text(draw, v)
        return text, (2 if "/" in text else 5), ({(): v} if v else {})
    if kind == "var":
        n = draw(st.sampled_from(NAMES))
        return n, 5, {((n, 1),): Fraction(1)}
    if kind == "neg":
        t, p, v = draw(expressions(depth + 1))
        t = f"({t})" if p < 3 else t
        return f"-{ws}{t}", 3, {m: -c for m, c in v.items()}
    if kind == "pow":
        t, p, v = draw(expressions(depth + 1))
        t = f"({t})" if p < 5 else t
        k = draw(st.integers(0, 3))
        op = draw(st.sampled_from(["^", "**"]))
        kt = draw(st.sampled_from([str(k), f"({k})"]))
        out = {(): Fraction(1)}
        for _ in range(k):
            out = _d_mul(out, v)
        return f"{t}{ws}{op}{ws}{kt}", 4, out
    if kind == "div":
        t, p, v = draw(expressions(depth + 1))
        t = f"({t})" if p < 2 else t
        c = Fraction(draw(st.integers(1, 9)), draw(st.sampled_from([1, 2, 3])))
        ct = _number_text(draw, c)
        ct = f"({ct})" if "/" in ct else ct
        return f"{t}{ws}/{ws}{ct}", 2, {m: x / c for m, x in v.items()}
    a, pa, va = draw(expressions(depth + 1))
    b, pb, vb = draw(expressions(depth + 1))
    prec = 1 if kind in ("add", "sub") else 2
    a = f"({a})" if pa < prec else a
    b = f"({b})" if pb <= prec else b       # left associativity: a - (b - c) keeps its parentheses
    if kind == "add":
        return f"{a}{ws}+{ws}{b}", 1, _d_add(va, vb)
    if kind == "sub":
        return f"{a}{ws}-{ws}{b}", 1, _d_add(va, vb, -1)
    return f"{a}{ws}*{ws}{b}", 2, _d_mul(va, vb)


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_agrees_with_exact_expansion(e):
    text, _, value = e
    assert parse_polynomial(text).terms == value, text
    # the same with the variables given, and through PolynomialParametrization's term data
    assert parse_polynomial(text, variables=NAMES).terms == value
    phi = PolynomialParametrization([text, "x"], params=NAMES)
    E, cs = phi._term_data()
    got = {tuple(sorted((n, int(k)) for n, k in zip(NAMES, row) if k)): c for row, c in zip(E[0], cs[0])}
    assert got == value


def test_precedence_and_associativity_by_hand():
    P = lambda s: str(parse_polynomial(s))  # noqa: E731
    assert P("-x^2") == "-x^2"
    assert P("-x**2 + (-x)^2") == "0"
    assert P("x - y - z") == "x - y - z"
    assert P("x/2/3") == "1/6*x"
    assert P("x*-y") == "-x*y"
    assert P("--x") == "x"
    assert P("+x") == "x"
    assert P("1/3 + 1/6") == "1/2"
    assert P("0.1 + 0.2") == "3/10"          # exact decimals, not binary floats
    assert P("1e-3*x + 2.5E+1") == "1/1000*x + 25"
    assert P(".5*x + 5.*y") == "1/2*x + 5*y"
    assert P("x/(1/3)") == "3*x"
    assert P("x/(y - y + 2)") == "1/2*x"      # a constant after expansion
    assert P("(x + 1)^0") == "1"
    assert P("0^0") == "1"
    assert P("x^(3)") == "x^3"
    assert P("\n  x\n*\ty  ") == "x*y"


# ------------------------------------------------------------------------------ round trips

@st.composite
def flint_polys(draw):
    import flint

    n = draw(st.integers(1, 4))
    names = tuple(NAMES[:n])
    terms = draw(st.dictionaries(
        st.tuples(*[st.integers(0, 4)] * n),
        st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4).filter(lambda c: c != 0),
        max_size=8))
    ctx = flint.fmpq_mpoly_ctx.get(names, draw(st.sampled_from(["lex", "deglex", "degrevlex"])))
    return ctx.from_dict({k: flint.fmpq(c.numerator, c.denominator) for k, c in terms.items()})


@settings(max_examples=100, deadline=None)
@given(flint_polys())
def test_round_trips(f):
    names = tuple(f.context().names())
    expect = {tuple(sorted((n, int(e)) for n, e in zip(names, k) if e)): Fraction(int(c.p), int(c.q))
              for k, c in f.to_dict().items()}
    # flint's printer (^)
    p = parse_polynomial(str(f), variables=names)
    assert p.terms == expect
    assert p.to_flint(f.context()) == f
    # our printer
    assert parse_polynomial(str(p)).terms == expect
    assert str(parse_polynomial(str(p))) == str(p)  # the printed form is a fixed point
    # sympy's printer (**, x**2/3 style divisions)
    sympy = pytest.importorskip("sympy")
    syms = [sympy.Symbol(n) for n in names]
    e = sum((sympy.Rational(int(c.p), int(c.q)) * sympy.Mul(*[s ** int(k) for s, k in zip(syms, m)])
             for m, c in f.to_dict().items()), sympy.Integer(0))
    assert parse_polynomial(str(e), variables=names).terms == expect
    assert parse_polynomial(sympy.sstr(e, order="lex")).terms == expect


def test_parsed_polynomial_accessors():
    p = parse_polynomial("2*y*x^3 - 1/2 + z - z")
    assert p.variables == ("x", "y") and p.degree == 4 and not p.is_zero()
    E, cs = p.exponents(["x", "y", "w"])
    assert {tuple(r): c for r, c in zip(E.tolist(), cs)} == {(3, 1, 0): 2, (0, 0, 0): Fraction(-1, 2)}
    with pytest.raises(ValueError, match="'y'"):
        p.exponents(["x"])
    assert parse_polynomial("x - x").is_zero() and parse_polynomial("0").degree == -1
    assert -p == parse_polynomial("1/2 - 2*x^3*y") and hash(p) == hash(parse_polynomial(str(p)))


def test_inequalities():
    cases = {"x >= y": (">=", "x - y", "x - y"), "x <= y": ("<=", "x - y", "-x + y"),
             "x > 1": (">", "x - 1", "x - 1"), "x^2 < 2*x": ("<", "x^2 - 2*x", "-x^2 + 2*x"),
             "1 - t^2": (">=", "-t^2 + 1", "-t^2 + 1"), "(x+1)^2 >= 0": (">=", "x^2 + 2*x + 1", None)}
    for text, (sense, poly, nonneg) in cases.items():
        q = parse_inequality(text)
        assert q.sense == sense and str(q.polynomial) == poly, text
        if nonneg is not None:
            assert str(q.nonnegative()) == nonneg
        assert q.strict == (sense in (">", "<"))
    with pytest.raises(ParseError, match="expected a comparison"):
        parse_inequality("x", default=None)
    with pytest.raises(ValueError):
        parse_inequality("x", default="=")


# --------------------------------------------------------------------------- error positions

ERRORS = [
    # text, variables, (line, column), words in the message
    ("x/y", None, (1, 2), "division by a non-constant"),
    ("x/(y+1)", None, (1, 2), "not a rational function"),
    ("x/0", None, (1, 2), "division by zero"),
    ("x/(y-y)", None, (1, 2), "division by zero"),
    ("2x", None, (1, 2), "write '*'"),
    ("f(x)", None, (1, 2), "function calls"),
    ("x.y", None, (1, 2), "attribute access"),
    ("a[0]", None, (1, 2), "brackets"),
    ("'s'", None, (1, 1), "strings"),
    ("x;y", None, (1, 2), "';'"),
    ("x = 1", None, (1, 3), "'='"),
    ("x == 1", None, (1, 3), "'='"),
    ("x, y", None, (1, 2), "','"),
    ("x!", None, (1, 2), "'!'"),
    ("x @ y", None, (1, 3), "unexpected character '@'"),
    ("x + θ", None, (1, 5), "unexpected character 'θ'"),
    ("x^-1", None, (1, 3), "non-negative integer exponent"),
    ("x^y", None, (1, 3), "non-negative integer exponent"),
    ("x^2.5", None, (1, 3), "non-negative integer exponent"),
    ("x^(2", None, (1, 5), "expected ')' after the exponent"),
    ("x^2^3", None, (1, 4), "chained powers"),
    ("x ^", None, (1, 4), "exponent"),
    ("(x", None, (1, 1), "never closed"),
    ("((x)", None, (1, 1), "never closed"),
    ("x)", None, (1, 2), "unmatched ')'"),
    ("x +", None, (1, 4), "found the end"),
    ("", None, (1, 1), "found the end"),
    ("   ", None, (1, 4), "found the end"),
    ("* x", None, (1, 1), "found '*'"),
    ("()", None, (1, 2), "found ')'"),
    ("x + z", ["x", "y"], (1, 5), "unknown variable 'z' (the variables are x, y)"),
    ("x +\n  y.z", None, (2, 4), "attribute access"),
    ("x\n\n/y", None, (3, 1), "division by a non-constant"),
    ("lambda: 0", None, (1, 1), "Python keyword"),
    ("import", None, (1, 1), "Python keyword"),
    ("__class__", None, (1, 1), "'__'"),
    ("x + eval", None, (1, 5), "reserved name"),
    ("x^100001", None, (1, 3), "exponent larger than"),
    ("1e5000", None, (1, 1), "decimal exponent"),
    ("1" * 1001, None, (1, 1), "number literal longer"),
    ("x >= 1", None, (1, 3), "a comparison is not a polynomial"),
]


@pytest.mark.parametrize("text, variables, where, words", ERRORS)
def test_error_positions(text, variables, where, words):
    with pytest.raises(ParseError) as info:
        parse_polynomial(text, variables)
    err = info.value
    msg = str(err)
    assert words in msg
    assert (err.line, err.column) == where
    assert (f"line {where[0]}, column {where[1]}" if "\n" in text else f"at column {where[1]}:") in msg
    lines = text.split("\n")
    assert err.offset == sum(len(s) + 1 for s in lines[: where[0] - 1]) + where[1] - 1
    assert "\n" not in msg                          # one line, always


@pytest.mark.parametrize("text, where, words", [
    ("0 < x < 1", (1, 7), "only one comparison"),
    ("(x >= 1)", (1, 4), "inside parentheses"),
    ("x =< 1", (1, 3), "'='"),
    ("x >= ", (1, 6), "found the end"),
    (">= x", (1, 1), "found '>='"),
])
def test_inequality_error_positions(text, where, words):
    with pytest.raises(ParseError) as info:
        parse_inequality(text)
    assert words in str(info.value) and (info.value.line, info.value.column) == where


def test_limits():
    d = PZ.MAX_DEPTH
    assert str(parse_polynomial("(" * d + "x" + ")" * d)) == "x"
    with pytest.raises(ParseError, match="nested deeper") as info:
        parse_polynomial("(" * (d + 1) + "x" + ")" * (d + 1))
    assert info.value.column == d + 1
    with pytest.raises(ParseError, match="characters, more than the limit"):
        parse_polynomial("x" + " " * PZ.MAX_TEXT_CHARS)
    with pytest.raises(ParseError, match="total degree exceeds"):
        parse_polynomial("x^6000 * y^6000")
    with pytest.raises(ParseError, match="total degree exceeds"):
        parse_polynomial("*".join(["x"] * (PZ.MAX_DEGREE + 1)))
    with pytest.raises(ParseError, match="too large to expand|more than .* terms"):
        parse_polynomial("(a+b+c+d+e+f+g+h)^30")
    with pytest.raises(ParseError, match="coefficient is too large"):
        parse_polynomial("9^9999")
    with pytest.raises(ParseError, match="coefficient is too large"):
        parse_polynomial("*".join(["(9^3000)"] * 5))
    assert parse_polynomial("(x + 1)^200").terms[(("x", 100),)] == math.comb(200, 100)
    with pytest.raises(TypeError):
        parse_polynomial(b"x")  # type: ignore[arg-type]
    with pytest.raises(ParseError, match="is a Python keyword"):
        parse_polynomial("x", variables=["x", "lambda"])


def test_long_inputs_are_linear():
    # a sum of 60,000 distinct variables (~500 KB) and 200,000 repeated terms parse correctly
    text = "+".join(f"v{i}" for i in range(60_000))
    t0 = time.perf_counter()
    p = parse_polynomial(text)
    assert len(p.terms) == 60_000 and p.terms[(("v59999", 1),)] == 1
    p = parse_polynomial("-x" * 200_000)
    assert p.terms == {(("x", 1),): Fraction(-200_000)}
    # nested subtractions: x1 - (x2 - (x3 - ...)): small-to-large merging keeps this linear
    k = 900
    p = parse_polynomial("".join(f"x{i}-(" for i in range(k)) + "y" + ")" * k)
    assert len(p.terms) == k + 1 and p.terms[(("x1", 1),)] == -1
    assert time.perf_counter() - t0 < 30  # generous: a quadratic algorithm takes minutes here


# ----------------------------------------------------------------------------- the callers

def test_callers_read_strings_exactly():
    phi = PolynomialParametrization(["0.1*t", "t^2/3 - 1e-2"], params=["t"])
    E, cs = phi._term_data()
    assert cs[0] == [Fraction(1, 10)] and sorted(cs[1]) == [Fraction(-1, 100), Fraction(1, 3)]
    with pytest.raises(ParseError, match="unknown variable 's'"):
        PolynomialParametrization(["t*s"], params=["t"])
    with pytest.raises(ParseError, match="polynomial 1 .*division by a non-constant"):
        PolynomialParametrization(["t", "1/t"])
    # the names of a parametrization are the variables that occur after expansion
    assert PolynomialParametrization(["a - a + b", "b^2"]).param_names == ("b",)
    res = implicitize(PolynomialParametrization(["s^2", "s*t", "t^2"]), 2, rng=0)
    assert in_ideal("y1*y3 - y2**2", res) and not in_ideal("y1*y3 + y2^2", res)
    assert in_ideal("x^2 - y^2", ["x - y", "x^2 - x*y", "x*y - y^2"])
    assert certify_invariant("(y1*y3 - y2^2)*7/3", PolynomialParametrization(["s^2", "s*t", "t^2"])).passed
    # numbers and non-polynomial objects
    assert PolynomialParametrization([2, "t"], params=["t"])._term_data()[1][0] == [Fraction(2)]
    with pytest.raises(TypeError, match="must be a string"):
        PolynomialParametrization([object()], params=["t"])


def test_inequalities_of_parametrized_models():
    from relugeom.voronoi import ParametrizedModel

    phi = PolynomialParametrization(["t", "t^2"], params=["t"])
    forms = [["1 - t^2"], ["t^2 <= 1"], ["1 >= t^2"], ["t^2 < 1"], "1 - t^2"]
    thetas = np.array([[-2.0], [-0.5], [0.0], [0.7], [1.5]])
    for form in forms:
        g = ParametrizedModel(phi, inequalities=form).ineq
        vals = np.array([g(th) for th in thetas]).ravel()
        assert np.allclose(vals, 1 - thetas.ravel() ** 2), form
        assert np.allclose(g.jacobian(np.array([0.5])), [[-1.0]])
    with pytest.raises(ParseError, match="unknown variable 'u'"):
        ParametrizedModel(phi, inequalities=["t <= u"])


# --------------------------------------------------------------------------- hostile strings

HOSTILE = [
    "__import__('os').system('touch X')",
    "__import__('os').system('touch {tmp}/X')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "(lambda: __import__('os').system('touch X'))()",
    "exec('open(\"X\", \"w\")')",
    "eval('1')",
    "eval",
    "open('f', 'w')",
    "open('{tmp}/f', 'w')",
    "x.__class__",
    "x + __builtins__",
    "getattr(x, 'y')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "x; import os",
    "x = 1",
    "'abc' * 3",
    "globals()",
    "Symbol('x')",
    "x if 1 else y",
    "x\n__import__('os')",
    "(" * 200_000 + "x" + ")" * 200_000,
    "(" * 200_000,
    "-" * 500_000 + "(" * 100_000,
    "+x" * 1_000_000,
    "x" * 2_000_000,
]


def _hostile(tmp: Path) -> list[str]:
    return [h.replace("{tmp}", str(tmp)) for h in HOSTILE]


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_hostile_strings_are_rejected_and_run_nothing(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = _hostile(tmp_path)[index]
    for call in (lambda: parse_polynomial(text), lambda: parse_polynomial(text, ["x", "y"]),
                 lambda: parse_inequality(text),
                 lambda: PolynomialParametrization([text]),
                 lambda: in_ideal(text, ["x"])):
        t0 = time.perf_counter()
        with pytest.raises(ParseError) as info:
            call()
        assert time.perf_counter() - t0 < 5.0   # rejected in one linear pass (~0.5 s at worst)
        assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_the_file_check_would_see_code_execution(tmp_path, monkeypatch):
    """Control: the old path (sympy's parse_expr) runs a hostile string and the file appears,
    so the empty-directory checks above can fail."""
    sympy_parser = pytest.importorskip("sympy.parsing.sympy_parser")
    monkeypatch.chdir(tmp_path)
    sympy_parser.parse_expr("open('made_by_parse_expr', 'w').close()")
    assert [p.name for p in tmp_path.iterdir()] == ["made_by_parse_expr"]


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_cli_rejects_hostile_polys_in_process(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = _hostile(tmp_path)[index]
    # --polys=TEXT: argparse takes an argument starting with '-' for an option otherwise
    assert main(["voronoi", "polynomial", f"--polys={text}", "--point", "0"]) == 2
    assert main(["voronoi", "polynomial", "--polys", "t", "t^2", f"--ineq={text}", "--theta", "0.5"]) == 2
    err = capsys.readouterr().err.strip().split("\n")
    assert len(err) == 2 and all(e.startswith("relugeom voronoi: error: cannot parse") for e in err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch X')",
    "open('X', 'w')",
    "(" * 60_000 + "x" + ")" * 60_000,   # an argv string is limited to 128 KB on Linux
], ids=["import-system", "open", "deep-nesting"])
def test_cli_subprocess_exit_code_2(text, tmp_path):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    r = subprocess.run([sys.executable, "-m", "relugeom.cli", "voronoi", "polynomial", "--polys", text,
                        "--point", "0"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("relugeom voronoi: error: cannot parse --polys 1")
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []
