"""Loading and saving networks: npz, ONNX, .nnet, PyTorch (round trips, real files, errors)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.errors import NetworkError, ParseError, UnsupportedLayerError
from relugeom.network import (ReLUNetwork, load_network, load_npz, load_nnet, load_onnx, read_nnet,
                              save_nnet, save_npz, save_onnx)
from relugeom.network._examples import random_network
from conftest import shared_path

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

F32 = TensorProto.FLOAT


@st.composite
def networks(draw, max_in=4, max_width=7, max_depth=3):
    n0 = draw(st.integers(1, max_in))
    depth = draw(st.integers(0, max_depth))
    widths = [n0] + [draw(st.integers(1, max_width)) for _ in range(depth)] + [draw(st.integers(1, 3))]
    return random_network(widths, rng=draw(st.integers(0, 2**31)))


def _points(net: ReLUNetwork, seed: int = 0, n: int = 50) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-3, 3, size=(n, net.input_dim))


def _assert_same_function(a: ReLUNetwork, b: ReLUNetwork, X: np.ndarray, tol: float = 1e-12):
    assert a.input_dim == b.input_dim and a.output_dim == b.output_dim
    ya, yb = a(X), b(X)
    scale = max(1.0, float(np.abs(ya).max()))
    np.testing.assert_allclose(yb, ya, rtol=tol, atol=tol * scale)


# ---------------------------------------------------------------- round trips
@given(networks())
def test_round_trip_npz_onnx_nnet(tmp_path_factory, net):
    d = tmp_path_factory.mktemp("rt")
    X = _points(net)
    save_npz(net, d / "n.npz")
    assert load_npz(d / "n.npz") == net
    save_onnx(net, d / "n.onnx")
    back = load_network(d / "n.onnx")
    assert back.widths == net.widths
    _assert_same_function(net, back, X)
    save_nnet(net, d / "n.nnet")
    back = load_network(d / "n.nnet")
    assert back == net  # identity normalisation folds exactly
    assert load_nnet(d / "n.nnet", normalize=False) == net


@given(networks())
def test_round_trip_torch(net):
    torch = pytest.importorskip("torch")
    from relugeom.network import from_torch, to_torch

    m = to_torch(net)
    X = _points(net)
    y = m(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(y, net(X), rtol=1e-12, atol=1e-12 * max(1, np.abs(y).max()))
    assert from_torch(m) == net
    m32 = to_torch(net, dtype=torch.float32)
    assert m32[0].weight.dtype == torch.float32
    back = from_torch(m32)  # float32 weights: the float64 conversion is exact
    assert all(np.array_equal(W, np.float32(V)) for W, V in zip(back.weights, net.weights))


def test_saved_onnx_runs_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net = random_network((3, 6, 5, 2), rng=4)
    X = _points(net)
    save_onnx(net, tmp_path / "a.onnx")
    y = ort.InferenceSession(str(tmp_path / "a.onnx")).run(None, {"input": X})[0]
    np.testing.assert_allclose(y, net(X), rtol=1e-12, atol=1e-12)
    save_onnx(net, tmp_path / "b.onnx", dtype="float32")
    y = ort.InferenceSession(str(tmp_path / "b.onnx")).run(None, {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(y, net(X), rtol=1e-5, atol=1e-5 * np.abs(y).max())
    model = onnx.load(str(tmp_path / "a.onnx"))
    assert model.opset_import[0].version == 13
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    assert [i.name for i in model.graph.input] == ["input"]


# ---------------------------------------------------------------- PyTorch
def test_torch_nested_flatten_identity_and_composition():
    torch = pytest.importorskip("torch")
    from relugeom.network import from_torch

    torch.manual_seed(0)
    m = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Identity(),
        torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Linear(6, 5)),  # composed
        torch.nn.ReLU(), torch.nn.ReLU(),  # idempotent
        torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(5, 3, bias=False))),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 2),
    )
    net = from_torch(m)
    assert net.widths == (4, 5, 3, 2)
    X = np.random.default_rng(1).normal(size=(40, 1, 4))  # Flatten sees (batch, 1, 4)
    y = m(torch.as_tensor(X, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(net(X.reshape(40, 4)), y, rtol=1e-5, atol=1e-5)
    # a trailing ReLU gets an identity output layer
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    net = from_torch(t)
    assert net.widths == (2, 3, 3)
    x = torch.randn(9, 2)
    np.testing.assert_allclose(net(x.numpy()), t(x).detach().numpy(), rtol=1e-6, atol=1e-6)
    # a bare Linear, float64
    lin = torch.nn.Linear(3, 2, dtype=torch.float64)
    assert from_torch(lin).weights[0].tolist() == lin.weight.tolist()


@pytest.mark.parametrize("bad, name, pos", [
    ("conv", "Conv1d", 0), ("sigmoid", "Sigmoid", 3), ("dropout", "Dropout", 2),
    ("nested", "Tanh", 2)])
def test_torch_unsupported_layers_named(bad, name, pos):
    torch = pytest.importorskip("torch")
    from relugeom.network import from_torch

    nn = torch.nn
    models = {
        "conv": nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Linear(2, 1)),
        "sigmoid": nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()),
        "dropout": nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1), nn.Linear(3, 1)),
        "nested": nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Tanh())),
    }
    with pytest.raises(UnsupportedLayerError, match=rf"\({name}, position {pos} ") as exc:
        from_torch(models[bad])
    if bad == "nested":
        assert "module '1.1'" in str(exc.value)


def test_torch_structural_errors():
    torch = pytest.importorskip("torch")
    from relugeom.network import from_torch

    nn = torch.nn
    with pytest.raises(UnsupportedLayerError, match="must start with Linear"):
        from_torch(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    with pytest.raises(UnsupportedLayerError, match="no Linear layer"):
        from_torch(nn.Sequential(nn.Flatten()))
    with pytest.raises(NetworkError, match="expects 4 inputs"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)))

    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(UnsupportedLayerError, match="class Custom"):
        from_torch(Custom())


def test_torch_export_loads(tmp_path):
    """A model exported by torch.onnx.export (legacy exporter: Gemm nodes) loads exactly."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 8), torch.nn.ReLU(),
                            torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).double()
    path = tmp_path / "t.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(m, (torch.zeros(1, 3, dtype=torch.float64),), str(path),
                              dynamo=False, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        except Exception as exc:  # pragma: no cover - depends on the exporter
            pytest.skip(f"torch.onnx.export unavailable offline: {exc}")
    net = load_onnx(path)
    assert net.widths == (3, 8, 8, 2)
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = m(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(net(X), y, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- ONNX graphs
def _init(name, a, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(a, dtype=dtype), name)


def _model(nodes, inputs, output_shape, inits=(), output="y"):
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info(output, F32, output_shape)],
                          list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def _ort(model, X):
    ort = pytest.importorskip("onnxruntime")
    s = ort.InferenceSession(model.SerializeToString())
    name = s.get_inputs()[0].name
    shape = [d if isinstance(d, int) else len(X) for d in s.get_inputs()[0].shape]
    if shape and shape[0] == 1 and len(X) > 1:  # fixed batch 1: one call per point
        return np.stack([s.run(None, {name: x.reshape(shape).astype(np.float32)})[0].ravel() for x in X])
    return s.run(None, {name: X.reshape(shape).astype(np.float32)})[0].reshape(len(X), -1)


def test_matmul_add_with_sub_div_normalisation_folds():
    rng = np.random.default_rng(5)
    W1, b1 = rng.normal(size=(3, 6)), rng.normal(size=6)  # MatMul layout (in, out)
    W2, b2 = rng.normal(size=(6, 2)), rng.normal(size=2)
    mean, std = rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["xs"], name="sub"),
        helper.make_node("Div", ["xs", "std"], ["xn"], name="div"),
        helper.make_node("MatMul", ["xn", "W1"], ["h1"]),
        helper.make_node("Add", ["b1", "h1"], ["z1"]),  # bias first
        helper.make_node("Relu", ["z1"], ["r1"]),
        helper.make_node("MatMul", ["r1", "W2"], ["h2"]),
        helper.make_node("Add", ["h2", "b2"], ["y"]),
    ]
    inits = [_init("mean", mean), _init("std", std), _init("W1", W1), _init("b1", b1),
             _init("W2", W2), _init("b2", b2)]
    model = _model(nodes, [helper.make_tensor_value_info("x", F32, ["N", 3])], ["N", 2], inits)
    net = load_onnx(model)
    assert net.widths == (3, 6, 2)
    f = lambda X: np.maximum(((X - np.float32(mean)) / np.float32(std)) @ np.float32(W1) + np.float32(b1), 0) \
        @ np.float32(W2) + np.float32(b2)  # noqa: E731
    X = rng.uniform(-2, 2, size=(40, 3))
    np.testing.assert_allclose(net(X), f(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net(X), _ort(model, X), rtol=1e-5, atol=1e-5)


@given(networks(), st.integers(0, 2**31), st.booleans())
def test_matmul_add_graph_of_random_network(net, seed, bias_first):
    """Any network written as Sub/Div + MatMul/Add/Relu (float64) reads back as the composition."""
    rng = np.random.default_rng(seed)
    mean, std = rng.normal(size=net.input_dim), rng.uniform(0.5, 2.0, size=net.input_dim)
    D = TensorProto.DOUBLE
    nodes = [helper.make_node("Sub", ["x", "mean"], ["xs"]), helper.make_node("Div", ["xs", "std"], ["h0"])]
    inits = [_init("mean", mean, np.float64), _init("std", std, np.float64)]
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        inits += [_init(f"W{l}", W.T, np.float64), _init(f"b{l}", b, np.float64)]
        nodes.append(helper.make_node("MatMul", [f"h{l}", f"W{l}"], [f"m{l}"]))
        last = l == net.n_layers - 1
        z = "y" if last else f"z{l}"
        nodes.append(helper.make_node("Add", [f"b{l}", f"m{l}"] if bias_first else [f"m{l}", f"b{l}"], [z]))
        if not last:
            nodes.append(helper.make_node("Relu", [z], [f"h{l + 1}"]))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", D, ["N", net.input_dim])],
                          [helper.make_tensor_value_info("y", D, ["N", net.output_dim])], inits)
    back = load_onnx(helper.make_model(g))
    assert back.widths == net.widths
    expected = net.compose_input(np.diag(1 / std), -mean / std)
    _assert_same_function(expected, back, _points(net, seed))


