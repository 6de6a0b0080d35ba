"""The ONNX wire reader decodes what the onnx package decodes, and nothing else gets through.

Round trips against ``onnx`` itself (its serializer writes, our reader reads): every shipped
and VNN-COMP model field by field, random tensors of every element type in raw and typed
form, hand-written unpacked repeated fields (which onnx never writes but protobuf allows),
and every prefix of a model's bytes (a truncated file is one clear error). Loading a model
does not import onnx.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relugeom.errors import NetworkError
from relugeom.network import load_onnx
from relugeom.network._onnx_wire import Tensor, WireError, parse_model, tensor_to_array
from conftest import shared_path

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ACAS = Path(__file__).resolve().parents[1] / "data" / "acasxu"


def _models() -> list[Path]:
    files = sorted(ACAS.glob("*.onnx"))[:3]
    try:
        files += sorted(shared_path("data", "vnncomp2021").glob("*/*.onnx"))
    except Exception:  # noqa: BLE001 - the shared data is optional
        pass
    return files


def _same_model(data: bytes) -> None:
    m, o = parse_model(data), onnx.load_from_string(data)
    assert m.ir_version == o.ir_version
    assert m.opset_import == [(x.domain, x.version) for x in o.opset_import]
    g, og = m.graph, o.graph
    assert g.name == og.name
    assert [(n.name, n.op_type, n.domain, n.input, n.output) for n in g.node] == \
        [(n.name, n.op_type, n.domain, list(n.input), list(n.output)) for n in og.node]
    for n, on in zip(g.node, og.node):
        assert [(a.name, a.type) for a in n.attribute] == [(a.name, a.type) for a in on.attribute]
        for a, oa in zip(n.attribute, on.attribute):
            v = helper.get_attribute_value(oa)
            if oa.type == onnx.AttributeProto.TENSOR:
                np.testing.assert_array_equal(tensor_to_array(a.value), numpy_helper.to_array(v))
            elif oa.type in (onnx.AttributeProto.FLOAT, onnx.AttributeProto.FLOATS):
                np.testing.assert_array_equal(np.float32(a.value), np.float32(v))
            elif oa.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS,
                             onnx.AttributeProto.STRING, onnx.AttributeProto.STRINGS):
                assert a.value == v
    assert [t.name for t in g.initializer] == [t.name for t in og.initializer]
    for t, ot in zip(g.initializer, og.initializer):
        a, b = tensor_to_array(t), numpy_helper.to_array(ot)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    for vi, ovi in zip(g.input + g.output, list(og.input) + list(og.output)):
        assert vi.name == ovi.name
        dims = [(d.dim_value if d.HasField("dim_value") else None,
                 d.dim_param if d.HasField("dim_param") else None)
                for d in ovi.type.tensor_type.shape.dim]
        assert [(d.dim_value, d.dim_param) for d in vi.shape or []] == dims


@pytest.mark.parametrize("path", _models(), ids=lambda p: p.name)
def test_real_models_decode_as_onnx_decodes_them(path):
    _same_model(path.read_bytes())


_DTYPES = [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64, np.uint8,
           np.uint16, np.uint32, np.uint64, np.bool_]


@given(dtype=st.sampled_from(_DTYPES),
       shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
       raw=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_tensors_of_every_type_round_trip(dtype, shape, raw, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if shape else 1
    if dtype == np.bool_:
        arr = rng.integers(0, 2, n).astype(bool)
    elif np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    else:
        arr = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4)).astype(dtype)
    arr = arr.reshape(shape)
    if raw:
        t = numpy_helper.from_array(arr, "t")
    else:
        t = helper.make_tensor("t", helper.np_dtype_to_tensor_dtype(arr.dtype), shape,
                               arr.reshape(-1).tolist(), raw=False)
    g = helper.make_graph([], "g", [], [], initializer=[t])
    data = helper.make_model(g).SerializeToString()
    back = tensor_to_array(parse_model(data).graph.initializer[0])
    ref = numpy_helper.to_array(onnx.load_from_string(data).graph.initializer[0])
    assert back.dtype == ref.dtype and back.shape == ref.shape
    np.testing.assert_array_equal(back, ref)


def test_bfloat16_widens_to_float32():
    bits = np.array([0x3F80, 0xC040, 0x0000], np.uint16)  # 1.0, -3.0, 0.0
    t = Tensor(name="b", dims=(3,), data_type=TensorProto.BFLOAT16, raw_data=bits.tobytes())
    assert tensor_to_array(t).tolist() == [1.0, -3.0, 0.0]


def _key(num: int, wt: int) -> bytes:
    return _varint(num << 3 | wt)


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _ld(num: int, payload: bytes) -> bytes:
    return _key(num, 2) + _varint(len(payload)) + payload


def test_unpacked_repeated_fields_are_read():
    # TensorProto with dims 2, 2 given one at a time, FLOAT, float_data one at a time (wire 5),
    # int64 dims negative-free; then an INT64 tensor with unpacked negative values
    t1 = (_key(1, 0) + _varint(2) + _key(1, 0) + _varint(2) + _key(2, 0) + _varint(1)
          + b"".join(_key(4, 5) + np.float32(v).tobytes() for v in (1, 2, 3, 4)) + _ld(8, b"a"))
    t2 = (_key(1, 0) + _varint(3) + _key(2, 0) + _varint(7)
          + b"".join(_key(7, 0) + _varint(v) for v in (-1, 5, -(2 ** 40))) + _ld(8, b"b"))
    model = _ld(7, _ld(5, t1) + _ld(5, t2))
    g = parse_model(model).graph
    assert tensor_to_array(g.initializer[0]).tolist() == [[1, 2], [3, 4]]
    assert tensor_to_array(g.initializer[1]).tolist() == [-1, 5, -(2 ** 40)]
    # and onnx reads these bytes the same way
    o = onnx.load_from_string(model)
    assert numpy_helper.to_array(o.graph.initializer[1]).tolist() == [-1, 5, -(2 ** 40)]


def test_every_prefix_is_a_model_or_one_clear_error():
    data = (ACAS / "ACASXU_run2a_1_1_batch_2000.onnx").read_bytes()
    for cut in sorted({*range(0, 200), *range(200, len(data), 97), len(data) - 1}):
        try:
            parse_model(data[:cut])
        except WireError as exc:
            assert "byte" in str(exc)
    for cut in (1, 50, 400, len(data) // 2):
        with pytest.raises(NetworkError, match="cannot read ONNX model bytes"):
            load_onnx(data[:cut])


@pytest.mark.parametrize("bad, match", [
    (_key(7, 2) + _varint(100) + b"\x00", "runs past"),
    (_key(7, 3), "wire type 3"),
    (b"\x80" * 11, "varint longer"),
    (_key(0, 0) + b"\x00", "field number 0"),
])
def test_malformed_bytes_name_the_problem(bad, match):
    with pytest.raises(WireError, match=match):
        parse_model(bad)


def test_wrong_raw_size_and_strings_are_refused():
    with pytest.raises(WireError, match="bytes of raw data"):
        tensor_to_array(Tensor(name="w", dims=(3,), data_type=1, raw_data=b"\x00" * 8))
    with pytest.raises(WireError, match="STRING"):
        tensor_to_array(Tensor(name="s", dims=(1,), data_type=TensorProto.STRING))


def test_external_data_beside_the_model_is_read(tmp_path):
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    (tmp_path / "w.bin").write_bytes(b"pad!" + W.tobytes())
    t = numpy_helper.from_array(W, "W")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "4"), ("length", str(W.nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [t])
    p = tmp_path / "m.onnx"
    p.write_bytes(helper.make_model(g).SerializeToString())
    np.testing.assert_array_equal(load_onnx(p)([[1.0, 2.0]]), [[6.0, 9.0, 12.0]])
    with pytest.raises(NetworkError, match="load the model from its path"):
        load_onnx(p.read_bytes())


def test_loading_does_not_import_onnx():
    path = ACAS / "ACASXU_run2a_1_1_batch_2000.onnx"
    code = ("import sys; from relugeom.network import load_network; "
            f"net = load_network({str(path)!r}); "
            "print(net.input_dim, 'onnx' in sys.modules, 'ml_dtypes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["5", "False", "False"]
