"""VNN-LIB parser: the ten ACAS Xu properties and malformed inputs."""

from __future__ import annotations

import numpy as np
import pytest

from relugeom.errors import EmptyDomainError, ParseError
from relugeom.polyhedra import Box
from relugeom.verify import parse_vnnlib, read_vnnlib

from conftest import shared_path

HEAD = "".join(f"(declare-const X_{i} Real)\n" for i in range(2)) + \
       "".join(f"(declare-const Y_{j} Real)\n" for j in range(2))


@pytest.mark.parametrize("k", range(1, 11))
def test_acasxu_properties(k):
    p = read_vnnlib(shared_path("data", "acasxu", f"prop_{k}.vnnlib"))
    assert (p.n_inputs, p.n_outputs) == (5, 5)
    assert len(p.cases) == 1
    ins, uns = p.input_set, p.unsafe
    assert all(isinstance(b, Box) for b in ins.parts)
    assert len(ins) == (2 if k == 6 else 1)
    parts = {1: 1, 2: 1, 3: 1, 4: 1, 5: 4, 6: 4, 7: 2, 8: 3, 9: 4, 10: 4}[k]
    rows = {1: 1, 2: 4, 3: 4, 4: 4, 5: 4, 6: 4, 7: 6, 8: 6, 9: 4, 10: 4}[k]
    assert uns.n_parts == parts and uns.C.shape == (rows, 5)


def test_acasxu_property_values():
    p1 = read_vnnlib(shared_path("data", "acasxu", "prop_1.vnnlib"))
    b = p1.input_set.parts[0]
    assert b.lo.tolist() == [0.6, -0.5, -0.5, 0.45, -0.5]
    assert b.hi.tolist() == [0.679857769, 0.5, 0.5, 0.5, -0.45]
    # unsafe: Y_0 >= 3.991125645861615, i.e. -Y_0 <= -3.99...
    assert p1.unsafe.C.tolist() == [[-1.0, 0, 0, 0, 0]]
    assert p1.unsafe.d.tolist() == [-3.991125645861615]
    p6 = read_vnnlib(shared_path("data", "acasxu", "prop_6.vnnlib"))
    b1, b2 = p6.input_set.parts
    assert b1.lo[1] == pytest.approx(0.11140846) and b2.hi[1] == pytest.approx(-0.11140846)
    # prop 6 unsafe: Y_j <= Y_0 for some j in 1..4  (four one-row parts)
    y = np.array([[0.0, 1.0, 1.0, 1.0, 1.0], [0.0, -1.0, 1.0, 1.0, 1.0]])
    assert p6.unsafe.contains(y).tolist() == [False, True]
    # prop 4 has a degenerate coordinate X_2 = 0
    p4 = read_vnnlib(shared_path("data", "acasxu", "prop_4.vnnlib"))
    assert p4.input_set.parts[0].lo[2] == p4.input_set.parts[0].hi[2] == 0.0


def test_linear_terms_and_or():
    p = parse_vnnlib(HEAD + """
    (assert (<= (+ X_0 (* 2 X_1)) 1))
    (assert (>= X_0 0)) (assert (>= X_1 0))
    (assert (or (and (<= (- Y_0 Y_1) 0.5)) (and (>= Y_0 3) (<= Y_1 -1))))
    """)
    P = p.input_set.parts[0]
    assert not isinstance(P, Box)
    assert P.contains([[1.0, 0.0], [0.0, 0.5], [0.5, 0.5]]).tolist() == [True, True, False]
    assert p.unsafe.n_parts == 2
    assert p.unsafe.contains([[1.0, 0.6], [3.0, -1.0], [3.0, 0.0]]).tolist() == [True, True, False]


def test_coupled_input_output_disjunction_gives_cases():
    p = parse_vnnlib(HEAD + """
    (assert (or (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1) (>= Y_0 1))
                (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1) (>= Y_1 1))))
    """)
    assert len(p.cases) == 2
    with pytest.raises(ValueError, match="2 .input set, unsafe set. cases"):
        p.input_set


@pytest.mark.parametrize("text, line, words", [
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)", 3, "never closed"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real))", 2, "unbalanced"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (foo X_0 1))", 3, "unsupported operator"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n\n(assert (<= X_1 1))", 4, "not declared"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (+ X_0 Y_0) 1))", 3, "mixes inputs"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (* X_0 X_0) 1))", 3, "nonlinear"),
    ("(declare-const X_0 Int)\n(declare-const Y_0 Real)", 1, "declare-const NAME Real"),
    ("(declare-const Z Real)", 1, "not X_i or Y_j"),
    ("(declare-const X_0 Real)\n(declare-const X_0 Real)", 2, "declared twice"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(check-sat)", 3, "unsupported command"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 abc))", 3, "unknown symbol"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0))", 3, "at least two"),
    ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\nX_0", 3, "outside parentheses"),
])
def test_malformed_names_line(text, line, words):
    with pytest.raises(ParseError) as e:
        parse_vnnlib(text, source="bad.vnnlib")
    assert f"bad.vnnlib, line {line}" in str(e.value)
    assert words in str(e.value)


def test_missing_declarations():
    with pytest.raises(ParseError, match="no Y_i variables"):
        parse_vnnlib("(declare-const X_0 Real)(assert (<= X_0 1))")
    with pytest.raises(ParseError, match="missing X_1"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const X_2 Real)(declare-const Y_0 Real)")


def test_empty_input_box_is_a_clear_error():
    with pytest.raises(EmptyDomainError, match="coordinate 0"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)"
                     "(assert (>= X_0 1))(assert (<= X_0 0))(assert (<= Y_0 0))")


def test_read_not_utf8(tmp_path):
    f = tmp_path / "x.vnnlib"
    f.write_bytes(b"\xff\xfe\x00(")
    with pytest.raises(ParseError, match="UTF-8"):
        read_vnnlib(f)
