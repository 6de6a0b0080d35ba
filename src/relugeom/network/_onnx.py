"""Reading and writing ONNX models of piecewise-linear networks.

:func:`load_onnx` traces an ONNX graph from its single real input and writes every
operator that depends on the input as layers of a :class:`~relugeom.network.Network`
(see :mod:`relugeom.network._layers`); everything that does not depend on the input
(initializers, ``Constant`` nodes, and the shape arithmetic that exported PyTorch models
use for their reshape targets) is evaluated with numpy. A fully connected ReLU chain comes
back as a :class:`~relugeom.network.ReLUNetwork`.

The batch axis
--------------
ONNX tensors carry a batch axis, relugeom layers work on one sample. The graph is traced
for a batch of one sample: a leading input dimension that is symbolic, unknown or 1 is the
batch axis, and the network's ``input_shape`` drops it. Every traced tensor keeps its full
ONNX shape; the layer that computes it stores the shape without a leading 1 when the graph
has a batch axis (its *storage shape*), so ``(1, 3, 32, 32)`` is stored as ``(3, 32, 32)``
and a flattened ``(1, 10)`` as ``(10,)``. Operations along the other axes work on the
stored tensor directly; operations that touch the batch axis (a ``Transpose`` that moves
it, a ``Concat`` along it, a ``Reshape`` that merges it) work on the full shape of the
one-sample batch, which is what the graph computes for one sample. Convolutions and
pooling need their tensor's axis 0 to be the batch of one; applied to a tensor whose
leading axis is longer they are an error.

Reading never imports the ``onnx`` package (``import onnx`` takes about 0.6 s):
:mod:`relugeom.network._onnx_wire` decodes the file. Writing imports it.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import NetworkError, UnsupportedLayerError
from ._graph import Network
from ._layers import Layer, _Builder, _lower_one
from ._network import ReLUNetwork
from ._onnx_wire import ONNX_NP_DTYPES, Model, WireError, parse_model, tensor_to_array

__all__ = ["load_onnx", "save_onnx", "SUPPORTED_OPS"]

log = logging.getLogger(__name__)

#: default opset of :func:`save_onnx`
ONNX_OPSET = 13
#: opsets :func:`save_onnx` can write
SAVE_OPSETS = range(9, 22)

#: operators :func:`load_onnx` reads when they depend on the network input
SUPPORTED_OPS = (
    "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Conv",
    "DepthToSpace", "Div", "Dropout", "Expand", "Flatten", "Gather", "GatherElements", "Gemm",
    "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "Identity", "LeakyRelu", "MatMul",
    "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "PRelu", "Pad", "ReduceL1", "ReduceMax",
    "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Shape", "Size", "Slice",
    "SpaceToDepth", "Split", "Squeeze", "Sub", "Sum", "Tile", "Transpose", "Unsqueeze", "Where",
)

_NOT_PL = {
    "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Exp", "Log", "Sqrt", "Pow", "Reciprocal",
    "Elu", "Selu", "Celu", "Gelu", "Softplus", "Softsign", "HardSwish", "Erf", "Sin", "Cos",
    "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Mish",
    "LpNormalization", "LRN", "InstanceNormalization", "LayerNormalization",
    "GroupNormalization", "MeanVarianceNormalization", "ReduceL2", "ReduceLogSum",
    "ReduceLogSumExp", "ReduceSumSquare", "ReduceProd", "Hardmax", "LpPool", "GlobalLpPool",
    "Swish", "Einsum", "Det", "Attention",
}
_NOT_CONTINUOUS = {
    "Floor", "Ceil", "Round", "Sign", "ThresholdedRelu", "ArgMax", "ArgMin", "Equal", "Less",
    "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "Where", "IsNaN",
    "IsInf", "Mod", "NonZero", "TopK", "QuantizeLinear", "DequantizeLinear", "BitShift",
}
#: layer kinds of a network that may come back as a ReLUNetwork
_DENSE_KINDS = {"input", "dense", "affine", "add", "reshape", "transpose", "take", "relu"}
_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16


def _import_onnx() -> Any:
    try:
        import onnx
        from onnx import numpy_helper  # noqa: F401
    except ImportError:  # pragma: no cover - exercised only without onnx
        raise ImportError(
            "writing ONNX files needs the onnx package: pip install onnx"
        ) from None
    return onnx


# ====================================================================== array helpers
# Shared by constant folding (on values) and by the tracer (on index arrays: an operator
# that only moves entries is applied to ``arange(n).reshape(shape)`` and becomes a
# ``take`` of the entries it selects).

def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _ints(a: Any) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _axis(a: int, rank: int, what: str = "axis") -> int:
    a = int(a)
    if not -rank <= a < rank:
        raise ValueError(f"{what} {a} out of range for a tensor of rank {rank}")
    return a + rank if a < 0 else a


def _strip(c: np.ndarray | None) -> np.ndarray | None:
    """Drop leading unit axes (they do not change numpy broadcasting)."""
    if c is None:
        return None
    k = 0
    while k < c.ndim and c.shape[k] == 1:
        k += 1
    return c.reshape(c.shape[k:])


def _reshape_target(shape: Sequence[int], target: Sequence[int], allowzero: bool) -> tuple[int, ...]:
    t = [int(d) for d in target]
    if not allowzero:
        for i, d in enumerate(t):
            if d == 0:
                if i >= len(shape):
                    raise ValueError(f"reshape target {t}: 0 at position {i} beyond the input rank")
                t[i] = shape[i]
    size = math.prod(shape)
    if t.count(-1) > 1:
        raise ValueError(f"reshape target {t} has more than one -1")
    if -1 in t:
        rest = math.prod(d for d in t if d != -1)
        if rest <= 0 or size % rest:
            raise ValueError(f"cannot reshape a tensor of shape {tuple(shape)} to {t}")
        t[t.index(-1)] = size // rest
    if math.prod(t) != size or any(d < 0 for d in t):
        raise ValueError(f"cannot reshape a tensor of shape {tuple(shape)} to {t}")
    return tuple(t)


def _flatten_shape(shape: Sequence[int], axis: int) -> tuple[int, int]:
    r = len(shape)
    axis = int(axis) + r if int(axis) < 0 else int(axis)
    if not 0 <= axis <= r:
        raise ValueError(f"Flatten axis {axis} out of range for rank {r}")
    return (math.prod(shape[:axis]), math.prod(shape[axis:]))


def _squeeze_shape(shape: Sequence[int], axes: Sequence[int] | None) -> tuple[int, ...]:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    ax = {_axis(a, len(shape)) for a in axes}
    for a in ax:
        if shape[a] != 1:
            raise ValueError(f"cannot squeeze axis {a} of size {shape[a]}")
    return tuple(d for i, d in enumerate(shape) if i not in ax)


def _unsqueeze_shape(shape: Sequence[int], axes: Sequence[int]) -> tuple[int, ...]:
    r = len(shape) + len(axes)
    ax = sorted(_axis(a, r) for a in axes)
    if len(set(ax)) != len(ax):
        raise ValueError(f"repeated Unsqueeze axes {list(axes)}")
    out, it = [], iter(shape)
    for i in range(r):
        out.append(1 if i in ax else next(it))
    return tuple(out)


def _slice_indices(dim: int, start: int, end: int, step: int) -> np.ndarray:
    """The indices ONNX Slice selects along one axis (clamping as the operator says)."""
    if step == 0:
        raise ValueError("Slice step 0")
    if start < 0:
        start += dim
    if end < 0:
        end += dim
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return np.arange(start, end, step, dtype=np.int64)


def _slice_arr(x: np.ndarray, starts, ends, axes=None, steps=None) -> np.ndarray:
    starts, ends = _ints(starts), _ints(ends)
    axes = list(range(len(starts))) if axes is None else _ints(axes)
    steps = [1] * len(starts) if steps is None else _ints(steps)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ValueError("Slice starts, ends, axes and steps differ in length")
    for s, e, a, st in zip(starts, ends, axes, steps):
        a = _axis(a, x.ndim)
        x = np.take(x, _slice_indices(x.shape[a], s, e, st), axis=a)
    return x


def _split_sizes(dim: int, split: Sequence[int] | None, n_out: int, num_outputs: int | None) -> list[int]:
    if split is not None and len(split):
        sizes = [int(s) for s in split]
        if sum(sizes) != dim or any(s < 0 for s in sizes):
            raise ValueError(f"Split sizes {sizes} do not add up to {dim}")
        return sizes
    n = int(num_outputs) if num_outputs is not None else n_out
    if num_outputs is not None:
        chunk = -(-dim // n)
        sizes = [min(chunk, max(dim - i * chunk, 0)) for i in range(n)]
    else:
        if dim % n:
            raise ValueError(f"cannot split an axis of size {dim} into {n} equal parts")
        sizes = [dim // n] * n
    return sizes


def _split_arr(x: np.ndarray, axis: int, sizes: Sequence[int]) -> list[np.ndarray]:
    cuts = np.cumsum(sizes)[:-1]
    return np.split(x, cuts, axis=axis)


def _pad_arr(x: np.ndarray, pads: Sequence[int], mode: str, value: Any = 0) -> np.ndarray:
    r = x.ndim
    pads = [int(p) for p in pads]
    if len(pads) != 2 * r:
        raise ValueError(f"pads {pads} do not fit a tensor of rank {r}")
    # cropping (negative pads) first
    sl = tuple(slice(max(-pads[i], 0), x.shape[i] - max(-pads[r + i], 0)) for i in range(r))
    x = x[sl]
    width = [(max(pads[i], 0), max(pads[r + i], 0)) for i in range(r)]
    if not any(a or b for a, b in width):
        return x
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=value)
    if mode in ("reflect", "edge", "wrap"):
        if mode == "reflect" and any((a or b) and x.shape[i] < 2 for i, (a, b) in enumerate(width)):
            raise ValueError("reflect padding of an axis of size 1")
        return np.pad(x, width, mode=mode)
    raise ValueError(f"Pad mode {mode!r} (known: constant, reflect, edge, wrap)")


def _gather_arr(x: np.ndarray, ind: np.ndarray, axis: int) -> np.ndarray:
    ind = np.asarray(ind).astype(np.int64)
    axis = _axis(axis, x.ndim)
    d = x.shape[axis]
    if ind.size and (ind.min() < -d or ind.max() >= d):
        raise ValueError(f"Gather index out of range for an axis of size {d}")
    return np.take(x, np.where(ind < 0, ind + d, ind), axis=axis)


def _gather_elements(x: np.ndarray, ind: np.ndarray, axis: int) -> np.ndarray:
    ind = np.asarray(ind).astype(np.int64)
    axis = _axis(axis, x.ndim)
    d = x.shape[axis]
    if ind.ndim != x.ndim:
        raise ValueError("GatherElements indices must have the rank of the data")
    if ind.size and (ind.min() < -d or ind.max() >= d):
        raise ValueError(f"GatherElements index out of range for an axis of size {d}")
    ind = np.where(ind < 0, ind + d, ind)
    # take_along_axis needs matching sizes off the axis: slice the data to the indices' extent
    sl = tuple(slice(0, ind.shape[i]) if i != axis else slice(None) for i in range(x.ndim))
    return np.take_along_axis(x[sl], ind, axis=axis)


def _depth_to_space(x: np.ndarray, bs: int, mode: str) -> np.ndarray:
    b, c, h, w = x.shape
    if c % (bs * bs):
        raise ValueError(f"DepthToSpace: {c} channels are not divisible by {bs}^2")
    if mode == "CRD":
        t = x.reshape(b, c // bs ** 2, bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
    else:
        t = x.reshape(b, bs, bs, c // bs ** 2, h, w).transpose(0, 3, 4, 1, 5, 2)
    return t.reshape(b, c // bs ** 2, h * bs, w * bs)


def _space_to_depth(x: np.ndarray, bs: int) -> np.ndarray:
    b, c, h, w = x.shape
    if h % bs or w % bs:
        raise ValueError(f"SpaceToDepth: spatial size {(h, w)} is not divisible by {bs}")
    t = x.reshape(b, c, h // bs, bs, w // bs, bs).transpose(0, 3, 5, 1, 2, 4)
    return t.reshape(b, c * bs * bs, h // bs, w // bs)


def _auto_pads(auto_pad: str, spatial, kernel, strides, dilations, pads) -> tuple[int, ...]:
    k = len(kernel)
    if auto_pad in ("", "NOTSET"):
        pads = tuple(int(p) for p in (pads or (0,) * (2 * k)))
        if len(pads) != 2 * k:
            raise ValueError(f"pads {list(pads)} do not fit a {k}-D kernel")
        return pads
    if auto_pad == "VALID":
        return (0,) * (2 * k)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise ValueError(f"auto_pad {auto_pad!r}")
    begin, end = [], []
    for i in range(k):
        out = -(-spatial[i] // strides[i])
        total = max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i], 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else large)
        end.append(large if auto_pad == "SAME_UPPER" else small)
    return tuple(begin + end)


# ================================================================== constant folding
def _np_dtype(to: int) -> Any:
    try:
        return ONNX_NP_DTYPES[int(to)]
    except KeyError:
        raise ValueError(f"cast to the ONNX element type {to}") from None


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(np.result_type(a, b), np.integer):
        return np.trunc(np.true_divide(a, b)).astype(np.result_type(a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(a, b)


_FOLD_ELEMWISE: dict[str, Callable[..., np.ndarray]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _div,
    "Neg": np.negative, "Abs": np.abs, "Sqrt": np.sqrt, "Exp": np.exp, "Log": np.log,
    "Reciprocal": lambda x: 1.0 / x, "Floor": np.floor, "Ceil": np.ceil, "Round": np.round,
    "Sign": np.sign, "Relu": lambda x: np.maximum(x, 0).astype(x.dtype),
    "Sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)), "Tanh": np.tanh,
    "Equal": np.equal, "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
    "GreaterOrEqual": np.greater_equal, "Not": np.logical_not, "And": np.logical_and,
    "Or": np.logical_or, "Xor": np.logical_xor, "Where": np.where, "MatMul": np.matmul,
    "Pow": lambda a, b: np.power(a, b).astype(a.dtype),
}


class _Unsupported(Exception):
    """Raised by the folding code for an operator it cannot evaluate."""


def _fold(op: str, x: list[Any], attrs: dict[str, Any], n_out: int, opset: int) -> list[np.ndarray]:
    """Evaluate a node whose inputs are all constants."""

    def arg(i: int, default: Any = None) -> Any:
        return x[i] if i < len(x) and x[i] is not None else default

    if op in _FOLD_ELEMWISE:
        return [np.asarray(_FOLD_ELEMWISE[op](*[a for a in x if a is not None]))]
    if op in ("Identity", "Dropout"):
        return [x[0]] + ([np.ones(x[0].shape, bool)] if n_out > 1 else [])
    if op == "Constant":
        if "value" in attrs:
            return [tensor_to_array(attrs["value"])]
        for key, dt in (("value_float", np.float32), ("value_floats", np.float32),
                        ("value_int", np.int64), ("value_ints", np.int64)):
            if key in attrs:
                return [np.asarray(attrs[key], dtype=dt)]
        raise _Unsupported(f"Constant with attributes {sorted(attrs)} (sparse and string constants "
                           "are not supported)")
    if op == "ConstantOfShape":
        v = tensor_to_array(attrs["value"]).reshape(-1)[:1] if "value" in attrs else np.zeros(1, np.float32)
        return [np.full(tuple(_ints(x[0])), v[0], dtype=v.dtype)]
    if op in ("Cast", "CastLike"):
        dt = x[1].dtype if op == "CastLike" else _np_dtype(attrs["to"])
        return [x[0].astype(dt)]
    if op == "Shape":
        s = np.array(x[0].shape, dtype=np.int64)
        return [s[slice(attrs.get("start", 0), attrs.get("end", None))]]
    if op == "Size":
        return [np.array(x[0].size, dtype=np.int64)]
    if op == "Range":
        return [np.arange(x[0], x[1], x[2]).astype(np.result_type(x[0], x[1], x[2]))]
    if op in ("Min", "Max", "Sum", "Mean"):
        vals = [a for a in x if a is not None]
        f = {"Min": np.minimum, "Max": np.maximum, "Sum": np.add, "Mean": np.add}[op]
        y = vals[0]
        for v in vals[1:]:
            y = f(y, v)
        return [y / len(vals) if op == "Mean" else y]
    if op == "Clip":
        lo = attrs.get("min") if opset < 11 else arg(1)
        hi = attrs.get("max") if opset < 11 else arg(2)
        y = x[0]
        if lo is not None:
            y = np.maximum(y, lo)
        if hi is not None:
            y = np.minimum(y, hi)
        return [y.astype(x[0].dtype)]
    if op == "LeakyRelu":
        a = attrs.get("alpha", 0.01)
        return [np.where(x[0] > 0, x[0], a * x[0]).astype(x[0].dtype)]
    if op == "Mod":
        return [np.fmod(x[0], x[1]) if attrs.get("fmod", 0) else np.mod(x[0], x[1])]
    if op == "Gemm":
        A = x[0].T if attrs.get("transA", 0) else x[0]
        B = x[1].T if attrs.get("transB", 0) else x[1]
        y = attrs.get("alpha", 1.0) * (A @ B)
        if arg(2) is not None:
            y = y + attrs.get("beta", 1.0) * x[2]
        return [y.astype(np.result_type(x[0], x[1]))]
    if op == "Transpose":
        perm = attrs.get("perm")
        return [np.transpose(x[0], None if perm is None else [int(p) for p in perm])]
    if op == "Flatten":
        return [x[0].reshape(_flatten_shape(x[0].shape, attrs.get("axis", 1)))]
    if op == "Reshape":
        target = arg(1, np.asarray(attrs.get("shape", []), dtype=np.int64))
        return [x[0].reshape(_reshape_target(x[0].shape, _ints(target), bool(attrs.get("allowzero", 0))))]
    if op == "Squeeze":
        axes = arg(1, attrs.get("axes"))
        return [x[0].reshape(_squeeze_shape(x[0].shape, None if axes is None else _ints(axes)))]
    if op == "Unsqueeze":
        axes = arg(1, attrs.get("axes"))
        return [x[0].reshape(_unsqueeze_shape(x[0].shape, _ints(axes)))]
    if op == "Concat":
        vals = [a for a in x if a is not None]
        return [np.concatenate(vals, axis=_axis(attrs["axis"], vals[0].ndim))]
    if op == "Slice":
        if opset < 10:
            return [_slice_arr(x[0], attrs["starts"], attrs["ends"], attrs.get("axes"))]
        return [_slice_arr(x[0], x[1], x[2], arg(3), arg(4))]
    if op == "Split":
        axis = _axis(attrs.get("axis", 0), x[0].ndim)
        split = arg(1, attrs.get("split"))
        sizes = _split_sizes(x[0].shape[axis], None if split is None else _ints(split), n_out,
                             attrs.get("num_outputs"))
        return _split_arr(x[0], axis, sizes)
    if op == "Pad":
        pads, mode, value = _pad_args(x, attrs, opset)
        return [_pad_arr(x[0], pads, mode, value if value is not None else 0)]
    if op == "Gather":
        return [_gather_arr(x[0], x[1], attrs.get("axis", 0))]
    if op == "GatherElements":
        return [_gather_elements(x[0], x[1], attrs.get("axis", 0))]
    if op == "Expand":
        shape = np.broadcast_shapes(x[0].shape, tuple(_ints(x[1])))
        return [np.broadcast_to(x[0], shape).copy()]
    if op == "Tile":
        return [np.tile(x[0], _ints(x[1]))]
    if op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"):
        axes = _reduce_axes(x, attrs, x[0].ndim)
        if axes is None:
            return [x[0]]
        f = {"ReduceSum": np.sum, "ReduceMean": np.mean, "ReduceMax": np.max, "ReduceMin": np.min,
             "ReduceProd": np.prod}[op]
        return [np.asarray(f(x[0], axis=axes, keepdims=bool(attrs.get("keepdims", 1)))).astype(x[0].dtype)]
    if op in ("ArgMax", "ArgMin"):
        f = np.argmax if op == "ArgMax" else np.argmin
        axis = _axis(attrs.get("axis", 0), x[0].ndim)
        y = f(x[0], axis=axis)
        if attrs.get("keepdims", 1):
            y = np.expand_dims(y, axis)
        return [y.astype(np.int64)]
    if op == "NonZero":
        return [np.array(np.nonzero(x[0]), dtype=np.int64)]
    if op == "DepthToSpace":
        return [_depth_to_space(x[0], int(attrs["blocksize"]), _s(attrs.get("mode", "DCR")))]
    if op == "SpaceToDepth":
        return [_space_to_depth(x[0], int(attrs["blocksize"]))]
    raise _Unsupported(f"relugeom cannot evaluate {op} on constants")


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _pad_args(x: list[Any], attrs: dict[str, Any], opset: int):
    """(pads over all axes, mode, constant value) of a Pad node."""
    mode = _s(attrs.get("mode", "constant"))
    if opset < 11:
        return [int(p) for p in attrs["pads"]], mode, attrs.get("value", 0.0)
    pads = _ints(x[1])
    value = x[2] if len(x) > 2 and x[2] is not None and np.size(x[2]) else None
    value = None if value is None else np.asarray(value).reshape(-1)[0]
    axes = x[3] if len(x) > 3 and x[3] is not None else None
    if axes is not None:
        rank = np.ndim(x[0]) if not isinstance(x[0], _T) else len(x[0].shape)
        ax = [_axis(a, rank) for a in _ints(axes)]
        full = [0] * (2 * rank)
        for j, a in enumerate(ax):
            full[a], full[rank + a] = pads[j], pads[len(ax) + j]
        pads = full
    return pads, mode, value


def _reduce_axes(x: list[Any], attrs: dict[str, Any], rank: int) -> tuple[int, ...] | None:
    """Axes of a Reduce* node (attribute or input); None = no reduction (noop)."""
    axes = x[1] if len(x) > 1 and x[1] is not None else attrs.get("axes")
    axes = None if axes is None else _ints(axes)
    if not axes:
        if attrs.get("noop_with_empty_axes", 0):
            return None
        return tuple(range(rank))
    return tuple(sorted({_axis(a, rank) for a in axes}))


# ====================================================================== the tracer
class _T:
    """An input-dependent tensor: the layer computing it and its ONNX shape (batch 1)."""

    __slots__ = ("layer", "shape")

    def __init__(self, layer: int, shape: Sequence[int]):
        self.layer = int(layer)
        self.shape = tuple(int(d) for d in shape)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_T(layer={self.layer}, shape={self.shape})"


class _Fail(Exception):
    """Carries the reason a node cannot be read; turned into UnsupportedLayerError."""


class _Reader:
    def __init__(self, opset: int, full_input: tuple[int, ...], batch: bool):
        self.opset = opset
        self.batch = batch
        self.input_shape = self.store(full_input)
        self.layers: list[Layer] = [Layer("input", (), {}, "input")]
        self.b = _Builder(self.input_shape)
        self.reg = [0]
        self.name = "input"

    # -------------------------------------------------------------- layers
    def store(self, full: Sequence[int]) -> tuple[int, ...]:
        """Storage shape of a tensor of ONNX shape ``full`` (leading batch 1 dropped)."""
        full = tuple(full)
        s = full[1:] if (self.batch and full and full[0] == 1) else full
        return s if s else (1,)

    def off(self, full: Sequence[int]) -> int:
        """1 when the storage of ``full`` drops its axis 0 (the batch of one), else 0."""
        return 1 if (self.batch and len(full) >= 2 and full[0] == 1) else 0

    def lshape(self, li: int) -> tuple[int, ...]:
        return tuple(self.b.shape(self.reg[li]))

    def emit(self, kind: str, ins: Sequence[int], params: dict, aux: str = "") -> int:
        name = self.name if not aux else f"{self.name}:{aux}"
        layer = Layer(kind, tuple(ins), params, name)
        li = len(self.layers)
        try:
            r, _ = _lower_one(self.b, layer, li, [self.reg[i] for i in ins])
        except ValueError as exc:
            raise _Fail(str(exc)) from None
        self.layers.append(layer)
        self.reg.append(r)
        return li

    def reshape(self, li: int, shape: Sequence[int]) -> int:
        shape = tuple(int(s) for s in shape)
        if self.lshape(li) == shape:
            return li
        src = li
        while self.layers[src].kind == "reshape":
            src = self.layers[src].inputs[0]
        if self.lshape(src) == shape:
            return src
        return self.emit("reshape", (src,), {"shape": shape}, "reshape")

    def fit(self, li: int, full: Sequence[int]) -> _T:
        """The tensor of ONNX shape ``full`` computed (in some shape) by layer ``li``."""
        full = tuple(int(d) for d in full)
        if math.prod(self.lshape(li)) != math.prod(full):  # pragma: no cover - a bug if reached
            raise _Fail(f"internal shape mismatch: layer shape {self.lshape(li)}, ONNX shape {full}")
        return _T(self.reshape(li, self.store(full)), full)

    def take(self, li: int, idx: np.ndarray, shape: Sequence[int]) -> int:
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        while True:
            L = self.layers[li]
            if L.kind == "reshape":
                li = L.inputs[0]
            elif L.kind == "take":
                idx = np.asarray(L.params["idx"]).reshape(-1)[idx]
                li = L.inputs[0]
            else:
                break
        n = math.prod(self.lshape(li))
        if len(idx) == n and np.array_equal(idx, np.arange(n)):
            return self.reshape(li, shape)
        return self.emit("take", (li,), {"idx": idx, "shape": tuple(int(s) for s in shape)})

    def move(self, t: _T, f: Callable[[np.ndarray], np.ndarray]) -> _T:
        """An operator that only moves entries, applied through an index array."""
        out = np.asarray(f(np.arange(math.prod(t.shape), dtype=np.int64).reshape(t.shape)))
        if out.size == 0:
            raise _Fail("the result is an empty tensor")
        return _T(self.take(t.layer, out, self.store(out.shape)), out.shape)

    def const(self, value: np.ndarray) -> int:
        return self.emit("const", (), {"value": _f64(value)}, "const")

    def full_layer(self, t: _T) -> int:
        """A layer holding ``t`` in its full ONNX shape (batch axis included)."""
        return self.reshape(t.layer, t.shape or (1,))

    # ------------------------------------------------------------ building blocks
    def affine(self, t: _T, scale: Any = None, shift: Any = None) -> _T:
        scale = None if scale is None else _f64(scale)
        shift = None if shift is None else _f64(shift)
        out = np.broadcast_shapes(t.shape, *(() if c is None else c.shape for c in (scale, shift)))
        sc, sh = _strip(scale), _strip(shift)
        L, ls = self.layers[t.layer], self.lshape(t.layer)
        if sc is None and sh is not None and np.broadcast_shapes(ls, sh.shape) == ls:
            li = self._fold_shift(t.layer, L, ls, sh)
            if li is not None:
                return self.fit(li, out)
        li = self.lift(t.layer, max(len(ls), *(c.ndim for c in (sc, sh) if c is not None)))
        params = {"scale": np.array(1.0) if sc is None else sc, "shift": sh}
        return self.fit(self.emit("affine", (li,), params), out)

    def lift(self, li: int, rank: int) -> int:
        """Layer ``li`` with leading unit axes up to ``rank`` (so that per-sample tensors
        of different ranks broadcast as ONNX says once the program's batch axis is in front)."""
        s = self.lshape(li)
        return li if len(s) >= rank else self.reshape(li, (1,) * (rank - len(s)) + s)

    def _fold_shift(self, li: int, L: Layer, ls: tuple[int, ...], sh: np.ndarray) -> int | None:
        """A constant added to a layer without constant: one layer with that constant."""
        p = L.params
        if L.kind == "affine" and p.get("shift") is None:
            return self.emit("affine", L.inputs, {"scale": p.get("scale", np.array(1.0)), "shift": sh})
        if L.kind == "dense" and p.get("b") is None and sh.ndim <= 1:
            m = ls[-1]
            if sh.size in (1, m):
                return self.emit("dense", L.inputs, {"W": p["W"], "b": np.broadcast_to(sh, (m,)).copy()})
        if L.kind == "conv" and p.get("b") is None and len(ls) >= 2:
            C = ls[0]
            k = len(ls) - 1
            ok = sh.ndim == 0 or (sh.ndim == k + 1 and all(d == 1 for d in sh.shape[1:])
                                  and sh.shape[0] in (1, C))
            if ok:
                b = np.broadcast_to(sh.reshape(-1), (C,)).copy()
                return self.emit("conv", L.inputs, dict(p, b=b))
        if L.kind == "add" and p.get("const") is None:
            return self.emit("add", L.inputs, dict(p, const=sh))
        return None

    def lincomb(self, terms: list[_T], coefs: list[float]) -> _T:
        out = np.broadcast_shapes(*(t.shape for t in terms))
        ins: list[int] = []
        cs: list[float] = []
        for j, (t, c) in enumerate(zip(terms, coefs)):
            L, ls = self.layers[t.layer], self.lshape(t.layer)
            p = L.params
            if (L.kind == "affine" and p.get("shift") is None and np.ndim(p.get("scale", 1.0)) == 0
                    and c in (1.0, -1.0) and self.lshape(L.inputs[0]) == ls):
                ins.append(L.inputs[0])
                cs.append(c * float(p.get("scale", 1.0)))
            elif (j == 0 and c == 1.0 and L.kind == "add" and p.get("const") is None
                  and all(self.lshape(i) == ls for i in L.inputs)):
                ins.extend(L.inputs)
                cs.extend(p.get("coefs") or [1.0] * len(L.inputs))
            else:
                ins.append(t.layer)
                cs.append(float(c))
        R = max(len(self.lshape(i)) for i in ins)
        ins = [self.lift(i, R) for i in ins]
        return self.fit(self.emit("add", ins, {"coefs": cs}), out)

    def unit(self, kind: str, t: _T, params: dict | None = None) -> _T:
        if not isinstance(t, _T):  # a unit of a constant tensor is a constant
            return _constant_unit(kind, np.asarray(t, dtype=np.float64), params or {})
        return self.fit(self.emit(kind, (t.layer,), params or {}), t.shape)

    def transpose(self, t: _T, perm: Sequence[int]) -> _T:
        r = len(t.shape)
        perm = [_axis(p, r) for p in perm]
        if sorted(perm) != list(range(r)):
            raise _Fail(f"perm {perm} is not a permutation of the {r} axes")
        out = tuple(t.shape[p] for p in perm)
        idx = np.arange(math.prod(t.shape)).reshape(t.shape).transpose(perm).reshape(-1)
        if np.array_equal(idx, np.arange(idx.size)):
            return self.fit(t.layer, out)
        if self.off(t.shape) and perm[0] == 0:
            li = self.emit("transpose", (t.layer,), {"perm": tuple(p - 1 for p in perm[1:])})
        else:
            li = self.emit("transpose", (self.full_layer(t),), {"perm": tuple(perm)})
        return self.fit(li, out)

    def transpose_last2(self, t: _T) -> _T:
        r = len(t.shape)
        return self.transpose(t, list(range(r - 2)) + [r - 1, r - 2])

    def matmul_right(self, t: _T, W: Any) -> _T:
        """``t @ W`` (numpy matmul semantics) for a constant ``W``."""
        W = _f64(W)
        if not t.shape or W.ndim == 0:
            raise _Fail("MatMul of a scalar")
        k = t.shape[-1]
        if W.shape[-2 if W.ndim >= 2 else 0] != k:
            raise _Fail(f"MatMul of shapes {t.shape} and {W.shape}")
        if W.ndim == 1:
            li = self.emit("dense", (t.layer,), {"W": W.reshape(1, k).copy(), "b": None})
            return self.fit(li, t.shape[:-1])
        m = W.shape[-1]
        t2 = t.shape if len(t.shape) >= 2 else (1, k)
        lead = tuple(np.broadcast_shapes(t2[:-2], W.shape[:-2]))
        out = lead + ((t2[-2],) if len(t.shape) >= 2 else ()) + (m,)
        if W.ndim == 2 or all(d == 1 for d in W.shape[:-2]):
            li = self.emit("dense", (t.layer,), {"W": W.reshape(k, m).T.copy(), "b": None})
            return self.fit(li, out)
        n = t2[-2]
        Wb = np.broadcast_to(W, lead + (k, m)).reshape(-1, k, m)
        B = Wb.shape[0]
        idx = np.broadcast_to(np.arange(math.prod(t.shape)).reshape(t2), lead + (n, k))
        li = self.take(t.layer, idx, (B, n, k))
        li = self.emit("transpose", (li,), {"perm": (0, 2, 1)}, "transpose")
        li = self.reshape(li, (B * k, n))
        Wc = Wb.transpose(0, 2, 1).reshape(B * m, k, 1)
        li = self.emit("conv", (li,), {"W": Wc, "b": None, "strides": None, "pads": None,
                                       "dilations": None, "groups": B})
        li = self.reshape(li, (B, m, n))
        li = self.emit("transpose", (li,), {"perm": (0, 2, 1)}, "transpose")
        return self.fit(li, out)

    def matmul_left(self, C: Any, t: _T) -> _T:
        """``C @ t`` for a constant ``C``."""
        C = _f64(C)
        if len(t.shape) == 1:
            return self.matmul_right(t, C if C.ndim == 1 else np.swapaxes(C, -1, -2))
        tt = self.transpose_last2(t)
        if C.ndim == 1:
            return self.matmul_right(tt, C)
        return self.transpose_last2(self.matmul_right(tt, np.swapaxes(C, -1, -2)))

    def binary(self, op: str, a: Any, b: Any) -> Any:
        sa, sb = isinstance(a, _T), isinstance(b, _T)
        if op in ("Add", "Sub"):
            sign = 1.0 if op == "Add" else -1.0
            if sa and sb:
                return self.lincomb([a, b], [1.0, sign])
            if sa:
                return self.affine(a, None, sign * _f64(b))
            return self.affine(b, None if sign > 0 else -1.0, _f64(a))
        if op == "Mul":
            if sa and sb:
                raise _Fail("the product of two input-dependent tensors is not affine "
                            "(not piecewise linear)")
            return self.affine(a, _f64(b), None) if sa else self.affine(b, _f64(a), None)
        if op == "Div":
            if sb:
                raise _Fail("division by an input-dependent tensor is not affine (not piecewise linear)")
            return self.affine(a, 1.0 / _f64(b), None)
        raise AssertionError(op)  # pragma: no cover

    def reduce(self, kind: str, t: _T, axes: tuple[int, ...] | None, keepdims: bool, mean: bool = False) -> _T:
        if axes is None:
            return t
        r = len(t.shape)
        out = tuple((1 if i in axes else d) for i, d in enumerate(t.shape) if keepdims or i not in axes)
        off = self.off(t.shape)
        if not off and self.batch and r == 1 and t.shape[0] == 1:
            off = 1  # a stored scalar
        st = tuple(a - off for a in axes if a >= off)
        if not st:
            return self.fit(t.layer, out)
        params: dict = {"axes": st, "keepdims": bool(keepdims)}
        if kind == "reduce_sum":
            params["mean"] = bool(mean)
        return self.fit(self.emit(kind, (t.layer,), params), out)

    # ------------------------------------------------------------ dispatch
    def run(self, node: Any, args: list[Any], attrs: dict[str, Any]) -> list[Any]:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            raise _Fail(f"operator of the domain '{node.domain}' (relugeom reads the standard ONNX "
                        "operators only)")
        if op in ("Shape", "Size") and args and isinstance(args[0], _T):
            dummy = np.broadcast_to(np.uint8(0), args[0].shape)
            return _fold(op, [dummy], attrs, len(node.output), self.opset)
        if not any(isinstance(a, _T) for a in args):
            try:
                return _fold(op, args, attrs, len(node.output), self.opset)
            except _Unsupported as exc:
                raise _Fail(str(exc)) from None
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            raise _Fail(_why_unsupported(op))
        out = handler(node, args, attrs)
        return out if isinstance(out, list) else [out]

    # ---------------------------------------------------------------- ops
    def _const_arg(self, args: list[Any], i: int, what: str, default: Any = None) -> Any:
        if i >= len(args) or args[i] is None:
            return default
        if isinstance(args[i], _T):
            raise _Fail(f"the {what} depends on the input (it must be a constant)")
        return args[i]

    def _only_first_output(self, node: Any, why: str) -> None:
        if any(o for o in node.output[1:]):
            raise _Fail(why)

    def op_Identity(self, node, args, attrs):
        return args[0]

    def op_Dropout(self, node, args, attrs):
        self._only_first_output(node, "the Dropout mask output is not supported")
        tm = self._const_arg(args, 2, "training_mode")
        if tm is not None and bool(np.asarray(tm).reshape(-1)[0]):
            raise _Fail("Dropout in training mode is random (relugeom reads inference graphs)")
        return args[0]

    def op_Cast(self, node, args, attrs):
        if int(attrs.get("to", 1)) not in _FLOAT_TYPES:
            raise _Fail("a cast of an input-dependent tensor to a non-float type is not piecewise linear")
        return args[0]

    def op_CastLike(self, node, args, attrs):
        target = args[1]
        if not isinstance(target, _T) and not np.issubdtype(np.asarray(target).dtype, np.floating):
            raise _Fail("a cast of an input-dependent tensor to a non-float type is not piecewise linear")
        return args[0]

    def op_Relu(self, node, args, attrs):
        return self.unit("relu", args[0])

    def op_Abs(self, node, args, attrs):
        return self.unit("abs", args[0])

    def op_Neg(self, node, args, attrs):
        return self.affine(args[0], np.array(-1.0), None)

    def op_LeakyRelu(self, node, args, attrs):
        return self.unit("leaky_relu", args[0], {"alpha": np.array(float(attrs.get("alpha", 0.01)))})

    def op_PRelu(self, node, args, attrs):
        x = args[0]
        slope = _f64(self._const_arg(args, 1, "PRelu slope"))
        if np.broadcast_shapes(x.shape, slope.shape) != x.shape:
            raise _Fail(f"PRelu slope of shape {slope.shape} does not broadcast to {x.shape}")
        return self.unit("leaky_relu", x, {"alpha": _strip(slope)})

    def op_HardSigmoid(self, node, args, attrs):
        y = self.affine(args[0], np.array(float(attrs.get("alpha", 0.2))),
                        np.array(float(attrs.get("beta", 0.5))))
        return self.unit("clip", y, {"lo": 0.0, "hi": 1.0})

    def op_Clip(self, node, args, attrs):
        if self.opset < 11:
            lo, hi = attrs.get("min", -np.inf), attrs.get("max", np.inf)
        else:
            lo = self._const_arg(args, 1, "Clip minimum", -np.inf)
            hi = self._const_arg(args, 2, "Clip maximum", np.inf)
        lo, hi = float(np.asarray(lo).reshape(-1)[0]), float(np.asarray(hi).reshape(-1)[0])
        if not lo < hi:
            raise _Fail(f"Clip with min {lo} >= max {hi} (a constant function)")
        return self.unit("clip", args[0], {"lo": lo, "hi": hi})

    def _maxmin(self, kind: str, args: list[Any]) -> _T:
        vals = [a for a in args if a is not None]
        out = np.broadcast_shapes(*(v.shape if isinstance(v, _T) else np.shape(v) for v in vals))
        ins = [v.layer if isinstance(v, _T) else self.const(_strip(_f64(v))) for v in vals]
        if len(ins) == 1:
            return self.fit(ins[0], out)
        R = max(len(self.lshape(i)) for i in ins)
        ins = [self.lift(i, R) for i in ins]
        return self.fit(self.emit(kind, ins, {}), out)

    def op_Max(self, node, args, attrs):
        return self._maxmin("max", args)

    def op_Min(self, node, args, attrs):
        return self._maxmin("min", args)

    def op_Add(self, node, args, attrs):
        return self.binary("Add", args[0], args[1])

    def op_Sub(self, node, args, attrs):
        return self.binary("Sub", args[0], args[1])

    def op_Mul(self, node, args, attrs):
        return self.binary("Mul", args[0], args[1])

    def op_Div(self, node, args, attrs):
        return self.binary("Div", args[0], args[1])

    def op_Sum(self, node, args, attrs):
        return self._sum([a for a in args if a is not None], 1.0)

    def op_Mean(self, node, args, attrs):
        vals = [a for a in args if a is not None]
        return self._sum(vals, 1.0 / len(vals))

    def _sum(self, vals: list[Any], c: float) -> _T:
        syms = [v for v in vals if isinstance(v, _T)]
        consts = [_f64(v) for v in vals if not isinstance(v, _T)]
        y = syms[0] if len(syms) == 1 and c == 1.0 else self.lincomb(syms, [c] * len(syms))
        if consts:
            k = consts[0]
            for v in consts[1:]:
                k = k + v
            y = self.affine(y, None, c * k)
        return y

    def op_Where(self, node, args, attrs):
        cond = self._const_arg(args, 0, "Where condition")
        m = np.asarray(cond, dtype=bool).astype(np.float64)
        out = np.broadcast_shapes(m.shape, *(v.shape if isinstance(v, _T) else np.shape(v) for v in args[1:]))
        parts, shift = [], np.zeros(())
        for v, w in ((args[1], m), (args[2], 1.0 - m)):
            if isinstance(v, _T):
                parts.append(self.affine(v, w, None))
            else:
                shift = shift + np.where(w > 0, _f64(v), 0.0)
        y = parts[0] if len(parts) == 1 else self.lincomb(parts, [1.0, 1.0])
        if np.any(shift) or y.shape != out:
            y = self.affine(y, None, np.broadcast_to(shift, out))
        return y

    def op_MatMul(self, node, args, attrs):
        a, b = args
        if isinstance(a, _T) and isinstance(b, _T):
            raise _Fail("the product of two input-dependent tensors is not affine (not piecewise linear)")
        return self.matmul_right(a, b) if isinstance(a, _T) else self.matmul_left(a, b)

    def op_Gemm(self, node, args, attrs):
        A, B = args[0], args[1]
        C = args[2] if len(args) > 2 else None
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        tA, tB = bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0))
        if isinstance(A, _T) and isinstance(B, _T):
            raise _Fail("the product of two input-dependent tensors is not affine (not piecewise linear)")
        if isinstance(A, _T) or isinstance(B, _T):
            s = A if isinstance(A, _T) else B
            if len(s.shape) != 2:
                raise _Fail(f"Gemm of a tensor of rank {len(s.shape)} (Gemm multiplies matrices)")
        if isinstance(A, _T):
            At = self.transpose(A, (1, 0)) if tA else A
            Bm = _f64(B).T if tB else _f64(B)
            Y = self.matmul_right(At, Bm if alpha == 1.0 else alpha * Bm)
        elif isinstance(B, _T):
            Bt = self.transpose(B, (1, 0)) if tB else B
            Am = _f64(A).T if tA else _f64(A)
            Y = self.matmul_left(Am if alpha == 1.0 else alpha * Am, Bt)
        else:
            Am = _f64(A).T if tA else _f64(A)
            Bm = _f64(B).T if tB else _f64(B)
            Y = alpha * (Am @ Bm)
        if C is not None:
            Cv = C if isinstance(C, _T) or beta == 1.0 else beta * _f64(C)
            if isinstance(C, _T) and beta != 1.0:
                Cv = self.affine(C, np.array(beta), None)
            Y = self.binary("Add", Y, Cv)
        return Y

    def _spatial(self, x: _T, what: str) -> int:
        r = len(x.shape)
        if r not in (3, 4):
            raise _Fail(f"{what} of a tensor of shape {x.shape}: relugeom reads 1-D and 2-D "
                        "(N, C, L) and (N, C, H, W) tensors")
        if x.shape[0] != 1:
            raise _Fail(f"{what} of a tensor of shape {x.shape}: its axis 0 is not the batch axis "
                        "of one sample")
        return r - 2

    def _geometry(self, attrs: dict, spatial: Sequence[int], kernel: Sequence[int], what: str,
                  dilated: bool = True):
        k = len(kernel)
        strides = tuple(int(s) for s in attrs.get("strides", (1,) * k))
        dil = tuple(int(d) for d in attrs.get("dilations", (1,) * k)) if dilated else (1,) * k
        pads = _auto_pads(_s(attrs.get("auto_pad", "NOTSET")), spatial, kernel, strides, dil,
                          attrs.get("pads"))
        if attrs.get("ceil_mode", 0):
            for i in range(k):
                ext = (kernel[i] - 1) * dil[i] + 1
                L = spatial[i] + pads[i] + pads[k + i] - ext
                fl, ce = L // strides[i] + 1, -(-L // strides[i]) + 1
                if ce != fl and (ce - 1) * strides[i] >= spatial[i] + pads[i]:
                    ce -= 1
                if ce != fl:
                    raise _Fail(f"{what} with ceil_mode=1 gives a larger output than floor mode "
                                f"(axis {i + 2}: {ce} instead of {fl}); relugeom reads ceil_mode only "
                                "where it does not change the output")
        return strides, pads, dil

    def op_Conv(self, node, args, attrs):
        x = args[0]
        W = _f64(self._const_arg(args, 1, "convolution weight"))
        B = self._const_arg(args, 2, "convolution bias")
        k = self._spatial(x, "Conv")
        if W.ndim != k + 2:
            raise _Fail(f"convolution weight of shape {W.shape} for an input of shape {x.shape}")
        kernel = tuple(int(v) for v in attrs.get("kernel_shape", W.shape[2:]))
        if kernel != W.shape[2:]:
            raise _Fail(f"kernel_shape {kernel} differs from the weight's {W.shape[2:]}")
        strides, pads, dil = self._geometry(attrs, x.shape[2:], kernel, "Conv")
        li = self.reshape(x.layer, x.shape[1:])
        li = self.emit("conv", (li,), {"W": W, "b": None if B is None else _f64(B).reshape(-1),
                                       "strides": strides, "pads": pads, "dilations": dil,
                                       "groups": int(attrs.get("group", 1))})
        return self.fit(li, (1,) + self.lshape(li))

    def op_BatchNormalization(self, node, args, attrs):
        if attrs.get("training_mode", 0):
            raise _Fail("batch normalisation in training mode depends on the batch statistics")
        self._only_first_output(node, "batch normalisation with training outputs (mean, var)")
        x = args[0]
        scale, bias, mean, var = (_f64(self._const_arg(args, i, n)) for i, n in
                                  enumerate(("scale", "bias", "mean", "variance"), start=1))
        eps = float(attrs.get("epsilon", 1e-5))
        s = scale / np.sqrt(var + eps)
        t = bias - mean * s
        r = len(x.shape)
        if r < 2:
            raise _Fail(f"batch normalisation of a tensor of shape {x.shape}")
        if self.opset < 9 and attrs.get("spatial", 1) == 0:
            shape = x.shape[1:]
        else:
            shape = (x.shape[1],) + (1,) * (r - 2)
        return self.affine(x, s.reshape(shape), t.reshape(shape))

    def op_MaxPool(self, node, args, attrs):
        self._only_first_output(node, "MaxPool with an Indices output (relugeom reads the values only)")
        x = args[0]
        self._spatial(x, "MaxPool")
        kernel = tuple(int(v) for v in attrs["kernel_shape"])
        strides, pads, dil = self._geometry(attrs, x.shape[2:], kernel, "MaxPool")
        li = self.reshape(x.layer, x.shape[1:])
        li = self.emit("maxpool", (li,), {"kernel": kernel, "strides": strides, "pads": pads,
                                          "dilations": dil})
        return self.fit(li, (1,) + self.lshape(li))

    def op_AveragePool(self, node, args, attrs):
        x = args[0]
        k = self._spatial(x, "AveragePool")
        kernel = tuple(int(v) for v in attrs["kernel_shape"])
        strides, pads, dil = self._geometry(attrs, x.shape[2:], kernel, "AveragePool")
        cip = bool(attrs.get("count_include_pad", 0))
        li = self.reshape(x.layer, x.shape[1:])
        if all(d == 1 for d in dil):
            li = self.emit("avgpool", (li,), {"kernel": kernel, "strides": strides, "pads": pads,
                                              "count_include_pad": cip})
            return self.fit(li, (1,) + self.lshape(li))
        # dilated: a depthwise convolution and the window counts
        C = x.shape[1]
        li = self.emit("conv", (li,), {"W": np.ones((C, 1) + kernel), "b": None, "strides": strides,
                                       "pads": pads, "dilations": dil, "groups": C})
        out_sp = self.lshape(li)[1:]
        if cip or not any(pads):
            div = np.full(out_sp, float(math.prod(kernel)))
        else:
            cnt = np.ones(1)
            for i in range(k):
                pos = (np.arange(out_sp[i])[:, None] * strides[i] - pads[i]
                       + np.arange(kernel[i])[None, :] * dil[i])
                c_i = ((pos >= 0) & (pos < x.shape[2 + i])).sum(axis=1).astype(float)
                cnt = np.multiply.outer(cnt, c_i)
            div = cnt.reshape(out_sp)
        li = self.emit("affine", (li,), {"scale": 1.0 / div, "shift": None}, "average")
        return self.fit(li, (1,) + self.lshape(li))

    def op_GlobalAveragePool(self, node, args, attrs):
        x = args[0]
        return self.reduce("reduce_sum", x, tuple(range(2, len(x.shape))), True, mean=True)

    def op_GlobalMaxPool(self, node, args, attrs):
        x = args[0]
        return self.reduce("reduce_max", x, tuple(range(2, len(x.shape))), True)

    def _reduce_args(self, args, attrs):
        axes = self._const_arg(args, 1, "axes")
        return _reduce_axes([args[0], axes], attrs, len(args[0].shape)), bool(attrs.get("keepdims", 1))

    def op_ReduceSum(self, node, args, attrs):
        axes, keep = self._reduce_args(args, attrs)
        return self.reduce("reduce_sum", args[0], axes, keep)

    def op_ReduceMean(self, node, args, attrs):
        axes, keep = self._reduce_args(args, attrs)
        return self.reduce("reduce_sum", args[0], axes, keep, mean=True)

    def op_ReduceMax(self, node, args, attrs):
        axes, keep = self._reduce_args(args, attrs)
        return self.reduce("reduce_max", args[0], axes, keep)

    def op_ReduceMin(self, node, args, attrs):
        axes, keep = self._reduce_args(args, attrs)
        return self.reduce("reduce_min", args[0], axes, keep)

    def op_ReduceL1(self, node, args, attrs):
        axes, keep = self._reduce_args(args, attrs)
        return self.reduce("reduce_sum", self.unit("abs", args[0]), axes, keep)

    # ------------------------------------------------------- moving entries
    def op_Flatten(self, node, args, attrs):
        x = args[0]
        return self.fit(x.layer, _flatten_shape(x.shape, attrs.get("axis", 1)))

    def op_Reshape(self, node, args, attrs):
        x = args[0]
        target = self._const_arg(args, 1, "reshape target")
        if target is None:
            target = attrs.get("shape")
        if target is None:
            raise _Fail("Reshape without a target shape")
        try:
            shape = _reshape_target(x.shape, _ints(target), bool(attrs.get("allowzero", 0)))
        except ValueError as exc:
            raise _Fail(str(exc)) from None
        return self.fit(x.layer, shape)

    def op_Squeeze(self, node, args, attrs):
        axes = self._const_arg(args, 1, "axes", attrs.get("axes"))
        x = args[0]
        return self.fit(x.layer, _squeeze_shape(x.shape, None if axes is None else _ints(axes)))

    def op_Unsqueeze(self, node, args, attrs):
        axes = self._const_arg(args, 1, "axes", attrs.get("axes"))
        x = args[0]
        return self.fit(x.layer, _unsqueeze_shape(x.shape, _ints(axes)))

    def op_Transpose(self, node, args, attrs):
        x = args[0]
        perm = attrs.get("perm")
        return self.transpose(x, list(range(len(x.shape)))[::-1] if perm is None else list(perm))

    def op_Slice(self, node, args, attrs):
        x = args[0]
        if self.opset < 10:
            return self.move(x, lambda a: _slice_arr(a, attrs["starts"], attrs["ends"], attrs.get("axes")))
        st, en, ax, sp = (self._const_arg(args, i, w) for i, w in
                          ((1, "starts"), (2, "ends"), (3, "axes"), (4, "steps")))
        return self.move(x, lambda a: _slice_arr(a, st, en, ax, sp))

    def op_Gather(self, node, args, attrs):
        if isinstance(args[1], _T):
            raise _Fail("Gather with input-dependent indices is not piecewise linear")
        return self.move(args[0], lambda a: _gather_arr(a, args[1], attrs.get("axis", 0)))

    def op_GatherElements(self, node, args, attrs):
        if isinstance(args[1], _T):
            raise _Fail("GatherElements with input-dependent indices is not piecewise linear")
        return self.move(args[0], lambda a: _gather_elements(a, args[1], attrs.get("axis", 0)))

    def op_Expand(self, node, args, attrs):
        shape = tuple(_ints(self._const_arg(args, 1, "Expand shape")))
        return self.move(args[0], lambda a: np.broadcast_to(a, np.broadcast_shapes(a.shape, shape)))

    def op_Tile(self, node, args, attrs):
        reps = _ints(self._const_arg(args, 1, "Tile repeats"))
        return self.move(args[0], lambda a: np.tile(a, reps))

    def op_DepthToSpace(self, node, args, attrs):
        self._spatial(args[0], "DepthToSpace")
        bs, mode = int(attrs["blocksize"]), _s(attrs.get("mode", "DCR"))
        return self.move(args[0], lambda a: _depth_to_space(a, bs, mode))

    def op_SpaceToDepth(self, node, args, attrs):
        self._spatial(args[0], "SpaceToDepth")
        bs = int(attrs["blocksize"])
        return self.move(args[0], lambda a: _space_to_depth(a, bs))

    def op_Split(self, node, args, attrs):
        x = args[0]
        axis = _axis(attrs.get("axis", 0), len(x.shape))
        split = self._const_arg(args, 1, "split", attrs.get("split"))
        sizes = _split_sizes(x.shape[axis], None if split is None else _ints(split), len(node.output),
                             attrs.get("num_outputs"))
        cuts = np.concatenate([[0], np.cumsum(sizes)])
        outs = []
        for j in range(len(sizes)):
            if j < len(node.output) and node.output[j] and sizes[j] > 0:
                ind = np.arange(cuts[j], cuts[j + 1])
                outs.append(self.move(x, lambda a, ind=ind: np.take(a, ind, axis=axis)))
            else:
                outs.append(None)
        return outs

    def op_Pad(self, node, args, attrs):
        x = args[0]
        if self.opset >= 11:
            for i, w in ((1, "pads"), (2, "constant value"), (3, "axes")):
                self._const_arg(args, i, w)
        pads, mode, value = _pad_args(args, attrs, self.opset)
        r = len(x.shape)
        if len(pads) != 2 * r:
            raise _Fail(f"pads {pads} do not fit a tensor of rank {r}")
        if mode != "constant":
            return self.move(x, lambda a: _pad_arr(a, pads, mode))
        crop = [min(p, 0) for p in pads]
        if any(crop):
            x = self.move(x, lambda a: _pad_arr(a, crop, "constant"))
        grow = [max(p, 0) for p in pads]
        if not any(grow):
            return x
        out = tuple(d + grow[i] + grow[r + i] for i, d in enumerate(x.shape))
        value = 0.0 if value is None else float(value)
        off = self.off(x.shape)
        if off and grow[0] == 0 and grow[r] == 0:
            li = self.emit("pad", (x.layer,), {"pads": tuple(grow[1:r] + grow[r + 1:]), "value": value})
        else:
            li = self.emit("pad", (self.full_layer(x),), {"pads": tuple(grow), "value": value})
        return self.fit(li, out)

    def op_Concat(self, node, args, attrs):
        vals = [a for a in args if a is not None and (isinstance(a, _T) or np.size(a))]
        rank = len(vals[0].shape) if isinstance(vals[0], _T) else np.ndim(vals[0])
        axis = _axis(attrs["axis"], rank)
        shapes = [v.shape if isinstance(v, _T) else np.shape(v) for v in vals]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        if len(vals) == 1:
            return vals[0]
        per_sample = axis != 0 and all(self.off(s) for s in shapes)
        ins = []
        for v, s in zip(vals, shapes):
            if isinstance(v, _T):
                ins.append(v.layer if per_sample else self.full_layer(v))
            else:
                c = _f64(v)
                ins.append(self.const(c.reshape(s[1:]) if per_sample else c))
        li = self.emit("concat", ins, {"axis": axis - 1 if per_sample else axis})
        return self.fit(li, out)