def test_constant_node_weights_gemm_attributes_reshape():
    rng = np.random.default_rng(6)
    A1, c1 = rng.normal(size=(5, 4)), rng.normal(size=(1, 5))  # Gemm B^T layout (out, in)
    W2 = rng.normal(size=(5, 3))
    nodes = [
        helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([-1, 4], np.int64))),
        helper.make_node("Reshape", ["x", "shape"], ["xf"], name="reshape"),
        helper.make_node("Constant", [], ["A1"], value=_init("A1c", A1)),
        helper.make_node("Constant", [], ["c1"], value=_init("c1c", c1)),
        helper.make_node("Gemm", ["xf", "A1", "c1"], ["z1"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Relu", ["z1"], ["r1"]),
        helper.make_node("Identity", ["r1"], ["r1i"]),
        helper.make_node("Constant", [], ["W2t"], value=_init("W2c", W2.T)),
        # Gemm with the weight as the first operand: y^T = W2t @ r^T is not our layout, so
        # use transA on the input instead: (r1i^T)^T @ W2
        helper.make_node("Transpose", ["r1i"], ["r1t"], perm=[1, 0]),
        helper.make_node("Gemm", ["r1t", "W2t"], ["y"], transA=1, transB=1),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F32, [1, 2, 2])], [1, 3])
    net = load_onnx(model)
    assert net.widths == (4, 5, 3)
    X = rng.uniform(-1, 1, size=(20, 4))
    A1f, c1f, W2f = (np.float32(a).astype(float) for a in (A1, c1, W2))
    ref = np.maximum(0.5 * X @ A1f.T + 2.0 * c1f, 0) @ W2f
    np.testing.assert_allclose(net(X), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net(X), _ort(model, X), rtol=1e-5, atol=1e-5)


