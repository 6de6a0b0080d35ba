r"""The layers of a feed-forward piecewise-linear network and their lowering to a program.

A :class:`Layer` is one node of the network's DAG, as a model file or a PyTorch module
states it: a convolution stays a convolution, a max-pool a max-pool. :func:`lower` writes
the DAG as a :class:`~relugeom.network._program.Program` of affine operations and ReLUs
and records, for every piecewise-linear layer, which neurons of the program decide the
pieces of its units (:class:`UnitGroup`).

Layer kinds and their parameters
--------------------------------
Affine:
``input``; ``dense`` (``W`` (out, in), ``b``: along the last axis); ``conv`` (``W``
(C_out, C_in/groups, *kernel), ``b``, ``strides``, ``pads``, ``dilations``, ``groups``;
1-D or 2-D); ``avgpool`` (``kernel``, ``strides``, ``pads``, ``count_include_pad``);
``affine`` (``scale``, ``shift``, broadcast: batch norm, input normalisation, constant
``Add``/``Sub``/``Mul``/``Div``/``Neg``); ``add`` (``coefs``: a linear combination of
tensors, residual connections); ``reshape`` (``shape``); ``transpose`` (``perm``);
``concat`` (``axis``); ``take`` (``idx``, ``shape``: slices, splits, gathers with
constant indices); ``pad`` (``pads``, ``value``); ``reduce_sum`` (``axes``,
``keepdims``, ``mean``); ``const`` (``value``).

Piecewise linear (units):
``relu``; ``leaky_relu`` (``alpha``, any broadcastable array: PReLU); ``abs``; ``clip``
(``lo``, ``hi``, either may be infinite: HardTanh, ReLU6); ``max`` and ``min`` (of
several tensors, broadcast); ``maxpool`` (``kernel``, ``strides``, ``pads``,
``dilations``); ``reduce_max`` and ``reduce_min`` (``axes``, ``keepdims``).

Examples
--------
>>> import numpy as np
>>> layers = [Layer("input", (), {}), Layer("dense", (0,), {"W": np.eye(2), "b": None}),
...           Layer("reshape", (1,), {"shape": (1, 2)}), Layer("maxpool", (2,), {"kernel": (2,)})]
>>> lowered = lower((2,), layers)
>>> lowered.program.n_neurons, [g.kind for g in lowered.groups]
(1, ['maxpool'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import _program as P

__all__ = ["Layer", "UnitGroup", "Lowered", "lower", "LAYER_KINDS", "UNIT_KINDS"]

AFFINE_KINDS = ("input", "dense", "conv", "avgpool", "affine", "add", "reshape", "transpose",
                "concat", "take", "pad", "reduce_sum", "const")
UNIT_KINDS = ("relu", "leaky_relu", "abs", "clip", "max", "min", "maxpool", "reduce_max",
              "reduce_min")
LAYER_KINDS = AFFINE_KINDS + UNIT_KINDS


@dataclass
class Layer:
    """One node of a network's DAG.

    Parameters
    ----------
    kind : str
        One of :data:`LAYER_KINDS`.
    inputs : tuple of int
        Indices of earlier layers (layer 0 is the input).
    params : dict
        The kind's parameters (see the module docstring).
    name : str
        A name for messages (the ONNX node or PyTorch module it came from).

    Examples
    --------
    >>> Layer("relu", (1,), {}, "act1").kind
    'relu'
    """

    kind: str
    inputs: tuple[int, ...]
    params: dict = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise ValueError(f"unknown layer kind {self.kind!r}; known: {', '.join(LAYER_KINDS)}")
        self.inputs = tuple(int(i) for i in self.inputs)


@dataclass
class UnitGroup:
    """The units of one piecewise-linear layer and the neurons that decide their pieces.

    Attributes
    ----------
    layer : int
        Index of the layer in the network.
    name, kind : str
    shape : tuple of int
        Shape of the layer's output (one unit per entry).
    n_pieces : ndarray of int
        Number of pieces of each unit (2 for ReLU-like units, 3 for a clip, the number of
        inputs for a max).
    steps : list of (int, ndarray)
        Program ReLU operations and, for each, the units (flat indices) of its entries.
        ReLU-like units: one step; clip: a lower and an upper step; max: one step per
        chain position ``j = 1..k-1`` (the piece is the last ``j`` whose neuron is active).
    offset : int
        Index of the group's first unit among all units.

    Examples
    --------
    >>> import numpy as np
    >>> g = UnitGroup(1, "r", "relu", (2,), np.array([2, 2]), [(0, np.arange(2))])
    >>> g.size
    2
    """

    layer: int
    name: str
    kind: str
    shape: tuple[int, ...]
    n_pieces: np.ndarray
    steps: list
    offset: int = 0
    neuron_steps: list = field(default_factory=list)  # (neuron offset, units) per step

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))


@dataclass
class Lowered:
    """The result of :func:`lower`: the program, the unit groups, the register of each layer."""

    program: P.Program
    groups: list[UnitGroup]
    registers: list[int]
    shapes: list[tuple[int, ...]]


class _Builder:
    def __init__(self, input_shape):
        self.ops: list[P.Op] = []
        self.shapes: list[tuple[int, ...]] = [tuple(input_shape)]

    def add(self, op: P.Op) -> int:
        op.bind([self.shapes[r] for r in op.inputs])
        self.ops.append(op)
        self.shapes.append(tuple(op.shape))
        return len(self.ops)

    def shape(self, r: int) -> tuple[int, ...]:
        return self.shapes[r]


def _pool_geometry(shape, kernel, strides, pads, dilations):
    """Window index table ``(n_out, k)`` (-1 = padding) and output spatial shape."""
    C, *sp = shape
    k = len(kernel)
    if len(sp) != k:
        raise ValueError(f"a {k}-D pooling needs an input of shape (C, {k} spatial dims); got {shape}")
    strides = tuple(int(v) for v in (strides or (1,) * k))
    pads = tuple(int(v) for v in (pads or (0,) * (2 * k)))
    dilations = tuple(int(v) for v in (dilations or (1,) * k))
    if len(strides) != k or min(strides) < 1 or len(dilations) != k or min(dilations) < 1:
        raise ValueError(f"pooling strides and dilations must be {k} positive integers; got "
                         f"{strides}, {dilations}")
    if len(pads) != 2 * k or min(pads) < 0 or min(kernel) < 1:
        raise ValueError(f"pooling kernel must be positive and pads non-negative; got {kernel}, {pads}")
    outs = []
    for i in range(k):
        ext = (kernel[i] - 1) * dilations[i] + 1
        o = (sp[i] + pads[i] + pads[k + i] - ext) // strides[i] + 1
        if o < 1:
            raise ValueError(f"pooling window larger than its padded input {shape}")
        outs.append(o)
    # per spatial axis: input coordinate of (output position, kernel offset)
    coords = [np.arange(outs[i])[:, None] * strides[i] - pads[i]
              + np.arange(kernel[i])[None, :] * dilations[i] for i in range(k)]
    if k == 1:
        c0 = coords[0]
        valid = (c0 >= 0) & (c0 < sp[0])
        sp_idx = np.where(valid, c0, -1)  # (O0, K0)
    else:
        c0, c1 = coords
        v0 = (c0 >= 0) & (c0 < sp[0])
        v1 = (c1 >= 0) & (c1 < sp[1])
        flat = c0[:, None, :, None] * sp[1] + c1[None, :, None, :]  # (O0, O1, K0, K1)
        valid = v0[:, None, :, None] & v1[None, :, None, :]
        sp_idx = np.where(valid, flat, -1).reshape(outs[0] * outs[1], kernel[0] * kernel[1])
    S = int(math.prod(sp))
    n_sp = sp_idx.shape[0]
    chan = np.arange(C)[:, None, None] * S
    table = np.where(sp_idx[None] >= 0, sp_idx[None] + chan, -1).reshape(C * n_sp, -1)
    return table, (C,) + tuple(outs)


def _reduce_geometry(shape, axes, keepdims):
    """Index table ``(n_out, k)`` for a reduction over ``axes`` and the output shape."""
    axes = sorted(a % len(shape) for a in axes)
    keep = [i for i in range(len(shape)) if i not in axes]
    idx = np.arange(int(math.prod(shape))).reshape(shape)
    moved = np.transpose(idx, keep + axes)
    k = int(math.prod([shape[a] for a in axes]))
    table = moved.reshape(-1, k)
    out = tuple((1 if i in axes else d) for i, d in enumerate(shape) if keepdims or i not in axes)
    return table, out


def _max_chain(b: _Builder, r: int, table: np.ndarray, out_shape, sign: float):
    """Lower ``max`` (``sign=1``) or ``min`` (``sign=-1``) over the rows of an index table.

    Returns the output register and the chain steps ``[(relu_op_index, positions), …]``.
    """
    table = np.asarray(table, dtype=np.int64)
    n_out, k = table.shape
    # valid entries first in every row (a stable sort keeps the order of the valid ones)
    order = np.argsort(table < 0, axis=1, kind="stable")
    table = np.take_along_axis(table, order, axis=1)
    kp = (table >= 0).sum(axis=1)
    if np.any(kp == 0):
        raise ValueError("a pooling window lies entirely in the padding")
    m = b.add(P.Take(table[:, 0], (n_out,), (r,)))
    steps = []
    for j in range(1, k):
        pos = np.flatnonzero(kp > j)
        if len(pos) == 0:
            break
        xj = b.add(P.Take(table[pos, j], (len(pos),), (r,)))
        mj = m if len(pos) == n_out else b.add(P.Take(pos, (len(pos),), (m,)))
        d = b.add(P.LinComb([sign, -sign], None, (xj, mj)))
        rl = b.add(P.Relu((d,)))
        steps.append((rl - 1, pos))
        add = rl if len(pos) == n_out else b.add(P.Scatter(pos, (n_out,), (rl,)))
        m = b.add(P.LinComb([1.0, sign], None, (m, add)))
    out = b.add(P.Reshape(out_shape, (m,)))
    return out, steps


def _broadcast_to(b: _Builder, r: int, shape) -> int:
    if b.shape(r) == tuple(shape):
        return r
    return b.add(P.LinComb([np.ones(shape)], None, (r,)))


def _reshape_target(shape, target):
    """Resolve one ``-1`` in a reshape target."""
    t = [int(v) for v in target]
    size = int(math.prod(shape))
    if t.count(-1) > 1:
        raise ValueError(f"reshape target {tuple(t)} has more than one -1")
    if -1 in t:
        rest = int(math.prod([v for v in t if v != -1]))
        if rest <= 0 or size % rest:
            raise ValueError(f"cannot reshape a tensor of shape {tuple(shape)} to {tuple(t)}")
        t[t.index(-1)] = size // rest
    if int(math.prod(t)) != size:
        raise ValueError(f"cannot reshape a tensor of shape {tuple(shape)} to {tuple(t)}")
    return tuple(t)


def _pad_indices(shape, pads):
    """Scatter indices of an input of ``shape`` into its zero padding (ONNX pads)."""
    nd = len(shape)
    pads = [int(p) for p in pads]
    if len(pads) != 2 * nd:
        raise ValueError(f"pads {pads} do not fit a tensor of shape {shape} (need {2 * nd} values)")
    if any(p < 0 for p in pads):
        raise ValueError("negative pads (cropping) are not supported")
    out = tuple(s + pads[i] + pads[nd + i] for i, s in enumerate(shape))
    grid = np.indices(shape).reshape(nd, -1)
    grid = grid + np.array(pads[:nd])[:, None]
    return np.ravel_multi_index(tuple(grid), out), out


def lower(input_shape: Sequence[int], layers: Sequence[Layer], output: int | None = None) -> Lowered:
    """Write a DAG of layers as a program of affine operations and ReLUs.

    Parameters
    ----------
    input_shape : tuple of int
        Per-sample shape of the input (layer 0 must be ``input``).
    layers : sequence of Layer
        Topologically ordered.
    output : int, optional
        The output layer (default: the last).

    Returns
    -------
    Lowered

    Raises
    ------
    ValueError
        With the offending layer's name, for shapes that do not fit or bad parameters.

    Examples
    --------
    >>> import numpy as np
    >>> L = [Layer("input", (), {}), Layer("abs", (0,), {})]
    >>> low = lower((3,), L)
    >>> low.program(np.array([[-1.0, 2.0, -3.0]])).tolist()
    [[1.0, 2.0, 3.0]]
    """
    input_shape = tuple(int(s) for s in input_shape)
    if not layers or layers[0].kind != "input":
        raise ValueError("layer 0 must be the input")
    b = _Builder(input_shape)
    reg = [0]
    groups: list[UnitGroup] = []
    for li, layer in enumerate(layers):
        if li == 0:
            continue
        for i in layer.inputs:
            if not 0 <= i < li:
                raise ValueError(f"layer {li} ('{layer.name}') reads layer {i}, which does not come before it")
        try:
            r, g = _lower_one(b, layer, li, [reg[i] for i in layer.inputs])
        except ValueError as exc:
            raise ValueError(f"layer {li} ({layer.kind} '{layer.name}'): {exc}") from None
        reg.append(r)
        if g is not None:
            groups.append(g)
    out = reg[-1 if output is None else output]
    prog = P.Program(input_shape, b.ops, out)
    off = 0
    for g in groups:
        g.offset = off
        off += g.size
        g.neuron_steps = [(prog.ops[st[0]].offset, st[1]) for st in g.steps]
    return Lowered(prog, groups, reg, [b.shapes[r] for r in reg])


def _lower_one(b: _Builder, layer: Layer, li: int, ins: list[int]) -> tuple[int, UnitGroup | None]:
    k, p = layer.kind, layer.params
    name = layer.name or f"{k}{li}"

    def group(kind, shape, n_pieces, steps):
        n = int(math.prod(shape))
        return UnitGroup(li, name, kind, tuple(shape), np.broadcast_to(np.asarray(n_pieces), (n,)).copy(), steps)

    if k == "dense":
        return b.add(P.Dense(p["W"], p.get("b"), (ins[0],))), None
    if k == "conv":
        return b.add(P.Conv(p["W"], p.get("b"), (ins[0],), strides=p.get("strides"), pads=p.get("pads"),
                            dilations=p.get("dilations"), groups=p.get("groups", 1))), None
    if k == "avgpool":
        s = b.shape(ins[0])
        kern = tuple(int(v) for v in p["kernel"])
        nd = len(kern)
        C = s[0]
        W = np.ones((C, 1) + kern)
        conv = b.add(P.Conv(W, None, (ins[0],), strides=p.get("strides"), pads=p.get("pads"),
                            groups=C))
        pads = tuple(p.get("pads") or (0,) * (2 * nd))
        if p.get("count_include_pad", False) or not any(pads):
            div = np.full((1,) * nd, float(math.prod(kern)))
        else:
            ones = b.shapes[ins[0]]
            cnt = P.Conv(np.ones((1, 1) + kern), None, (0,), strides=p.get("strides"), pads=pads)
            cnt.bind([(1,) + tuple(ones[1:])])
            div = cnt.forward(np.ones((1, 1) + tuple(ones[1:])))[0]
        return b.add(P.LinComb([1.0 / div], None, (conv,))), None
    if k == "affine":
        return b.add(P.LinComb([p.get("scale", 1.0)], p.get("shift"), (ins[0],))), None
    if k == "add":
        coefs = p.get("coefs") or [1.0] * len(ins)
        return b.add(P.LinComb(list(coefs), p.get("const"), tuple(ins))), None
    if k == "reshape":
        return b.add(P.Reshape(_reshape_target(b.shape(ins[0]), p["shape"]), (ins[0],))), None
    if k == "transpose":
        return b.add(P.Transpose(p["perm"], (ins[0],))), None
    if k == "concat":
        return b.add(P.Concat(p["axis"], tuple(ins))), None
    if k == "take":
        return b.add(P.Take(p["idx"], p["shape"], (ins[0],))), None
    if k == "pad":
        idx, out = _pad_indices(b.shape(ins[0]), p["pads"])
        return b.add(P.Scatter(idx, out, (ins[0],), fill=float(p.get("value", 0.0)))), None
    if k == "reduce_sum":
        s = b.shape(ins[0])
        axes = tuple(a % len(s) for a in p["axes"])
        r = b.add(P.ReduceSum(axes, p.get("keepdims", True), (ins[0],)))
        if p.get("mean", False):
            r = b.add(P.LinComb([1.0 / math.prod(s[a] for a in axes)], None, (r,)))
        return r, None
    if k == "const":
        return b.add(P.Const(p["value"])), None
    # ---------------------------------------------------------- units
    if k == "relu":
        r = b.add(P.Relu((ins[0],)))
        s = b.shape(r)
        return r, group("relu", s, 2, [(r - 1, np.arange(int(math.prod(s))))])
    if k == "leaky_relu":
        z = ins[0]
        a = np.asarray(p["alpha"], dtype=np.float64)
        r = b.add(P.Relu((z,)))
        s = b.shape(r)
        y = r if not np.any(a) else b.add(P.LinComb([a, 1.0 - a], None, (z, r)))
        return y, group("leaky_relu", b.shape(y), 2, [(r - 1, np.arange(int(math.prod(s))))])
    if k == "abs":
        z = ins[0]
        r = b.add(P.Relu((z,)))
        y = b.add(P.LinComb([-1.0, 2.0], None, (z, r)))
        s = b.shape(y)
        return y, group("abs", s, 2, [(r - 1, np.arange(int(math.prod(s))))])
    if k == "clip":
        z = ins[0]
        lo, hi = float(p.get("lo", -np.inf)), float(p.get("hi", np.inf))
        if math.isnan(lo) or math.isnan(hi) or lo >= hi:
            raise ValueError(f"clip needs lo < hi; got [{lo}, {hi}]")
        s = b.shape(z)
        units = np.arange(int(math.prod(s)))
        steps = []
        if math.isinf(lo) and math.isinf(hi):
            return z, None
        if math.isinf(lo):  # hi - relu(hi - z)
            d = b.add(P.LinComb([-1.0], hi, (z,)))
            r = b.add(P.Relu((d,)))
            y = b.add(P.LinComb([-1.0], hi, (r,)))
            # piece: 1 when z > hi; the neuron is active when z < hi
            return y, group("clip", s, 2, [(r - 1, units, "hi_inv")])
        d1 = z if lo == 0.0 else b.add(P.LinComb([1.0], -lo, (z,)))
        r1 = b.add(P.Relu((d1,)))
        steps.append((r1 - 1, units))
        if math.isinf(hi):
            y = r1 if lo == 0.0 else b.add(P.LinComb([1.0], lo, (r1,)))
            return y, group("clip", s, 2, steps)
        d2 = b.add(P.LinComb([1.0], -hi, (z,)))
        r2 = b.add(P.Relu((d2,)))
        steps.append((r2 - 1, units))
        y = b.add(P.LinComb([1.0, -1.0], lo if lo != 0.0 else None, (r1, r2)))
        return y, group("clip", s, 3, steps)
    if k in ("max", "min"):
        sign = 1.0 if k == "max" else -1.0
        shape = tuple(np.broadcast_shapes(*[b.shape(r) for r in ins]))
        rs = [_broadcast_to(b, r, shape) for r in ins]
        if len(rs) == 1:
            return rs[0], None
        n = int(math.prod(shape))
        m = rs[0]
        steps = []
        for j, xj in enumerate(rs[1:], start=1):
            d = b.add(P.LinComb([sign, -sign], None, (xj, m)))
            rl = b.add(P.Relu((d,)))
            steps.append((rl - 1, np.arange(n)))
            m = b.add(P.LinComb([1.0, sign], None, (m, rl)))
        return m, group(k, shape, len(rs), steps)
    if k == "maxpool":
        s = b.shape(ins[0])
        kern = tuple(int(v) for v in p["kernel"])
        table, out = _pool_geometry(s, kern, p.get("strides"), p.get("pads"), p.get("dilations"))
        r, steps = _max_chain(b, ins[0], table, out, 1.0)
        return r, group("maxpool", out, (table >= 0).sum(axis=1), steps)
    if k in ("reduce_max", "reduce_min"):
        s = b.shape(ins[0])
        table, out = _reduce_geometry(s, p["axes"], p.get("keepdims", True))
        r, steps = _max_chain(b, ins[0], table, out, 1.0 if k == "reduce_max" else -1.0)
        return r, group(k, out, table.shape[1], steps)
    raise ValueError(f"unknown layer kind {k!r}")  # pragma: no cover - checked in Layer


def decode_pieces(groups: Sequence[UnitGroup], patterns: np.ndarray) -> np.ndarray:
    """The piece of every unit ``(R, n_units)`` from neuron patterns ``(R, n_neurons)``.

    Examples
    --------
    >>> import numpy as np
    >>> L = [Layer("input", (), {}), Layer("clip", (0,), {"lo": 0.0, "hi": 1.0})]
    >>> low = lower((1,), L)
    >>> decode_pieces(low.groups, np.array([[False, False], [True, False], [True, True]])).ravel().tolist()
    [0, 1, 2]
    """
    P_ = np.asarray(patterns, dtype=bool)
    R = P_.shape[0]
    n_units = sum(g.size for g in groups)
    out = np.zeros((R, n_units), dtype=np.int32)
    for g in groups:
        blk = out[:, g.offset: g.offset + g.size]
        steps = g.neuron_steps
        if g.kind in ("max", "min", "maxpool", "reduce_max", "reduce_min"):
            for j, (off, units) in enumerate(steps, start=1):
                act = P_[:, off: off + len(units)]
                cur = blk[:, units]
                blk[:, units] = np.where(act, j, cur)
        else:
            for st, (off, units) in zip(g.steps, steps):
                act = P_[:, off: off + len(units)]
                if len(st) > 2:  # a neuron active below the threshold
                    act = ~act
                blk[:, units] += act
    return out
