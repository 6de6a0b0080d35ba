r"""The :class:`Network` class: any feed-forward piecewise-linear network, as a DAG of layers.

A network is a list of :class:`~relugeom.network._layers.Layer` nodes in topological
order (convolutions, pooling, residual additions, reshapes, ReLU, leaky ReLU, max-pool,
clip, …). It is lowered once to a program of affine operations and ReLUs
(:mod:`relugeom.network._program`); everything an engine needs is computed on that
program, batched:

* outputs, pre-activations and activation patterns of all neurons, pieces of all units;
* the affine map of the network and of every neuron on a pattern, for one pattern or many
  (structured: a convolution runs as a convolution on the ``d + 1`` columns of the map);
* the pattern just beyond a point along a direction (ties decided by the derivative);
* exact rational evaluation and exact pre-activation maps (python-flint ``fmpq``);
* interval and linear (CROWN) bounds over boxes;
* restriction to an affine slice (folded into the first affine block) and composition
  with affine maps.

:class:`~relugeom.network.ReLUNetwork` (the dense ReLU chain) is the common special case:
a subclass with fast dense implementations of the same methods.

Neurons and units
-----------------
The *units* are the entries of the piecewise-linear layers; a unit's *piece* is its sign
(ReLU, leaky ReLU, PReLU, abs), its interval (clip: 0 below, 1 between, 2 above) or the
chosen input of a max. The *neurons* are the ReLUs of the lowered program (one per
ReLU-like unit, one or two per clip, ``k - 1`` per max of ``k`` inputs); activation
patterns, regions and facets are stated over neurons, and :meth:`Network.pieces_of` reads
the pieces of the units off a pattern.

Examples
--------
>>> import numpy as np
>>> from relugeom.network import NetworkBuilder
>>> b = NetworkBuilder((1, 4))                       # one channel, length 4
>>> h = b.conv(b.input, np.array([[[1.0, -1.0]]]))   # differences of neighbours
>>> h = b.relu(h)
>>> h = b.maxpool(h, kernel=(3,))
>>> net = b.build(h)
>>> net
Network(input (1, 4), 3 layers, 5 neurons in 3 levels, output (1, 1))
>>> net([[0.0, 2.0, 1.0, 3.0]]).tolist()            # max(relu(x_i - x_{i+1}))
[[1.0]]
"""

from __future__ import annotations

import logging
import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from .._validation import as_array
from ..errors import NetworkError
from . import _program as P
from ._layers import Layer, Lowered, UnitGroup, decode_pieces, lower

__all__ = ["Network", "NetworkBuilder", "as_network", "as_relu_network"]

log = logging.getLogger(__name__)

#: slices and other inputs of at most this dimension get the first affine block folded
#: into dense maps of the input
FOLD_MAX_DIM = 64


def _fold_program(prog: P.Program) -> P.Program:
    """Fold the affine operations that read only the input into dense maps of it.

    The registers that are computed from the input by affine operations alone (depth 0)
    and read by anything else (a ReLU, a later affine operation, the output) become
    ``Dense`` maps of the flat input followed by a reshape. Neuron numbering is unchanged.
    """
    ops = prog.ops
    depth = prog.depth
    d = prog.input_size
    fold = [depth[i + 1] == 0 and not isinstance(op, P.Relu) for i, op in enumerate(ops)]
    if not any(fold[i] and not isinstance(op, (P.Reshape,)) for i, op in enumerate(ops)):
        return prog
    frontier = set()
    for i, op in enumerate(ops):
        if not fold[i]:
            for r in op.inputs:
                if r == 0 or fold[r - 1]:
                    frontier.add(r)
    if fold[prog.output - 1] if prog.output > 0 else False:
        frontier.add(prog.output)
    if prog.output == 0:
        frontier.add(0)
    frontier = sorted(frontier)
    # dense maps of the frontier registers: propagate d directions and one offset row
    cols = np.vstack([np.eye(d), np.zeros((1, d))])
    regs = prog.affine_columns({0: cols.reshape((d + 1,) + prog.input_shape)},
                               [i for i in range(len(ops)) if fold[i]])
    new_ops: list[P.Op] = []
    remap: dict[int, int] = {}
    flat_in = 0
    if len(prog.input_shape) != 1:
        new_ops.append(P.Reshape((d,), (0,)))
        flat_in = 1
    for r in frontier:
        if r == 0:
            continue
        v = regs[r].reshape(d + 1, -1)
        W, c = v[:d].T.copy(), v[d].copy()
        new_ops.append(P.Dense(W, c if np.any(c) else None, (flat_in,)))
        new_ops.append(P.Reshape(prog.shapes[r], (len(new_ops),)))
        remap[r] = len(new_ops)
    remap[0] = 0
    for i, op in enumerate(ops):
        if fold[i]:
            continue
        op2 = _copy_op(op, tuple(remap[r] for r in op.inputs))
        new_ops.append(op2)
        remap[i + 1] = len(new_ops)
    return P.Program(prog.input_shape, new_ops, remap[prog.output])


def _copy_op(op: P.Op, inputs: tuple[int, ...]) -> P.Op:
    import copy

    new = copy.copy(op)
    new.inputs = inputs
    return new


