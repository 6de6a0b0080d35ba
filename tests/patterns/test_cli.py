"""The ``relugeom invariants`` command."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from relugeom.cli.main import main


def test_pattern_variety_json_and_text(tmp_path, capsys):
    out = tmp_path / "inv.json"
    assert main(["invariants", "--widths", "2,2,2", "--blocks", "10;11", "--max-degree", "3",
                 "--json", str(out), "--check-known"]) == 0
    doc = json.loads(out.read_text())
    for key in ("variables", "generators", "generator_degrees", "dimension", "hilbert_function",
                "variety_degree", "certificate", "seconds"):
        assert key in doc
    assert doc["generator_degrees"] == [2, 2] and doc["dimension"] == 6 and doc["variety_degree"] == 4
    assert doc["variables"][0] == "m_1_1_1" and len(doc["variables"]) == 8
    assert doc["certificate"]["all_passed"]
    assert doc["known_invariants"]["conjecture_holds"] is True
    # generators are valid sympy
    import sympy
    syms = sympy.symbols(doc["variables"])
    exprs = [sympy.sympify(g, locals=dict(zip(doc["variables"], syms))) for g in doc["generators"]]
    assert all(sympy.Poly(e, *syms).total_degree() == 2 for e in exprs)
    text = capsys.readouterr().out
    assert "2 minimal generators" in text


@pytest.mark.parametrize("fmt, head, var", [("m2", "R = QQ[", "y_(1,1,1)"), ("singular", "ring R = 0, (", "y_1_1_1")])
def test_output_variety_formats(tmp_path, capsys, fmt, head, var):
    X = np.array([[1.0, 0.0], [2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "o.json"
    assert main(["invariants", "--widths", "2,2,2", "--blocks", "10;11", "--max-degree", "2",
                 "--data", str(tmp_path / "X.npy"), "--point-blocks", "0,0,1,1", "--format", fmt,
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(head) and var in printed
    # the printed text is valid input for the program, when it is installed
    exe = {"m2": "M2", "singular": "Singular"}[fmt]
    if shutil.which(exe):
        script = tmp_path / "in.txt"
        tail = "print numgens I;\nexit 0;\n" if fmt == "m2" else "print(size(I));\nquit;\n"
        script.write_text(printed + tail)
        cmd = [exe, "--script", str(script)] if fmt == "m2" else [exe, "-q", str(script)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert run.stdout.strip().splitlines()[-1].strip() == "2", run.stdout + run.stderr
    doc = json.loads(out.read_text())
    assert doc["variables"][0] == "y_1_1_1" and doc["generator_degrees"] == [2, 2]


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["invariants", "--widths", "2,2,2", "--blocks", "10;1"]) == 1
    assert "block 2, hidden layer 1" in capsys.readouterr().err
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    assert main(["invariants", "--widths", "2,2,2", "--blocks", "10;11", "--data", str(tmp_path / "X.npy"),
                 "--point-blocks", "0,1"]) == 1
    assert "expected an array of shape (2, 2)" in capsys.readouterr().err