def _why_unsupported(op: str) -> str:
    if op in _NOT_PL:
        return f"{op} is not piecewise linear"
    if op in _NOT_CONTINUOUS:
        return f"{op} applied to the input is not a continuous piecewise-linear function"
    return (f"relugeom does not read the ONNX operator {op} (it reads piecewise-linear networks: "
            f"{', '.join(SUPPORTED_OPS)})")


# ====================================================================== loading
#: ONNX files larger than this are refused (protobuf's own limit for one message)
MAX_ONNX_BYTES = 2 ** 31


def _read_model(source: Any) -> tuple[Model, str]:
    """Decode a model from a path, bytes or an ``onnx.ModelProto`` (re-serialized)."""
    base = None
    if isinstance(source, (str, os.PathLike)):
        where = str(source)
        p = Path(source)
        if not p.is_file():
            raise FileNotFoundError(f"ONNX file not found: '{where}'")
        size = p.stat().st_size
        if size > MAX_ONNX_BYTES:
            raise NetworkError(f"cannot read ONNX file '{where}': {size:,} bytes, more than the "
                               f"{MAX_ONNX_BYTES:,} an ONNX file can hold (weights go in external data)")
        data, base = p.read_bytes(), p.parent
    elif isinstance(source, (bytes, bytearray, memoryview)):
        where, data = "ONNX model", bytes(source)
    elif callable(getattr(source, "SerializeToString", None)) and hasattr(source, "graph"):
        where, data = "ONNX model", source.SerializeToString()  # an onnx.ModelProto
    else:
        raise TypeError(f"load_onnx expects a path, bytes or an onnx.ModelProto; got {type(source).__name__}")
    try:
        model = parse_model(data)
    except WireError as exc:
        what = f"ONNX file '{where}'" if base is not None else "ONNX model bytes"
        raise NetworkError(f"cannot read {what}: {exc}") from None
    if model.graph is None:
        raise NetworkError(f"{where}: the model has no graph")
    _load_external(model, base, where)
    return model, where