class Network:
    r"""A feed-forward piecewise-linear network: a DAG of layers.

    Parameters
    ----------
    layers : sequence of Layer
        Topologically ordered; layer 0 is ``Layer("input", ())``.
    input_shape : tuple of int
        Per-sample shape of the input (e.g. ``(3, 32, 32)``).
    output : int, optional
        Index of the output layer (default: the last).
    name : str, optional

    Notes
    -----
    Points are given flat, ``(n, input_dim)`` or ``(input_dim,)``, or in the input shape,
    ``(n, *input_shape)`` or ``input_shape``; outputs are flat ``(n, output_dim)``.

    Raises
    ------
    NetworkError
        When a layer's shapes or parameters do not fit; the message names the layer.

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom.network import NetworkBuilder
    >>> b = NetworkBuilder((2,))
    >>> h = b.dense(b.input, np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> y = b.add(b.relu(h), h)                          # a residual connection
    >>> net = b.build(y)
    >>> net([[-1.0, 2.0]]).tolist()
    [[-1.0, 4.0]]
    >>> net.activation_patterns([[-1.0, 2.0]]).tolist()
    [[False, True]]
    """

    def __init__(self, layers: Sequence[Layer], input_shape: Sequence[int], output: int | None = None,
                 *, name: str | None = None):
        if not isinstance(layers, (list, tuple)) or not all(isinstance(l, Layer) for l in layers):
            raise TypeError("a Network is built from a list of Layer objects; use NetworkBuilder "
                            "or ReLUNetwork(weights, biases)")
        try:
            shape = tuple(int(s) for s in input_shape)
        except (TypeError, ValueError):
            raise NetworkError(f"input_shape must be a tuple of ints; got {input_shape!r}") from None
        if not shape or any(s < 1 for s in shape):
            raise NetworkError(f"input_shape must have positive entries; got {shape}")
        self.layers = tuple(layers)
        self.input_shape = shape
        self.output_layer = len(self.layers) - 1 if output is None else int(output)
        self.name = name
        _check_params(self.layers)
        try:
            self._low = lower(shape, self.layers, self.output_layer)
        except ValueError as exc:
            raise NetworkError(str(exc)) from None

    # ---------------------------------------------------------------- program
    @property
    def program(self) -> P.Program:
        """The lowered program (affine operations and ReLUs) every engine runs on.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).program.n_neurons
        2
        """
        prog = self.__dict__.get("_prog")
        if prog is None:
            prog = self._low.program
            if prog.input_size <= FOLD_MAX_DIM or _folds_cheaply(prog):
                prog = _fold_program(prog)
            self.__dict__["_prog"] = prog
        return prog

    # ------------------------------------------------------------------ shape
    @property
    def input_dim(self) -> int:
        """Number of input entries ``n_0``."""
        return int(math.prod(self.input_shape))

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Per-sample shape of the output."""
        return self._low.program.output_shape

    @property
    def output_dim(self) -> int:
        """Number of outputs."""
        return int(math.prod(self.output_shape))

    @property
    def n_neurons(self) -> int:
        """Number of neurons (ReLUs of the lowered program)."""
        return int(self._low.program.n_neurons)

    @property
    def levels(self) -> list[tuple[int, int]]:
        """Neuron ranges ``(start, stop)`` of the levels, in order.

        A neuron of level ``l`` has ``l`` ReLUs on the longest path before it, so its
        pre-activation is affine on every region of the levels before ``l``.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> import numpy as np
        >>> ReLUNetwork([np.ones((3, 2)), np.ones((2, 3)), np.ones((1, 2))]).levels
        [(0, 3), (3, 5)]
        """
        return list(self._low.program.levels)

    @property
    def level_widths(self) -> tuple[int, ...]:
        """Number of neurons of each level."""
        return tuple(b - a for a, b in self.levels)

    @property
    def units(self) -> list[UnitGroup]:
        """The piecewise-linear layers and their units (see :class:`UnitGroup`)."""
        return self._low.groups

    @property
    def n_units(self) -> int:
        """Number of units (entries of the piecewise-linear layers)."""
        return int(sum(g.size for g in self._low.groups))

    @property
    def is_dense_relu(self) -> bool:
        """True for a :class:`ReLUNetwork` (a fully connected ReLU chain)."""
        return False

    def __repr__(self) -> str:
        nl = len(self.levels)
        return (f"Network(input {self.input_shape}, {len(self.layers) - 1} layers, "
                f"{self.n_neurons} neurons in {nl} level{'s' if nl != 1 else ''}, "
                f"output {self.output_shape})")

    def describe(self) -> str:
        """A one-line description for messages and command-line output.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1, 4)); b.build(b.relu(b.input)).describe()
        'input 1x4, 4 outputs (4 piecewise-linear units, 4 neurons)'
        """
        shape = "x".join(map(str, self.input_shape))
        return (f"input {shape}, {self.output_dim} outputs ({self.n_units} piecewise-linear units, "
                f"{self.n_neurons} neurons)")

    def summary(self) -> str:
        """A table of the layers: kind, name, output shape, units.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> print(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).summary())  # doctest: +NORMALIZE_WHITESPACE
        layer  kind   name    output shape  units
        0      input  input   (1,)
        1      dense  dense1  (2,)
        2      relu   relu2   (2,)          2
        3      dense  dense3  (1,)
        """
        units = {g.layer: g.size for g in self._low.groups}
        rows = [("layer", "kind", "name", "output shape", "units")]
        for i, (layer, shape) in enumerate(zip(self.layers, self._low.shapes)):
            nm = layer.name or (f"{layer.kind}{i}" if i else "input")
            rows.append((str(i), layer.kind, nm, str(tuple(shape)), str(units.get(i, ""))))
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)

    def neuron(self, k: int) -> tuple[str, int]:
        """The unit of neuron ``k``: (layer name, flat index of the unit in that layer).

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.relu(b.input, name="act"))
        >>> net.neuron(1)
        ('act', 1)
        """
        if not 0 <= k < self.n_neurons:
            raise IndexError(f"neuron {k} out of range for {self.n_neurons} neurons")
        g, u = self._neuron_units()[int(k)]
        return self._low.groups[g].name, int(u)

    def _neuron_units(self) -> list[tuple[int, int]]:
        tab = self.__dict__.get("_nu")
        if tab is None:
            tab = [(-1, -1)] * self.n_neurons
            for gi, g in enumerate(self._low.groups):
                for off, units in g.neuron_steps:
                    for j, u in enumerate(units):
                        tab[off + j] = (gi, int(u))
            self.__dict__["_nu"] = tab
        return tab

    # --------------------------------------------------------------- inputs
    def _inputs(self, x: object, name: str = "x") -> tuple[np.ndarray, bool]:
        arr = as_array(x, name=name)
        d = self.input_dim
        if arr.ndim == 1 and arr.size == d:
            return arr[None, :], True
        if arr.ndim == 2 and arr.shape[1] == d:
            return arr, False
        if arr.shape == self.input_shape:
            return arr.reshape(1, d), True
        if arr.ndim == len(self.input_shape) + 1 and arr.shape[1:] == self.input_shape:
            return arr.reshape(arr.shape[0], d), False
        raise ValueError(f"{name} must have shape (n, {d}), ({d},), (n, *{self.input_shape}) or "
                         f"{self.input_shape}; got {arr.shape}")

    def _pattern(self, pattern: object, name: str = "pattern") -> np.ndarray:
        p = np.asarray(pattern)
        if p.ndim != 1 or p.size != self.n_neurons:
            raise ValueError(f"{name} must have {self.n_neurons} entries (one per neuron); got shape {p.shape}")
        return p.astype(bool)

    def _patterns(self, patterns: object) -> np.ndarray:
        P_ = np.asarray(patterns)
        if P_.ndim == 1:
            P_ = P_[None, :]
        if P_.ndim != 2 or P_.shape[1] != self.n_neurons:
            raise ValueError(f"patterns must have shape (R, {self.n_neurons}); got {np.shape(patterns)}")
        return P_.astype(bool)

    # ------------------------------------------------------------ evaluation
    def __call__(self, x: object) -> np.ndarray:
        """Evaluate at points; outputs are flat, ``(n, output_dim)`` (or one row).

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.abs(b.input))
        >>> net([-1.0, 3.0]).tolist()
        [1.0, 3.0]
        """
        X, single = self._inputs(x)
        y = self.program(X)
        return y[0] if single else y

    evaluate = __call__

    def preactivations(self, x: object) -> list[np.ndarray]:
        """Pre-activations of the neurons of every level, each ``(n, width)``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.relu(b.input))
        >>> net.preactivations([[1.0, -2.0]])[0].tolist()
        [[1.0, -2.0]]
        """
        X, _ = self._inputs(x)
        Z = self.program.preactivations(X)
        return [Z[:, a:b] for a, b in self.levels]

    def activation_patterns(self, x: object) -> np.ndarray:
        """Activation patterns: bool ``(n, n_neurons)``, True = positive pre-activation.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.relu(b.input))
        >>> net.activation_patterns([[1.0, -2.0]]).tolist()
        [[True, False]]
        """
        X, _ = self._inputs(x)
        return self.program.preactivations(X) > 0

    def values_and_scales(self, x: object, neurons: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activations of neurons at points and the magnitude of the terms summed.

        The magnitude ``|W| |h| + |b|`` (carried through every affine operation) scales the
        tie tests: a pre-activation is a near tie when it is below ``tol.zero_atol`` times
        its magnitude.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> v, s = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.5, 0.0], [0.0]]).values_and_scales([[2.0]])
        >>> v.tolist(), s.tolist()
        ([[2.5, -2.0]], [[2.5, 2.0]])
        """
        X, _ = self._inputs(x)
        return self.program.values_and_scales(X, neurons)

    def pieces(self, x: object) -> np.ndarray:
        """The piece of every unit at points: int ``(n, n_units)``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((3,)); net = b.build(b.reduce_max(b.input, axes=(0,)))
        >>> net.pieces([[0.0, 5.0, 1.0], [3.0, 0.0, 1.0]]).tolist()
        [[1], [0]]
        """
        return self.pieces_of(self.activation_patterns(x))

    def pieces_of(self, patterns: object) -> np.ndarray:
        """The pieces of the units ``(R, n_units)`` read off neuron patterns ``(R, n_neurons)``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.clip(b.input, 0.0, 1.0))
        >>> net.pieces_of([[True, True]]).tolist()
        [[2]]
        """
        return decode_pieces(self._low.groups, self._patterns(patterns))

    def n_pieces(self) -> np.ndarray:
        """Number of pieces of every unit.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1, 4)); net = b.build(b.maxpool(b.input, kernel=(2,), strides=(2,)))
        >>> net.n_pieces().tolist()
        [2, 2]
        """
        return np.concatenate([g.n_pieces for g in self._low.groups]) if self._low.groups else np.zeros(0, int)

    @property
    def needs_merge(self) -> bool:
        """True when a unit has more than two pieces decided by a chain of neurons (a max of
        three or more inputs): then several neuron patterns make one unit pattern, and the
        regions of the units are unions of neuron regions (see ``RegionComplex.merged``)."""
        return any(g.kind in ("max", "min", "maxpool", "reduce_max", "reduce_min") and len(g.steps) > 1
                   for g in self._low.groups)

    # ------------------------------------------------------------ local maps
    def _columns(self, d: int, R: int) -> tuple[np.ndarray, np.ndarray]:
        cols = np.tile(np.vstack([np.eye(d), np.zeros((1, d))]), (R, 1))
        offs = np.tile(np.r_[np.zeros(d, bool), True], R)
        return cols, offs

    def _maps(self, patterns: np.ndarray, *, pre: bool, out: bool):
        prog = self.program
        d = self.input_dim
        R = len(patterns)
        per = (d + 1) * 8 * max(1, sum(math.prod(s) for s in prog.shapes))
        step = max(1, P.CHUNK_BYTES // per)
        Gs, Os = [], []
        for s in range(0, R, step):
            pb = patterns[s: s + step]
            cols, offs = self._columns(d, len(pb))
            masks = np.repeat(pb, d + 1, axis=0)
            res = prog.masked(cols, offs, masks, pre=pre, out=out)
            if pre:
                Gs.append(res["pre"].reshape(len(pb), d + 1, -1))
            if out:
                Os.append(res["out"].reshape(len(pb), d + 1, -1))
        G = np.concatenate(Gs) if pre else None
        O = np.concatenate(Os) if out else None
        return G, O

    def affine_map(self, pattern: object) -> tuple[np.ndarray, np.ndarray]:
        """The affine map ``x ↦ A x + c`` the network computes on a pattern's region.

        Returns
        -------
        A : ndarray (output_dim, input_dim)
        c : ndarray (output_dim,)

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> A, c = net.affine_map([False]); A.tolist(), c.tolist()
        ([[-1.0]], [0.0])
        """
        p = self._pattern(pattern)
        _, O = self._maps(p[None], pre=False, out=True)
        return O[0, :-1].T.copy(), O[0, -1].copy()

    def affine_maps(self, patterns: object) -> tuple[np.ndarray, np.ndarray]:
        """Affine maps of many patterns at once: ``A`` ``(R, output_dim, input_dim)``, ``c`` ``(R, output_dim)``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> A, c = net.affine_maps([[False], [True]]); A.ravel().tolist()
        [-1.0, 1.0]
        """
        P_ = self._patterns(patterns)
        _, O = self._maps(P_, pre=False, out=True)
        return np.swapaxes(O[:, :-1, :], 1, 2).copy(), O[:, -1, :].copy()

    def preactivation_maps(self, pattern: object) -> tuple[np.ndarray, np.ndarray]:
        """Affine maps of all neurons' pre-activations on a pattern's region.

        Returns ``(G, g)`` with ``G`` ``(n_neurons, input_dim)``: on the closure of the region,
        neuron ``k`` has pre-activation ``G[k] @ x + g[k]``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.clip(b.input, -1.0, 1.0))
        >>> G, g = net.preactivation_maps([True, False]); G.ravel().tolist(), g.tolist()
        ([1.0, 1.0], [1.0, -1.0])
        """
        p = self._pattern(pattern)
        G, _ = self._maps(p[None], pre=True, out=False)
        return G[0, :-1].T.copy(), G[0, -1].copy()

    def preactivation_maps_many(self, patterns: object) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`preactivation_maps` for many patterns: ``(R, n_neurons, input_dim)``, ``(R, n_neurons)``.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> G, g = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).preactivation_maps_many([[1, 0], [0, 1]])
        >>> G.shape
        (2, 2, 1)
        """
        P_ = self._patterns(patterns)
        G, _ = self._maps(P_, pre=True, out=False)
        return np.swapaxes(G[:, :-1, :], 1, 2).copy(), G[:, -1, :].copy()

    def gradient(self, x: object, C: object | None = None) -> np.ndarray:
        """``C @ J(x)``: the Jacobian of the outputs (rows of ``C``) at points, batched.

        At a point on a boundary, the Jacobian of the region with the point's pattern
        (``z > 0`` active). ``C`` is ``(k, output_dim)`` (default: the identity); returns
        ``(n, k, input_dim)``.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.reduce_max(b.input, axes=(0,)))
        >>> net.gradient([[1.0, 3.0]]).tolist()
        [[[0.0, 1.0]]]
        """
        X, _ = self._inputs(x)
        prog = self.program
        C = np.eye(self.output_dim) if C is None else as_array(C, name="C", ndim=2)
        if C.shape[1] != self.output_dim:
            raise ValueError(f"C must have {self.output_dim} columns; got {C.shape}")
        masks = prog.preactivations(X) > 0
        n, k = len(X), len(C)
        g = prog.backward(np.tile(C, (n, 1)), np.repeat(masks, k, axis=0))
        return g.reshape(n, k, -1)

    def pattern_along(self, y: object, v: object, tol: Any = None) -> np.ndarray:
        """The activation pattern on the open segment ``(y, y + ε v)`` for small ``ε > 0``.

        A neuron whose pre-activation at ``y`` is non-zero keeps its sign; one that is zero
        (up to ``tol.zero_atol`` relative to the size of the terms) takes the sign of its
        directional derivative along ``v`` (computed with the patterns of the neurons
        before it), and is inactive when that derivative is zero too.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> net.pattern_along([0.0], [1.0]).tolist(), net.pattern_along([0.0], [-1.0]).tolist()
        ([True], [False])
        """
        from .._tol import resolve

        tol = resolve(tol)
        prog = self.program
        yv, _ = self._inputs(y, "y")
        vv, _ = self._inputs(v, "v")
        n_ops = len(prog.ops)
        val: list = [None] * (n_ops + 1)
        der: list = [None] * (n_ops + 1)
        mag: list = [None] * (n_ops + 1)
        dmag: list = [None] * (n_ops + 1)
        val[0] = yv.reshape((1,) + prog.input_shape)
        der[0] = vv.reshape((1,) + prog.input_shape)
        mag[0], dmag[0] = np.abs(val[0]), np.abs(der[0])
        out = np.zeros(prog.n_neurons, dtype=bool)
        for i, op in enumerate(prog.ops):
            ins = op.inputs
            if isinstance(op, P.Relu):
                z, dz = val[ins[0]], der[ins[0]]
                zero = np.abs(z) <= tol.zero_atol * (1.0 + mag[ins[0]])
                dpos = dz > tol.zero_atol * (1.0 + dmag[ins[0]])
                act = np.where(zero, dpos, z > 0)
                out[op.offset: op.offset + op.size] = act.reshape(-1)
                val[i + 1] = np.where(act, z, 0.0)
                der[i + 1] = np.where(act, dz, 0.0)
                mag[i + 1], dmag[i + 1] = np.abs(val[i + 1]), np.abs(der[i + 1])
            elif isinstance(op, P.Const):
                val[i + 1] = op.value[None]
                der[i + 1] = np.zeros((1,) + op.shape)
                mag[i + 1], dmag[i + 1] = np.abs(val[i + 1]), der[i + 1]
            else:
                val[i + 1] = op.forward(*[val[r] for r in ins])
                der[i + 1] = op.linear(*[der[r] for r in ins])
                c = op.constant()
                m = op.absolute(*[mag[r] for r in ins])
                mag[i + 1] = m + np.abs(c) if c is not None else m
                dmag[i + 1] = op.absolute(*[dmag[r] for r in ins])
        return out

    def level_evaluator(self, l: int, X: np.ndarray, carry=None):
        """Pre-activations of level ``l`` at a growing set of points (see :mod:`._levels`).

        Examples
        --------
        >>> import numpy as np
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> X = np.array([[-2.0], [1.0]])
        >>> net.level_evaluator(0, X).values(0, X)[0].tolist()
        [-2.0, 1.0]
        """
        from ._levels import GraphLevelEvaluator

        return GraphLevelEvaluator(self, l, X, carry=carry)

    # ----------------------------------------------------------------- exact
    def evaluate_exact(self, x: Sequence[object]) -> list[Fraction]:
        """Evaluate at one point in exact rational arithmetic.

        The float weights are read as the rationals they are, so the result is the exact
        value of the stored (lowered) network at the given rational point.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> net.evaluate_exact([Fraction(-1, 3)])
        [Fraction(1, 3)]
        """
        xq = P.to_exact(np.asarray(list(x), dtype=object))
        if xq.size != self.input_dim:
            raise ValueError(f"x must have {self.input_dim} entries; got {xq.size}")
        y = self.program.run(xq.reshape(1, -1))["out"][0]
        return [Fraction(int(v.p), int(v.q)) for v in y]

    def exact_pattern_at(self, x: object) -> tuple[list[bool], bool]:
        """The exact activation pattern at a float point, and whether it is strict.

        ``strict`` is False when some pre-activation is exactly zero (the point is on a
        boundary).

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.abs(b.input))
        >>> net.exact_pattern_at([0.0])
        ([False], False)
        """
        X, _ = self._inputs(x)
        Z = self.program.run(P.to_exact(X[:1]), pre=True)["pre"][0]
        return [bool(v > 0) for v in Z], all(v != 0 for v in Z)

    def exact_preactivation_maps(self, pattern: object, neurons: Sequence[int] | None = None
                                 ) -> tuple[np.ndarray, np.ndarray]:
        """Exact rational maps ``(G, g)`` of neurons' pre-activations on a pattern's region.

        Entries are python-flint ``fmpq``; ``G`` is ``(len(neurons), input_dim)``.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[0.5], [-1.0]], [[1.0, 1.0]]], [[0.25, 0.0], [0.0]])
        >>> G, g = net.exact_preactivation_maps([True, True], [0]); G.tolist(), g.tolist()
        ([[1/2]], [1/4])
        """
        p = self._pattern(pattern)
        d = self.input_dim
        cols, offs = self._columns(d, 1)
        res = self.program.masked(P.to_exact(cols), offs, np.repeat(p[None], d + 1, axis=0),
                                  pre=True, out=False)
        Z = res["pre"]
        idx = np.arange(self.n_neurons) if neurons is None else np.asarray(neurons, dtype=np.int64)
        return Z[:d, idx].T.copy(), Z[d, idx].copy()

    # ---------------------------------------------------------------- bounds
    def interval_bounds(self, lo: object, hi: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Interval arithmetic over a batch of input boxes.

        Returns ``(pre_lb, pre_ub, out_lb, out_ub)``: bounds ``(B, n_neurons)`` on every
        pre-activation and ``(B, output_dim)`` on the outputs. Sound in real arithmetic
        (float rounding aside, see :mod:`relugeom.network._bounds`).

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> [a.tolist() for a in net.interval_bounds([[-1.0]], [[2.0]])]
        [[[-1.0, -2.0]], [[2.0, 1.0]], [[0.0]], [[3.0]]]
        """
        from ._bounds import interval_bounds

        return interval_bounds(self, lo, hi)

    def crown_bounds(self, lo: object, hi: object, C: object | None = None):
        """Linear (CROWN) bounds over a batch of boxes; see :func:`relugeom.network.crown_bounds`.

        Examples
        --------
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> b = net.crown_bounds([[-1.0]], [[2.0]], C=[[1.0]])
        >>> float(b.spec_lb[0, 0]) <= 0.0
        True
        """
        from ._bounds import crown_bounds

        return crown_bounds(self, lo, hi, C)

    # ------------------------------------------------------------ transforms
    def _with_layers(self, layers: list[Layer], input_shape, output: int | None = None) -> "Network":
        return Network(layers, input_shape, output, name=self.name)

    def restrict(self, origin: object, directions: object) -> "Network":
        """The network on the affine slice ``x = origin + directions.T @ t``.

        The slice map is folded into the first affine block, so the restricted network's
        first level is a dense map of ``t``.

        Parameters
        ----------
        origin : array_like (input_dim,) or of the input shape
        directions : array_like (k, input_dim) (or ``(k, *input_shape)``)

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.abs(b.input))
        >>> sl = net.restrict([0.0, 1.0], [[1.0, 0.0]])
        >>> sl.input_dim, sl([[-2.0]]).tolist()
        (1, [[2.0, 1.0]])
        """
        o, _ = self._inputs(origin, "origin")
        U = as_array(directions, name="directions")
        U = U.reshape(U.shape[0], -1) if U.ndim > 1 else U.reshape(1, -1)
        if U.shape[1] != self.input_dim:
            raise ValueError(f"directions must have shape (k, {self.input_dim}); got {np.shape(directions)}")
        return self.compose_input(U.T, o[0])

    def compose_input(self, A: object, c: object) -> "Network":
        """The network ``x ↦ f(A x + c)`` (an affine input transform folded in).

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.relu(b.input))
        >>> net.compose_input([[2.0]], [-1.0])([[1.0]]).tolist()
        [[1.0]]
        """
        A = as_array(A, name="A", ndim=2)
        if A.shape[0] != self.input_dim:
            raise ValueError(f"A must have {self.input_dim} rows; got {A.shape}")
        c = as_array(c, name="c").reshape(-1)
        if c.shape != (self.input_dim,):
            raise ValueError(f"c must have {self.input_dim} entries; got {c.shape}")
        k = A.shape[1]
        head = [Layer("input", ()), Layer("dense", (0,), {"W": A, "b": c}, "slice"),
                Layer("reshape", (1,), {"shape": self.input_shape}, "slice_reshape")]
        layers = head + [_shift(l, 2) for l in self.layers[1:]]
        return self._with_layers(layers, (k,), self.output_layer + 2)

    def compose_output(self, A: object, c: object) -> "Network":
        """The network ``x ↦ A f(x) + c`` (on the flat output).

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1,)); net = b.build(b.relu(b.input))
        >>> net.compose_output([[1.0], [-1.0]], [0.0, 1.0])([[2.0]]).tolist()
        [[2.0, -1.0]]
        """
        A = as_array(A, name="A", ndim=2)
        if A.shape[1] != self.output_dim:
            raise ValueError(f"A must have {self.output_dim} columns; got {A.shape}")
        c = as_array(c, name="c").reshape(-1)
        if c.shape != (A.shape[0],):
            raise ValueError(f"c must have {A.shape[0]} entries; got {c.shape}")
        layers = list(self.layers)
        o = self.output_layer
        if self.output_shape != (self.output_dim,):
            layers.append(Layer("reshape", (o,), {"shape": (self.output_dim,)}, "flatten_output"))
            o = len(layers) - 1
        layers.append(Layer("dense", (o,), {"W": A, "b": c}, "output_map"))
        return self._with_layers(layers, self.input_shape, len(layers) - 1)

    def to_relu_network(self):
        """This network as a :class:`ReLUNetwork`, when it is a fully connected ReLU chain.

        Every level must be one ReLU layer whose pre-activations are affine in the previous
        level's outputs only (no skip connections, no other units); the affine blocks
        between ReLUs (flattening, normalisation, consecutive dense layers) are composed
        into dense matrices in float64.

        Raises
        ------
        NetworkError
            When the network is not a ReLU chain; the message says why.

        Examples
        --------
        >>> import numpy as np
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((1, 2))
        >>> h = b.reshape(b.input, (2,))
        >>> h = b.relu(b.dense(b.affine(h, scale=2.0), np.eye(2)))
        >>> b.build(b.dense(h, np.ones((1, 2)))).to_relu_network().widths
        (2, 2, 1)
        """
        from ._network import ReLUNetwork

        why = _relu_chain_problem(self)
        if why is not None:
            raise NetworkError(f"not a fully connected ReLU network: {why}")
        prog = self._low.program
        sources = [0] + [i + 1 for i in prog.relus]
        targets = [prog.ops[i].inputs[0] for i in prog.relus] + [prog.output]
        Ws, bs = [], []
        for s, t in zip(sources, targets):
            W, b = _affine_block(prog, s, t)
            Ws.append(W)
            bs.append(b)
        return ReLUNetwork(Ws, bs)

    def as_relu_network(self):
        """:meth:`to_relu_network` if possible, else None.

        Examples
        --------
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); print(b.build(b.abs(b.input)).as_relu_network())
        None
        """
        try:
            return self.to_relu_network()
        except NetworkError:
            return None

    # -------------------------------------------------------------- loaders
    def to_onnx(self, path: object, **kwargs: Any) -> None:
        """Save as ONNX; see :func:`relugeom.network.save_onnx`.

        Examples
        --------
        >>> import os, tempfile
        >>> from relugeom.network import NetworkBuilder, load_onnx
        >>> b = NetworkBuilder((2,)); net = b.build(b.abs(b.input))
        >>> p = os.path.join(tempfile.mkdtemp(), "abs.onnx"); net.to_onnx(p)
        >>> load_onnx(p)([[-1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        from ._onnx import save_onnx

        save_onnx(self, path, **kwargs)

    def to_torch(self, dtype: Any = None) -> Any:
        """A PyTorch module computing this network; see :func:`relugeom.network.to_torch`.

        Examples
        --------
        >>> import torch
        >>> from relugeom.network import NetworkBuilder
        >>> b = NetworkBuilder((2,)); net = b.build(b.abs(b.input))
        >>> net.to_torch()(torch.tensor([[-1.0, 2.0]], dtype=torch.float64)).tolist()
        [[1.0, 2.0]]
        """
        from ._torch import to_torch

        return to_torch(self, dtype)


# ---------------------------------------------------------------- helpers
def _shift(layer: Layer, k: int) -> Layer:
    return Layer(layer.kind, tuple(i + k for i in layer.inputs), dict(layer.params), layer.name)


def _folds_cheaply(prog: P.Program) -> bool:
    """True when the first affine block has no convolution (dense and reshapes only)."""
    for i, op in enumerate(prog.ops):
        if prog.depth[i + 1] == 0 and isinstance(op, P.Conv):
            return False
    return True


def _relu_chain_problem(net: Network) -> str | None:
    prog = net._low.program
    for g in net._low.groups:
        if g.kind != "relu":
            return f"layer '{g.name}' is a {g.kind} layer"
    for lv, ops in enumerate(prog.level_relus):
        if len(ops) != 1:
            return f"level {lv} has {len(ops)} ReLU layers (parallel branches)"
    sources = [0] + [i + 1 for i in prog.relus]
    targets = [prog.ops[i].inputs[0] for i in prog.relus] + [prog.output]
    for l, (s, t) in enumerate(zip(sources, targets)):
        deps = _register_sources(prog, t)
        if deps != {s}:
            return (f"the pre-activations of level {l} depend on more than the previous level "
                    "(a skip connection)" if l < len(prog.relus) else
                    "the output depends on more than the last ReLU layer (a skip connection)")
    return None


def _register_sources(prog: P.Program, t: int) -> set[int]:
    """The ReLU outputs / input that register ``t`` reads through affine operations."""
    seen, stack, out = set(), [t], set()
    relu_out = {i + 1 for i in prog.relus}
    while stack:
        r = stack.pop()
        if r in seen:
            continue
        seen.add(r)
        if r == 0 or r in relu_out:
            out.add(r)
            continue
        stack.extend(prog.ops[r - 1].inputs)
    return out


def _affine_block(prog: P.Program, s: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``(W, b)`` of register ``t`` as an affine function of register ``s``."""
    n = int(math.prod(prog.shapes[s]))
    seed = np.vstack([np.eye(n), np.zeros((1, n))]).reshape((n + 1,) + prog.shapes[s])
    regs = prog.affine_columns({s: seed}, range(s, t))
    v = regs[t].reshape(n + 1, -1)
    return v[:n].T.copy(), v[n].copy()


