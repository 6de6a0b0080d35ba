"""A small reader of the ONNX file format (protobuf wire format), without the onnx package.

Loading a network must be cheap: ``import onnx`` costs about 0.6 s (it loads ``ml_dtypes``),
which dominates a verification run on a small net. This module decodes exactly the parts of
``onnx.proto`` that :func:`~relugeom.network.load_onnx` reads — the graph's nodes, attributes,
initializers, inputs and outputs, and the opset — into plain objects with the same field
names, and decodes tensors straight into numpy arrays.

The bytes are untrusted: every length is checked against the buffer, nesting is bounded,
unknown fields are skipped (as protobuf does), and any inconsistency raises
:class:`WireError` naming the byte offset. Subgraphs (``If``/``Loop`` bodies) are not decoded:
no operator relugeom reads has one.

Field numbers are those of ``onnx/onnx.proto`` (stable since IR version 3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["WireError", "parse_model", "tensor_to_array", "ONNX_NP_DTYPES"]


class WireError(ValueError):
    """The bytes are not a well-formed ONNX protobuf message."""


#: ONNX TensorProto.DataType -> numpy dtype (little-endian), for the types relugeom reads
ONNX_NP_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"), 2: np.dtype("u1"), 3: np.dtype("i1"), 4: np.dtype("<u2"),
    5: np.dtype("<i2"), 6: np.dtype("<i4"), 7: np.dtype("<i8"), 9: np.dtype("bool"),
    10: np.dtype("<f2"), 11: np.dtype("<f8"), 12: np.dtype("<u4"), 13: np.dtype("<u8"),
    16: np.dtype("<f4"),  # BFLOAT16, widened to float32
}
_NAMES = {8: "STRING", 14: "COMPLEX64", 15: "COMPLEX128", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ",
          19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1"}


# ----------------------------------------------------------------------------- wire level
def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError(f"truncated varint at byte {pos}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def _signed64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def _fields(buf: memoryview, start: int, end: int):
    """Yield ``(field number, wire type, value)``; length-delimited values as (start, end)."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise WireError(f"field number 0 at byte {pos}")
        if wt == 0:
            v, pos = _varint(buf, pos, end)
            yield num, 0, v
        elif wt == 2:
            n, pos = _varint(buf, pos, end)
            if pos + n > end:
                raise WireError(f"a field of {n} bytes at byte {pos} runs past its message "
                                f"(which ends at byte {end})")
            yield num, 2, (pos, pos + n)
            pos += n
        elif wt == 5:
            if pos + 4 > end:
                raise WireError(f"truncated 32-bit field at byte {pos}")
            yield num, 5, bytes(buf[pos: pos + 4])
            pos += 4
        elif wt == 1:
            if pos + 8 > end:
                raise WireError(f"truncated 64-bit field at byte {pos}")
            yield num, 1, bytes(buf[pos: pos + 8])
            pos += 8
        else:
            raise WireError(f"unsupported wire type {wt} (field {num}) at byte {pos}")


def _varints_packed(buf: memoryview, a: int, b: int) -> np.ndarray:
    """A packed run of varints as uint64, vectorized."""
    raw = np.frombuffer(buf[a:b], dtype=np.uint8)
    if not len(raw):
        return np.zeros(0, np.uint64)
    ends = np.flatnonzero(raw < 0x80)
    if not len(ends) or ends[-1] != len(raw) - 1:
        raise WireError(f"truncated packed varints at byte {a}")
    starts = np.concatenate([[0], ends[:-1] + 1])
    if np.any(ends - starts >= 10):
        raise WireError(f"varint longer than 10 bytes in packed field at byte {a}")
    idx = np.repeat(np.arange(len(ends)), ends - starts + 1)
    shift = (np.arange(len(raw)) - starts[idx]).astype(np.uint64) * np.uint64(7)
    vals = (raw & 0x7F).astype(np.uint64) << shift
    return np.add.reduceat(vals, starts).astype(np.uint64)


def _text(buf: memoryview, span: tuple[int, int]) -> str:
    try:
        return bytes(buf[span[0]: span[1]]).decode("utf-8")
    except UnicodeDecodeError:
        raise WireError(f"a string field at byte {span[0]} is not UTF-8") from None


