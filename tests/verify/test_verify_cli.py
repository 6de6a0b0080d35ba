"""`relugeom verify`: one word first, VNN-COMP counterexample files, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from relugeom.cli.main import main
from relugeom.network import ReLUNetwork

from conftest import shared_path

PROP = """(declare-const X_0 Real)
(declare-const Y_0 Real)
(assert (>= X_0 -1))
(assert (<= X_0 2))
(assert (>= Y_0 {t}))
"""


@pytest.fixture
def absnet(tmp_path):
    path = tmp_path / "abs.npz"
    ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).to_npz(path)
    return str(path)


def run(capsys, *argv):
    code = main(["verify", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


def parse_assignment(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"\((\w+_\d+) ([-+0-9.eE]+)\)", text)}


def test_unsat_and_sat(absnet, tmp_path, capsys):
    p = tmp_path / "p.vnnlib"
    p.write_text(PROP.format(t=3))
    code, lines, _ = run(capsys, absnet, p)
    assert code == 0 and lines[0] == "unsat"
    p.write_text(PROP.format(t=1.5))
    out = tmp_path / "ce.txt"
    code, lines, _ = run(capsys, absnet, p, "--counterexample", out, "--exact")
    assert code == 0 and lines[0] == "sat"
    text = out.read_text()
    assert text.splitlines()[0] == "sat"
    a = parse_assignment(text)
    assert set(a) == {"X_0", "Y_0"}
    assert -1 <= a["X_0"] <= 2 and a["Y_0"] == abs(a["X_0"]) >= 1.5


def test_errors_print_error_first(absnet, tmp_path, capsys):
    p = tmp_path / "bad.vnnlib"
    p.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<== X_0 1))\n")
    code, lines, err = run(capsys, absnet, p)
    assert code == 1 and lines[0] == "error" and "line 3" in err
    p.write_text(PROP.replace("X_0", "X_1").replace("(declare-const X_1 Real)",
                              "(declare-const X_0 Real)\n(declare-const X_1 Real)").format(t=1))
    code, lines, err = run(capsys, absnet, p)
    assert code == 1 and lines[0] == "error" and "2 inputs" in err


def test_timeout_word(tmp_path, capsys):
    net = ReLUNetwork([np.random.default_rng(0).normal(size=(20, 3)),
                       np.random.default_rng(1).normal(size=(20, 20)),
                       np.random.default_rng(2).normal(size=(2, 20))])
    path = tmp_path / "n.npz"
    net.to_npz(path)
    # the true maximum of Y_0 - Y_1 (bias-free: attained on the box's boundary) plus a gap
    X = np.random.default_rng(3).uniform(-1, 1, (20000, 3))
    X[:, 0] = np.sign(X[:, 0])
    X = np.vstack([X, np.roll(X, 1, axis=1), np.roll(X, 2, axis=1)])
    Y = net(X)
    top = float(np.max(Y[:, 0] - Y[:, 1])) + 1.0
    p = tmp_path / "p.vnnlib"
    p.write_text("".join(f"(declare-const X_{i} Real)\n(assert (>= X_{i} -1))\n(assert (<= X_{i} 1))\n"
                         for i in range(3))
                 + "(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
                 + f"(assert (>= (- Y_0 Y_1) {top}))\n")
    code, lines, _ = run(capsys, path, p, "--time-limit", "0")
    assert (code, lines[0]) in ((3, "timeout"), (0, "unsat"))   # undecided: exit code 3
    code, lines, _ = run(capsys, path, p, "--max-splits", "0")
    assert (code, lines[0]) in ((3, "unknown"), (0, "unsat"))
    code, lines, err = run(capsys, path, p, "--time-limit", "nan")
    assert code == 2 and "--time-limit" in err


def test_acasxu_sat_counterexample_file(tmp_path, capsys):
    d = shared_path("data", "acasxu")
    out = tmp_path / "ce.txt"
    code, lines, _ = run(capsys, d / "ACASXU_run2a_1_7_batch_2000.onnx", d / "prop_3.vnnlib",
                         "--counterexample", out)
    assert lines[0] == "sat"
    a = parse_assignment(out.read_text())
    assert len(a) == 10
    # prop 3 is violated when Y_0 is minimal
    assert all(a["Y_0"] <= a[f"Y_{j}"] for j in range(1, 5))