def _load_external(model: Model, base: Path | None, where: str) -> None:
    """Load external tensor data, only from files inside the model's folder."""
    ext = [t for t in model.graph.initializer if t.data_location == 1]
    if not ext:
        return
    if base is None:
        raise NetworkError(f"{where}: tensor '{ext[0].name}' keeps its data in an external file; "
                           "load the model from its path")
    root = base.resolve()
    for t in ext:
        loc = t.external_data.get("location", "")
        target = (root / loc).resolve()
        if not loc or os.path.isabs(loc) or root not in target.parents or not target.is_file():
            raise NetworkError(f"{where}: the external data '{loc}' of tensor '{t.name}' is not a "
                               "file beside the model")
        try:
            offset = int(t.external_data.get("offset", 0) or 0)
            length = t.external_data.get("length")
            size = target.stat().st_size
            n = size - offset if length in (None, "") else int(length)
            if offset < 0 or n < 0 or offset + n > size:
                raise ValueError(f"offset {offset} and length {n} lie outside the file ({size} bytes)")
            with open(target, "rb") as fh:
                fh.seek(offset)
                t.raw_data = fh.read(n)
        except (OSError, ValueError) as exc:
            raise NetworkError(f"{where}: cannot read the external data of tensor '{t.name}': "
                               f"{exc}") from None
        t.data_location = 0


