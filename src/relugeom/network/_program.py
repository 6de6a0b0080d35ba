r"""The lowered form of a network: affine operators and ReLUs on registers.

Every piecewise-linear network relugeom reads is *lowered* to a :class:`Program`: a list
of operations in topological order, each reading earlier registers (register 0 is the
input) and writing one new register. All but one kind of operation are affine
(:class:`Dense`, :class:`Conv`, :class:`LinComb`, :class:`Reshape`, :class:`Transpose`,
:class:`Take`, :class:`Scatter`, :class:`Concat`, :class:`ReduceSum`, :class:`Const`);
the other is :class:`Relu`. The other piecewise-linear units are written with ReLUs:

* leaky ReLU / PReLU ``a z + (1 - a) relu(z)``; abs ``-z + 2 relu(z)``;
* clip ``lo + relu(z - lo) - relu(z - hi)``;
* a max of ``k`` values ``m ← m + relu(a_j - m)`` for ``j = 2..k`` (``k - 1`` ReLUs).

The ReLUs are the *neurons* of the network: a flat activation pattern has one entry per
neuron, numbered by *level* (the number of ReLUs on the longest path before it), so that
every neuron's pre-activation is an affine function of the input on each region of the
levels before it. The units of the source graph and their pieces are recovered from the
neuron pattern by :class:`relugeom.network.Network`.

Every affine operation provides ``forward`` (on float arrays, and on object arrays of
exact rationals), ``linear`` (without the constant), ``absolute`` (the linear part with
absolute coefficients, for magnitudes and interval arithmetic) and ``adjoint`` (the
transpose of the linear part, for backward bound propagation and gradients). Arrays carry
a leading batch axis: a register of per-sample shape ``s`` holds an array ``(n, *s)``.

Examples
--------
>>> import numpy as np
>>> p = Program((1,), [Dense(np.array([[1.0], [-1.0]]), np.zeros(2), (0,)),
...                    Relu((1,)), Dense(np.array([[1.0, 1.0]]), None, (2,))])
>>> p.n_neurons, p(np.array([[-3.0], [2.0]])).ravel().tolist()
(2, [3.0, 2.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["Op", "Dense", "Conv", "LinComb", "Reshape", "Transpose", "Take", "Scatter",
           "Concat", "ReduceSum", "Const", "Relu", "Program"]

#: bytes of intermediate arrays per chunk when a program runs on many points
CHUNK_BYTES = 64 * 2 ** 20


def _bshape(shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes))


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a batched gradient ``(n, *bshape)`` down to ``(n, *shape)`` (adjoint of broadcast)."""
    nd = g.ndim - 1
    lead = nd - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(1, 1 + lead)))
    axes = tuple(1 + i for i, s in enumerate(shape) if s == 1 and g.shape[1 + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


class Op:
    """An operation of a :class:`Program`: reads registers ``inputs``, writes one register.

    Subclasses set ``shape`` (the per-sample output shape) in ``bind``, called once with the
    input shapes when the program is built.
    """

    inputs: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()
    affine = True

    def bind(self, shapes: list[tuple[int, ...]]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, *xs: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def linear(self, *xs: np.ndarray) -> np.ndarray:
        """The linear part (no constant term); equals ``forward`` for linear operations."""
        return self.forward(*xs)

    def absolute(self, *xs: np.ndarray) -> np.ndarray:
        """The linear part with every coefficient replaced by its absolute value."""
        return self.linear(*xs)

    def adjoint(self, gy: np.ndarray) -> tuple[np.ndarray, ...]:  # pragma: no cover
        raise NotImplementedError

    def constant(self) -> np.ndarray | None:
        """The constant term (per-sample shape), or None when the operation is linear."""
        return None

    def need(self, out: np.ndarray) -> list:
        """The input entries (flat, per input) that output entries ``out`` depend on.

        ``None`` for an input means all of it. Operations that compute only some outputs
        (:meth:`compact`) let an engine evaluate a few neurons without the whole layer.
        """
        return [None] * len(self.inputs)

    def compact(self, xs: list, out: np.ndarray, absolute: bool = False) -> np.ndarray:
        """Output entries ``out`` (flat) from inputs stored compactly: ``(n, len(out))``.

        ``xs`` holds, per input, a pair ``(values (n, L), layout)``: the values of the input
        at the flat entries ``layout`` (sorted), which include all that :meth:`need` asks
        for. With ``absolute=True``, the linear part with absolute coefficients (no
        constant). The default expands the inputs to full size.
        """
        full = []
        for (v, lay), shape in zip(xs, self._in_shapes()):
            size = int(math.prod(shape))
            if len(lay) == size:
                full.append(v.reshape((v.shape[0],) + tuple(shape)))
            else:
                f = np.zeros((v.shape[0], size))
                f[:, lay] = v
                full.append(f.reshape((v.shape[0],) + tuple(shape)))
        y = self.absolute(*full) if absolute else self.forward(*full)
        return y.reshape(y.shape[0], -1)[:, out]

    def _in_shapes(self) -> list:
        return list(getattr(self, "in_shapes", None) or [getattr(self, "in_shape")])

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(inputs={self.inputs}, shape={self.shape})"


# --------------------------------------------------------------------- affine ops
class Dense(Op):
    """``y = x @ W.T + b`` along the last axis; ``W`` has shape (out, in)."""

    def __init__(self, W: np.ndarray, b: np.ndarray | None, inputs: tuple[int, ...]):
        self.W = np.asarray(W, dtype=np.float64)
        self.b = None if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
        self.inputs = tuple(inputs)
        self._absW = None

    def bind(self, shapes):
        (s,) = shapes
        if not s or s[-1] != self.W.shape[1]:
            raise ValueError(f"Dense with {self.W.shape[1]} inputs applied to a tensor of shape {s}")
        self.in_shape = tuple(s)
        self.shape = tuple(s[:-1]) + (self.W.shape[0],)

    def forward(self, x):
        y = x @ self.W.T if x.dtype != object else x @ _exact(self.W).T
        if self.b is not None:
            y = y + (self.b if x.dtype != object else _exact(self.b))
        return y

    def linear(self, x):
        return x @ self.W.T if x.dtype != object else x @ _exact(self.W).T

    def absolute(self, x):
        if self._absW is None:
            self._absW = np.abs(self.W)
        return x @ self._absW.T

    def adjoint(self, gy):
        return (gy @ self.W,)

    def constant(self):
        if self.b is None:
            return None
        return np.broadcast_to(self.b, self.shape)

    def need(self, out):
        if len(self.shape) != 1:
            return [None]
        return [None]  # every input feature

    def compact(self, xs, out, absolute=False):
        (v, lay), = xs
        if len(self.shape) != 1 or len(lay) != self.W.shape[1]:
            return Op.compact(self, xs, out, absolute)
        W = self.W[out]
        if absolute:
            return v @ np.abs(W).T
        y = v @ W.T
        return y + self.b[out] if self.b is not None else y


def _conv2d_valid(x: np.ndarray, W: np.ndarray, st, dl, groups: int) -> np.ndarray:
    """Cross-correlation without padding: ``x`` (n, C, H, W), ``W`` (O, C/g, kh, kw)."""
    n, C = x.shape[:2]
    O, Cg, kh, kw = W.shape
    og = O // groups
    OH = (x.shape[2] - ((kh - 1) * dl[0] + 1)) // st[0] + 1
    OW = (x.shape[3] - ((kw - 1) * dl[1] + 1)) // st[1] + 1
    win = np.lib.stride_tricks.sliding_window_view(x, ((kh - 1) * dl[0] + 1, (kw - 1) * dl[1] + 1), axis=(2, 3))
    win = win[:, :, ::st[0], ::st[1], ::dl[0], ::dl[1]][:, :, :OH, :OW]
    K = Cg * kh * kw
    out = np.empty((n, O, OH, OW), dtype=np.result_type(x, W))
    Wm = W.reshape(groups, og, K)
    for gi in range(groups):
        cols = win[:, gi * Cg:(gi + 1) * Cg].transpose(0, 2, 3, 1, 4, 5).reshape(n * OH * OW, K)
        res = (cols @ Wm[gi].T).reshape(n, OH * OW, og)
        out[:, gi * og:(gi + 1) * og] = res.transpose(0, 2, 1).reshape(n, og, OH, OW)
    return out


class Conv(Op):
    """A 1-D or 2-D convolution (cross-correlation, as in ONNX and PyTorch).

    ``W`` has shape ``(C_out, C_in / groups, *kernel)``; the input ``(n, C_in, *spatial)``.
    ``pads`` are ``(begin_0, …, end_0, …)`` as in ONNX.
    """

    def __init__(self, W, b, inputs, *, strides=None, pads=None, dilations=None, groups=1):
        self.W = np.asarray(W, dtype=np.float64)
        k = self.W.ndim - 2
        if k not in (1, 2):
            raise ValueError(f"only 1-D and 2-D convolutions are supported; got a {k}-D kernel")
        self.b = None if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
        self.strides = tuple(int(s) for s in (strides or (1,) * k))
        self.pads = tuple(int(p) for p in (pads or (0,) * (2 * k)))
        self.dilations = tuple(int(d) for d in (dilations or (1,) * k))
        self.groups = int(groups)
        self.inputs = tuple(inputs)
        self.k = k
        self._absW = None
        if len(self.strides) != k or min(self.strides) < 1:
            raise ValueError(f"convolution strides must be {k} positive integers; got {self.strides}")
        if len(self.dilations) != k or min(self.dilations) < 1:
            raise ValueError(f"convolution dilations must be {k} positive integers; got {self.dilations}")
        if len(self.pads) != 2 * k or min(self.pads) < 0:
            raise ValueError(f"convolution pads must be {2 * k} non-negative integers; got {self.pads}")
        if self.groups < 1:
            raise ValueError(f"convolution groups must be a positive integer; got {self.groups}")

    def bind(self, shapes):
        (s,) = shapes
        k = self.k
        if len(s) != k + 1:
            raise ValueError(f"a {k}-D convolution needs an input of shape (C, {'H, W' if k == 2 else 'L'}); got {s}")
        C = s[0]
        O, Cg = self.W.shape[:2]
        if Cg * self.groups != C or O % self.groups:
            raise ValueError(f"convolution weight {self.W.shape} with groups={self.groups} does not "
                             f"fit {C} input channels")
        out = []
        for i in range(k):
            n_in = s[1 + i] + self.pads[i] + self.pads[k + i]
            ext = (self.W.shape[2 + i] - 1) * self.dilations[i] + 1
            o = (n_in - ext) // self.strides[i] + 1
            if o < 1:
                raise ValueError(f"convolution kernel larger than its padded input ({s})")
            out.append(o)
        self.in_shape = tuple(s)
        self.shape = (O,) + tuple(out)

    # the 1-D case runs as 2-D with a height of 1
    def _as2d(self, W):
        if self.k == 2:
            return W, self.strides, self.pads, self.dilations
        return (W[:, :, None, :], (1,) + self.strides, (0, self.pads[0], 0, self.pads[1]),
                (1,) + self.dilations)

    def _conv(self, x, W):
        """Cross-correlation by im2col and one matrix product per group, chunked over the batch."""
        W2, st, pd, dl = self._as2d(W)
        x2 = x if self.k == 2 else x[:, :, None, :]
        n, C = x2.shape[:2]
        O, Cg, kh, kw = W2.shape
        g = self.groups
        og = O // g
        OH = (x2.shape[2] + pd[0] + pd[2] - ((kh - 1) * dl[0] + 1)) // st[0] + 1
        OW = (x2.shape[3] + pd[1] + pd[3] - ((kw - 1) * dl[1] + 1)) // st[1] + 1
        if any(pd):
            x2 = np.pad(x2, ((0, 0), (0, 0), (pd[0], pd[2]), (pd[1], pd[3])))
        eh, ew = (kh - 1) * dl[0] + 1, (kw - 1) * dl[1] + 1
        win = np.lib.stride_tricks.sliding_window_view(x2, (eh, ew), axis=(2, 3))
        win = win[:, :, ::st[0], ::st[1], ::dl[0], ::dl[1]][:, :, :OH, :OW]  # (n, C, OH, OW, kh, kw)
        K = Cg * kh * kw
        Wm = W2.reshape(g, og, K)
        out = np.empty((n, O, OH, OW), dtype=np.result_type(x2, W2))
        step = max(1, CHUNK_BYTES // (8 * OH * OW * K))
        for s in range(0, n, step):
            w = win[s: s + step]
            m = len(w)
            for gi in range(g):
                cols = w[:, gi * Cg:(gi + 1) * Cg].transpose(0, 2, 3, 1, 4, 5).reshape(m * OH * OW, K)
                res = (cols @ Wm[gi].T).reshape(m, OH * OW, og)
                out[s: s + m, gi * og:(gi + 1) * og] = res.transpose(0, 2, 1).reshape(m, og, OH, OW)
        return out if self.k == 2 else out[:, :, 0, :]

    def forward(self, x):
        if x.dtype == object:
            y = self._conv(x, _exact(self.W))
            if self.b is not None:
                y = y + _exact(self.b).reshape((-1,) + (1,) * self.k)
            return y
        y = self._conv(x, self.W)
        if self.b is not None:
            y += self.b.reshape((-1,) + (1,) * self.k)
        return y

    def linear(self, x):
        return self._conv(x, _exact(self.W) if x.dtype == object else self.W)

    def absolute(self, x):
        if self._absW is None:
            self._absW = np.abs(self.W)
        return self._conv(x, self._absW)

    def adjoint(self, gy):
        W2, st, pd, dl = self._as2d(self.W)
        gy2 = gy if self.k == 2 else gy[:, :, None, :]
        s = self.in_shape if self.k == 2 else (self.in_shape[0], 1, self.in_shape[1])
        n = gy.shape[0]
        O, Cg, kh, kw = W2.shape
        g = self.groups
        og = O // g
        OH, OW = gy2.shape[2:]
        Hp, Wp = s[1] + pd[0] + pd[2], s[2] + pd[1] + pd[3]
        gx = np.zeros((n, s[0], Hp, Wp), dtype=np.result_type(gy, W2))
        gt = np.ascontiguousarray(gy2.transpose(0, 2, 3, 1))  # (n, OH, OW, O)
        for gi in range(g):
            cols = gt[..., gi * og:(gi + 1) * og] @ W2[gi * og:(gi + 1) * og].reshape(og, -1)
            cols = cols.reshape(n, OH, OW, Cg, kh, kw)
            for i in range(kh):
                for j in range(kw):
                    gx[:, gi * Cg:(gi + 1) * Cg,
                       i * dl[0]: i * dl[0] + st[0] * (OH - 1) + 1: st[0],
                       j * dl[1]: j * dl[1] + st[1] * (OW - 1) + 1: st[1]] += cols[..., i, j].transpose(0, 3, 1, 2)
        gx = gx[:, :, pd[0]: Hp - pd[2], pd[1]: Wp - pd[3]]
        return (gx if self.k == 2 else gx[:, :, 0, :],)

    def constant(self):
        if self.b is None:
            return None
        return np.broadcast_to(self.b.reshape((-1,) + (1,) * self.k), self.shape)

    def _geometry2d(self):
        W2, st, pd, dl = self._as2d(self.W)
        s = self.in_shape if self.k == 2 else (self.in_shape[0], 1, self.in_shape[1])
        O = self.shape[0]
        OH, OW = (self.shape[1], self.shape[2]) if self.k == 2 else (1, self.shape[1])
        return W2, st, pd, dl, s, O, OH, OW

    def _window_index(self, pos: np.ndarray):
        """Flat input index (C_in, kh, kw) of every window position ``pos`` (-1 = padding)."""
        W2, st, pd, dl, s, O, OH, OW = self._geometry2d()
        C, H, Wd = s
        _, Cg, kh, kw = W2.shape
        i, j = np.divmod(pos, OW)
        r = i[:, None] * st[0] - pd[0] + np.arange(kh)[None, :] * dl[0]    # (P, kh)
        c = j[:, None] * st[1] - pd[1] + np.arange(kw)[None, :] * dl[1]    # (P, kw)
        ok = (r >= 0)[:, :, None] & (r < H)[:, :, None] & (c >= 0)[:, None, :] & (c < Wd)[:, None, :]
        sp = np.where(ok, r[:, :, None] * Wd + c[:, None, :], -1)          # (P, kh, kw)
        ch = np.arange(C)[None, :, None, None] * (H * Wd)
        return np.where(sp[:, None] >= 0, sp[:, None] + ch, -1)            # (P, C, kh, kw)

    def _positions(self, out):
        plane = self.shape[1] * (self.shape[2] if self.k == 2 else 1) if self.k == 2 else self.shape[1]
        return np.unique(np.asarray(out) % plane)

    def need(self, out):
        idx = self._window_index(self._positions(out)).ravel()
        return [np.unique(idx[idx >= 0])]

    def compact(self, xs, out, absolute=False):
        (v, lay), = xs
        out = np.asarray(out)
        W2, st, pd, dl, s, O, OH, OW = self._geometry2d()
        C, H, Wd = s
        kh, kw = W2.shape[2:]
        n = v.shape[0]
        plane = OH * OW
        o, p = np.divmod(out, plane)
        rows = p // OW
        i0, i1 = int(rows.min()), int(rows.max()) + 1        # output rows needed
        # the padded input rows those output rows read
        r0, r1 = i0 * st[0], (i1 - 1) * st[0] + (kh - 1) * dl[0] + 1
        Hp, Wp = H + pd[0] + pd[2], Wd + pd[1] + pd[3]
        Wuse = np.abs(W2) if absolute else W2
        res = np.empty((n, len(out)))
        # where each stored input entry goes in the cropped, padded input (rows r0..r1)
        lay = np.asarray(lay)
        c_, rem = np.divmod(lay, H * Wd)
        ri, ci = np.divmod(rem, Wd)
        rp = ri + pd[0] - r0
        inside = (rp >= 0) & (rp < r1 - r0)
        src = np.flatnonzero(inside)
        dest = (c_[inside] * (r1 - r0) + rp[inside]) * Wp + ci[inside] + pd[1]
        per = 8 * (C * (r1 - r0) * Wp + (i1 - i0) * OW * (C // self.groups * kh * kw + O))
        step = max(1, CHUNK_BYTES // max(per, 1))
        pos = o * ((i1 - i0) * OW) + (p - i0 * OW)
        for s0 in range(0, n, step):
            vb = v[s0: s0 + step]
            m = len(vb)
            xp = np.zeros((m, C * (r1 - r0) * Wp))
            xp[:, dest] = vb[:, src]
            y = _conv2d_valid(xp.reshape(m, C, r1 - r0, Wp), Wuse, st, dl, self.groups)
            res[s0: s0 + m] = y.reshape(m, -1)[:, pos]
        if self.b is not None and not absolute:
            res += self.b[o]
        return res


class LinComb(Op):
    """``y = Σ_i c_i ⊙ x_i + const`` with numpy broadcasting (per-sample shapes).

    Covers sums and differences of tensors (residual connections), scaling, folded batch
    normalisation and input normalisation.
    """

    def __init__(self, coefs: Sequence[object], const: object, inputs: tuple[int, ...]):
        self.coefs = [np.asarray(c, dtype=np.float64) for c in coefs]
        self.const = None if const is None else np.asarray(const, dtype=np.float64)
        self.inputs = tuple(inputs)
        if len(self.coefs) != len(self.inputs):
            raise ValueError("LinComb needs one coefficient per input")

    def bind(self, shapes):
        self.in_shapes = [tuple(s) for s in shapes]
        parts = list(shapes) + [c.shape for c in self.coefs]
        if self.const is not None:
            parts.append(self.const.shape)
        self.shape = _bshape(parts)

    def _combine(self, xs, coefs):
        y = None
        r = len(self.shape)
        for x, c in zip(xs, coefs):
            if x.ndim - 1 < r:  # align per-sample axes (the batch axis stays in front)
                x = x.reshape((x.shape[0],) + (1,) * (r - x.ndim + 1) + x.shape[1:])
            t = x if (isinstance(c, np.ndarray) and c.ndim == 0 and float(c) == 1.0) else x * c
            y = t if y is None else y + t
        if y.shape[1:] != self.shape:
            y = np.broadcast_to(y, (y.shape[0],) + self.shape)
        if y is xs[0] or not y.flags.writeable:  # always a fresh array (callers add to it)
            y = y.copy()
        return y

    def forward(self, *xs):
        if xs[0].dtype == object:
            y = self._combine(xs, [_exact(c) for c in self.coefs])
            return y if self.const is None else y + _exact(self.const)
        y = self._combine(xs, self.coefs)
        return y if self.const is None else y + self.const

    def linear(self, *xs):
        if xs[0].dtype == object:
            return self._combine(xs, [_exact(c) for c in self.coefs])
        return self._combine(xs, self.coefs)

    def absolute(self, *xs):
        return self._combine(xs, [np.abs(c) for c in self.coefs])

    def adjoint(self, gy):
        return tuple(_unbroadcast(gy * c, s) for c, s in zip(self.coefs, self.in_shapes))

    def _sources(self, out):
        """Per input, the flat entry each output entry ``out`` reads (broadcasting)."""
        coords = np.unravel_index(np.asarray(out), self.shape)
        r = len(self.shape)
        res = []
        for s in self.in_shapes:
            s2 = (1,) * (r - len(s)) + tuple(s)
            cs = [np.zeros_like(c) if d == 1 else c for c, d in zip(coords, s2)]
            res.append(np.ravel_multi_index(tuple(cs), s2) if s else np.zeros(len(out), np.int64))
        return res

    def need(self, out):
        return [np.unique(src) for src in self._sources(out)]

    def compact(self, xs, out, absolute=False):
        out = np.asarray(out)
        y = np.zeros((xs[0][0].shape[0], len(out)))
        for (v, lay), src, c in zip(xs, self._sources(out), self.coefs):
            cc = np.broadcast_to(np.abs(c) if absolute else c, self.shape).reshape(-1)[out]
            y += v[:, np.searchsorted(lay, src)] * cc
        if self.const is not None and not absolute:
            y += np.broadcast_to(self.const, self.shape).reshape(-1)[out]
        return y

    def constant(self):
        if self.const is None:
            return None
        return np.broadcast_to(self.const, self.shape)


class Reshape(Op):
    """Reshape (per-sample; element order kept)."""

    def __init__(self, shape: Sequence[int], inputs: tuple[int, ...]):
        self.target = tuple(int(s) for s in shape)
        self.inputs = tuple(inputs)

    def bind(self, shapes):
        (s,) = shapes
        if math.prod(s) != math.prod(self.target):
            raise ValueError(f"cannot reshape {s} to {self.target}")
        self.in_shape, self.shape = tuple(s), self.target

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.shape)

    def adjoint(self, gy):
        return (gy.reshape((gy.shape[0],) + self.in_shape),)

    def need(self, out):
        return [np.asarray(out)]

    def compact(self, xs, out, absolute=False):
        (v, lay), = xs
        if len(out) == len(lay):  # out ⊆ lay: the same entries
            return v
        return v[:, np.searchsorted(lay, np.asarray(out))]


class Transpose(Op):
    """Permute the per-sample axes."""

    def __init__(self, perm: Sequence[int], inputs: tuple[int, ...]):
        self.perm = tuple(int(p) for p in perm)
        self.inputs = tuple(inputs)

    def bind(self, shapes):
        (s,) = shapes
        if sorted(self.perm) != list(range(len(s))):
            raise ValueError(f"permutation {self.perm} does not fit a tensor of shape {s}")
        self.in_shape = tuple(s)
        self.shape = tuple(s[p] for p in self.perm)

    def forward(self, x):
        return np.transpose(x, (0,) + tuple(p + 1 for p in self.perm))

    def adjoint(self, gy):
        inv = np.argsort(self.perm)
        return (np.transpose(gy, (0,) + tuple(int(p) + 1 for p in inv)),)

    def _sources(self, out):
        """The input flat entry of each output entry."""
        src = np.arange(int(math.prod(self.in_shape))).reshape(self.in_shape)
        return np.transpose(src, self.perm).reshape(-1)[np.asarray(out)]

    def need(self, out):
        return [np.unique(self._sources(out))]

    def compact(self, xs, out, absolute=False):
        (v, lay), = xs
        return v[:, np.searchsorted(lay, self._sources(out))]


class Take(Op):
    """``y.flat = x.flat[idx]``: any selection of entries (slices, gathers, windows)."""

    def __init__(self, idx: np.ndarray, shape: Sequence[int], inputs: tuple[int, ...]):
        self.idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        self.target = tuple(int(s) for s in shape)
        self.inputs = tuple(inputs)
        self.unique = not len(self.idx) or int(np.bincount(self.idx).max()) <= 1 if self.idx.min(initial=0) >= 0 else False

    def bind(self, shapes):
        (s,) = shapes
        n = math.prod(s)
        if len(self.idx) != math.prod(self.target):
            raise ValueError(f"Take of {len(self.idx)} entries cannot have shape {self.target}")
        if len(self.idx) and (self.idx.min() < 0 or self.idx.max() >= n):
            raise ValueError(f"Take index out of range for a tensor of {n} entries")
        self.in_shape, self.shape = tuple(s), self.target

    def forward(self, x):
        n = x.shape[0]
        return x.reshape(n, -1)[:, self.idx].reshape((n,) + self.shape)

    def need(self, out):
        return [np.unique(self.idx[np.asarray(out)])]

    def compact(self, xs, out, absolute=False):
        (v, lay), = xs
        return v[:, np.searchsorted(lay, self.idx[np.asarray(out)])]

    def adjoint(self, gy):
        n = gy.shape[0]
        g = np.zeros((n, math.prod(self.in_shape)), dtype=gy.dtype)
        flat = gy.reshape(n, -1)
        if self.unique:
            g[:, self.idx] = flat
        else:
            np.add.at(g, (slice(None), self.idx), flat)
        return (g.reshape((n,) + self.in_shape),)


class Scatter(Op):
    """``y = fill`` everywhere but ``y.flat[idx] = x.flat`` (``idx`` distinct): padding."""

    def __init__(self, idx: np.ndarray, shape: Sequence[int], inputs: tuple[int, ...],
                 fill: float = 0.0):
        self.idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        self.target = tuple(int(s) for s in shape)
        self.inputs = tuple(inputs)
        self.fill = float(fill)

    def bind(self, shapes):
        (s,) = shapes
        if math.prod(s) != len(self.idx):
            raise ValueError("Scatter needs one index per input entry")
        self.in_shape, self.shape = tuple(s), self.target

    def _put(self, x, fill):
        n = x.shape[0]
        y = np.full((n, math.prod(self.shape)), fill, dtype=x.dtype)
        y[:, self.idx] = x.reshape(n, -1)
        return y.reshape((n,) + self.shape)

    def forward(self, x):
        return self._put(x, self.fill if x.dtype != object else _exact(np.float64(self.fill)))

    def linear(self, x):
        return self._put(x, 0)

    def adjoint(self, gy):
        n = gy.shape[0]
        return (gy.reshape(n, -1)[:, self.idx].reshape((n,) + self.in_shape),)

    def constant(self):
        if self.fill == 0.0:
            return None
        c = np.full(math.prod(self.shape), self.fill)
        c[self.idx] = 0.0
        return c.reshape(self.shape)


class Concat(Op):
    """Concatenate along a per-sample axis."""

    def __init__(self, axis: int, inputs: tuple[int, ...]):
        self.axis = int(axis)
        self.inputs = tuple(inputs)

    def bind(self, shapes):
        a = self.axis
        base = list(shapes[0])
        if not 0 <= a < len(base):
            raise ValueError(f"Concat axis {a} out of range for shape {shapes[0]}")
        for s in shapes[1:]:
            if len(s) != len(base) or any(x != y for i, (x, y) in enumerate(zip(s, base)) if i != a):
                raise ValueError(f"Concat along axis {a} of shapes {shapes}")
        self.sizes = [s[a] for s in shapes]
        self.in_shapes = [tuple(s) for s in shapes]
        base[a] = sum(self.sizes)
        self.shape = tuple(base)

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis + 1)

    def adjoint(self, gy):
        cuts = np.cumsum(self.sizes)[:-1]
        return tuple(np.split(gy, cuts, axis=self.axis + 1))


class ReduceSum(Op):
    """Sum over per-sample axes (``keepdims`` as in ONNX)."""

    def __init__(self, axes: Sequence[int], keepdims: bool, inputs: tuple[int, ...]):
        self.axes = tuple(int(a) for a in axes)
        self.keepdims = bool(keepdims)
        self.inputs = tuple(inputs)

    def bind(self, shapes):
        (s,) = shapes
        self.in_shape = tuple(s)
        self.shape = tuple((1 if i in self.axes else d) for i, d in enumerate(s) if self.keepdims or i not in self.axes)

    def forward(self, x):
        return x.sum(axis=tuple(a + 1 for a in self.axes), keepdims=self.keepdims)

    def adjoint(self, gy):
        n = gy.shape[0]
        keep = tuple(1 if i in self.axes else d for i, d in enumerate(self.in_shape))
        return (np.broadcast_to(gy.reshape((n,) + keep), (n,) + self.in_shape).copy(),)


class Const(Op):
    """A constant tensor (does not depend on the input)."""

    def __init__(self, value: np.ndarray):
        self.value = np.asarray(value, dtype=np.float64)
        self.inputs = ()

    def bind(self, shapes):
        self.shape = self.value.shape

    def forward(self, *xs, n: int = 1):
        return self.value

    def linear(self, *xs):
        return np.zeros(self.shape)

    def absolute(self, *xs):
        return np.zeros(self.shape)

    def adjoint(self, gy):
        return ()

    def constant(self):
        return self.value


class Relu(Op):
    """``y = max(z, 0)``: the only non-affine operation. Its entries are neurons."""

    affine = False

    def __init__(self, inputs: tuple[int, ...]):
        self.inputs = tuple(inputs)
        self.offset = 0  # index of its first neuron, set by the Program
        self.level = 0

    def bind(self, shapes):
        (s,) = shapes
        self.shape = tuple(s)

    def forward(self, z):
        if z.dtype == object:
            return np.where(z > 0, z, 0)
        return np.maximum(z, 0.0)

    def adjoint(self, gy):  # pragma: no cover - the program applies the pattern itself
        raise TypeError("a ReLU has no adjoint; fix its pattern first")


# ------------------------------------------------------------------- exact values
def _fmpq(v: float):
    from flint import fmpq

    p, q = float(v).as_integer_ratio()
    return fmpq(p, q)


_TO_Q = np.frompyfunc(_fmpq, 1, 1)


def _exact(a: np.ndarray) -> np.ndarray:
    """A float array as an object array of exact rationals (python-flint ``fmpq``)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return np.asarray(_fmpq(float(a)), dtype=object)
    return _TO_Q(a)


def to_exact(a: object) -> np.ndarray:
    """Floats (or rationals) as an object array of ``fmpq``.

    Examples
    --------
    >>> to_exact([0.5, 0.25]).tolist()
    [1/2, 1/4]
    """
    arr = np.asarray(a)
    if arr.dtype == object:
        from flint import fmpq

        conv = np.frompyfunc(lambda v: v if isinstance(v, fmpq) else (
            fmpq(v.numerator, v.denominator) if hasattr(v, "numerator") else _fmpq(v)), 1, 1)
        return conv(arr) if arr.ndim else conv(arr[()])
    return _exact(arr)


# ------------------------------------------------------------------------ program
@dataclass
class Program:
    """A lowered network: operations on registers; register 0 is the input.

    Parameters
    ----------
    input_shape : tuple of int
        Per-sample shape of the input.
    ops : list of Op
        In topological order; operation ``i`` writes register ``i + 1``.
    output : int, optional
        The output register (default: the last).

    Attributes
    ----------
    relus : list of int
        Indices (in ``ops``) of the ReLU operations, ordered by level.
    n_neurons : int
    levels : list of (start, stop)
        Neuron ranges of the levels.
    """

    input_shape: tuple[int, ...]
    ops: list[Op]
    output: int | None = None
    shapes: list[tuple[int, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(s) for s in self.input_shape)
        if self.output is None:
            self.output = len(self.ops)
        shapes = [self.input_shape]
        depth = [0]  # ReLUs on the longest path to each register
        for i, op in enumerate(self.ops):
            for r in op.inputs:
                if not 0 <= r <= i:
                    raise ValueError(f"operation {i} ({type(op).__name__}) reads register {r}, "
                                     "which is not written before it")
            op.bind([shapes[r] for r in op.inputs])
            shapes.append(tuple(op.shape))
            dep = max((depth[r] for r in op.inputs), default=0)
            if isinstance(op, Relu):
                op.level = dep
                dep += 1
            depth.append(dep)
        self.shapes = shapes
        self.depth = depth
        relus = [i for i, op in enumerate(self.ops) if isinstance(op, Relu)]
        relus.sort(key=lambda i: (self.ops[i].level, i))
        off = 0
        n_levels = 1 + max((self.ops[i].level for i in relus), default=-1)
        starts = [None] * n_levels
        for i in relus:
            op = self.ops[i]
            if starts[op.level] is None:
                starts[op.level] = off
            op.offset = off
            off += op.size
        self.relus = relus
        self.n_neurons = off
        bounds = [s for s in starts] + [off]
        self.levels = [(bounds[l], bounds[l + 1]) for l in range(n_levels)]
        self.level_relus = [[i for i in relus if self.ops[i].level == l] for l in range(n_levels)]
        # registers still needed after each op (for memory) and the users of each register
        last_use = [0] * (len(self.ops) + 1)
        for i, op in enumerate(self.ops):
            for r in op.inputs:
                last_use[r] = i
        last_use[self.output] = len(self.ops)
        self.last_use = last_use

    # ------------------------------------------------------------------ sizes
    @property
    def input_size(self) -> int:
        return int(math.prod(self.input_shape))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shapes[self.output]

    @property
    def output_size(self) -> int:
        return int(math.prod(self.output_shape))

    def _rows_per_chunk(self) -> int:
        per = 8 * sum(math.prod(s) for s in self.shapes)
        return max(1, CHUNK_BYTES // max(per, 1))

    def op_matrix(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Dense ``(M, c)`` of affine operation ``i``: output ``= M @ concat(flat inputs) + c``.

        For small networks (the tropical form, exports); the matrix has one column per
        entry of every input register.

        Examples
        --------
        >>> p = Program((2,), [LinComb([2.0, -1.0], 1.0, (0, 0))])
        >>> M, c = p.op_matrix(0); M.tolist(), c.tolist()      # 2 x - x + 1, x read twice
        ([[2.0, 0.0, -1.0, 0.0], [0.0, 2.0, 0.0, -1.0]], [1.0, 1.0])
        """
        op = self.ops[i]
        if isinstance(op, Relu):
            raise TypeError("a ReLU is not affine")
        out = int(math.prod(op.shape))
        sizes = [int(math.prod(self.shapes[r])) for r in op.inputs]
        M = np.zeros((out, sum(sizes)))
        col = 0
        for k, (r, sz) in enumerate(zip(op.inputs, sizes)):
            args = [np.zeros((sz,) + self.shapes[q]) for q in op.inputs]
            args[k] = np.eye(sz).reshape((sz,) + self.shapes[r])
            M[:, col: col + sz] = op.linear(*args).reshape(sz, out).T
            col += sz
        c = op.constant()
        c = np.zeros(out) if c is None else np.broadcast_to(c, op.shape).reshape(-1).astype(float)
        return M, c

    def affine_columns(self, seeds: dict, ops=None) -> list:
        """Affine maps of registers, as columns: ``d`` direction rows and one offset row.

        ``seeds`` maps registers to arrays ``(d + 1, *shape)`` (the last row is the constant
        part). Every affine operation in ``ops`` (default: all) whose inputs are known is
        applied: the linear part to all rows and the constant to the last. ReLUs and
        operations reading unknown registers are skipped. Returns the list of registers
        (None where unknown).

        Examples
        --------
        >>> p = Program((2,), [LinComb([2.0], 1.0, (0,))])
        >>> cols = np.vstack([np.eye(2), np.zeros((1, 2))])
        >>> p.affine_columns({0: cols})[1].tolist()      # 2 x + 1
        [[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]
        """
        regs: list = [None] * (len(self.ops) + 1)
        B = None
        for r, v in seeds.items():
            regs[r] = v
            B = len(v)
        for i in (range(len(self.ops)) if ops is None else ops):
            op = self.ops[i]
            if isinstance(op, Relu) or any(regs[r] is None for r in op.inputs):
                continue
            if isinstance(op, Const):
                y = np.zeros((B,) + op.shape)
                y[-1] = op.value
            else:
                y = op.linear(*[regs[r] for r in op.inputs])
                c = op.constant()
                if c is not None:
                    y = np.array(y, copy=True)
                    y[-1] = y[-1] + c
            regs[i + 1] = y
        return regs

    # ------------------------------------------------------------- evaluation
    def run(self, x: np.ndarray, *, pre: bool = False, stop: int | None = None) -> dict:
        """Run on a batch; returns {"out": flat outputs, "pre": flat pre-activations}.

        ``x`` is ``(n, input_size)``. With ``pre=True`` the ReLU inputs are collected into an
        ``(n, n_neurons)`` array (neuron order). ``stop`` ends the run before operation
        ``stop`` (then no output is returned).
        """
        n = x.shape[0]
        regs: list = [None] * (len(self.ops) + 1)
        regs[0] = x.reshape((n,) + self.input_shape)
        P = np.empty((n, self.n_neurons), dtype=x.dtype) if pre else None
        end = len(self.ops) if stop is None else stop
        for i in range(end):
            op = self.ops[i]
            args = [regs[r] for r in op.inputs]
            if isinstance(op, Const):
                y = np.broadcast_to(op.value if x.dtype != object else _exact(op.value), (n,) + op.shape)
            else:
                y = op.forward(*args)
            if pre and isinstance(op, Relu):
                P[:, op.offset: op.offset + op.size] = args[0].reshape(n, -1)
            regs[i + 1] = y
            for r in op.inputs:
                if self.last_use[r] == i and r != self.output:
                    regs[r] = None
        out = None if stop is not None else regs[self.output].reshape(n, -1)
        return {"out": out, "pre": P}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Outputs ``(n, output_size)`` of inputs ``(n, input_size)`` (chunked)."""
        x = np.asarray(x)
        n = x.shape[0]
        step = self._rows_per_chunk()
        if n <= step:
            return self.run(x)["out"]
        return np.concatenate([self.run(x[s: s + step])["out"] for s in range(0, n, step)])

    def preactivations(self, x: np.ndarray) -> np.ndarray:
        """All neurons' pre-activations ``(n, n_neurons)`` (chunked)."""
        x = np.asarray(x)
        n = x.shape[0]
        step = self._rows_per_chunk()
        if n <= step:
            return self.run(x, pre=True)["pre"]
        return np.concatenate([self.run(x[s: s + step], pre=True)["pre"]
                               for s in range(0, n, step)])

    def _demand(self, neurons: np.ndarray) -> tuple[int, list]:
        """Entries of every register the given neurons' pre-activations depend on.

        Returns the number of operations to run and, per register, None (not needed), an
        array of flat entries, or ``"all"``.
        """
        neurons = np.asarray(neurons, dtype=np.int64)
        dem: list = [None] * (len(self.ops) + 1)
        stop = 0
        for i in self.relus:
            op = self.ops[i]
            sel = np.unique(neurons[(neurons >= op.offset) & (neurons < op.offset + op.size)] - op.offset)
            if len(sel):
                stop = max(stop, i + 1)
                r = op.inputs[0]
                dem[r] = sel if dem[r] is None else ("all" if isinstance(dem[r], str) else np.union1d(dem[r], sel))
        for i in range(stop - 1, -1, -1):
            op = self.ops[i]
            d = dem[i + 1]
            if d is None or isinstance(op, Const):
                continue
            parts = [None] * len(op.inputs) if isinstance(d, str) else (
                [d] if isinstance(op, Relu) else op.need(d))
            for r, e in zip(op.inputs, parts):
                if e is None:
                    dem[r] = "all"
                elif dem[r] is None:
                    dem[r] = e
                elif not isinstance(dem[r], str):
                    dem[r] = np.union1d(dem[r], e)
        return stop, dem

    def values_and_scales(self, x: np.ndarray, neurons: slice | np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activations and their magnitudes ``|W| |h| + |b|`` at points (chunked).

        ``neurons`` is a slice or an index array (default: all); columns come in that order.
        Only the entries those neurons depend on are computed and stored (every register is
        kept compactly, at the entries asked of it), so a block of a wide convolutional
        level costs about its share of the layer.

        The magnitude of a register is carried through affine operations with absolute
        coefficients and restarts at each ReLU from the absolute value of its output, as in
        the dense formula ``|W_l| |h_{l-1}| + |b_l|``.
        """
        x = np.asarray(x, dtype=np.float64)
        n = x.shape[0]
        if neurons is None:
            idx = np.arange(self.n_neurons)
        elif isinstance(neurons, slice):
            idx = np.arange(*neurons.indices(self.n_neurons))
        else:
            idx = np.asarray(neurons, dtype=np.int64)
        stop, dem = self._demand(idx)
        if stop == 0:
            return np.zeros((n, 0)), np.zeros((n, 0))
        if all(d is None or isinstance(d, str) or len(d) == int(math.prod(self.shapes[r]))
               for r, d in enumerate(dem) if r <= stop):
            return self._values_and_scales_full(x, idx, stop)
        sizes = [int(math.prod(sh)) for sh in self.shapes]
        lays = [None if d is None else (np.arange(sizes[r]) if isinstance(d, str) else np.asarray(d))
                for r, d in enumerate(dem)]
        per = 8 * 2 * sum(len(l_) for l_ in lays if l_ is not None)
        step = max(1, CHUNK_BYTES // max(per, 1))
        V = np.empty((n, len(idx)))
        S = np.empty((n, len(idx)))
        for s in range(0, n, step):
            xb = x[s: s + step]
            m = len(xb)
            regs: list = [None] * (len(self.ops) + 1)
            mags: list = [None] * (len(self.ops) + 1)
            lay0 = lays[0] if lays[0] is not None else np.arange(sizes[0])
            regs[0] = (xb.reshape(m, -1)[:, lay0], lay0)
            mags[0] = (np.abs(regs[0][0]), lay0)
            for i in range(stop):
                op = self.ops[i]
                if isinstance(op, Relu):
                    zin = regs[op.inputs[0]]
                    if zin is None:
                        continue
                    z, lay = zin
                    sel = (idx >= op.offset) & (idx < op.offset + op.size)
                    if np.any(sel):
                        at = np.searchsorted(lay, idx[sel] - op.offset)
                        V[s: s + m, sel] = z[:, at]
                        S[s: s + m, sel] = mags[op.inputs[0]][0][:, at]
                    if lays[i + 1] is not None:
                        y = np.maximum(z, 0.0)
                        regs[i + 1], mags[i + 1] = (y, lay), (y, lay)
                    continue
                out = lays[i + 1]
                if out is None:
                    continue
                if isinstance(op, Const):
                    val = op.value.reshape(-1)[out]
                    regs[i + 1] = (np.broadcast_to(val, (m, len(out))), out)
                    mags[i + 1] = (np.broadcast_to(np.abs(val), (m, len(out))), out)
                else:
                    regs[i + 1] = (op.compact([regs[r] for r in op.inputs], out), out)
                    mg = op.compact([mags[r] for r in op.inputs], out, absolute=True)
                    c = op.constant()
                    if c is not None:
                        mg = mg + np.abs(np.broadcast_to(c, op.shape).reshape(-1)[out])
                    mags[i + 1] = (mg, out)
                for r in op.inputs:
                    if self.last_use[r] == i and r != self.output:
                        regs[r] = mags[r] = None
            del regs, mags
        return V, S

    def _values_and_scales_full(self, x: np.ndarray, idx: np.ndarray, stop: int):
        """:meth:`values_and_scales` by whole operations (when every entry is needed)."""
        n = x.shape[0]
        V = np.empty((n, len(idx)))
        S = np.empty((n, len(idx)))
        col = np.full(self.n_neurons, -1, dtype=np.int64)
        col[idx] = np.arange(len(idx))
        step = max(1, self._rows_per_chunk() // 2)
        for s in range(0, n, step):
            xb = x[s: s + step]
            m = len(xb)
            regs: list = [None] * (len(self.ops) + 1)
            mags: list = [None] * (len(self.ops) + 1)
            regs[0] = xb.reshape((m,) + self.input_shape)
            mags[0] = np.abs(regs[0])
            for i in range(stop):
                op = self.ops[i]
                args = [regs[r] for r in op.inputs]
                if isinstance(op, Relu):
                    z = args[0]
                    cols = col[op.offset: op.offset + op.size]
                    sel = cols >= 0
                    if np.any(sel):
                        V[s: s + m, cols[sel]] = z.reshape(m, -1)[:, sel]
                        S[s: s + m, cols[sel]] = mags[op.inputs[0]].reshape(m, -1)[:, sel]
                    y = np.maximum(z, 0.0)
                    regs[i + 1], mags[i + 1] = y, y
                elif isinstance(op, Const):
                    regs[i + 1] = np.broadcast_to(op.value, (m,) + op.shape)
                    mags[i + 1] = np.broadcast_to(np.abs(op.value), (m,) + op.shape)
                else:
                    regs[i + 1] = op.forward(*args)
                    mg = op.absolute(*[mags[r] for r in op.inputs])
                    c = op.constant()
                    mags[i + 1] = mg + np.abs(c) if c is not None else mg
                for r in op.inputs:
                    if self.last_use[r] == i and r != self.output:
                        regs[r] = mags[r] = None
        return V, S

    # --------------------------------------------------------------- patterns
    def masked(self, cols: np.ndarray, offset_rows: np.ndarray, masks: np.ndarray, *,
               pre: bool = False, out: bool = True) -> dict:
        """Propagate affine maps through the program with fixed patterns.

        ``cols`` is ``(B, input_size)``: a batch of input vectors, of which the rows marked by
        ``offset_rows`` (bool ``(B,)``) are *points* (the constant terms are added) and the
        others *directions* (linear parts only). ``masks`` ``(B, n_neurons)`` gives the ReLU
        pattern used for each row. Returns the outputs and, with ``pre=True``, the ReLU
        inputs ``(B, n_neurons)``.
        """
        B = cols.shape[0]
        regs: list = [None] * (len(self.ops) + 1)
        regs[0] = cols.reshape((B,) + self.input_shape)
        P = np.empty((B, self.n_neurons), dtype=cols.dtype) if pre else None
        offs = np.asarray(offset_rows, dtype=bool)
        exact = cols.dtype == object
        for i, op in enumerate(self.ops):
            args = [regs[r] for r in op.inputs]
            if isinstance(op, Relu):
                z = args[0]
                if pre:
                    P[:, op.offset: op.offset + op.size] = z.reshape(B, -1)
                m = masks[:, op.offset: op.offset + op.size].reshape((B,) + op.shape)
                y = np.where(m, z, 0) if exact else z * m
            elif isinstance(op, Const):
                y = np.zeros((B,) + op.shape, dtype=cols.dtype)
                y[offs] = op.value if not exact else _exact(op.value)
            else:
                y = op.linear(*args)
                c = op.constant()
                if c is not None and offs.any():
                    y = np.array(y, copy=True) if not y.flags.writeable else y
                    y[offs] = y[offs] + (c if not exact else _exact(c))
            regs[i + 1] = y
            for r in op.inputs:
                if self.last_use[r] == i and r != self.output:
                    regs[r] = None
        res = {"pre": P}
        if out:
            res["out"] = regs[self.output].reshape(B, -1)
        return res

    def backward(self, g_out: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """``g_out @ J``: the transpose of the linear part on fixed patterns.

        ``g_out`` is ``(B, output_size)`` and ``masks`` ``(B, n_neurons)``; returns
        ``(B, input_size)``. (Gradients of outputs on a region, for attacks and bounds.)
        """
        B = g_out.shape[0]
        grads: list = [None] * (len(self.ops) + 1)
        grads[self.output] = g_out.reshape((B,) + self.shapes[self.output])
        for i in range(len(self.ops) - 1, -1, -1):
            g = grads[i + 1]
            if g is None:
                continue
            grads[i + 1] = None
            op = self.ops[i]
            if isinstance(op, Relu):
                m = masks[:, op.offset: op.offset + op.size].reshape((B,) + op.shape)
                parts = (g * m,)
            elif isinstance(op, Const):
                continue
            else:
                parts = op.adjoint(g)
            for r, gr in zip(op.inputs, parts):
                grads[r] = gr if grads[r] is None else grads[r] + gr
        g0 = grads[0]
        if g0 is None:
            return np.zeros((B, self.input_size))
        return g0.reshape(B, -1)