def test_vector_input_and_weight_on_left():
    """Input shaped (n,), weight as the left MatMul operand (W @ x), Mul/Add scaling."""
    rng = np.random.default_rng(7)
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    nodes = [
        helper.make_node("Mul", ["scale", "x"], ["xs"]),
        helper.make_node("Add", ["xs", "shift"], ["xa"]),
        helper.make_node("MatMul", ["W1", "xa"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Neg", ["r"], ["nr"]),
        helper.make_node("MatMul", ["W2", "nr"], ["y"]),
    ]
    inits = [_init("scale", [2.0, 1.0, 0.5]), _init("shift", [1.0]), _init("W1", W1), _init("W2", W2)]
    model = _model(nodes, [helper.make_tensor_value_info("x", F32, [3])], [2], inits)
    net = load_onnx(model)
    X = rng.uniform(-1, 1, size=(15, 3))
    W1f, W2f = np.float32(W1).astype(float), np.float32(W2).astype(float)
    ref = -np.maximum((X * [2.0, 1.0, 0.5] + 1.0) @ W1f.T, 0) @ W2f.T
    np.testing.assert_allclose(net(X), ref, rtol=1e-12, atol=1e-12)
    ort = pytest.importorskip("onnxruntime")
    s = ort.InferenceSession(model.SerializeToString())
    y = np.stack([s.run(None, {"x": x.astype(np.float32)})[0] for x in X])
    np.testing.assert_allclose(net(X), y, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op, why", [("Sigmoid", "Sigmoid is not piecewise linear"),
                                     ("Conv", r"Conv of a tensor of shape \(1, 2\)"),
                                     ("Softmax", "Softmax is not piecewise linear")])
def test_onnx_unsupported_op_named(op, why):
    inputs = ["x", "w"] if op == "Conv" else ["x"]
    nodes = [helper.make_node("Gemm", ["x0", "W"], ["x"], transB=1, name="fc"),
             helper.make_node(op, inputs, ["y"], name="n3")]
    inits = [_init("W", np.ones((2, 2))), _init("w", np.ones((1, 1, 1)))]
    model = _model(nodes, [helper.make_tensor_value_info("x0", F32, [1, 2])], [1, 2], inits)
    with pytest.raises(UnsupportedLayerError, match=rf"ONNX node 'n3' \({op}\) is not supported: {why}"):
        load_onnx(model)


def test_onnx_structural_errors(tmp_path):
    W = _init("W", np.eye(2))
    vi = helper.make_tensor_value_info
    # skip connection: Add of the input and a later Relu output reads as a general Network
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("Add", ["r", "x"], ["y"], name="skip")]
    skip = load_onnx(_model(nodes, [vi("x", F32, [1, 2])], [1, 2], [W]))
    assert not isinstance(skip, ReLUNetwork) and skip([[-1.0, 2.0]]).tolist() == [[-1.0, 4.0]]
    # product of two input-dependent tensors
    nodes = [helper.make_node("Mul", ["x", "x"], ["y"], name="sq")]
    with pytest.raises(UnsupportedLayerError, match="'sq' \\(Mul\\).*not affine"):
        load_onnx(_model(nodes, [vi("x", F32, [1, 2])], [1, 2]))
    # two real inputs
    nodes = [helper.make_node("Add", ["x", "z"], ["y"])]
    with pytest.raises(NetworkError, match="exactly one graph input"):
        load_onnx(_model(nodes, [vi("x", F32, [1, 2]), vi("z", F32, [1, 2])], [1, 2]))
    # output independent of the input
    nodes = [helper.make_node("Identity", ["W"], ["y"])]
    with pytest.raises(NetworkError, match="does not depend on the input"):
        load_onnx(_model(nodes, [vi("x", F32, [1, 2])], [2, 2], [W]))
    # not an ONNX file
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01garbage")
    with pytest.raises(NetworkError, match="cannot read ONNX file"):
        load_onnx(tmp_path / "junk.onnx")
    # unused unsupported nodes are ignored (only the output's ancestors are read)
    nodes = [helper.make_node("Sigmoid", ["x"], ["dead"]), helper.make_node("Relu", ["x"], ["y"])]
    assert load_onnx(_model(nodes, [vi("x", F32, [1, 2])], [1, 2])).widths == (2, 2, 2)


