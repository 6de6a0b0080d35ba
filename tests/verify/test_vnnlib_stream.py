"""The streaming VNN-LIB reader: linear time, no recursion limit, caps, line and column.

The oracles: the bounds written in the real VNN-COMP files (read back with a plain regular
expression), a direct evaluation of random formulas at random points, and positions
computed from the text itself.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from relugeom.errors import EmptyDomainError, ParseError
from relugeom.polyhedra import Box
from relugeom.verify import _vnnlib, parse_vnnlib, read_vnnlib

from conftest import shared_path

HEAD = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
BOX = "(assert (>= X_0 -2))(assert (<= X_0 2))(assert (>= X_1 -2))(assert (<= X_1 2))\n"


def cifar_like(n_bytes: int, n_in: int = 3072, n_out: int = 10) -> str:
    """``n_in`` inputs whose box is asserted again and again (tighter each round) until the
    text has ``n_bytes`` characters, and a disjunction on the outputs."""
    head = "".join(f"(declare-const X_{i} Real)\n" for i in range(n_in))
    head += "".join(f"(declare-const Y_{j} Real)\n" for j in range(n_out))
    tail = "(assert (or\n" + "".join(f"  (and (>= Y_{j} Y_0))\n" for j in range(1, n_out)) + "))\n"
    out, size, k = [head], len(head) + len(tail), 0
    while size < n_bytes:
        i, r = k % n_in, k // n_in
        s = f"(assert (<= X_{i} {1.0 - r * 1e-6!r}))\n(assert (>= X_{i} {-1.0 + r * 1e-6!r}))\n"
        out.append(s)
        size += len(s)
        k += 1
    return "".join(out) + tail


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    pos = text.index(needle)
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


# ---------------------------------------------------------------- real files
@pytest.mark.parametrize("rel", [
    ("vnncomp2021", "cifar10_resnet", "prop_24_eps_0.008.vnnlib"),
    ("vnncomp2021", "oval21", "cifar_base_kw-img1598-eps0.0026143790849673205.vnnlib"),
    ("vnncomp2021", "mnistfc", "prop_0_0.03.vnnlib"),
])
def test_real_boxes_match_the_bounds_written_in_the_file(rel):
    path = shared_path("data", *rel)
    text = path.read_text()
    n = len(re.findall(r"\(declare-const X_\d+ Real\)", text))
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    for op, i, v in re.findall(r"\(assert \((<=|>=) X_(\d+) (\S+)\)\)", text):
        if op == "<=":
            hi[int(i)] = min(hi[int(i)], float(v))
        else:
            lo[int(i)] = max(lo[int(i)], float(v))
    p = read_vnnlib(path)
    assert p.n_inputs == n and len(p.cases) == 1
    (box,) = p.input_set.parts
    assert isinstance(box, Box)
    assert np.array_equal(box.lo, lo) and np.array_equal(box.hi, hi)
    assert p.unsafe.n_parts == p.n_outputs - 1  # "some other class wins": one part per class


# ---------------------------------------------------------------- random formulas
def _term(kind: str):
    leaf = st.one_of(st.integers(-3, 3).map(str), st.sampled_from([f"{kind}_0", f"{kind}_1"]))
    return st.recursive(leaf, lambda t: st.one_of(
        st.tuples(st.just("+"), t, t), st.tuples(st.just("-"), t), st.tuples(st.just("-"), t, t),
        st.tuples(st.just("*"), st.integers(-2, 2).map(str), t)), max_leaves=4)


_atom = st.sampled_from("XY").flatmap(
    lambda k: st.tuples(st.sampled_from(["<=", ">=", "<", ">"]), _term(k), _term(k)))
_formula = st.recursive(_atom, lambda f: st.one_of(
    st.tuples(st.just("and"), f, f), st.tuples(st.just("or"), f, f), st.tuples(st.just("or"), f, f, f)),
    max_leaves=6)


def _text(e) -> str:
    return e if isinstance(e, str) else "(" + " ".join(_text(a) for a in e) + ")"


def _value(e, env: dict) -> float:
    if isinstance(e, str):
        return env[e] if e in env else float(e)
    op, *args = e
    vals = [_value(a, env) for a in args]
    if op == "+":
        return sum(vals)
    if op == "-":
        return -vals[0] if len(vals) == 1 else vals[0] - sum(vals[1:])
    return vals[0] * vals[1]


def _holds(f, env: dict) -> bool:
    op, *args = f
    if op == "and":
        return all(_holds(a, env) for a in args)
    if op == "or":
        return any(_holds(a, env) for a in args)
    a, b = _value(args[0], env), _value(args[1], env)
    return a <= b if op in ("<=", "<") else a >= b


@settings(max_examples=40, deadline=None)
@given(st.lists(_formula, min_size=1, max_size=3), st.integers(0, 2**31))
def test_random_formulas_agree_with_direct_evaluation(formulas, seed):
    text = HEAD + BOX + "\n".join(f"(assert {_text(f)})" for f in formulas)
    try:
        p = parse_vnnlib(text)
    except (EmptyDomainError, ParseError) as exc:  # a case with an empty box, or "3 <= 1"
        assume(isinstance(exc, EmptyDomainError) or "is false" in str(exc))
        return
    pts = np.random.default_rng(seed).uniform(-3, 3, size=(200, 4))
    got = np.zeros(len(pts), dtype=bool)
    for ins, uns in p.cases:
        got |= np.asarray(ins.contains(pts[:, :2])) & np.asarray(uns.contains(pts[:, 2:]))
    want = [abs(x0) <= 2 and abs(x1) <= 2
            and all(_holds(f, {"X_0": x0, "X_1": x1, "Y_0": y0, "Y_1": y1}) for f in formulas)
            for x0, x1, y0, y1 in pts]
    assert got.tolist() == want, text


# ---------------------------------------------------------------- depth, size and time
@pytest.mark.parametrize("kind", ["and", "or", "plus", "minus", "parens", "unclosed"])
def test_deep_nesting_has_no_recursion_limit(kind):
    n = 200_000  # a bare RecursionError before
    head = "(declare-const X_0 Real)(declare-const Y_0 Real)\n"
    tail = "(assert (>= X_0 -1))(assert (<= X_0 3))(assert (<= Y_0 0))"
    text = {
        "and": head + "(assert " + "(and " * n + "(<= X_0 1)" + ")" * n + ")" + tail,
        "or": head + "(assert " + "(or " * n + "(<= X_0 1)" + ")" * n + ")" + tail,
        "plus": head + "(assert (<= " + "(+ " * n + "X_0" + ")" * n + " 1))" + tail,
        "minus": head + "(assert (<= " + "(- " * (n + 1) + "X_0" + ")" * (n + 1) + " -1))" + tail,
        "parens": head + "(" * n + ")" * n,
        "unclosed": head + "(assert " + "(" * n,
    }[kind]
    if kind in ("parens", "unclosed"):
        words = "expected a command" if kind == "parens" else "'[(]' opened here is never closed"
        with pytest.raises(ParseError, match="<string>, line 2, column 1: " + words):
            parse_vnnlib(text)
        return
    p = parse_vnnlib(text)
    (part,) = p.input_set.parts
    assert isinstance(part, Box)
    # -X_0 <= -1 for an odd number of minus signs
    assert (part.lo.tolist(), part.hi.tolist()) == (([1.0], [3.0]) if kind == "minus" else ([-1.0], [1.0]))
    assert p.unsafe.C.tolist() == [[1.0]] and p.unsafe.d.tolist() == [0.0]


@pytest.mark.slow
def test_parse_time_is_linear_in_the_size():
    def seconds(n_bytes: int) -> float:
        text = cifar_like(n_bytes, n_in=16)
        t0 = time.perf_counter()
        p = parse_vnnlib(text)
        t = time.perf_counter() - t0
        assert p.n_inputs == 16 and p.unsafe.n_parts == 9
        return t

    small = min(seconds(2 ** 19) for _ in range(2))
    big = min(seconds(2 ** 23) for _ in range(2))
    # 16 times the text: about 16 times the time (quadratic: 256 times)
    assert big < 50 * small + 0.5, (small, big)


def test_size_cap_is_a_clear_error(tmp_path):
    text = cifar_like(40_000, n_in=4)
    f = tmp_path / "big.vnnlib"
    f.write_text(text)
    with pytest.raises(ParseError, match=r"big.vnnlib: the file has \d+ bytes, more than the limit of 10000"):
        read_vnnlib(f, max_bytes=10_000)
    with pytest.raises(ParseError, match="more than the limit of 10000"):
        parse_vnnlib(text, max_bytes=10_000)
    assert read_vnnlib(f).n_inputs == 4  # under the default cap


def test_time_limit_raises_timeout(tmp_path):
    f = tmp_path / "p.vnnlib"
    f.write_text(cifar_like(3 * 2 ** 20, n_in=16))
    t0 = time.perf_counter()
    with pytest.raises(TimeoutError, match="p.vnnlib: parsing did not finish within the time limit"):
        read_vnnlib(f, time_limit=0.05)
    assert time.perf_counter() - t0 < 2.0
    assert read_vnnlib(f, time_limit=60).n_inputs == 16


def test_normal_form_caps(monkeypatch):
    # (or a b) seventeen times: 2^17 > 100000 terms
    ors = "".join("(assert (or (<= Y_0 0) (>= Y_1 1)))" for _ in range(17))
    with pytest.raises(ParseError, match="more than 100000 terms"):
        parse_vnnlib(HEAD + BOX + ors)
    monkeypatch.setattr(_vnnlib, "_MAX_DNF_ATOMS", 50)
    many = "(assert (and " + "(<= Y_0 1)" * 30 + " (or (<= Y_1 0) (>= Y_1 1) (>= Y_1 2))))"
    with pytest.raises(ParseError, match="more than 50 atoms"):
        parse_vnnlib(HEAD + BOX + many)


def test_dense_cap(monkeypatch):
    monkeypatch.setattr(_vnnlib, "_MAX_DENSE", 7)
    with pytest.raises(ParseError, match=r"an input box \(4 constraints on 2 variables\) brings .* more than 7"):
        parse_vnnlib(HEAD + BOX + "(assert (<= Y_0 0))")


# ---------------------------------------------------------------- chunks, lines and columns
def test_errors_after_the_first_chunk_name_line_and_column(tmp_path):
    body = cifar_like(3 * 2 ** 20 // 2, n_in=8)
    text = body + "; a comment (with parens)\n  (assert (<= X_3 1e999))\n"
    f = tmp_path / "late.vnnlib"
    f.write_text(text)
    line, col = position(text, "1e999")
    with pytest.raises(ParseError, match=f"late.vnnlib, line {line}, column {col}: number '1e999' is out of range"):
        read_vnnlib(f)
    with pytest.raises(ParseError, match=f"<string>, line {line}, column {col}: "):
        parse_vnnlib(text)


def test_one_long_line_and_crlf(tmp_path):
    text = cifar_like(3 * 2 ** 20 // 2, n_in=8)
    f = tmp_path / "long.vnnlib"
    f.write_text(text.replace("\n", " "))
    g = tmp_path / "crlf.vnnlib"
    g.write_bytes(text.replace("\n", "\r\n").encode())
    a, b, c = read_vnnlib(f), read_vnnlib(g), parse_vnnlib(text)
    for q in (a, b):
        assert np.array_equal(q.input_set.parts[0].lo, c.input_set.parts[0].lo)
        assert np.array_equal(q.unsafe.C, c.unsafe.C)


def test_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "x.vnnlib"
    f.write_bytes(b"(declare-const X_0 Real)\n; caf\xe9\n")
    with pytest.raises(ParseError, match=r"x.vnnlib, line 2: not a UTF-8 text file \(byte 30 is b'\\xe9'\)"):
        read_vnnlib(f)
    f.write_bytes(b"(declare-const X_0 Real)\n; \xc3")
    with pytest.raises(ParseError, match="line 2: not a UTF-8 text file .it ends inside a multi-byte"):
        read_vnnlib(f)


@pytest.mark.parametrize("text, needle, words", [
    (HEAD + "(assert (<= X_0 1)))", ")", "unbalanced ')'"),
    (HEAD + "  (assert (<= X_0 (* X_1 X_1)))", "(* X_1", "nonlinear"),
    (HEAD + "(assert (<= X_0 1))\n   (assert (<= X_9 2))", "X_9", "variable X_9 is used but not declared"),
    (HEAD + "(assert (<= X_0 foo))", "foo", "unknown symbol 'foo'"),
    (HEAD + "(assert (<= X_0 (exp X_1)))", "(exp", "unsupported term operator 'exp' with 1 argument(s)"),
    (HEAD + "(assert X_0)", "X_0)", "expected a formula"),
    (HEAD + "(assert (and X_0))", "X_0)", "expected a formula"),
    (HEAD + "(assert (<= X_0 (+ 1e308 1e308)))", "(<= X_0 (+", "overflows to infinity"),
    (HEAD + "(assert (<= 2 1))", "(<= 2", "constant constraint 1.0 <= 0 is false"),
    (HEAD + "(declare-const X_01 Real)", "(declare-const X_01", "X_01 and X_1 name the same variable"),
    (HEAD + "(declare-const X_1234567890123 Real)", "(declare-const X_123", "is not X_i or Y_j"),
    (HEAD + "(check-sat)", "(check-sat", "unsupported command 'check-sat'"),
    (HEAD + "()", "()", "expected a command"),
    (HEAD + "X_0", "X_0\x00", "outside parentheses"),
    (HEAD + "(assert (<= X_0 " + "9" * 100 + "x))", "999", "unknown symbol '" + "9" * 40 + "…'"),
])
def test_error_positions(text, needle, words):
    if needle == ")":
        line, col = text.count("\n") + 1, len(text) - 1 - text.rfind("\n")
    else:
        line, col = position(text + "\x00", needle)
    with pytest.raises(ParseError) as e:
        parse_vnnlib(text, source="bad.vnnlib")
    assert str(e.value).startswith(f"bad.vnnlib, line {line}, column {col}: "), str(e.value)
    assert words in str(e.value)


def test_declaration_after_use_and_huge_missing_index():
    p = parse_vnnlib("(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 0))(declare-const X_0 Real)")
    (box,) = p.input_set.parts
    assert (box.lo.tolist(), box.hi.tolist()) == ([0.0], [1.0])
    with pytest.raises(ParseError, match="missing X_1$"):  # no set(range(10**11))
        parse_vnnlib("(declare-const X_0 Real)(declare-const X_99999999999 Real)(declare-const Y_0 Real)")


def test_not_text_arguments(tmp_path):
    with pytest.raises(TypeError, match="expects the text as a str; got bytes"):
        parse_vnnlib(b"(declare-const X_0 Real)")
    with pytest.raises(ParseError, match="is a directory"):
        read_vnnlib(tmp_path)


def test_verify_command_counts_the_parse_against_its_time_limit(tmp_path, capsys):
    from relugeom.cli.main import main
    from relugeom.network import ReLUNetwork, save_npz

    net = tmp_path / "net.npz"
    save_npz(ReLUNetwork([[[1.0] * 16], [[1.0]]]), net)
    prop = tmp_path / "p.vnnlib"
    prop.write_text(cifar_like(3 * 2 ** 20, n_in=16, n_out=1).replace("(assert (or\n))\n", ""))
    out = tmp_path / "result.txt"
    code = main(["verify", str(net), str(prop), "--time-limit", "0.05", "--counterexample", str(out)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 3 and lines[0] == "timeout", lines
    assert "p.vnnlib: parsing did not finish within the time limit (0.0" in lines[1]
    assert out.read_text() == "timeout\n"
