"""A few fast ACAS Xu instances against expected_results.csv; counterexamples via onnxruntime."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from relugeom.network import load_onnx
from relugeom.verify import Verdict, check_safety, read_vnnlib

from conftest import shared_path


def expected(net: str, prop: int) -> str:
    with open(shared_path("data", "acasxu", "expected_results.csv")) as fh:
        for row in csv.DictReader(fh):
            if row["network"] == f"ACASXU_run2a_{net}_batch_2000" and row["property"] == f"prop_{prop}":
                return row["expected"]
    raise KeyError((net, prop))


@pytest.mark.parametrize("net, prop", [("1_7", 3), ("1_8", 4), ("2_1", 2), ("1_1", 1), ("2_9", 8),
                                          ("4_7", 1), ("2_2", 1)])
def test_fast_instances(net, prop):
    d = shared_path("data", "acasxu")
    path = d / f"ACASXU_run2a_{net}_batch_2000.onnx"
    model = load_onnx(path)
    p = read_vnnlib(d / f"prop_{prop}.vnnlib")
    res = check_safety(model, p.input_set, p.unsafe, time_limit=60, rng=0)
    assert res.verdict.vnncomp == expected(net, prop)
    if res.verdict is Verdict.UNSAFE:
        x = res.counterexample.x
        assert p.input_set.contains(x)
        assert p.unsafe.margin(model(x)) <= res.tol.feas_atol
        ort = pytest.importorskip("onnxruntime")
        sess = ort.InferenceSession(str(path))
        name = sess.get_inputs()[0].name
        y = sess.run(None, {name: x.astype(np.float32).reshape(1, 1, 1, 5)})[0].ravel()
        np.testing.assert_allclose(y, model(x), atol=1e-5)
