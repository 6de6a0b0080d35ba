"""The ``relugeom voronoi`` command."""

from __future__ import annotations

import json

import numpy as np

from relugeom.cli.main import main


def test_points_json_and_plot(tmp_path, capsys):
    P = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    np.save(tmp_path / "P.npy", P)
    out, png = tmp_path / "c.json", tmp_path / "c.png"
    assert main(["voronoi", "points", str(tmp_path / "P.npy"), "--point", "0", "--json", str(out),
                 "--plot", str(png)]) == 0
    d = json.loads(out.read_text())
    assert d["exact"] is True and d["n_cuts"] == 3 and np.allclose(d["vertices"], [[1.0, 1.0]])
    assert len(d["rays"]) == 2
    A, b = np.array(d["A"]), np.array(d["b"])
    assert np.all(A @ [-5.0, -5.0] <= b + 1e-9) and not np.all(A @ [1.5, 0.0] <= b + 1e-9)
    assert png.stat().st_size > 5000
    assert "exact    True" in capsys.readouterr().out


def test_halfcircle_and_independence(tmp_path, capsys):
    out = tmp_path / "h.json"
    assert main(["voronoi", "halfcircle", "--point", "1", "0", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["exact"] is False and d["complete"] is True and len(d["rays"]) == 2
    assert main(["voronoi", "independence", "--point", str(1 / 12), "0.25", str(1 / 6), "0.5",
                 "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["exact"] is True and len(d["vertices"]) == 2


def test_relu_target_theta_strata(tmp_path, capsys):
    X = np.array([[-1.5], [-0.4], [0.3], [1.2]])
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "r.json"
    assert main(["voronoi", "relu", "--widths", "1,3,1", "--data", str(tmp_path / "X.npy"), "--bias", "first",
                 "--target", "1", "-1", "1", "-1", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["exact"] is True and np.allclose(d["q"], [0.0, -1.0, 1.0, -1.0], atol=1e-9)
    assert main(["voronoi", "relu", "--widths", "1,1", "--no-output-layer", "--data", str(tmp_path / "X.npy"),
                 "--bias", "first", "--theta", "1", "-3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["q"] == [0.0, 0.0, 0.0, 0.0]
    assert main(["voronoi", "relu", "--widths", "1,2,1", "--data", str(tmp_path / "X.npy"), "--bias", "first",
                 "--strata", "10"]) == 0
    assert "interior" in capsys.readouterr().out


def test_errors(tmp_path, capsys):
    assert main(["voronoi", "points", "--point", "0"]) == 1
    assert main(["voronoi", "halfcircle", "--point", "0.5", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "needs FILE.npy" in err and "not on the model" in err


def test_toric_with_coefficients(tmp_path, capsys):
    """The binomial twisted cubic: the cell of Binomial(3, 1/2) is {u : mean count = 3/2}."""
    out = tmp_path / "t.json"
    assert main(["voronoi", "toric", "--exponents", "3,2,1,0;0,1,2,3", "--coefficients", "1", "3", "3", "1",
                 "--point", "0.125", "0.375", "0.375", "0.125", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    V = np.array(d["vertices"])
    assert d["exact"] is True and len(V) == 4
    np.testing.assert_allclose(V @ [0, 1, 2, 3], 1.5, atol=1e-12)
    np.save(tmp_path / "A.npy", np.array([[3, 2, 1, 0], [0, 1, 2, 3]]))
    assert main(["voronoi", "toric", str(tmp_path / "A.npy"), "--point", "0.125", "0.375", "0.375",
                 "0.125"]) == 1                                  # unit coefficients: not on the model
    assert main(["voronoi", "toric", "--exponents", "3,2,x", "--point", "1"]) == 1
    err = capsys.readouterr().err
    assert "not a positive point" in err and "--exponents needs rows" in err