def test_weights_listed_as_graph_inputs():
    """Like the ACAS Xu files: every initializer is also a graph input; (1,1,1,n) input."""
    rng = np.random.default_rng(8)
    W1, b1, W2, b2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=2)
    vi = helper.make_tensor_value_info
    inits = [_init("avg", np.zeros((1, 1, 1, 4))), _init("W1", W1), _init("b1", b1),
             _init("W2", W2), _init("b2", b2)]
    nodes = [helper.make_node("Sub", ["input", "avg"], ["s"]),
             helper.make_node("Flatten", ["s"], ["f"], axis=1),
             helper.make_node("MatMul", ["f", "W1"], ["m1"]), helper.make_node("Add", ["m1", "b1"], ["a1"]),
             helper.make_node("Relu", ["a1"], ["r1"]),
             helper.make_node("MatMul", ["r1", "W2"], ["m2"]), helper.make_node("Add", ["m2", "b2"], ["y"])]
    inputs = [vi(t.name, F32, list(t.dims)) for t in inits] + [vi("input", F32, [1, 1, 1, 4])]
    model = _model(nodes, inputs, [1, 2], inits)
    net = load_onnx(model)
    assert net.widths == (4, 3, 2)
    X = rng.uniform(-1, 1, size=(10, 4))
    np.testing.assert_allclose(net(X), _ort(model, X), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- ACAS Xu
def _vnnlib_box(path: Path) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-0-9.eE+]+)\)\)", path.read_text()):
        (hi if op == "<=" else lo)[int(i)] = float(v)
    n = max(lo) + 1
    return np.array([lo[i] for i in range(n)]), np.array([hi[i] for i in range(n)])


