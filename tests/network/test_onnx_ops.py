"""ONNX operators one by one against onnxruntime, save/load round trips, error messages.

Every case builds a small model with ``onnx.helper``, reads it with :func:`load_onnx` and
compares the network with onnxruntime on random points: to 1e-5 relative to the largest
output for float32 models, 1e-9 for float64 models. Operators whose attributes or inputs
changed between opsets are tested at several opsets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from relugeom.errors import NetworkError, UnsupportedLayerError
from relugeom.network import Network, NetworkBuilder, ReLUNetwork, load_onnx, save_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

F32, F64 = TensorProto.FLOAT, TensorProto.DOUBLE
RTOL = {np.float32: 1e-5, np.float64: 1e-9}


# ----------------------------------------------------------------- helpers
def make(nodes, in_shape, inits=(), *, opset=13, dtype=np.float32, inputs=None, out="y"):
    elem = F32 if dtype == np.float32 else F64
    init_protos = [numpy_helper.from_array(np.asarray(v) if np.asarray(v).dtype.kind in "iub"
                                           else np.asarray(v, dtype=dtype), k) for k, v in dict(inits).items()]
    g = helper.make_graph(nodes, "g", inputs or [helper.make_tensor_value_info("x", elem, in_shape)],
                          [helper.make_tensor_value_info(out, elem, None)], init_protos)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = helper.find_min_ir_version_for([helper.make_opsetid("", opset)])
    if m.ir_version < 4:  # IR 3 lists every initializer as a graph input too
        m.graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in init_protos)
    return m


def runner(model):
    """A function running the model: onnxruntime, or the ONNX reference evaluator where
    onnxruntime has no kernel for the type (float64 Conv, LeakyRelu)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    name = model.graph.input[0].name
    try:
        s = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        return lambda a: s.run(None, {name: a})[0]
    except Exception as exc:  # noqa: BLE001
        if "NOT_IMPLEMENTED" not in str(exc):
            raise
        from onnx.reference import ReferenceEvaluator

        ref = ReferenceEvaluator(model)
        return lambda a: ref.run(None, {name: a})[0]


def ort_run(model, X, in_shape):
    """The model on points X (n, d): one call per point unless the batch is free."""
    run = runner(model)
    dt = X.dtype
    if isinstance(in_shape[0], str):
        shape = [len(X)] + list(in_shape[1:])
        return np.asarray(run(X.reshape(shape).astype(dt))).reshape(len(X), -1)
    return np.stack([np.asarray(run(x.reshape(in_shape).astype(dt))).ravel() for x in X])


def check(nodes, in_shape, inits=(), *, opset=13, dtype=np.float32, n=6, seed=0, lo=-2.0, hi=2.0):
    """Load, compare with onnxruntime, return the network."""
    model = make(nodes, in_shape, inits, opset=opset, dtype=dtype)
    net = load_onnx(model)
    d = math.prod(s for s in in_shape if not isinstance(s, str))
    X = np.random.default_rng(seed).uniform(lo, hi, size=(n, d)).astype(dtype)
    y = ort_run(model, X, in_shape)
    yn = net(X.astype(np.float64))
    assert yn.shape == y.shape
    tol = RTOL[dtype]
    np.testing.assert_allclose(yn, y, rtol=tol, atol=tol * max(1.0, float(np.abs(y).max())))
    return net


def N(op, ins, outs="y", **kw):
    return helper.make_node(op, list(ins), [outs] if isinstance(outs, str) else list(outs), **kw)


def kinds(net):
    return [l.kind for l in net.layers]


rng = np.random.default_rng(1234)


def R(*shape):
    return rng.normal(size=shape)


# ----------------------------------------------------------------- Gemm, MatMul
@pytest.mark.parametrize("opset", [7, 9, 11, 13])
@pytest.mark.parametrize("tA, tB, alpha, beta, cshape", [
    (0, 0, 1.0, 1.0, (5,)), (0, 1, 0.5, 2.0, (1, 5)), (0, 1, 1.0, -1.0, ()), (0, 0, -2.0, 1.0, None)])