def _check_params(layers: Sequence[Layer]) -> None:
    """NaN/inf in weights and constants: one clear error naming the layer."""
    for i, layer in enumerate(layers):
        for key, val in layer.params.items():
            if key in ("lo", "hi"):
                continue
            if isinstance(val, np.ndarray) and val.dtype.kind == "f" and not np.all(np.isfinite(val)):
                raise NetworkError(f"layer {i} ({layer.kind} '{layer.name}'): parameter {key} "
                                   "contains NaN or inf")


def as_network(net: object, *, what: str = "net") -> Network:
    """Check that ``net`` is a relugeom network; one clear ``TypeError`` otherwise.

    Examples
    --------
    >>> as_network([[1.0]])
    Traceback (most recent call last):
    ...
    TypeError: net must be a relugeom Network or ReLUNetwork (see relugeom.load_network, ReLUNetwork(weights, biases)); got list
    """
    if isinstance(net, Network):
        return net
    hint = ""
    mod = type(net).__module__ or ""
    if mod.startswith("torch"):
        hint = "; convert a PyTorch model with relugeom.network.from_torch(model)"
    elif mod.startswith("onnx"):
        hint = "; convert an ONNX model with relugeom.network.load_onnx(model)"
    raise TypeError(f"{what} must be a relugeom Network or ReLUNetwork (see relugeom.load_network, "
                    f"ReLUNetwork(weights, biases)){hint}; got {type(net).__name__}")


