"""The VNN-COMP 2021 networks read by load_onnx agree with onnxruntime.

Every network in ``shared/data/vnncomp2021`` loads (the Sigmoid one fails with a clear
error) and agrees with onnxruntime, run on the float32 file, to 1e-5 relative to the
largest output of each point: at the centre of every VNN-LIB input box of the benchmark's
instances and at random points in it (slow), and at a few points for each network (fast).
The network's input is the flattened ONNX input, as VNN-LIB numbers it.
"""

from __future__ import annotations

import csv
import functools

import numpy as np
import pytest

from relugeom.errors import UnsupportedLayerError
from relugeom.network import Network, ReLUNetwork, load_onnx
from conftest import shared_path

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL = 1e-5
NETS = {
    "mnistfc": ["mnist-net_256x2", "mnist-net_256x4", "mnist-net_256x6"],
    "eran": ["mnist_relu_9_200"],
    "oval21": ["cifar_base_kw", "cifar_wide_kw", "cifar_deep_kw"],
    "cifar10_resnet": ["resnet_2b", "resnet_4b"],
}
ALL = [(b, n) for b, nets in NETS.items() for n in nets]


def _root():
    return shared_path("data", "vnncomp2021")


@functools.lru_cache(maxsize=None)
def _net(bench: str, name: str):
    return load_onnx(_root() / bench / f"{name}.onnx")


@functools.lru_cache(maxsize=None)
def _session(bench: str, name: str):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    s = ort.InferenceSession(str(_root() / bench / f"{name}.onnx"), opts, providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in i.shape]
    return s, i.name, shape


def _ort(bench: str, name: str, X: np.ndarray) -> np.ndarray:
    s, iname, shape = _session(bench, name)
    return np.stack([s.run(None, {iname: x.reshape(shape).astype(np.float32)})[0].ravel() for x in X])


def _rel_err(bench: str, name: str, X: np.ndarray) -> float:
    """Largest error relative to the largest output of its point."""
    X = np.asarray(X, dtype=np.float32).astype(np.float64)  # points onnxruntime sees exactly
    y = _ort(bench, name, X)
    yn = _net(bench, name)(X)
    assert yn.shape == y.shape
    scale = np.maximum(np.abs(y).max(axis=1), 1e-30)
    return float((np.abs(yn - y).max(axis=1) / scale).max())


@functools.lru_cache(maxsize=None)
def _boxes(bench: str, vnnlib: str) -> list[tuple[np.ndarray, np.ndarray]]:
    from relugeom.verify._vnnlib import read_vnnlib

    prop = read_vnnlib(_root() / bench / vnnlib)
    out = []
    for inputs, _ in prop.cases:
        for part in inputs.parts:
            bb = part.bounding_box() if hasattr(part, "bounding_box") else part
            out.append((np.asarray(bb.lo, dtype=float), np.asarray(bb.hi, dtype=float)))
    return out


def _instances(bench: str, name: str) -> list[str]:
    with open(_root() / bench / "instances.csv", newline="") as f:
        return [row[1] for row in csv.reader(f) if row and row[0] == f"{name}.onnx"]


# ------------------------------------------------------------------- fast
@pytest.mark.parametrize("bench, name", ALL)
def test_vnncomp_net_loads_and_agrees_at_a_few_points(bench, name):
    net = _net(bench, name)
    if bench in ("mnistfc", "eran"):
        assert isinstance(net, ReLUNetwork) and net.input_dim == 784 and net.output_dim == 10
    else:
        assert type(net) is Network and net.input_shape == (3, 32, 32) and net.output_dim == 10
        assert {g.kind for g in net.units} == {"relu"}
    X = np.random.default_rng(0).uniform(0, 1, size=(3, net.input_dim))
    if bench in ("mnistfc", "eran"):  # cheap to parse: add the centre of the first box
        lo, hi = _boxes(bench, _instances(bench, name)[0])[0]
        X = np.vstack([X, (lo + hi) / 2])
    assert _rel_err(bench, name, X) <= RTOL


def test_vnncomp_resnet_has_residual_adds():
    net = _net("cifar10_resnet", "resnet_2b")
    kinds = [l.kind for l in net.layers]
    assert kinds.count("add") == 2 and "conv" in kinds and "dense" in kinds


def test_vnncomp_sigmoid_net_is_refused_clearly():
    path = _root() / "eran" / "ffnnSIGMOID__Point_6x200.onnx"
    with pytest.raises(UnsupportedLayerError, match=r"^ONNX node '.*' \(Sigmoid\) is not supported: "
                                                    r"Sigmoid is not piecewise linear$"):
        load_onnx(path)


# ------------------------------------------------------------------- slow
@pytest.mark.slow
@pytest.mark.parametrize("bench", list(NETS))
def test_vnncomp_every_instance_box(bench):
    """Centre and 4 random points of every input box of every instance of the benchmark."""
    rng = np.random.default_rng(2021)
    worst = 0.0
    for name in NETS[bench]:
        files = _instances(bench, name)
        assert files, f"no instances of {name}"
        X = []
        for vnn in files:
            for lo, hi in _boxes(bench, vnn):
                assert lo.size == _net(bench, name).input_dim
                X.append((lo + hi) / 2)
                X.extend(rng.uniform(lo, hi, size=(4, lo.size)))
        err = _rel_err(bench, name, np.array(X))
        worst = max(worst, err)
        assert err <= RTOL, (name, err)
    print(f"{bench}: max relative error {worst:.2e}")