def test_gemm_input_as_A(opset, tA, tB, alpha, beta, cshape):
    if cshape is None and opset < 11:
        pytest.skip("C is optional from opset 11")
    B = R(5, 4) if tB else R(4, 5)
    ins = ["x", "B"] + ([] if cshape is None else ["C"])
    inits = {"B": B} if cshape is None else {"B": B, "C": R(*cshape)}
    net = check([N("Gemm", ins, transA=tA, transB=tB, alpha=alpha, beta=beta)], ["N", 4], inits, opset=opset)
    assert isinstance(net, ReLUNetwork) and net.widths == (4, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_input_as_B_and_transposed_input(dtype):
    # input (3, 1) without batch axis: Gemm(W, x) and Gemm(W, x^T, transB)
    nodes = [N("Gemm", ["W", "x", "c"], "z"), N("Relu", ["z"], "r"), N("Transpose", ["r"], "rt"),
             N("Gemm", ["W2", "rt"], "y", transB=1, alpha=-1.5)]
    net = check(nodes, [3, 1], {"W": R(4, 3), "c": R(4, 1), "W2": R(2, 4)}, dtype=dtype)
    assert net.widths == (3, 4, 2)
    # batch 1, transA of the input: the batch axis moves
    nodes = [N("Transpose", ["x"], "xt"), N("Gemm", ["xt", "W"], "y", transA=1)]
    check(nodes, [1, 3], {"W": R(3, 2)}, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_weight_ranks(dtype):
    check([N("MatMul", ["x", "W"])], ["N", 2, 4], {"W": R(4, 3)}, dtype=dtype)          # 2-D
    check([N("MatMul", ["x", "w"])], ["N", 2, 4], {"w": R(4)}, dtype=dtype)             # 1-D
    check([N("MatMul", ["x", "W"])], ["N", 1, 2, 4], {"W": R(3, 4, 5)}, dtype=dtype)    # batch of weights
    check([N("MatMul", ["x", "W"])], [1, 2, 4], {"W": R(2, 3, 4, 5)}, dtype=dtype)      # rank 4, batch 1
    check([N("MatMul", ["x", "W"])], ["N", 3, 2, 4], {"W": R(1, 4, 5)}, dtype=dtype)    # broadcast weight
    check([N("MatMul", ["x", "W"])], [4], {"W": R(3, 4, 2)}, dtype=dtype)               # 1-D input


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_constant_left(dtype):
    check([N("MatMul", ["C", "x"])], ["N", 4, 3], {"C": R(5, 4)}, dtype=dtype)
    check([N("MatMul", ["C", "x"])], ["N", 4, 3], {"C": R(4)}, dtype=dtype)
    check([N("MatMul", ["C", "x"])], [4], {"C": R(2, 5, 4)}, dtype=dtype)
    check([N("MatMul", ["C", "x"])], [1, 4, 3], {"C": R(2, 5, 4)}, dtype=dtype)


# ----------------------------------------------------------------- elementwise
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_sub_residual_and_broadcast(dtype):
    nodes = [N("Relu", ["x"], "r"), N("Add", ["r", "x"], "a"), N("Neg", ["x"], "nx"),
             N("Relu", ["nx"], "rn"), N("Sub", ["a", "rn"], "b"),
             N("ReduceSum", ["x"], "s", axes=[2], keepdims=1), N("Add", ["b", "s"], "y")]
    net = check(nodes, ["N", 3, 4], dtype=dtype, opset=11)
    assert isinstance(net, Network) and not isinstance(net, ReLUNetwork)
    # an input-dependent tensor of lower rank
    nodes = [N("ReduceMax", ["x"], "m", axes=[1], keepdims=0), N("Sub", ["x", "m"], "y")]
    check(nodes, [1, 3, 4], dtype=dtype)


@pytest.mark.parametrize("cshape", [(4,), (1, 3, 1), (), (3, 4), (2, 1, 3, 4)])
def test_constant_arithmetic(cshape):
    c = R(*cshape) if cshape else np.array(0.7)
    pos = np.abs(c) + 0.5
    nodes = [N("Add", ["x", "c"], "a"), N("Sub", ["c", "a"], "b"), N("Mul", ["b", "p"], "m"),
             N("Div", ["m", "p2"], "d"), N("Neg", ["d"], "y")]
    shape = [1, 3, 4] if len(cshape) > 3 else ["N", 3, 4]  # a constant of higher rank moves the batch
    check(nodes, shape, {"c": c, "p": pos, "p2": pos[::-1] if pos.ndim else pos})


def test_sum_mean_and_hardsigmoid():
    nodes = [N("Relu", ["x"], "r"), N("Sum", ["x", "r", "c"], "s"), N("Mean", ["s", "x"], "m"),
             N("HardSigmoid", ["m"], "y", alpha=0.3, beta=0.4)]
    check(nodes, ["N", 5], {"c": R(5)})


# ----------------------------------------------------------------- Conv
@pytest.mark.parametrize("opset", [7, 11, 13, 21])
@pytest.mark.parametrize("dims, attrs", [
    (1, {}), (1, {"strides": [2], "pads": [1, 2], "dilations": [2]}),
    (2, {}), (2, {"strides": [2, 1], "pads": [1, 0, 2, 1]}),
    (2, {"auto_pad": "SAME_UPPER", "strides": [2, 2]}), (2, {"auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    (2, {"auto_pad": "VALID", "dilations": [2, 1]}), (2, {"group": 2, "pads": [1, 1, 1, 1]}),
    (2, {"auto_pad": "NOTSET", "kernel_shape": [3, 2], "group": 4})])
def test_conv(opset, dims, attrs):
    C, O = 4, 8
    g = attrs.get("group", 1)
    k = (3,) if dims == 1 else (3, 2)
    W = R(O, C // g, *k)
    sp = (9,) if dims == 1 else (7, 8)
    for bias in (True, False):
        ins = ["x", "W"] + (["b"] if bias else [])
        net = check([N("Conv", ins, **attrs)], ["N", C, *sp], {"W": W, "b": R(O)}, opset=opset)
        assert kinds(net) == ["input", "conv"]


def test_conv_then_bias_add_folds_and_float64():
    nodes = [N("Conv", ["x", "W"], "c", pads=[1, 1, 1, 1]), N("Add", ["c", "b"], "z"), N("Relu", ["z"], "y")]
    net = check(nodes, [1, 2, 5, 5], {"W": R(3, 2, 3, 3), "b": R(1, 3, 1, 1)}, dtype=np.float64)
    assert kinds(net) == ["input", "conv", "relu"] and net.input_shape == (2, 5, 5)


# ----------------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("opset", [7, 9, 14, 15])
def test_batchnorm(opset):
    C = 3
    inits = {"s": R(C), "b": R(C), "m": R(C), "v": np.abs(R(C)) + 0.1}
    net = check([N("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)], ["N", C, 4, 5], inits,
                opset=opset)
    assert kinds(net) == ["input", "affine"]
    check([N("BatchNormalization", ["x", "s", "b", "m", "v"])], ["N", C], inits, opset=opset, dtype=np.float64)


def test_batchnorm_training_is_an_error():
    inits = {"s": R(2), "b": R(2), "m": R(2), "v": np.ones(2)}
    with pytest.raises(UnsupportedLayerError, match="BatchNormalization.*training"):
        load_onnx(make([N("BatchNormalization", ["x", "s", "b", "m", "v"], training_mode=1)],
                       ["N", 2, 3], inits, opset=15))


# ----------------------------------------------------------------- pooling
@pytest.mark.parametrize("opset", [7, 11, 19])
@pytest.mark.parametrize("dims, attrs", [
    (1, {"kernel_shape": [2]}), (1, {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    (2, {"kernel_shape": [2, 2], "strides": [2, 2]}),
    (2, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    (2, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    (2, {"kernel_shape": [3, 2], "auto_pad": "SAME_UPPER", "strides": [2, 1]}),
    (2, {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
])
def test_averagepool(opset, dims, attrs):
    if "ceil_mode" in attrs and opset < 10:
        pytest.skip("ceil_mode from opset 10")
    sp = (8,) if dims == 1 else (6, 8)
    net = check([N("AveragePool", ["x"], **attrs)], ["N", 3, *sp], opset=opset)
    assert kinds(net) == ["input", "avgpool"]


def test_averagepool_dilated_opset19():
    for cip in (0, 1):
        check([N("AveragePool", ["x"], kernel_shape=[2, 2], dilations=[2, 1], pads=[1, 0, 1, 1],
                 count_include_pad=cip)], ["N", 2, 6, 6], opset=19)


@pytest.mark.parametrize("opset", [8, 10, 12, 21])
@pytest.mark.parametrize("dims, attrs", [
    (1, {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    (2, {"kernel_shape": [2, 2], "strides": [2, 2]}),
    (2, {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    (2, {"kernel_shape": [3, 2], "auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    (2, {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1, 0, 1, 1]}),
    (2, {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
])
def test_maxpool(opset, dims, attrs):
    if ("dilations" in attrs or "ceil_mode" in attrs) and opset < 10:
        pytest.skip("dilations and ceil_mode from opset 10")
    sp = (9,) if dims == 1 else (6, 8)
    net = check([N("MaxPool", ["x"], **attrs)], ["N", 3, *sp], opset=opset)
    assert kinds(net) == ["input", "maxpool"]
    assert [g.kind for g in net.units] == ["maxpool"]


def test_pool_errors():
    with pytest.raises(UnsupportedLayerError, match=r"'mp' \(MaxPool\).*Indices"):
        load_onnx(make([N("MaxPool", ["x"], ["y", "ind"], kernel_shape=[2], name="mp")], ["N", 1, 4], opset=12))
    with pytest.raises(UnsupportedLayerError, match=r"\(AveragePool\).*ceil_mode=1 gives a larger output"):
        load_onnx(make([N("AveragePool", ["x"], kernel_shape=[2], strides=[2], ceil_mode=1)], ["N", 1, 5]))
    with pytest.raises(UnsupportedLayerError, match=r"\(MaxPool\).*ceil_mode"):
        load_onnx(make([N("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)], ["N", 1, 6, 6]))
    with pytest.raises(UnsupportedLayerError, match=r"\(Conv\).*1-D and 2-D"):
        load_onnx(make([N("Conv", ["x", "W"])], ["N", 1, 3, 3, 3], {"W": R(1, 1, 2, 2, 2)}))
    # a pooling whose axis 0 is not the batch of one sample
    with pytest.raises(UnsupportedLayerError, match=r"\(MaxPool\).*not the batch axis"):
        load_onnx(make([N("Transpose", ["x"], "t", perm=[1, 0, 2]), N("MaxPool", ["t"], kernel_shape=[2])],
                       [1, 3, 4]))


def test_global_pools():
    nodes = [N("GlobalAveragePool", ["x"], "a"), N("GlobalMaxPool", ["x"], "m"), N("Add", ["a", "m"], "y")]
    net = check(nodes, ["N", 3, 4, 5])
    assert sorted(kinds(net)) == ["add", "input", "reduce_max", "reduce_sum"]
    check([N("GlobalMaxPool", ["x"])], ["N", 2, 7])


# ----------------------------------------------------------------- moving entries
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_flatten(axis):
    nodes = [N("Flatten", ["x"], "f", axis=axis), N("MatMul", ["f", "W"], "y")]
    shape = [1, 3, 4]
    rows = math.prod(shape[axis:]) if axis >= 0 else shape[-1]
    check(nodes, shape, {"W": R(rows, 2)}, opset=13)


@pytest.mark.parametrize("opset", [9, 13, 14])
def test_reshape_zero_minus_one_allowzero(opset):
    check([N("Reshape", ["x", "s"])], ["N", 2, 3, 4], {"s": np.array([0, -1, 4], np.int64)}, opset=opset)
    check([N("Reshape", ["x", "s"])], [1, 2, 6], {"s": np.array([3, 4], np.int64)}, opset=opset)
    if opset >= 14:
        check([N("Reshape", ["x", "s"], allowzero=1)], [1, 2, 6], {"s": np.array([1, 4, 3], np.int64)},
              opset=opset)


@pytest.mark.parametrize("perm", [[0, 2, 1, 3], [0, 3, 1, 2], [1, 0, 2, 3], [3, 2, 1, 0], None])
def test_transpose(perm):
    attrs = {} if perm is None else {"perm": perm}
    nodes = [N("Transpose", ["x"], "t", **attrs), N("Relu", ["t"], "y")]
    check(nodes, [1, 2, 3, 4], dtype=np.float64)
    if perm is not None and perm[0] == 0:
        check(nodes, ["N", 2, 3, 4])


@pytest.mark.parametrize("opset", [11, 13, 21])
def test_squeeze_unsqueeze(opset):
    if opset < 13:
        nodes = [N("Unsqueeze", ["x"], "u", axes=[0, 3]), N("Relu", ["u"], "r"),
                 N("Squeeze", ["r"], "s", axes=[0]), N("Squeeze", ["s"], "y")]
        inits = {}
    else:
        nodes = [N("Unsqueeze", ["x", "a"], "u"), N("Relu", ["u"], "r"), N("Squeeze", ["r", "a0"], "s"),
                 N("Squeeze", ["s"], "y")]
        inits = {"a": np.array([0, -1], np.int64), "a0": np.array([0], np.int64)}
    check(nodes, ["N", 3, 1, 2], inits, opset=opset)


def test_concat():
    nodes = [N("Relu", ["x"], "r"), N("Concat", ["x", "r", "c"], "y", axis=1)]
    net = check(nodes, [1, 2, 3], {"c": R(1, 4, 3)})
    assert "concat" in kinds(net)
    check([N("Concat", ["x", "c"], "y", axis=-1)], [1, 2, 3], {"c": R(1, 2, 2)})
    # along the batch axis (batch fixed at one)
    check([N("Relu", ["x"], "r"), N("Concat", ["x", "r", "c"], "y", axis=0)], [1, 2, 3], {"c": R(2, 2, 3)})


@pytest.mark.parametrize("opset", [9, 10, 13])
def test_slice(opset):
    cases = [([1], [3], [1], None), ([0, -1], [2, -100], [2, 1], [1, -1]),
             ([-3, 5], [2**62, -2**62], [1, 2], [2, -2]), ([0, 1], [1, 3], [0, 2], None)]
    for starts, ends, axes, steps in cases:
        if opset < 10:
            if steps is not None:
                continue
            nodes = [N("Slice", ["x"], starts=starts, ends=ends, axes=axes)]
            inits = {}
        else:
            ins = ["x", "st", "en", "ax"] + (["sp"] if steps else [])
            nodes = [N("Slice", ins)]
            inits = {"st": np.array(starts, np.int64), "en": np.array(ends, np.int64),
                     "ax": np.array(axes, np.int64)}
            if steps:
                inits["sp"] = np.array(steps, np.int64)
        check(nodes, [1, 4, 6] if 0 in axes else ["N", 4, 6], inits, opset=opset)


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split(opset):
    outs = ["a", "b", "c"]
    if opset < 13:
        sp = [N("Split", ["x"], outs, axis=2, split=[1, 2, 3])]
        inits = {}
    elif opset < 18:
        sp = [N("Split", ["x", "s"], outs, axis=2)]
        inits = {"s": np.array([1, 2, 3], np.int64)}
    else:
        sp = [N("Split", ["x"], outs, axis=2, num_outputs=3)]  # 6 -> 2, 2, 2
        inits = {}
    red = N("ReduceSum", ["c"], "rc", keepdims=1, axes=[2]) if opset < 13 else \
        N("ReduceSum", ["c", "two"], "rc", keepdims=1)
    inits["two"] = np.array([2], np.int64)
    nodes = sp + [N("Relu", ["a"], "ra"), red, N("Concat", ["ra", "b", "rc"], "y", axis=2)]
    check(nodes, ["N", 2, 6], inits, opset=opset)
    if opset >= 18:  # uneven num_outputs: 7 -> 3, 3, 1
        nodes = [N("Split", ["x"], outs, axis=1, num_outputs=3), N("Concat", ["c", "a"], "y", axis=1)]
        check(nodes, ["N", 7], opset=opset)


@pytest.mark.parametrize("opset, mode", [(9, "constant"), (9, "reflect"), (11, "constant"), (11, "edge"),
                                         (13, "reflect"), (18, "constant"), (19, "wrap"), (21, "edge")])
def test_pad(opset, mode):
    pads = [0, 0, 1, 2, 0, 1, 2, 0]
    if opset < 11:
        nodes = [N("Pad", ["x"], mode=mode, pads=pads, value=1.5)]
        inits = {}
    elif opset < 18:
        nodes = [N("Pad", ["x", "p", "v"], mode=mode)]
        inits = {"p": np.array(pads, np.int64), "v": np.array(1.5)}
    else:
        nodes = [N("Pad", ["x", "p", "v", "a"], mode=mode)]
        inits = {"p": np.array([1, 2, 1, 2], np.int64), "v": np.array(-0.5), "a": np.array([2, -1], np.int64)}
    net = check(nodes, ["N", 2, 4, 5], inits, opset=opset)
    assert kinds(net)[-1] == ("pad" if mode == "constant" else "take")
    if opset >= 11:  # negative pads crop
        check([N("Pad", ["x", "p"], mode=mode)], ["N", 2, 4, 5], {"p": np.array([0, 0, -1, 2, 0, 1, 1, -2], np.int64)},
              opset=opset)


def test_gather_and_friends():
    check([N("Gather", ["x", "i"], axis=1)], ["N", 5, 3], {"i": np.array([4, -1, 0, 0], np.int64)})
    check([N("Gather", ["x", "i"], axis=2)], ["N", 5, 3], {"i": np.array(1, np.int64)})
    check([N("Gather", ["x", "i"], axis=-1)], ["N", 5, 3], {"i": np.array([[0, 2], [1, 1]], np.int64)})
    check([N("Gather", ["x", "i"], axis=0)], [1, 5, 3], {"i": np.array([0, 0], np.int64)})
    check([N("GatherElements", ["x", "i"], axis=2)], [1, 3, 4], {"i": np.array([[[0, 3], [1, 1], [-1, 2]]], np.int64)})
    check([N("Expand", ["x", "s"])], ["N", 3, 1], {"s": np.array([1, 3, 4], np.int64)})
    check([N("Expand", ["x", "s"])], [1, 3, 1], {"s": np.array([2, 1, 1, 4], np.int64)})
    check([N("Tile", ["x", "r"])], [1, 3, 2], {"r": np.array([2, 1, 3], np.int64)})
    check([N("DepthToSpace", ["x"], blocksize=2, mode="CRD")], ["N", 8, 2, 3], opset=13)
    check([N("DepthToSpace", ["x"], blocksize=2)], ["N", 8, 2, 3], opset=13)
    check([N("SpaceToDepth", ["x"], blocksize=2)], ["N", 2, 4, 6], opset=13)


def test_where_with_constant_condition():
    cond = np.array([[True, False, True], [False, False, True]])
    nodes = [N("Relu", ["x"], "r"), N("Where", ["c", "x", "r"], "w"), N("Where", ["c2", "w", "k"], "y")]
    check(nodes, ["N", 2, 3], {"c": cond, "c2": np.array([True, False, True]), "k": R(2, 3)})
    with pytest.raises(UnsupportedLayerError, match=r"\(Greater\) is not supported: .*not a continuous"):
        load_onnx(make([N("Greater", ["x", "z"], "g"), N("Where", ["g", "x", "z"])], ["N", 2], {"z": np.zeros(2)}))


@pytest.mark.parametrize("opset", [9, 13])
def test_identity_dropout_cast(opset):
    drop = N("Dropout", ["x"], "d", ratio=0.5) if opset < 12 else N("Dropout", ["x", "ratio"], "d")
    nodes = [N("Identity", ["x"], "i0"), drop, N("Cast", ["d"], "c", to=TensorProto.FLOAT), N("Relu", ["c"], "y")]
    net = check(nodes, ["N", 4], {"ratio": np.array(0.5, np.float32)}, opset=opset)
    assert net.widths == (4, 4, 4)


# ----------------------------------------------------------------- units
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_units(dtype):
    check([N("Relu", ["x"])], ["N", 2, 3], dtype=dtype)
    check([N("LeakyRelu", ["x"])], ["N", 2, 3], dtype=dtype)
    check([N("LeakyRelu", ["x"], alpha=0.3)], ["N", 2, 3], dtype=dtype)
    check([N("Abs", ["x"])], ["N", 2, 3], dtype=dtype)
    for slope in (R(2, 1), np.array([0.2]), R(1, 2, 3), R(3)):
        net = check([N("PRelu", ["x", "s"])], ["N", 2, 3], {"s": slope}, dtype=dtype)
        assert kinds(net) == ["input", "leaky_relu"]


@pytest.mark.parametrize("opset", [7, 11, 13, 21])
def test_clip(opset):
    for lo, hi in ((-0.5, 1.0), (None, 0.3), (0.0, None), (0.0, 6.0), (None, None)):
        if opset < 11:
            attrs = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
            nodes, inits = [N("Clip", ["x"], **attrs)], {}
        else:
            ins = ["x", "" if lo is None else "lo", "" if hi is None else "hi"]
            while ins[-1] == "":
                ins.pop()
            nodes, inits = [N("Clip", ins)], {k: np.array(v, np.float32) for k, v in (("lo", lo), ("hi", hi))
                                               if v is not None}
        net = check(nodes, ["N", 5], inits, opset=opset)
        assert kinds(net) == ["input", "clip"]


@pytest.mark.parametrize("opset", [8, 13])
def test_max_min_variadic(opset):
    nodes = [N("Neg", ["x"], "nx"), N("Max", ["x", "nx", "c"], "m"), N("ReduceMax", ["x"], "r", axes=[2]),
             N("Min", ["m", "r"], "y")]
    net = check(nodes, ["N", 3, 4], {"c": R(4)}, opset=opset)
    assert sorted(g.kind for g in net.units) == ["max", "min", "reduce_max"]
    check([N("Max", ["x"])], ["N", 3], opset=opset)


@pytest.mark.parametrize("opset", [11, 13, 18])
@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1"])
def test_reduce(opset, op):
    input_axes = opset >= 18 or (op == "ReduceSum" and opset >= 13)
    for axes, keep in (([1], 1), ([-1, 1], 0), ([0, 2], 1), ([0], 0), (None, 0), (None, 1)):
        if axes is None:
            nodes, inits = [N(op, ["x"], keepdims=keep)], {}
        elif input_axes:
            nodes, inits = [N(op, ["x", "a"], keepdims=keep)], {"a": np.array(axes, np.int64)}
        else:
            nodes, inits = [N(op, ["x"], keepdims=keep, axes=axes)], {}
        check(nodes, [1, 3, 4], inits, opset=opset)
        if axes is not None and 0 not in axes:
            check(nodes, ["N", 3, 4], inits, opset=opset)
    if input_axes:  # noop_with_empty_axes
        check([N(op, ["x"], noop_with_empty_axes=1)], ["N", 3, 4], opset=opset)


# ----------------------------------------------------------------- constant folding
@pytest.mark.parametrize("opset", [11, 13, 18])
def test_pytorch_style_shape_arithmetic(opset):
    """Reshape targets computed from Shape/Gather/Unsqueeze/Concat, ConstantOfShape, Range, Cast."""
    unsq = (lambda i, o: N("Unsqueeze", [i], o, axes=[0])) if opset < 13 else \
        (lambda i, o: N("Unsqueeze", [i, "zero"], o))
    nodes = [
        N("Shape", ["x"], "shp"), N("Gather", ["shp", "i0"], "n", axis=0), unsq("n", "n1"),
        N("Gather", ["shp", "i1"], "c", axis=0), N("Gather", ["shp", "i2"], "h", axis=0),
        N("Mul", ["c", "h"], "ch"), unsq("ch", "ch1"),
        N("Concat", ["n1", "ch1"], "target", axis=0), N("Reshape", ["x", "target"], "flat"),
        N("ConstantOfShape", ["ch1"], "ones", value=numpy_helper.from_array(np.array([1.0], np.float32))),
        N("Range", ["r0", "r1", "r2"], "rg"), N("Cast", ["rg"], "rgf", to=TensorProto.FLOAT),
        N("Slice", ["rgf", "s0", "s1"], "sl"), N("Mul", ["ones", "sl"], "w"),
        N("Mul", ["flat", "w"], "y"),
    ]
    inits = {"i0": np.array(0, np.int64), "i1": np.array(1, np.int64), "i2": np.array(2, np.int64),
             "zero": np.array([0], np.int64), "r0": np.array(0, np.int64), "r1": np.array(20, np.int64),
             "r2": np.array(1, np.int64), "s0": np.array([2], np.int64), "s1": np.array([14], np.int64)}
    net = check(nodes, ["N", 3, 4], inits, opset=opset)
    assert kinds(net) in (["input", "affine"], ["input", "reshape", "affine"])


def test_constant_nodes_and_dead_branches():
    nodes = [N("Constant", [], "W", value=numpy_helper.from_array(R(3, 2).astype(np.float32))),
             N("Constant", [], "k", value_float=2.0), N("Sigmoid", ["x"], "dead"),
             N("MatMul", ["x", "W"], "m"), N("Mul", ["m", "k"], "y")]
    check(nodes, ["N", 3], opset=13)


@pytest.mark.slow
def test_pytorch_export_without_constant_folding(tmp_path):
    """A CNN exported by torch.onnx.export: BatchNormalization, shape arithmetic for the view,
    residual add, PReLU, ReLU6 (Clip), max-pooling, adaptive average pooling, cat."""
    torch = pytest.importorskip("torch")

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(3, 4, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(4)
            self.c2 = torch.nn.Conv2d(4, 4, 3, padding=1, bias=False)
            self.act = torch.nn.PReLU(4)
            self.fc = torch.nn.Linear(4 * 4 * 4 + 4, 5)

        def forward(self, x):
            h = torch.relu(self.bn(self.c1(x)))
            h = h + self.act(self.c2(h))
            p = torch.nn.functional.max_pool2d(h, 2)
            g = torch.nn.functional.adaptive_avg_pool2d(torch.nn.functional.relu6(h), 1)
            z = torch.cat([p.view(p.shape[0], -1), g.flatten(1)], dim=1)
            return self.fc(torch.nn.functional.leaky_relu(z, 0.2))

    torch.manual_seed(0)
    m = M().eval()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-1, 1)
        m.bn.running_var.uniform_(0.5, 2)
    path = tmp_path / "m.onnx"
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(m, (torch.zeros(1, 3, 8, 8),), str(path), dynamo=False, input_names=["x"],
                              dynamic_axes={"x": {0: "N"}}, do_constant_folding=False)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"torch.onnx.export unavailable: {exc}")
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"BatchNormalization", "Shape", "Gather", "Reshape", "PRelu"} <= ops
    net = load_onnx(path)
    assert net.input_shape == (3, 8, 8)
    assert sorted(g.kind for g in net.units) == ["clip", "leaky_relu", "leaky_relu", "maxpool", "relu"]
    X = np.random.default_rng(0).normal(size=(5, 192)).astype(np.float32)
    with torch.no_grad():
        y = m(torch.as_tensor(X.reshape(5, 3, 8, 8))).numpy()
    np.testing.assert_allclose(net(X.astype(np.float64)), y, rtol=1e-5, atol=1e-5 * np.abs(y).max())


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("op, why", [("Sigmoid", "Sigmoid is not piecewise linear"),
                                     ("Softmax", "Softmax is not piecewise linear"),
                                     ("Floor", "not a continuous piecewise-linear"),
                                     ("Foo", "does not read the ONNX operator Foo")])
def test_unsupported_operator_messages(op, why):
    nodes = [N("Relu", ["x"], "r", name="act"), N(op, ["r"], "y", name="bad")]
    with pytest.raises(UnsupportedLayerError, match=rf"^ONNX node 'bad' \({op}\) is not supported: .*{why}"):
        load_onnx(make(nodes, ["N", 3]))


def test_unsupported_structure_messages():
    with pytest.raises(UnsupportedLayerError, match=r"'sq' \(Mul\).*two input-dependent tensors is not affine"):
        load_onnx(make([N("Mul", ["x", "x"], name="sq")], ["N", 2]))
    with pytest.raises(UnsupportedLayerError, match=r"\(Div\).*division by an input-dependent"):
        load_onnx(make([N("Div", ["c", "x"])], ["N", 2], {"c": np.ones(2)}))
    with pytest.raises(UnsupportedLayerError, match=r"\(MatMul\).*two input-dependent"):
        load_onnx(make([N("MatMul", ["x", "x"])], [2, 2]))
    with pytest.raises(UnsupportedLayerError, match=r"\(Cast\).*non-float"):
        load_onnx(make([N("Cast", ["x"], "i", to=TensorProto.INT64), N("Cast", ["i"], "y", to=TensorProto.FLOAT)],
                       ["N", 2]))
    with pytest.raises(UnsupportedLayerError, match=r"\(Conv\).*weight depends on the input"):
        load_onnx(make([N("Reshape", ["x", "s"], "w"), N("Conv", ["x", "w"])], [1, 1, 2, 2],
                       {"s": np.array([1, 1, 2, 2], np.int64)}))
    with pytest.raises(UnsupportedLayerError, match=r"\(Clip\).*min 1.0 >= max"):
        load_onnx(make([N("Clip", ["x", "a", "b"])], ["N", 2], {"a": np.array(1.0), "b": np.array(0.0)}))
    m = make([N("Relu", ["x"])], ["N", 2])
    m.graph.node[0].domain = "com.microsoft"
    with pytest.raises(UnsupportedLayerError, match="domain 'com.microsoft'"):
        load_onnx(m)


def test_bad_files(tmp_path):
    good = tmp_path / "g.onnx"
    save_onnx(ReLUNetwork([np.eye(2)]), good)
    data = good.read_bytes()
    (tmp_path / "t.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match="t.onnx"):
        load_onnx(tmp_path / "t.onnx")
    (tmp_path / "j.onnx").write_text("this is not ONNX at all\n" * 10)
    with pytest.raises(NetworkError):
        load_onnx(tmp_path / "j.onnx")
    vi = helper.make_tensor_value_info
    two = make([N("Add", ["x", "z"])], None, inputs=[vi("x", F32, [1, 2]), vi("z", F32, [1, 2])])
    with pytest.raises(NetworkError, match="exactly one graph input"):
        load_onnx(two)
    noshape = make([N("Relu", ["x"])], None, inputs=[vi("x", F32, None)])
    with pytest.raises(NetworkError, match="has no shape"):
        load_onnx(noshape)
    with pytest.raises(NetworkError, match="does not depend on the input"):
        load_onnx(make([N("Identity", ["c"])], ["N", 2], {"c": np.ones(2)}))
    with pytest.raises(FileNotFoundError):
        load_onnx(tmp_path / "missing.onnx")
    with pytest.raises(TypeError, match="load_onnx expects"):
        load_onnx(3.0)


def test_external_data_outside_the_model_folder_is_refused(tmp_path):
    m = make([N("MatMul", ["x", "W"])], ["N", 2], {"W": np.ones((2, 2))})
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "../secret.bin"
    p = tmp_path / "m.onnx"
    p.write_bytes(m.SerializeToString())
    with pytest.raises(NetworkError, match="not a file beside the model"):
        load_onnx(p)


def test_input_shape_and_batch_axis():
    assert load_onnx(make([N("Abs", ["x"])], [1, 3, 4, 4])).input_shape == (3, 4, 4)
    assert load_onnx(make([N("Relu", ["x"])], [1, 3, 4, 4])).input_shape == (48,)  # a ReLUNetwork
    assert load_onnx(make([N("Abs", ["x"])], [1, 784, 1])).input_shape == (784, 1)
    assert load_onnx(make([N("Abs", ["x"])], ["batch", 5])).input_shape == (5,)
    assert load_onnx(make([N("Abs", ["x"])], [2, 5])).input_shape == (2, 5)  # a fixed 2 is no batch
    assert load_onnx(make([N("Abs", ["x"])], [5])).input_shape == (5,)


# ----------------------------------------------------------------- save / load round trips
def _same(net, back, X):
    np.testing.assert_array_equal(back(X), net(X))
    assert [(g.kind, g.shape) for g in back.units] == [(g.kind, g.shape) for g in net.units]
    structural = {"reshape"}
    assert [k for k in kinds(back) if k not in structural] == [k for k in kinds(net) if k not in structural]


@st.composite
def conv_nets(draw):
    """Small random nets: conv, residual add, maxpool, clip, leaky ReLU, avgpool, dense."""
    r = np.random.default_rng(draw(st.integers(0, 2**31)))
    C, H, W = draw(st.integers(1, 3)), draw(st.integers(4, 6)), draw(st.integers(4, 6))
    b = NetworkBuilder((C, H, W))
    O = draw(st.integers(1, 3))
    h = b.conv(b.input, r.normal(size=(O, C, 3, 3)), r.normal(size=O), pads=(1, 1, 1, 1))
    act = draw(st.sampled_from(["relu", "leaky", "clip", "abs"]))
    a = (b.relu(h) if act == "relu" else b.leaky_relu(h, 0.1) if act == "leaky"
         else b.clip(h, -0.5, 1.0) if act == "clip" else b.abs(h))
    if draw(st.booleans()):
        a = b.add(a, h, coefs=draw(st.sampled_from([None, [1.0, -1.0]])))
    if draw(st.booleans()):
        a = b.maxpool(a, (2, 2), strides=(2, 2))
    else:
        a = b.avgpool(a, (2, 2), strides=(1, 1), pads=(0, 0, 1, 1))
    a = b.affine(a, r.uniform(0.5, 1.5, size=(O, 1, 1)), r.normal(size=(O, 1, 1)))
    f = b.flatten(a)
    net0 = b.build(f)
    y = b.dense(f, r.normal(size=(3, net0.output_dim)), r.normal(size=3))
    if draw(st.booleans()):
        y = b.max(y, b.relu(y))
    return b.build(y)


@settings(max_examples=15, deadline=None)
@given(conv_nets())
def test_round_trip_conv_residual_pool_clip(tmp_path_factory, net):
    p = tmp_path_factory.mktemp("rt") / "n.onnx"
    X = np.random.default_rng(0).normal(size=(7, net.input_dim))
    save_onnx(net, p)
    back = load_onnx(p)
    assert back.input_shape == net.input_shape
    _same(net, back, X)
    y = runner(onnx.load(str(p)))(X.reshape((-1,) + net.input_shape)).reshape(len(X), -1)
    np.testing.assert_allclose(y, net(X), rtol=1e-9, atol=1e-9 * max(1.0, np.abs(y).max()))


@pytest.mark.parametrize("opset", [9, 11, 13, 18, 21])
def test_round_trip_every_layer_kind(tmp_path, opset):
    r = np.random.default_rng(opset)
    b = NetworkBuilder((2, 6))
    x = b.input
    c = b.conv(x, r.normal(size=(3, 2, 2)), None, strides=(1,), pads=(1, 0))            # (3, 6)
    ap = b.avgpool(c, (2,), strides=(1,), pads=(1, 0), count_include_pad=False)       # (3, 6)
    u = b.clip(ap, lo=-0.25)  # a float32 number: opset 9 writes it as an attribute
    lk = b.leaky_relu(u, r.uniform(0, 0.3, size=(3, 1)))
    ab = b.abs(lk)
    mp = b.maxpool(ab, (2,), strides=(2,), dilations=(1,))                              # (3, 3)
    t = b.transpose(mp, (1, 0))                                                        # (3, 3)
    pd = b.pad(t, (0, 1, 1, 0), value=0.25)                                            # (4, 4)
    tk = b.take(pd, r.integers(0, 16, size=6), (2, 3))                                 # (2, 3)
    rs = b.reduce_sum(pd, (1,), keepdims=False, mean=True)                             # (4,)
    rm = b.reduce_max(pd, (0,), keepdims=False)                                        # (4,)
    rn = b.reduce_min(tk, (1,), keepdims=True)                                         # (2, 1)
    k = b.const(r.normal(size=(4,)))
    mx = b.max(rs, rm, k)
    mn = b.min(rs, rm)
    ad = b.add(mx, mn, rs, coefs=[1.0, -1.0, 0.5])
    cc = b.concat(ad, b.flatten(rn), b.relu(rm), axis=0)                               # (10,)
    af = b.affine(cc, 2.0, r.normal(size=10))
    d = b.dense(b.reshape(af, (2, 5)), r.normal(size=(3, 5)), r.normal(size=3))       # (2, 3)
    net = b.build(b.dense(b.flatten(d), r.normal(size=(2, 6))))
    X = r.normal(size=(9, net.input_dim))
    save_onnx(net, tmp_path / "n.onnx", opset=opset)
    back = load_onnx(tmp_path / "n.onnx")
    np.testing.assert_array_equal(back(X), net(X))
    assert [(g.kind, g.shape) for g in back.units] == [(g.kind, g.shape) for g in net.units]
    for kind in ("conv", "avgpool", "maxpool", "clip", "leaky_relu", "abs", "transpose", "pad", "take",
                 "reduce_sum", "reduce_max", "reduce_min", "max", "min", "add", "concat", "affine", "dense"):
        assert kind in kinds(back), kind
    y = runner(onnx.load(str(tmp_path / "n.onnx")))(X.reshape((-1, 2, 6)))
    np.testing.assert_allclose(y, net(X), rtol=1e-9, atol=1e-9 * np.abs(y).max())
    save_onnx(net, tmp_path / "f.onnx", opset=opset, dtype="float32")
    s = ort.InferenceSession(str(tmp_path / "f.onnx"), providers=["CPUExecutionProvider"])
    y = s.run(None, {"input": X.reshape((-1, 2, 6)).astype(np.float32)})[0]
    np.testing.assert_allclose(y, net(X), rtol=1e-4, atol=1e-4 * np.abs(y).max())


def test_save_onnx_arguments(tmp_path):
    b = NetworkBuilder((2,))
    net = b.build(b.abs(b.input))
    with pytest.raises(ValueError, match="opset must be between 9 and 21"):
        save_onnx(net, tmp_path / "a.onnx", opset=5)
    with pytest.raises(ValueError, match="dtype"):
        save_onnx(net, tmp_path / "a.onnx", dtype="int8")
    with pytest.raises(TypeError, match="save_onnx expects"):
        save_onnx([[1.0]], tmp_path / "a.onnx")
    save_onnx(net, tmp_path / "a.onnx", opset=21)
    m = onnx.load(str(tmp_path / "a.onnx"))
    assert m.opset_import[0].version == 21 and [n.op_type for n in m.graph.node] == ["Abs"]
