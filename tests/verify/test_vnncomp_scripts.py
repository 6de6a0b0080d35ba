"""The VNN-COMP scripts (``vnncomp/``) run instances as the competition runs them.

A violated and a holding ACAS Xu instance (the property gzipped, as later competitions ship
them) go through ``prepare_instance.sh`` and ``run_instance.sh``; the result files carry the
right word, and the counterexample is an input of the property's box whose outputs, evaluated
again, are those written and violate the property.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from relugeom.network import load_network
from relugeom.verify import read_vnnlib

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "vnncomp"
DATA = ROOT / "tests" / "data" / "acasxu"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("gzip") is None,
                                reason="the scripts need bash and gzip")


def _run(script: str, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "RELUGEOM_VNNCOMP_CACHE": str(tmp / "cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(["bash", str(SCRIPTS / script), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _gz(src: Path, tmp: Path) -> Path:
    out = tmp / (src.name + ".gz")
    out.write_bytes(gzip.compress(src.read_bytes()))
    return out


def test_violated_instance_writes_a_checked_counterexample(tmp_path):
    net_path, prop_path = DATA / "ACASXU_run2a_1_7_batch_2000.onnx", DATA / "prop_3.vnnlib"
    gz = _gz(prop_path, tmp_path)
    assert _run("prepare_instance.sh", "v1", "acasxu", str(net_path), str(gz), tmp=tmp_path).returncode == 0
    res = tmp_path / "result.txt"
    p = _run("run_instance.sh", "v1", "acasxu", str(net_path), str(gz), str(res), "60", tmp=tmp_path)
    assert p.returncode == 0, p.stderr
    text = res.read_text()
    assert text.splitlines()[0] == "sat"
    vals = {k: float(v) for k, v in re.findall(r"\(([XY]_\d+) ([^\s()]+)\)", text)}
    x = np.array([vals[f"X_{i}"] for i in range(5)])
    y = np.array([vals[f"Y_{i}"] for i in range(5)])
    prop = read_vnnlib(prop_path)
    assert prop.input_set.contains(x)
    out = load_network(net_path)(x[None])[0]
    np.testing.assert_allclose(out, y, rtol=1e-9, atol=1e-12)
    assert np.argmin(out) == 0          # property 3: COC is minimal (the unsafe case)


def test_holding_instance_and_bad_arguments(tmp_path):
    res = tmp_path / "result.txt"
    p = _run("run_instance.sh", "v1", "acasxu", str(DATA / "ACASXU_run2a_1_1_batch_2000.onnx"),
             str(DATA / "prop_1.vnnlib"), str(res), "60", tmp=tmp_path)   # not prepared: fine too
    assert p.returncode == 0 and res.read_text().split() == ["unsat"]
    p = _run("run_instance.sh", "v2", "acasxu", "a", "b", str(res), "1", tmp=tmp_path)
    assert p.returncode == 1 and "version string" in p.stderr
    p = _run("prepare_instance.sh", "v1", "acasxu", str(tmp_path / "missing.onnx"), "x", tmp=tmp_path)
    assert p.returncode == 1 and "no such file" in p.stderr
    p = _run("run_instance.sh", "v1", "acasxu", str(tmp_path / "missing.onnx"), str(DATA / "prop_1.vnnlib"),
             str(res), "10", tmp=tmp_path)
    assert p.returncode == 0 and res.read_text().split() == ["error"]
