"""``relugeom regions NET --slice P0 P1 P2``: the plane through three inputs, end to end."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

from conftest import shared_path
from relugeom.cli.main import main
from relugeom.network import load_network, random_network
from relugeom import load_point
from relugeom.regions import RegionComplex, enumerate_regions, slice_through


@pytest.fixture
def small(tmp_path):
    """A 4 -> 8 -> 8 -> 3 network as .npz and three points as .npy (input shape, flat, batch of one)."""
    net = random_network((4, 8, 8, 3), rng=0)
    path = tmp_path / "net.npz"
    net.to_npz(path)
    P = np.random.default_rng(5).normal(size=(3, 4))
    files = []
    for k, arr in enumerate([P[0], P[1].reshape(4), P[2][None]]):
        f = tmp_path / f"p{k}.npy"
        np.save(f, arr)
        files.append(str(f))
    return net, path, P, files


def test_slice_json_and_plot(small, tmp_path, capsys):
    net, path, P, files = small
    out, png = tmp_path / "s.json", tmp_path / "s.png"
    rc = main(["regions", str(path), "--slice", *files, "--box", "-0.5", "1.5", "--json", str(out),
               "--plot", str(png), "--check"])
    text = capsys.readouterr().out
    assert rc == 0
    data = json.loads(out.read_text())
    ref = enumerate_regions(net, slice_through(*P, box=(-0.5, 1.5)))
    assert data["n_regions"] == ref.n_regions > 10
    assert data["slice"]["points"] == files and data["slice"]["box"] == [-0.5, 1.5]
    assert data["slice"]["point_classes"] == net(P).argmax(axis=1).tolist()
    np.testing.assert_allclose(data["slice"]["origin"], P[0])
    np.testing.assert_allclose(data["slice"]["directions"], [P[1] - P[0], P[2] - P[0]])
    assert data["domain"] == {"A": [[1.0, 0.0], [0.0, 1.0], [-1.0, -0.0], [-0.0, -1.0]], "b": [1.5, 1.5, 0.5, 0.5]}
    # the JSON reads back against the ambient network; the region classes are its argmax
    cx = RegionComplex.from_json(out, net)
    assert cx.n_regions == ref.n_regions and cx.slice is not None
    assert data["region_classes"] == net(cx.to_ambient(cx.points)).argmax(axis=1).tolist()
    assert f"regions  {ref.n_regions:,}" in text and "check    passed" in text
    assert "(on a 2-D slice)" in text and "P1 = " in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_slice_count_only_and_color_by(small, tmp_path, capsys):
    net, path, P, files = small
    out = tmp_path / "n.json"
    assert main(["regions", str(path), "--slice", *files, "--count-only", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["n_regions"] == enumerate_regions(net, slice_through(*P)).n_regions
    assert data["slice"]["box"] == [0.0, 1.0] and "patterns" not in data
    png = tmp_path / "o.png"
    assert main(["regions", str(path), "--slice", *files, "--plot", str(png), "--color-by", "output",
                 "--output", "2"]) == 0
    assert png.stat().st_size > 10_000
    # a 2-D network without --slice: the old picture, now with --color-by
    net2 = random_network((2, 5, 5, 3), rng=1)
    net2.to_npz(tmp_path / "n2.npz")
    assert main(["regions", str(tmp_path / "n2.npz"), "--plot", str(tmp_path / "c.png"), "--color-by", "class"]) == 0
    assert main(["regions", str(tmp_path / "n2.npz"), "--plot", str(tmp_path / "p.png")]) == 0


def _err(capsys) -> str:
    return capsys.readouterr().err


def test_slice_arguments_are_checked_before_any_work(small, tmp_path, capsys):
    net, path, P, files = small
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a network")  # loading it would fail: these errors must come first
    cases = [
        (["--slice", files[0], files[1], str(tmp_path / "nope.npy")], "--slice P2 .*nope.npy: no such file"),
        (["--slice", files[0], files[1], "vnnlib:" + str(tmp_path / "nope.vnnlib")], "--slice P2 .*no such file"),
        (["--slice", *files, "--box", "1", "0"], "LO < HI"),
        (["--slice", *files, "--box", "0", "nan"], "finite"),
        (["--slice", *files, "--box", "0", "1", "0", "1"], "--box with --slice needs 2 values"),
        (["--slice", *files, "--unbounded"], "drop --domain/--unbounded"),
        (["--slice", *files, "--plot", str(tmp_path / "no" / "dir" / "s.png")], "does not exist"),
        (["--slice", *files, "--json", str(tmp_path / "no" / "s.json")], "does not exist"),
        (["--slice", *files, "--json", str(tmp_path)], "is a directory"),
        (["--slice", *files, "--plot", str(tmp_path / "s.xyz")], "unknown picture format"),
        (["--slice", *files, "--color-by", "class"], "add --plot"),
        (["--slice", *files, "--plot", str(tmp_path / "s.png"), "--output", "1"], "--output K goes with"),
        (["--slice", *files, "--plot", str(tmp_path / "s.png"), "--count-only"], "drop --count-only"),
        (["--slice", *files, "--max-regions", "0"], "positive integer"),
        (["--slice", *files, "--time-limit", "-1"], "positive number"),
        (["--slice", files[0], files[1], str(path)], "expected a .npy array file"),
    ]
    for extra, match in cases:
        t0 = time.perf_counter()
        assert main(["regions", str(junk), *extra]) == 2, extra  # usage error
        assert re.search(match, _err(capsys)), (extra, match)
        assert time.perf_counter() - t0 < 2.0
    assert main(["regions", str(tmp_path / "none.npz"), "--slice", *files]) == 2
    err = _err(capsys)
    assert "NET" in err and "none.npz: no such file" in err


def test_slice_point_errors_after_loading(small, tmp_path, capsys):
    net, path, P, files = small
    np.save(tmp_path / "short.npy", np.zeros(3))
    assert main(["regions", str(path), "--slice", files[0], files[1], str(tmp_path / "short.npy")]) == 1
    assert "has shape (3,) (3 entries); the network's input has shape (4,)" in _err(capsys)
    np.save(tmp_path / "obj.npy", np.array([None, 1, 2, 3], dtype=object), allow_pickle=True)
    assert main(["regions", str(path), "--slice", files[0], files[1], str(tmp_path / "obj.npy")]) == 1
    assert "pickled" in _err(capsys)
    np.save(tmp_path / "nan.npy", np.array([0.0, np.nan, 0.0, 0.0]))
    assert main(["regions", str(path), "--slice", files[0], str(tmp_path / "nan.npy"), files[1]]) == 1
    assert "non-finite" in _err(capsys)
    assert main(["regions", str(path), "--slice", files[0], files[0], files[1]]) == 1
    assert "P1 equals P0" in _err(capsys)


@pytest.mark.slow
def test_slice_mnist_through_three_vnnlib_images(tmp_path, capsys):
    d = shared_path("data", "vnncomp2021", "mnistfc")
    onnx = d / "mnist-net_256x2.onnx"
    props = [d / f"prop_{k}_0.03.vnnlib" for k in range(3)]
    labels = [int(re.search(r"label: (\d+)", p.read_text()).group(1)) for p in props]
    out, png = tmp_path / "m.json", tmp_path / "m.png"
    assert main(["regions", str(onnx), "--slice", *[f"vnnlib:{p}" for p in props], "--json", str(out),
                 "--plot", str(png)]) == 0
    data = json.loads(out.read_text())
    assert data["slice"]["point_classes"] == labels  # the box centres are classified as labelled
    net = load_network(onnx)
    pts = np.stack([load_point(f"vnnlib:{p}", net.input_shape) for p in props])
    assert pts.min() >= 0 and pts.max() <= 1  # MNIST pixels, boxes clipped to [0, 1]
    np.testing.assert_allclose(data["slice"]["origin"], pts[0])
    assert data["n_regions"] > 500 and data["complete"]
    classes = np.array(data["region_classes"])
    assert set(labels) <= set(classes.tolist())
    cx = RegionComplex.from_json(out, net)
    np.testing.assert_array_equal(classes, net(cx.to_ambient(cx.points)).argmax(axis=1))
    assert png.stat().st_size > 50_000


def test_python_dash_m_relugeom_is_the_command_line():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "relugeom", "verify", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("usage: relugeom verify")