def _opset_of(model: Model) -> int:
    for domain, version in model.opset_import:
        if domain in ("", "ai.onnx"):
            return int(version)
    return 1


def _constant_unit(kind: str, x: np.ndarray, params: dict) -> np.ndarray:
    """A piecewise-linear unit applied to a constant tensor."""
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "abs":
        return np.abs(x)
    if kind == "leaky_relu":
        return np.where(x > 0, x, np.asarray(params["alpha"], dtype=np.float64) * x)
    if kind == "clip":
        return np.clip(x, params.get("lo", -np.inf), params.get("hi", np.inf))
    raise _Fail(f"{kind} of a constant tensor")


#: inputs with more entries than this are refused before anything is allocated
MAX_INPUT_ENTRIES = 2 ** 26


def _input_shape(value_info: Any, where: str) -> tuple[tuple[int, ...], bool]:
    """Full input shape with a batch of one, and whether axis 0 is a batch axis."""
    if not value_info.is_tensor or value_info.shape is None:
        raise NetworkError(f"{where}: the input '{value_info.name}' has no shape; relugeom needs the "
                           "input size to build the first layer")
    dims, free = [], []
    for d in value_info.shape:
        known = d.dim_value is not None and d.dim_value > 0
        dims.append(int(d.dim_value) if known else 1)
        free.append(not known)
    if any(free[1:]):
        log.warning("%s: input '%s' has symbolic dimensions after the first; taken as 1",
                    where, value_info.name)
    batch = bool(dims) and (free[0] or dims[0] == 1)
    if not dims:
        raise NetworkError(f"{where}: the input '{value_info.name}' is a scalar")
    size = 1
    for v in dims:
        size *= v
    if size > MAX_INPUT_ENTRIES:
        raise NetworkError(f"{where}: the input '{value_info.name}' declares shape {tuple(dims)} "
                           f"({size:,} entries, more than the {MAX_INPUT_ENTRIES:,} relugeom reads)")
    return tuple(dims), batch