class _Repeated:
    """Collects a repeated scalar field given packed (wire type 2) or one at a time."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def add_packed(self, arr: np.ndarray) -> None:
        self.parts.append(arr)

    def add_one(self, v: Any, dtype: str) -> None:
        self.parts.append(np.asarray([v], dtype=dtype))

    def array(self, dtype: str) -> np.ndarray:
        if not self.parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([np.asarray(p).astype(dtype, copy=False) for p in self.parts])


def _rep_varint(rep: _Repeated, buf: memoryview, wt: int, v: Any) -> None:
    if wt == 2:
        rep.add_packed(_varints_packed(buf, *v))
    elif wt == 0:
        rep.add_one(v, "u8")
    else:
        raise WireError(f"integer field with wire type {wt}")


def _rep_fixed(rep: _Repeated, buf: memoryview, wt: int, v: Any, dtype: str, width: int) -> None:
    if wt == 2:
        a, b = v
        if (b - a) % width:
            raise WireError(f"packed field of {b - a} bytes at byte {a} is not a multiple of {width}")
        rep.add_packed(np.frombuffer(buf[a:b], dtype=dtype))
    elif wt == (5 if width == 4 else 1):
        rep.add_packed(np.frombuffer(v, dtype=dtype))
    else:
        raise WireError(f"fixed-width field with wire type {wt}")


# ----------------------------------------------------------------------------- messages
@dataclass
class Tensor:
    """``TensorProto``: name, dims, element type, and where its data is."""

    name: str = ""
    dims: tuple[int, ...] = ()
    data_type: int = 0
    raw_data: bytes | None = None
    typed: dict[int, _Repeated] = field(default_factory=dict)
    external_data: dict[str, str] = field(default_factory=dict)
    data_location: int = 0
    segmented: bool = False


@dataclass
class Attribute:
    name: str = ""
    type: int = 0
    value: Any = None


@dataclass
class Node:
    input: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    name: str = ""
    op_type: str = ""
    domain: str = ""
    attribute: list[Attribute] = field(default_factory=list)


@dataclass
class Dim:
    dim_value: int | None = None
    dim_param: str | None = None


@dataclass
class ValueInfo:
    """``ValueInfoProto`` reduced to a tensor type: ``shape`` is None when none is declared."""

    name: str = ""
    is_tensor: bool = False
    elem_type: int = 0
    shape: list[Dim] | None = None


@dataclass
class Graph:
    name: str = ""
    node: list[Node] = field(default_factory=list)
    initializer: list[Tensor] = field(default_factory=list)
    input: list[ValueInfo] = field(default_factory=list)
    output: list[ValueInfo] = field(default_factory=list)
    sparse_initializer: int = 0


@dataclass
class Model:
    ir_version: int = 0
    opset_import: list[tuple[str, int]] = field(default_factory=list)
    graph: Graph | None = None


def _tensor(buf: memoryview, a: int, b: int) -> Tensor:
    t = Tensor()
    dims = _Repeated()
    for num, wt, v in _fields(buf, a, b):
        if num == 1:
            _rep_varint(dims, buf, wt, v)
        elif num == 2 and wt == 0:
            t.data_type = int(v)
        elif num == 3:
            t.segmented = True
        elif num == 8 and wt == 2:
            t.name = _text(buf, v)
        elif num == 9 and wt == 2:
            t.raw_data = bytes(buf[v[0]: v[1]])
        elif num in (4, 5, 7, 10, 11):
            rep = t.typed.setdefault(num, _Repeated())
            if num == 4:
                _rep_fixed(rep, buf, wt, v, "<f4", 4)
            elif num == 10:
                _rep_fixed(rep, buf, wt, v, "<f8", 8)
            else:
                _rep_varint(rep, buf, wt, v)
        elif num == 6:
            t.typed.setdefault(6, _Repeated()).add_one(0, "u8")  # string data: refused later
        elif num == 13 and wt == 2:
            key = val = ""
            for n2, w2, v2 in _fields(buf, *v):
                if n2 == 1 and w2 == 2:
                    key = _text(buf, v2)
                elif n2 == 2 and w2 == 2:
                    val = _text(buf, v2)
            t.external_data[key] = val
        elif num == 14 and wt == 0:
            t.data_location = int(v)
    t.dims = tuple(_signed64(int(d)) for d in dims.array("u8"))
    return t


def _attribute(buf: memoryview, a: int, b: int) -> Attribute:
    at = Attribute()
    ints, floats = _Repeated(), _Repeated()
    strings: list[bytes] = []
    tensors: list[Tensor] = []
    scalar: dict[int, Any] = {}
    for num, wt, v in _fields(buf, a, b):
        if num == 1 and wt == 2:
            at.name = _text(buf, v)
        elif num == 20 and wt == 0:
            at.type = int(v)
        elif num == 2 and wt == 5:
            scalar[2] = float(struct.unpack("<f", v)[0])
        elif num == 3 and wt == 0:
            scalar[3] = _signed64(v)
        elif num == 4 and wt == 2:
            scalar[4] = bytes(buf[v[0]: v[1]])
        elif num == 5 and wt == 2:
            scalar[5] = _tensor(buf, *v)
        elif num == 6:
            scalar[6] = "graph"
        elif num == 7:
            _rep_fixed(floats, buf, wt, v, "<f4", 4)
        elif num == 8:
            _rep_varint(ints, buf, wt, v)
        elif num == 9 and wt == 2:
            strings.append(bytes(buf[v[0]: v[1]]))
        elif num == 10 and wt == 2:
            tensors.append(_tensor(buf, *v))
    kind = at.type
    if kind == 0:  # IR < 3 files may leave the type out: infer it from the field present
        kind = next((k for n, k in ((2, 1), (3, 2), (4, 3), (5, 4), (6, 5)) if n in scalar), 0) or \
            (6 if floats.parts else 7 if ints.parts else 8 if strings else 9 if tensors else 0)
    at.type = kind
    if kind == 1:
        at.value = scalar.get(2, 0.0)
    elif kind == 2:
        at.value = int(scalar.get(3, 0))
    elif kind == 3:
        at.value = scalar.get(4, b"")
    elif kind == 4:
        at.value = scalar.get(5, Tensor())
    elif kind == 6:
        at.value = [float(f) for f in floats.array("<f4")]
    elif kind == 7:
        at.value = [_signed64(int(i)) for i in ints.array("u8")]
    elif kind == 8:
        at.value = strings
    elif kind == 9:
        at.value = tensors
    else:  # graphs, sparse tensors, type protos: kept as a marker, never read
        at.value = _Opaque(kind)
    return at


@dataclass(frozen=True)
class _Opaque:
    """An attribute value relugeom does not decode (a subgraph, a sparse tensor, a type)."""

    type: int


def _node(buf: memoryview, a: int, b: int) -> Node:
    nd = Node()
    for num, wt, v in _fields(buf, a, b):
        if wt != 2:
            continue
        if num == 1:
            nd.input.append(_text(buf, v))
        elif num == 2:
            nd.output.append(_text(buf, v))
        elif num == 3:
            nd.name = _text(buf, v)
        elif num == 4:
            nd.op_type = _text(buf, v)
        elif num == 7:
            nd.domain = _text(buf, v)
        elif num == 5:
            nd.attribute.append(_attribute(buf, *v))
    return nd


def _value_info(buf: memoryview, a: int, b: int) -> ValueInfo:
    vi = ValueInfo()
    for num, wt, v in _fields(buf, a, b):
        if num == 1 and wt == 2:
            vi.name = _text(buf, v)
        elif num == 2 and wt == 2:
            for n2, w2, v2 in _fields(buf, *v):  # TypeProto
                if n2 == 1 and w2 == 2:  # tensor_type
                    vi.is_tensor = True
                    for n3, w3, v3 in _fields(buf, *v2):
                        if n3 == 1 and w3 == 0:
                            vi.elem_type = int(v3)
                        elif n3 == 2 and w3 == 2:  # shape
                            vi.shape = []
                            for n4, w4, v4 in _fields(buf, *v3):
                                if n4 == 1 and w4 == 2:
                                    d = Dim()
                                    for n5, w5, v5 in _fields(buf, *v4):
                                        if n5 == 1 and w5 == 0:
                                            d.dim_value = _signed64(v5)
                                        elif n5 == 2 and w5 == 2:
                                            d.dim_param = _text(buf, v5)
                                    vi.shape.append(d)
    return vi


def _graph(buf: memoryview, a: int, b: int) -> Graph:
    g = Graph()
    for num, wt, v in _fields(buf, a, b):
        if wt != 2:
            continue
        if num == 1:
            g.node.append(_node(buf, *v))
        elif num == 2:
            g.name = _text(buf, v)
        elif num == 5:
            g.initializer.append(_tensor(buf, *v))
        elif num == 11:
            g.input.append(_value_info(buf, *v))
        elif num == 12:
            g.output.append(_value_info(buf, *v))
        elif num == 15:
            g.sparse_initializer += 1
    return g


def parse_model(data: bytes | bytearray | memoryview) -> Model:
    """Decode an ONNX ``ModelProto`` from its serialized bytes.

    Parameters
    ----------
    data : bytes
        The contents of an ``.onnx`` file.

    Returns
    -------
    Model
        ``ir_version``, ``opset_import`` as ``(domain, version)`` pairs, and the ``graph``.

    Raises
    ------
    WireError
        When the bytes are not a well-formed message (the error names the byte offset).

    Examples
    --------
    >>> m = parse_model(bytes([0x08, 0x07, 0x42, 0x04, 0x0A, 0x00, 0x10, 0x0D]))
    >>> m.ir_version, m.opset_import, m.graph
    (7, [('', 13)], None)
    """
    buf = memoryview(bytes(data)) if not isinstance(data, memoryview) else data
    m = Model()
    for num, wt, v in _fields(buf, 0, len(buf)):
        if num == 1 and wt == 0:
            m.ir_version = int(v)
        elif num == 8 and wt == 2:
            dom, ver = "", 0
            for n2, w2, v2 in _fields(buf, *v):
                if n2 == 1 and w2 == 2:
                    dom = _text(buf, v2)
                elif n2 == 2 and w2 == 0:
                    ver = _signed64(v2)
            m.opset_import.append((dom, ver))
        elif num == 7 and wt == 2:
            m.graph = _graph(buf, *v)
    return m


def tensor_to_array(t: Tensor) -> np.ndarray:
    """The values of a decoded tensor as a numpy array of its shape.

    Raw data is read little-endian; typed fields as the ONNX spec stores them (16-bit floats
    as bit patterns in ``int32_data``). BFLOAT16 is widened to float32. String, complex,
    8-bit and 4-bit float types, segmented and external tensors raise :class:`WireError`
    (external data is read by the caller, which knows the model's folder).

    Examples
    --------
    >>> t = Tensor(dims=(2,), data_type=1, raw_data=np.array([1.5, -2], "<f4").tobytes())
    >>> tensor_to_array(t).tolist()
    [1.5, -2.0]
    """
    if t.segmented:
        raise WireError(f"tensor '{t.name}' is segmented")
    if t.data_location == 1:
        raise WireError(f"tensor '{t.name}' has external data")
    if t.data_type not in ONNX_NP_DTYPES:
        what = _NAMES.get(t.data_type, str(t.data_type))
        raise WireError(f"tensor '{t.name}' has element type {what}, which relugeom does not read")
    if any(d < 0 for d in t.dims):
        raise WireError(f"tensor '{t.name}' has a negative dimension {t.dims}")
    n = 1
    for d in t.dims:
        n *= d
    dt = ONNX_NP_DTYPES[t.data_type]
    bf16 = t.data_type == 16
    if t.raw_data is not None:
        width = 2 if bf16 else dt.itemsize
        if len(t.raw_data) != n * width:
            raise WireError(f"tensor '{t.name}' of shape {t.dims} has {len(t.raw_data)} bytes of raw "
                            f"data; {n * width} expected")
        if bf16:
            a = (np.frombuffer(t.raw_data, "<u2").astype(np.uint32) << 16).view("<f4")
        else:
            a = np.frombuffer(t.raw_data, dt)
        return a.reshape(t.dims).copy()
    code = t.data_type
    if code == 1:
        a = t.typed.get(4, _Repeated()).array("<f4")
    elif code == 11:
        a = t.typed.get(10, _Repeated()).array("<f8")
    elif code == 7:
        a = t.typed.get(7, _Repeated()).array("u8").view("<i8")
    elif code in (12, 13):
        a = t.typed.get(11, _Repeated()).array("u8").astype(dt)
    else:  # int32_data carries int8..int32, uint8, uint16, bool, float16 and bfloat16 bits
        raw = t.typed.get(5, _Repeated()).array("u8")
        if code == 10:
            a = raw.astype("<u2").view("<f2")
        elif bf16:
            a = (raw.astype(np.uint32) << 16).view("<f4")
        elif code == 9:
            a = raw != 0
        else:  # negative values are sign-extended to 64 bits on the wire
            a = raw.view("<i8").astype(dt)
    if len(a) != n:
        raise WireError(f"tensor '{t.name}' of shape {t.dims} holds {len(a)} values; {n} expected")
    return a.reshape(t.dims)
