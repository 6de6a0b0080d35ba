"""The ``relugeom regions`` and ``relugeom demo`` commands."""

from __future__ import annotations

import json

import numpy as np
import pytest

from relugeom.cli.main import main
from relugeom.network import example_network
from relugeom.network._examples import random_network
from relugeom.regions import RegionComplex


@pytest.fixture
def net2(tmp_path):
    net = random_network((2, 5, 5, 1), rng=21)
    path = tmp_path / "net.npz"
    net.to_npz(path)
    return net, path


def test_regions_json_and_plot(net2, tmp_path, capsys):
    net, path = net2
    out, png = tmp_path / "c.json", tmp_path / "c.png"
    assert main(["regions", str(path), "--json", str(out), "--plot", str(png), "--method", "lp", "--check"]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    cx = RegionComplex.from_json(out, net)
    assert f"regions  {data['n_regions']}" in text and "serra" in text and "check    passed" in text
    assert cx.n_regions == data["n_regions"] > 1
    assert data["domain"]["A"]  # the default box [-1, 1]^2
    assert png.stat().st_size > 10_000


def test_regions_count_only_unbounded(net2, tmp_path, capsys):
    _, path = net2
    out = tmp_path / "n.json"
    assert main(["regions", str(path), "--unbounded", "--count-only", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"n_regions", "bounds", "seconds", "complete"}
    assert "patterns" not in data
    upper = [b["value"] for b in data["bounds"] if b["kind"] == "upper"]
    assert all(data["n_regions"] <= u for u in upper)


def test_regions_domains(net2, tmp_path, capsys):
    _, path = net2
    dom = tmp_path / "d.json"
    dom.write_text(json.dumps({"A": [[-1, 0], [0, -1], [1, 1]], "b": [0, 0, 1]}))
    assert main(["regions", str(path), "--domain", str(dom), "--json", str(tmp_path / "a.json")]) == 0
    vnn = tmp_path / "p.vnnlib"
    vnn.write_text("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
                   "(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n"
                   "(assert (>= Y_0 100))\n")
    assert main(["regions", str(path), "--domain", str(vnn), "--json", str(tmp_path / "b.json")]) == 0
    assert main(["regions", str(path), "--box", "0", "1", "0", "1", "--json", str(tmp_path / "c.json")]) == 0
    nb = json.loads((tmp_path / "b.json").read_text())["n_regions"]
    nc = json.loads((tmp_path / "c.json").read_text())["n_regions"]
    assert nb == nc


def test_regions_limits_and_errors(net2, capsys):
    _, path = net2
    assert main(["regions", str(path), "--max-regions", "3", "--method", "lp"]) == 3  # incomplete
    assert "INCOMPLETE (stopped by max_regions)" in capsys.readouterr().out
    assert main(["regions", str(path), "--box", "0", "1", "2"]) == 2  # usage error
    assert "--box needs 2 values" in capsys.readouterr().err
    assert main(["regions", str(path) + ".h5"]) == 2  # no such file: a usage error
    h5 = path.parent / "net.h5"
    h5.write_bytes(b"not a network")
    assert main(["regions", str(h5)]) == 1  # a file that cannot be read: a failure
    assert "unknown extension" in capsys.readouterr().err
    assert main(["regions", str(path), "--check", "--count-only"]) == 2
    assert "--check needs the complex" in capsys.readouterr().err


def test_demo(tmp_path, capsys):
    png = tmp_path / "demo.png"
    assert main(["demo", "--out", str(png), "--method", "lp"]) == 0
    text = capsys.readouterr().out
    assert "regions  156" in text and "check    passed" in text
    assert png.stat().st_size > 50_000


def test_regions_nnet_default_domain_is_its_input_box(tmp_path, capsys):
    from relugeom.network import save_nnet
    from relugeom.polyhedra import Box
    from relugeom.regions import enumerate_regions

    net = random_network((2, 6, 1), rng=3)
    p = tmp_path / "n.nnet"
    save_nnet(net, p, input_mins=[0.0, 0.0], input_maxs=[0.5, 2.0])
    out = tmp_path / "c.json"
    assert main(["regions", str(p), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    expected = enumerate_regions(net, Box([0.0, 0.0], [0.5, 2.0]), method="lp").n_regions
    assert data["n_regions"] == expected
    assert "lo=[0.0, 0.0], hi=[0.5, 2.0]" in capsys.readouterr().out