def _topo_order(graph: Any, output: str, where: str) -> list[Any]:
    """The nodes the output depends on, in an order where each reads earlier results."""
    producer: dict[str, int] = {}
    for k, node in enumerate(graph.node):
        for o in node.output:
            if o:
                producer[o] = k
    needed: set[int] = set()
    stack = [output]
    while stack:
        k = producer.get(stack.pop())
        if k is None or k in needed:
            continue
        needed.add(k)
        stack.extend(n for n in graph.node[k].input if n)
    order: list[Any] = []
    state: dict[int, int] = {}
    for k0 in sorted(needed):
        if state.get(k0):
            continue
        stack2 = [(k0, iter(graph.node[k0].input))]
        state[k0] = 1
        while stack2:
            k, it = stack2[-1]
            nxt = next((n for n in it if n and n in producer), None)
            if nxt is None:
                stack2.pop()
                state[k] = 2
                order.append(graph.node[k])
                continue
            j = producer[nxt]
            if state.get(j) == 1:
                raise NetworkError(f"{where}: the graph has a cycle through node "
                                   f"'{graph.node[j].name}' ({graph.node[j].op_type})")
            if not state.get(j):
                state[j] = 1
                stack2.append((j, iter(graph.node[j].input)))
    return order


def _prune(layers: list[Layer], out: int) -> tuple[list[Layer], int]:
    """Only the layers the output depends on, renumbered."""
    keep = {0, out}
    for i in range(out, 0, -1):
        if i in keep:
            keep.update(layers[i].inputs)
    order = sorted(keep)
    new = {old: j for j, old in enumerate(order)}
    res = [Layer(layers[i].kind, tuple(new[k] for k in layers[i].inputs), layers[i].params, layers[i].name)
           for i in order]
    return res, new[out]