def _as_float64(model):
    """The same ONNX model with float64 weights, input and output and a free batch dimension."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for t in m.graph.initializer:
        t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float64), t.name))
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.elem_type = TensorProto.DOUBLE
        if v.name in ("input", m.graph.output[0].name):
            v.type.tensor_type.shape.dim[0].dim_param = "N"
    return m


def _check_acas(names: list[str], n_points: int = 100) -> None:
    """Compare with onnxruntime on random points of the property boxes.

    The files hold float32 weights; relugeom evaluates them in float64. Against onnxruntime
    on the float32 model the outputs agree to 1e-5 relative to the network's largest output
    on the sample (onnxruntime's float32 rounding); against onnxruntime on the same model
    converted to float64 they agree to 1e-12.
    """
    ort = pytest.importorskip("onnxruntime")
    root = shared_path("data", "acasxu")
    boxes = [_vnnlib_box(root / f"prop_{k}.vnnlib") for k in (1, 2, 3, 4, 5, 7)]
    rng = np.random.default_rng(2024)
    for name in names:
        net = load_onnx(root / name)
        assert net.widths == (5, 50, 50, 50, 50, 50, 50, 5)
        model = onnx.load(str(root / name))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        s32 = ort.InferenceSession(model.SerializeToString(), opts)
        s64 = ort.InferenceSession(_as_float64(model).SerializeToString(), opts)
        X = np.concatenate([rng.uniform(lo, hi, size=(n_points, 5)) for lo, hi in boxes])
        X = X.astype(np.float32).astype(np.float64)  # points representable in float32
        y32 = np.stack([s32.run(None, {"input": x.reshape(1, 1, 1, 5).astype(np.float32)})[0].ravel()
                        for x in X])
        y64 = s64.run(None, {"input": X.reshape(-1, 1, 1, 5)})[0]
        y = net(X)
        scale = np.abs(y).max()
        np.testing.assert_allclose(y, y32, rtol=0, atol=1e-5 * scale, err_msg=name)
        np.testing.assert_allclose(y, y64, rtol=1e-12, atol=1e-12 * scale, err_msg=name)


def test_acasxu_matches_onnxruntime_few():
    _check_acas([f"ACASXU_run2a_{a}_{b}_batch_2000.onnx" for a, b in ((1, 1), (2, 7), (5, 9))])


@pytest.mark.slow
def test_acasxu_matches_onnxruntime_all():
    _check_acas([f"ACASXU_run2a_{a}_{b}_batch_2000.onnx" for a in range(1, 6) for b in range(1, 10)],
                n_points=200)


def test_acasxu_round_trips_through_nnet_and_onnx(tmp_path):
    net = load_onnx(shared_path("data", "acasxu", "ACASXU_run2a_1_1_batch_2000.onnx"))
    save_nnet(net, tmp_path / "a.nnet")
    assert load_nnet(tmp_path / "a.nnet") == net
    save_onnx(net, tmp_path / "a.onnx")
    assert load_onnx(tmp_path / "a.onnx") == net


# ---------------------------------------------------------------- .nnet
ACAS_LIKE = """\
// Neural Network File Format by Kyle Julian, Stanford 2016
// a hand-written 2-3-1 network in the ACAS Xu style
2,2,1,3,
2,3,1,
0,
-10.0,0.0,
10.0,6.28,
1.5,3.14,7.5,
20.0,6.28,2.5,
1.0,-2.0,
0.5,0.25,
-1.0,1.0,
0.1,
0.0,
-0.2,
1.0,-1.0,2.0,
0.3,
"""


def test_nnet_normalisation_semantics(tmp_path):
    p = tmp_path / "acas_like.nnet"
    p.write_text(ACAS_LIKE)
    W1 = np.array([[1.0, -2.0], [0.5, 0.25], [-1.0, 1.0]])
    b1 = np.array([0.1, 0.0, -0.2])
    W2, b2 = np.array([[1.0, -1.0, 2.0]]), np.array([0.3])
    mins, maxs = np.array([-10.0, 0.0]), np.array([10.0, 6.28])
    mean, rng_ = np.array([1.5, 3.14]), np.array([20.0, 6.28])
    mean_out, range_out = 7.5, 2.5

    def reference(x):  # Kyle Julian's evaluate_network, clipping included
        x = (np.clip(x, mins, maxs) - mean) / rng_
        return (W2 @ np.maximum(W1 @ x + b1, 0) + b2) * range_out + mean_out

    f = read_nnet(p)
    net, lo, hi = f.network, f.lo, f.hi
    assert net.widths == (2, 3, 1)
    with pytest.warns(FutureWarning, match="read_nnet"):  # the old spelling still works
        old_net, (old_lo, _) = load_nnet(p, return_bounds=True)
    assert old_net == net and np.array_equal(old_lo, lo)
    np.testing.assert_array_equal(lo, mins)
    np.testing.assert_array_equal(hi, maxs)
    X = np.random.default_rng(0).uniform(mins, maxs, size=(100, 2))
    np.testing.assert_allclose(net(X)[:, 0], [reference(x)[0] for x in X], rtol=1e-12, atol=1e-12)
    # outside the box the reference clips, the returned (unclipped) network does not
    x = np.array([30.0, 3.0])
    assert not np.isclose(net(x)[0], reference(x)[0])
    # normalize=False: the stored network, on normalised inputs, box in normalised coordinates
    g = read_nnet(p, normalize=False)
    raw, nlo, nhi = g.network, g.lo, g.hi
    assert raw == ReLUNetwork([W1, W2], [b1, b2])
    np.testing.assert_allclose(nlo, (mins - mean) / rng_)
    np.testing.assert_allclose(nhi, (maxs - mean) / rng_)
    # save with the same normalisation and read again
    save_nnet(raw, tmp_path / "again.nnet", input_mins=mins, input_maxs=maxs,
              means=[*mean, mean_out], ranges=[*rng_, range_out], header="copy\nsecond line")
    again = load_nnet(tmp_path / "again.nnet")
    _assert_same_function(net, again, X)
    assert (tmp_path / "again.nnet").read_text().startswith("// copy\n// second line\n2,2,1,3,")


@pytest.mark.parametrize("edit, line, message", [
    (lambda s: s.replace("2,3,1,", "2,3,"), 4, "expected 3 values"),
    (lambda s: s.replace("0.5,0.25,", "0.5,abc,"), 11, "'abc' is not a number"),
    (lambda s: s.replace("0.5,0.25,", "0.5,nan,"), 11, "'nan' is not finite"),
    (lambda s: s.replace("1.0,-1.0,2.0,\n", "1.0,-1.0,\n"), 16, r"expected 3 values \(row 0 of the weights of layer 1\)"),
    (lambda s: s.replace("0.3,\n", ""), 17, "unexpected end of file"),
    (lambda s: s + "1.0,\n", 18, "unexpected content after the last layer"),
    (lambda s: s.replace("2,2,1,3,", "2,2,1,x,"), 3, "not a number"),
    (lambda s: s.replace("2,2,1,3,", "2,2.5,1,3,"), 3, "not a non-negative integer"),
    (lambda s: s.replace("2,3,1,", "3,3,1,"), 4, "must start with inputSize"),
    (lambda s: s.replace("20.0,6.28,2.5,", "0,6.28,2.5,"), 9, "ranges must be non-zero"),
    (lambda s: s.replace("1.0,-2.0,\n", "1.0,-2.0,\n// late\n"), 11, "comment line after the header"),
])
def test_nnet_parse_errors_name_the_line(tmp_path, edit, line, message):
    p = tmp_path / "bad.nnet"
    p.write_text(edit(ACAS_LIKE))
    with pytest.raises(ParseError, match=rf"bad.nnet, line {line}: .*{message}"):
        load_nnet(p)


def test_nnet_tolerates_whitespace_and_blank_lines(tmp_path):
    text = ACAS_LIKE.replace("1.0,-2.0,", "1.0 -2.0").replace("0,\n-10.0", "0,\n\n-10.0")
    (tmp_path / "ws.nnet").write_text(text)
    (tmp_path / "ok.nnet").write_text(ACAS_LIKE)
    assert load_nnet(tmp_path / "ws.nnet") == load_nnet(tmp_path / "ok.nnet")


def test_save_nnet_rejects_bad_normalisation(tmp_path):
    net = random_network((2, 3, 1), rng=0)
    with pytest.raises(NetworkError, match="means must be 3 finite values"):
        save_nnet(net, tmp_path / "x.nnet", means=[0.0, 0.0])
    with pytest.raises(NetworkError, match="ranges must be non-zero"):
        save_nnet(net, tmp_path / "x.nnet", ranges=[1.0, 0.0, 1.0])


def test_relugeom_import_does_not_import_torch_or_onnx():
    import subprocess
    import sys

    code = ("import sys, relugeom, relugeom.network as n; n.load_nnet; "
            "print('torch' in sys.modules, 'onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_torch_gives_install_hint():
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None\n"
            "from relugeom.network import from_torch\n"
            "try:\n    from_torch(object())\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install torch==2.13.0" in out.stdout


def test_gemm_with_input_as_second_operand():
    """Column-vector layout: y = W2 relu(W1 x + b1) with x shaped (n, 1) as Gemm's B."""
    rng = np.random.default_rng(9)
    W1, b1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), rng.normal(size=(2, 4))
    nodes = [helper.make_node("Gemm", ["W1", "x", "b1"], ["z"]),
             helper.make_node("Relu", ["z"], ["r"]),
             helper.make_node("Transpose", ["r"], ["rt"]),  # (1, 4)
             helper.make_node("Gemm", ["W2", "rt"], ["y"], transB=1, alpha=-1.0)]
    inits = [_init("W1", W1), _init("b1", b1), _init("W2", W2)]
    model = _model(nodes, [helper.make_tensor_value_info("x", F32, [3, 1])], [2, 1], inits)
    net = load_onnx(model)
    assert net.widths == (3, 4, 2)
    X = rng.uniform(-1, 1, size=(10, 3))
    f = [np.float32(a).astype(float) for a in (W1, b1, W2)]
    ref = -np.maximum(X @ f[0].T + f[1].T, 0) @ f[2].T
    np.testing.assert_allclose(net(X), ref, rtol=1e-12, atol=1e-12)
    ort = pytest.importorskip("onnxruntime")
    s = ort.InferenceSession(model.SerializeToString())
    y = np.stack([s.run(None, {"x": x.reshape(3, 1).astype(np.float32)})[0].ravel() for x in X])
    np.testing.assert_allclose(net(X), y, rtol=1e-5, atol=1e-5)