def as_relu_network(net: object, *, what: str = "this operation"):
    """``net`` as a :class:`ReLUNetwork`, for the parts of relugeom stated for dense ReLU chains.

    Parameter-space objects (activation patterns on data, pattern maps, invariants) are
    defined for fully connected ReLU networks. A general :class:`Network` that is such a
    chain is converted; anything else gets one clear error.

    Examples
    --------
    >>> from relugeom.network import NetworkBuilder
    >>> b = NetworkBuilder((2,)); net = b.build(b.abs(b.input))
    >>> as_relu_network(net, what="pattern maps")
    Traceback (most recent call last):
    ...
    relugeom.errors.NetworkError: pattern maps are defined for fully connected ReLU networks; this network is not one (layer 'abs1' is a abs layer)
    """
    net = as_network(net)
    if net.is_dense_relu:
        return net
    why = _relu_chain_problem(net)
    if why is None:
        return net.to_relu_network()
    raise NetworkError(f"{what} are defined for fully connected ReLU networks; this network is not "
                       f"one ({why})")


# ---------------------------------------------------------------- builder
class NetworkBuilder:
    """Build a :class:`Network` layer by layer (each method returns the new layer's index).

    Parameters
    ----------
    input_shape : tuple of int
        Per-sample input shape, e.g. ``(3, 32, 32)`` or ``(784,)``.

    Examples
    --------
    >>> import numpy as np
    >>> b = NetworkBuilder((1, 4, 4))
    >>> h = b.conv(b.input, np.ones((2, 1, 3, 3)), np.zeros(2), pads=(1, 1, 1, 1))
    >>> h = b.relu(h)
    >>> h = b.maxpool(h, kernel=(2, 2), strides=(2, 2))
    >>> h = b.flatten(h)
    >>> net = b.build(b.dense(h, np.ones((1, 8))))
    >>> net.input_dim, net.output_dim, net.n_neurons
    (16, 1, 56)
    """

    def __init__(self, input_shape: Sequence[int]):
        self.input_shape = tuple(int(s) for s in input_shape)
        self.layers: list[Layer] = [Layer("input", (), {}, "input")]
        self.input = 0

    def _add(self, kind: str, inputs: Sequence[int], params: dict | None = None, name: str = "") -> int:
        self.layers.append(Layer(kind, tuple(inputs), params or {}, name or f"{kind}{len(self.layers)}"))
        return len(self.layers) - 1

    def dense(self, x: int, W: object, b: object = None, *, name: str = "") -> int:
        """``x @ W.T + b`` along the last axis.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.dense(b.input, [[1.0, 2.0]], [0.5]))([[1.0, 1.0]]).tolist()
        [[3.5]]
        """
        W = as_array(W, name="W", ndim=2, error=NetworkError)
        b = None if b is None else as_array(b, name="b", error=NetworkError).reshape(-1)
        return self._add("dense", (x,), {"W": W, "b": b}, name)

    def conv(self, x: int, W: object, b: object = None, *, strides=None, pads=None, dilations=None,
             groups: int = 1, name: str = "") -> int:
        """A 1-D or 2-D convolution; ``pads`` as in ONNX ``(begin…, end…)``.

        Examples
        --------
        >>> b = NetworkBuilder((1, 3)); b.build(b.conv(b.input, [[[1.0, -1.0]]]))([[1.0, 4.0, 2.0]]).tolist()
        [[-3.0, 2.0]]
        """
        W = as_array(W, name="W", error=NetworkError)
        b = None if b is None else as_array(b, name="b", error=NetworkError).reshape(-1)
        return self._add("conv", (x,), {"W": W, "b": b, "strides": strides, "pads": pads,
                                        "dilations": dilations, "groups": int(groups)}, name)

    def avgpool(self, x: int, kernel, *, strides=None, pads=None, count_include_pad: bool = False,
                name: str = "") -> int:
        """Average pooling.

        Examples
        --------
        >>> b = NetworkBuilder((1, 4)); b.build(b.avgpool(b.input, (2,), strides=(2,)))([[1.0, 3.0, 5.0, 7.0]]).tolist()
        [[2.0, 6.0]]
        """
        return self._add("avgpool", (x,), {"kernel": tuple(kernel), "strides": strides, "pads": pads,
                                           "count_include_pad": bool(count_include_pad)}, name)

    def affine(self, x: int, scale: object = 1.0, shift: object = None, *, name: str = "") -> int:
        """``x * scale + shift`` with broadcasting (batch norm, normalisation).

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.affine(b.input, [2.0, 3.0], 1.0))([[1.0, 1.0]]).tolist()
        [[3.0, 4.0]]
        """
        scale = as_array(scale, name="scale", error=NetworkError)
        shift = None if shift is None else as_array(shift, name="shift", error=NetworkError)
        return self._add("affine", (x,), {"scale": scale, "shift": shift}, name)

    def add(self, *xs: int, coefs: Sequence[float] | None = None, name: str = "") -> int:
        """A linear combination of tensors (default: their sum).

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.add(b.input, b.relu(b.input), coefs=(1.0, -1.0)))([[-1.0, 2.0]]).tolist()
        [[-1.0, 0.0]]
        """
        return self._add("add", xs, {"coefs": None if coefs is None else [float(c) for c in coefs]}, name)

    def reshape(self, x: int, shape: Sequence[int], *, name: str = "") -> int:
        """Reshape (element order kept).

        Examples
        --------
        >>> b = NetworkBuilder((4,)); b.build(b.reshape(b.input, (2, 2))).output_shape
        (2, 2)
        """
        return self._add("reshape", (x,), {"shape": tuple(int(s) for s in shape)}, name)

    def flatten(self, x: int, *, name: str = "") -> int:
        """Flatten to one axis.

        Examples
        --------
        >>> b = NetworkBuilder((2, 3)); b.build(b.flatten(b.input)).output_shape
        (6,)
        """
        return self._add("reshape", (x,), {"shape": (-1,)}, name or f"flatten{len(self.layers)}")

    def transpose(self, x: int, perm: Sequence[int], *, name: str = "") -> int:
        """Permute axes.

        Examples
        --------
        >>> b = NetworkBuilder((1, 2)); b.build(b.transpose(b.input, (1, 0)))([[1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self._add("transpose", (x,), {"perm": tuple(perm)}, name)

    def concat(self, *xs: int, axis: int = 0, name: str = "") -> int:
        """Concatenate along an axis.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.concat(b.input, b.abs(b.input)))([[-1.0, 2.0]]).tolist()
        [[-1.0, 2.0, 1.0, 2.0]]
        """
        return self._add("concat", xs, {"axis": int(axis)}, name)

    def take(self, x: int, idx: object, shape: Sequence[int], *, name: str = "") -> int:
        """Select entries: ``y.flat = x.flat[idx]``.

        Examples
        --------
        >>> b = NetworkBuilder((3,)); b.build(b.take(b.input, [2, 0], (2,)))([[1.0, 2.0, 3.0]]).tolist()
        [[3.0, 1.0]]
        """
        return self._add("take", (x,), {"idx": np.asarray(idx, dtype=np.int64), "shape": tuple(shape)}, name)

    def pad(self, x: int, pads: Sequence[int], value: float = 0.0, *, name: str = "") -> int:
        """Constant padding (ONNX ``pads``).

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.pad(b.input, (1, 0), 9.0))([[1.0, 2.0]]).tolist()
        [[9.0, 1.0, 2.0]]
        """
        return self._add("pad", (x,), {"pads": tuple(pads), "value": float(value)}, name)

    def reduce_sum(self, x: int, axes: Sequence[int], *, keepdims: bool = True, mean: bool = False,
                   name: str = "") -> int:
        """Sum (or mean) over axes.

        Examples
        --------
        >>> b = NetworkBuilder((3,)); b.build(b.reduce_sum(b.input, (0,), mean=True))([[1.0, 2.0, 6.0]]).tolist()
        [[3.0]]
        """
        return self._add("reduce_sum", (x,), {"axes": tuple(axes), "keepdims": keepdims, "mean": mean}, name)

    def const(self, value: object, *, name: str = "") -> int:
        """A constant tensor.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.max(b.input, b.const([0.5, 0.5])))([[0.0, 1.0]]).tolist()
        [[0.5, 1.0]]
        """
        return self._add("const", (), {"value": as_array(value, name="value", error=NetworkError)}, name)

    def relu(self, x: int, *, name: str = "") -> int:
        """ReLU.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.relu(b.input))([[-1.0, 2.0]]).tolist()
        [[0.0, 2.0]]
        """
        return self._add("relu", (x,), {}, name)

    def leaky_relu(self, x: int, alpha: object = 0.01, *, name: str = "") -> int:
        """Leaky ReLU / PReLU with constant slope(s) ``alpha``.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.leaky_relu(b.input, 0.5))([[-1.0, 2.0]]).tolist()
        [[-0.5, 2.0]]
        """
        return self._add("leaky_relu", (x,), {"alpha": as_array(alpha, name="alpha", error=NetworkError)}, name)

    def abs(self, x: int, *, name: str = "") -> int:
        """Absolute value.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.abs(b.input))([[-1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self._add("abs", (x,), {}, name)

    def clip(self, x: int, lo: float = -np.inf, hi: float = np.inf, *, name: str = "") -> int:
        """Clip to ``[lo, hi]`` (HardTanh, ReLU6).

        Examples
        --------
        >>> b = NetworkBuilder((3,)); b.build(b.clip(b.input, 0.0, 6.0))([[-1.0, 2.0, 9.0]]).tolist()
        [[0.0, 2.0, 6.0]]
        """
        return self._add("clip", (x,), {"lo": float(lo), "hi": float(hi)}, name)

    def max(self, *xs: int, name: str = "") -> int:
        """Elementwise maximum of tensors.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.max(b.input, b.affine(b.input, -1.0)))([[-1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self._add("max", xs, {}, name)

    def min(self, *xs: int, name: str = "") -> int:
        """Elementwise minimum of tensors.

        Examples
        --------
        >>> b = NetworkBuilder((2,)); b.build(b.min(b.input, b.affine(b.input, -1.0)))([[-1.0, 2.0]]).tolist()
        [[-1.0, -2.0]]
        """
        return self._add("min", xs, {}, name)

    def maxpool(self, x: int, kernel, *, strides=None, pads=None, dilations=None, name: str = "") -> int:
        """Max pooling (default stride 1, as in ONNX).

        Examples
        --------
        >>> b = NetworkBuilder((1, 4)); b.build(b.maxpool(b.input, (2,), strides=(2,)))([[1.0, 3.0, 5.0, 4.0]]).tolist()
        [[3.0, 5.0]]
        """
        return self._add("maxpool", (x,), {"kernel": tuple(kernel), "strides": strides, "pads": pads,
                                           "dilations": dilations}, name)

    def reduce_max(self, x: int, axes: Sequence[int], *, keepdims: bool = False, name: str = "") -> int:
        """Maximum over axes.

        Examples
        --------
        >>> b = NetworkBuilder((3,)); b.build(b.reduce_max(b.input, (0,)))([[1.0, 7.0, 2.0]]).tolist()
        [[7.0]]
        """
        return self._add("reduce_max", (x,), {"axes": tuple(axes), "keepdims": keepdims}, name)

    def reduce_min(self, x: int, axes: Sequence[int], *, keepdims: bool = False, name: str = "") -> int:
        """Minimum over axes.

        Examples
        --------
        >>> b = NetworkBuilder((3,)); b.build(b.reduce_min(b.input, (0,)))([[1.0, 7.0, 2.0]]).tolist()
        [[1.0]]
        """
        return self._add("reduce_min", (x,), {"axes": tuple(axes), "keepdims": keepdims}, name)

    def build(self, output: int | None = None, *, name: str | None = None) -> Network:
        """The network with output layer ``output`` (default: the last added).

        Examples
        --------
        >>> b = NetworkBuilder((2,)); h = b.relu(b.input); b.build(h)
        Network(input (2,), 1 layers, 2 neurons in 1 level, output (2,))
        """
        return Network(list(self.layers), self.input_shape, output, name=name)