def load_onnx(source: str | os.PathLike | Any) -> Network:
    """Read a piecewise-linear network from an ONNX file or ``onnx.ModelProto``.

    The graph is traced from its single real input (the graph input that is not an
    initializer: exported files such as the ACAS Xu networks list every weight as a graph
    input too) to its single output, for a batch of one sample (see the module docstring).
    Only the nodes the output depends on are read.

    Operators (opsets 7 to 21, attribute and input forms as each opset has them):
    ``Gemm`` (``transA``, ``transB``, ``alpha``, ``beta``), ``MatMul`` (a constant right
    operand of any batch rank, or a constant left operand), ``Add``/``Sub`` (of two
    input-dependent tensors: residual connections; or with constants), ``Mul``/``Div``/``Neg``
    with constants, ``Sum``, ``Mean``, ``Conv`` (1-D and 2-D; ``strides``, ``pads``,
    ``auto_pad``, ``dilations``, ``group``), ``BatchNormalization`` (inference: folded into a
    per-channel ``affine`` layer), ``AveragePool``, ``GlobalAveragePool``, ``MaxPool``,
    ``GlobalMaxPool`` (``ceil_mode`` only where it does not change the output),
    ``Flatten``, ``Reshape``, ``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Concat``,
    ``Slice``, ``Split``, ``Pad`` (constant, reflect, edge, wrap), ``Gather`` and
    ``GatherElements`` with constant indices, ``Expand``, ``Tile``, ``DepthToSpace``,
    ``SpaceToDepth``, ``Where`` with a constant condition, ``Identity``, ``Dropout``,
    ``Cast`` (to float types), ``Relu``,
    ``LeakyRelu``, ``PRelu``, ``HardSigmoid``, ``Abs``, ``Clip``, ``Max``, ``Min``,
    ``ReduceMax``, ``ReduceMin``, ``ReduceSum``, ``ReduceMean``, ``ReduceL1``; and every
    node that does not depend on the input (``Constant``, ``Shape``, ``Gather``,
    ``ConstantOfShape``, ``Range``, arithmetic, …) is evaluated with numpy. Weights are read
    in float64 from their stored type.

    A network that is a fully connected ReLU chain (dense and normalisation layers, ReLUs,
    reshapes) comes back as a :class:`~relugeom.network.ReLUNetwork` whose affine layers
    compose the graph's consecutive affine operators in float64; any other as a
    :class:`~relugeom.network.Network` whose ``input_shape`` is the input's shape without
    the batch axis, ``(3, 32, 32)`` for an input ``(1, 3, 32, 32)``. Either way the
    network's input is the ONNX input flattened in C order, its output the graph output
    flattened.

    Parameters
    ----------
    source : str, path, bytes or onnx.ModelProto

    Returns
    -------
    Network or ReLUNetwork

    Raises
    ------
    UnsupportedLayerError
        For an operator that is not piecewise linear or that relugeom does not read, or an
        operation it cannot represent (a product of two input-dependent tensors, a pooling
        over a batch of several samples, …); the message names the node and its op type.
    NetworkError
        For a file that is not a readable ONNX model, a graph without or with several real
        inputs, several outputs, or an output that does not depend on the input.

    Examples
    --------
    >>> import onnx
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> g = helper.make_graph(
    ...     [helper.make_node("MatMul", ["x", "Wt"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
    ...     "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
    ...     [numpy_helper.from_array(np.array([[1.0], [-1.0]], dtype=np.float32), "Wt")])
    >>> net = load_onnx(helper.make_model(g))
    >>> net.widths, net([[3.0, 1.0]]).tolist()
    ((2, 1, 1), [[2.0]])
    >>> g = helper.make_graph(
    ...     [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2], strides=[2])], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2])])
    >>> net = load_onnx(helper.make_model(g))
    >>> net.input_shape, net([[1.0, 3.0, -2.0, -5.0]]).tolist()
    ((1, 4), [[3.0, -2.0]])
    >>> bad = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="s1")], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
    >>> load_onnx(helper.make_model(bad))
    Traceback (most recent call last):
    ...
    relugeom.errors.UnsupportedLayerError: ONNX node 's1' (Sigmoid) is not supported: Sigmoid is not piecewise linear
    """
    model, where = _read_model(source)
    graph = model.graph
    opset = _opset_of(model)
    if not 7 <= opset <= 21:
        log.info("%s: opset %d (relugeom is tested on opsets 7 to 21)", where, opset)
    env: dict[str, Any] = {}
    for t in graph.initializer:
        try:
            env[t.name] = tensor_to_array(t)
        except (WireError, ValueError, MemoryError) as exc:
            raise NetworkError(f"{where}: cannot read the initializer '{t.name}': {exc}") from None
    real = [i for i in graph.input if i.name not in env]
    if len(real) != 1:
        raise NetworkError(f"{where}: expected exactly one graph input that is not an initializer; "
                           f"got {[i.name for i in real]}")
    if len(graph.output) != 1:
        raise NetworkError(f"{where}: expected one graph output; got {[o.name for o in graph.output]}")
    inp, out_name = real[0], graph.output[0].name
    full, batch = _input_shape(inp, where)
    reader = _Reader(opset, full, batch)
    env[inp.name] = _T(0, full)
    for node in _topo_order(graph, out_name, where):
        name = node.name or (node.output[0] if node.output else "?")
        reader.name = name
        try:
            args = [None if n == "" else env[n] for n in node.input]
        except KeyError as exc:
            raise NetworkError(f"{where}: node '{name}' ({node.op_type}) reads {exc.args[0]!r}, "
                               "which no node, initializer or input provides") from None
        try:
            attrs = {a.name: a.value for a in node.attribute}
            outs = reader.run(node, args, attrs)
        except _Fail as exc:
            raise UnsupportedLayerError(f"ONNX node '{name}' ({node.op_type}) is not supported: {exc}") from None
        except (ValueError, IndexError, KeyError, TypeError, ArithmeticError, AttributeError) as exc:
            raise NetworkError(f"{where}: cannot read node '{name}' ({node.op_type}): "
                               f"{type(exc).__name__}: {exc}") from None
        except MemoryError:
            raise NetworkError(f"{where}: node '{name}' ({node.op_type}) makes tensors too large "
                               "to hold in memory") from None
        for o, v in zip(node.output, outs):
            if o:
                env[o] = v
    res = env.get(out_name)
    if not isinstance(res, _T):
        raise NetworkError(f"{where}: the output '{out_name}' does not depend on the input '{inp.name}'")
    reader.name = out_name
    li = reader.fit(res.layer, res.shape).layer
    if li == 0:
        li = reader.emit("reshape", (0,), {"shape": reader.input_shape}, "identity")
    layers, out = _prune(reader.layers, li)
    net = Network(layers, reader.input_shape, out, name=graph.name or None)
    found = {l.kind for l in layers}
    if found <= _DENSE_KINDS and found & {"dense", "relu"}:
        rn = net.as_relu_network()
        if rn is not None:
            log.debug("loaded %s as a ReLU network, widths %s", where, rn.widths)
            return rn
    log.debug("loaded %s: %r", where, net)
    return net


# ====================================================================== saving
def save_onnx(net: Network, path: str | os.PathLike, *, dtype: str = "float64", opset: int = ONNX_OPSET,
              input_name: str = "input", output_name: str = "output") -> None:
    """Write a network as an ONNX model with a dynamic batch axis.

    A :class:`~relugeom.network.ReLUNetwork` is written as ``Gemm`` (``transB=1``) and
    ``Relu`` nodes. Any other :class:`~relugeom.network.Network` is written layer by layer:
    ``dense`` as ``Gemm`` (or ``MatMul`` + ``Add`` along the last axis of a tensor of higher
    rank), ``conv`` as ``Conv``, ``avgpool`` as ``AveragePool``, ``affine`` as ``Mul`` and
    ``Add``, ``add`` as ``Add``/``Sub`` (and ``Mul`` for other coefficients), ``reshape``,
    ``transpose``, ``concat``, ``pad``, ``reduce_sum`` (``ReduceSum`` or ``ReduceMean``) as
    the operators of those names, ``take`` as ``Gather`` of the flattened tensor, ``const``
    as an ``Expand``-ed initializer, and the units as ``Relu``, ``LeakyRelu``/``PRelu``,
    ``Abs``, ``Clip``, ``Max``, ``Min``, ``MaxPool``, ``ReduceMax`` and ``ReduceMin``.
    Weights are initializers only. The model passes ``onnx.checker.check_model``,
    onnxruntime runs it, and :func:`load_onnx` reads it back with the same layer kinds and
    units, computing exactly the same function when ``dtype="float64"`` (below opset 11 the
    bounds of a clip and the value of a pad are float32 attributes: exact when they are
    float32 numbers).

    Parameters
    ----------
    net : Network or ReLUNetwork
    path : str or path
    dtype : {"float64", "float32"}
        Element type of the weights and of the input and output.
    opset : int
        ONNX opset, 9 to 21 (default 13).
    input_name, output_name : str

    Raises
    ------
    ValueError
        For an unknown dtype or opset, or a layer the opset cannot express (dilated
        max-pooling before opset 10).

    Examples
    --------
    >>> import tempfile, os
    >>> from relugeom.network import NetworkBuilder
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> p = os.path.join(tempfile.mkdtemp(), "abs.onnx")
    >>> save_onnx(net, p)
    >>> load_onnx(p) == net
    True
    >>> b = NetworkBuilder((1, 4))
    >>> net = b.build(b.maxpool(b.relu(b.input), kernel=(2,), strides=(2,)))
    >>> save_onnx(net, p, opset=18)
    >>> back = load_onnx(p)
    >>> [l.kind for l in back.layers], back([[1.0, -3.0, -2.0, 5.0]]).tolist()
    (['input', 'relu', 'maxpool'], [[1.0, 5.0]])
    """
    onnx = _import_onnx()
    helper, nh = onnx.helper, onnx.numpy_helper
    np_dtype = {"float64": np.float64, "float32": np.float32}.get(str(dtype))
    if np_dtype is None:
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    if int(opset) not in SAVE_OPSETS:
        raise ValueError(f"opset must be between {SAVE_OPSETS.start} and {SAVE_OPSETS.stop - 1}; got {opset}")
    opset = int(opset)
    elem = onnx.TensorProto.DOUBLE if np_dtype is np.float64 else onnx.TensorProto.FLOAT
    if not isinstance(net, Network):
        raise TypeError(f"save_onnx expects a relugeom Network or ReLUNetwork; got {type(net).__name__}")
    if isinstance(net, ReLUNetwork):
        nodes, inits = _relu_nodes(net, helper, nh, np_dtype, input_name, output_name, opset)
        ins = [helper.make_tensor_value_info(input_name, elem, ["batch", net.input_dim])]
        outs = [helper.make_tensor_value_info(output_name, elem, ["batch", net.output_dim])]
    else:
        w = _Writer(net, onnx, np_dtype, opset, input_name, output_name)
        nodes, inits = w.nodes, w.inits
        ins = [helper.make_tensor_value_info(input_name, elem, ["batch", *net.input_shape])]
        outs = [helper.make_tensor_value_info(output_name, elem, ["batch", *net.output_shape])]
    graph = helper.make_graph(nodes, "relugeom_network", ins, outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="relugeom")
    model.ir_version = 7 if opset == 13 else helper.find_min_ir_version_for(
        [helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    onnx.save(model, str(Path(path)))


def _relu_nodes(net: ReLUNetwork, helper: Any, nh: Any, np_dtype: Any, input_name: str,
                output_name: str, opset: int) -> tuple[list, list]:
    nodes, inits = [], []
    h = input_name
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        inits += [nh.from_array(np.asarray(W, dtype=np_dtype), f"W{l}"),
                  nh.from_array(np.asarray(b, dtype=np_dtype), f"b{l}")]
        last = l == net.n_layers - 1
        z = output_name if last else f"z{l}"
        nodes.append(helper.make_node("Gemm", [h, f"W{l}", f"b{l}"], [z], name=f"gemm{l}", transB=1))
        if not last:
            h = f"h{l}"
            nodes.append(helper.make_node("Relu", [z], [h], name=f"relu{l}"))
    return nodes, inits


class _Writer:
    """ONNX nodes for the layers of a :class:`Network` (a leading batch axis everywhere)."""

    def __init__(self, net: Network, onnx: Any, np_dtype: Any, opset: int, input_name: str,
                 output_name: str):
        self.helper, self.nh = onnx.helper, onnx.numpy_helper
        self.dt, self.opset = np_dtype, opset
        self.nodes: list = []
        self.inits: list = []
        self.k = 0
        self._input = input_name
        shapes = net._low.shapes
        self.shapes = shapes
        layers = net.layers
        keep = {0, net.output_layer}
        for i in range(net.output_layer, 0, -1):
            if i in keep:
                keep.update(layers[i].inputs)
        names: dict[int, str] = {0: input_name}
        for i in sorted(keep):
            if i == 0:
                continue
            L = layers[i]
            self.base = _safe(L.name or f"{L.kind}{i}")
            out = output_name if i == net.output_layer else f"{self.base}_{i}"
            self.layer(L, [names[j] for j in L.inputs], [shapes[j] for j in L.inputs], shapes[i], out)
            names[i] = out
        if net.output_layer == 0:
            self.node("Identity", [input_name], output_name)

    # ----------------------------------------------------------- helpers
    def fresh(self, what: str) -> str:
        self.k += 1
        return f"{self.base}_{what}{self.k}"

    def init(self, value: Any, what: str, dtype: Any = None) -> str:
        name = self.fresh(what)
        self.inits.append(self.nh.from_array(np.asarray(value, dtype=dtype or self.dt), name))
        return name

    def ints(self, value: Sequence[int], what: str) -> str:
        return self.init(np.asarray(value, dtype=np.int64), what, np.int64)

    def node(self, op: str, ins: list[str], out: str | None = None, **attrs: Any) -> str:
        out = out or self.fresh(op.lower())
        self.nodes.append(self.helper.make_node(op, ins, [out], name=self.fresh(op), **attrs))
        return out

    def const(self, c: np.ndarray, rank: int, what: str) -> str:
        """A constant of per-sample rank ``rank`` as an initializer with a leading batch 1."""
        c = np.asarray(c, dtype=np.float64)
        c = c.reshape((1,) * (rank - c.ndim) + c.shape) if c.ndim < rank else c
        return self.init(c.reshape((1,) + c.shape), what)

    def lift(self, x: str, s: tuple[int, ...], rank: int) -> str:
        """Reshape ``(N, *s)`` to ``(N, 1, …, 1, *s)`` of per-sample rank ``rank``."""
        if len(s) >= rank:
            return x
        return self.node("Reshape", [x, self.ints([0] + [1] * (rank - len(s)) + list(s), "shape")])

    def reduce(self, op: str, x: str, axes: Sequence[int], keepdims: bool, out: str) -> str:
        ax = [int(a) + 1 for a in axes]
        axes_input = self.opset >= 18 or (op == "ReduceSum" and self.opset >= 13)
        if axes_input:
            return self.node(op, [x, self.ints(ax, "axes")], out, keepdims=int(keepdims))
        return self.node(op, [x], out, axes=ax, keepdims=int(keepdims))

    # ----------------------------------------------------------- layers
    def layer(self, L: Layer, ins: list[str], in_shapes: list[tuple], shape: tuple, out: str) -> None:
        k, p = L.kind, L.params
        x = ins[0] if ins else None
        s = in_shapes[0] if in_shapes else ()
        if k == "dense":
            W = np.asarray(p["W"], dtype=np.float64)
            b = p.get("b")
            if len(s) == 1:
                args = [x, self.init(W, "W")]
                if b is not None or self.opset < 11:
                    args.append(self.init(np.zeros(W.shape[0]) if b is None else b, "b"))
                self.node("Gemm", args, out, transB=1)
            elif b is None:
                self.node("MatMul", [x, self.init(W.T, "W")], out)
            else:
                m = self.node("MatMul", [x, self.init(W.T, "W")])
                self.node("Add", [m, self.init(b, "b")], out)
        elif k == "conv":
            W = np.asarray(p["W"], dtype=np.float64)
            nd = W.ndim - 2
            args = [x, self.init(W, "W")] + ([self.init(p["b"], "b")] if p.get("b") is not None else [])
            self.node("Conv", args, out, kernel_shape=list(W.shape[2:]),
                      strides=list(p.get("strides") or (1,) * nd), pads=list(p.get("pads") or (0,) * 2 * nd),
                      dilations=list(p.get("dilations") or (1,) * nd), group=int(p.get("groups", 1)))
        elif k == "avgpool":
            kern = list(p["kernel"])
            nd = len(kern)
            self.node("AveragePool", [x], out, kernel_shape=kern,
                      strides=list(p.get("strides") or (1,) * nd), pads=list(p.get("pads") or (0,) * 2 * nd),
                      count_include_pad=int(bool(p.get("count_include_pad", False))))
        elif k == "affine":
            scale = np.asarray(p.get("scale", 1.0), dtype=np.float64)
            shift = p.get("shift")
            r = len(shape)
            y = self.lift(x, s, r)
            has_scale = not (scale.ndim == 0 and float(scale) == 1.0)
            if has_scale:
                y = self.node("Mul", [y, self.const(scale, r, "scale")], None if shift is not None else out)
            if shift is not None:
                y = self.node("Add", [y, self.const(shift, r, "shift")], out)
            if not has_scale and shift is None:
                if len(s) < r:
                    y = self.node("Expand", [y, self.ints([1] + list(shape), "shape")], out)
                else:
                    self.node("Identity", [y], out)
        elif k == "add":
            coefs = p.get("coefs") or [1.0] * len(ins)
            r = len(shape)
            terms = []
            for j, (xj, sj, c) in enumerate(zip(ins, in_shapes, coefs)):
                y = self.lift(xj, sj, r)
                c = np.asarray(c, dtype=np.float64)
                neg = j > 0 and c.ndim == 0 and float(c) == -1.0
                if not (c.ndim == 0 and float(c) == 1.0) and not neg:
                    y = self.node("Mul", [y, self.const(c, r, "coef")])
                terms.append((y, neg))
            const = p.get("const")
            y = terms[0][0]
            for j, (t, neg) in enumerate(terms[1:], start=1):
                last = j == len(terms) - 1 and const is None
                y = self.node("Sub" if neg else "Add", [y, t], out if last else None)
            if const is not None:
                y = self.node("Add", [y, self.const(const, r, "const")], out)
            elif len(terms) == 1:
                self.node("Identity", [y], out)
        elif k == "reshape":
            self.node("Reshape", [x, self.ints([-1] + list(shape), "shape")], out)
        elif k == "transpose":
            self.node("Transpose", [x], out, perm=[0] + [int(q) + 1 for q in p["perm"]])
        elif k == "concat":
            self.node("Concat", list(ins), out, axis=int(p["axis"]) + 1)
        elif k == "take":
            flat = x if len(s) == 1 else self.node("Reshape", [x, self.ints([-1, math.prod(s)], "shape")])
            idx = np.asarray(p["idx"], dtype=np.int64).reshape(shape)
            self.node("Gather", [flat, self.init(idx, "idx", np.int64)], out, axis=1)
        elif k == "pad":
            nd = len(s)
            pads = [int(v) for v in p["pads"]]
            full = [0] + pads[:nd] + [0] + pads[nd:]
            value = float(p.get("value", 0.0))
            if self.opset >= 11:
                self.node("Pad", [x, self.ints(full, "pads"), self.init(np.array(value), "value")], out,
                          mode="constant")
            else:
                self.node("Pad", [x], out, mode="constant", pads=full, value=value)
        elif k == "reduce_sum":
            axes = [int(a) % len(s) for a in p["axes"]]
            self.reduce("ReduceMean" if p.get("mean") else "ReduceSum", x, axes, p.get("keepdims", True), out)
        elif k == "const":
            value = np.asarray(p["value"], dtype=np.float64)
            c = self.init(value.reshape((1,) + value.shape), "value")
            # the batch size of the network input, then Expand to (N, *shape)
            shp = self.node("Shape", [self.input_name_for_batch()])
            n = self.node("Slice", [shp, self.ints([0], "start"), self.ints([1], "end")]) \
                if self.opset >= 10 else self.node_slice_attr(shp)
            full = self.node("Concat", [n, self.ints(list(value.shape), "shape")], axis=0)
            self.node("Expand", [c, full], out)
        elif k == "relu":
            self.node("Relu", [x], out)
        elif k == "leaky_relu":
            a = np.asarray(p["alpha"], dtype=np.float64)
            if a.ndim == 0 and float(np.float32(a)) == float(a):  # the attribute is a float32
                self.node("LeakyRelu", [x], out, alpha=float(a))
            else:
                self.node("PRelu", [x, self.init(a, "slope")], out)
        elif k == "abs":
            self.node("Abs", [x], out)
        elif k == "clip":
            lo, hi = float(p.get("lo", -np.inf)), float(p.get("hi", np.inf))
            if self.opset >= 11:
                args = [x, "" if math.isinf(lo) else self.init(np.array(lo), "lo"),
                        "" if math.isinf(hi) else self.init(np.array(hi), "hi")]
                while args[-1] == "":
                    args.pop()
                self.node("Clip", args, out)
            else:
                attrs = {}
                if not math.isinf(lo):
                    attrs["min"] = lo
                if not math.isinf(hi):
                    attrs["max"] = hi
                self.node("Clip", [x], out, **attrs)
        elif k in ("max", "min"):
            r = len(shape)
            self.node("Max" if k == "max" else "Min",
                      [self.lift(xj, sj, r) for xj, sj in zip(ins, in_shapes)], out)
        elif k == "maxpool":
            kern = list(p["kernel"])
            nd = len(kern)
            dil = list(p.get("dilations") or (1,) * nd)
            attrs = dict(kernel_shape=kern, strides=list(p.get("strides") or (1,) * nd),
                         pads=list(p.get("pads") or (0,) * 2 * nd))
            if any(d != 1 for d in dil):
                if self.opset < 10:
                    raise ValueError("dilated max-pooling needs opset 10 or later")
                attrs["dilations"] = dil
            self.node("MaxPool", [x], out, **attrs)
        elif k in ("reduce_max", "reduce_min"):
            axes = [int(a) % len(s) for a in p["axes"]]
            self.reduce("ReduceMax" if k == "reduce_max" else "ReduceMin", x, axes,
                        p.get("keepdims", True), out)
        else:  # pragma: no cover - every layer kind is handled above
            raise ValueError(f"cannot write layer kind {k!r} to ONNX")

    def input_name_for_batch(self) -> str:
        return self._input

    def node_slice_attr(self, shp: str) -> str:
        return self.node("Slice", [shp], starts=[0], ends=[1])


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in name) or "layer"
