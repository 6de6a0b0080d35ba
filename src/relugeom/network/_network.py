"""The :class:`ReLUNetwork` class: the fully connected ReLU chain, the common special case.

It is a :class:`~relugeom.network.Network` (its layers are ``dense``, ``relu``, …,
``dense``) with fast dense implementations of the methods every engine uses.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property
from typing import Sequence

import numpy as np

from .._validation import as_array, as_points
from ..errors import NetworkError
from ._graph import Network
from ._layers import Layer, lower

__all__ = ["ReLUNetwork"]

_CHUNK = 1 << 20  # rows per chunk in forward passes over many points


def _check_layers(
    weights: Sequence[object], biases: Sequence[object] | None
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        weights = [weights]
    weights = list(weights)
    if not weights:
        raise NetworkError("a ReLUNetwork needs at least one affine layer; got no weights")
    if biases is None:
        biases = [None] * len(weights)
    biases = list(biases)
    if len(biases) != len(weights):
        raise NetworkError(
            f"got {len(weights)} weight matrices but {len(biases)} bias vectors; "
            "give one bias per layer (or biases=None)"
        )
    Ws: list[np.ndarray] = []
    bs: list[np.ndarray] = []
    for l, (W, b) in enumerate(zip(weights, biases)):
        W = as_array(W, name=f"weight of layer {l} (W{l})", ndim=2, error=NetworkError)
        if W.shape[0] == 0 or W.shape[1] == 0:
            raise NetworkError(f"layer {l} is empty: W{l} has shape {W.shape}")
        if Ws and W.shape[1] != Ws[-1].shape[0]:
            raise NetworkError(
                f"W{l} must have shape ({W.shape[0]}, {Ws[-1].shape[0]}) to follow layer {l - 1} "
                f"of width {Ws[-1].shape[0]}; got {W.shape}"
            )
        if b is None:
            b = np.zeros(W.shape[0])
        b = as_array(b, name=f"bias of layer {l} (b{l})", error=NetworkError).reshape(-1)
        if b.shape != (W.shape[0],):
            raise NetworkError(f"b{l} must have shape ({W.shape[0]},) to match W{l}; got {b.shape}")
        W = np.ascontiguousarray(W)
        W.setflags(write=False)
        b = np.ascontiguousarray(b)
        b.setflags(write=False)
        Ws.append(W)
        bs.append(b)
    return tuple(Ws), tuple(bs)


class ReLUNetwork(Network):
    r"""A fully connected ReLU network ``f(x) = W_L σ(… σ(W_1 x + b_1) …) + b_L``.

    Parameters
    ----------
    weights : sequence of array_like
        ``W_1, …, W_L``; ``W_l`` has shape ``(n_l, n_{l-1})``.
    biases : sequence of array_like, optional
        ``b_1, …, b_L`` of shapes ``(n_l,)``; zeros when omitted.

    Notes
    -----
    Hidden neurons are numbered layer by layer from 0; a *pattern* is a bool vector of
    length :attr:`n_neurons` (True = positive pre-activation). Arrays and files index layers
    from 0 (``W0``, ``b0``), the mathematics from 1.

    Raises
    ------
    NetworkError
        For wrong shapes, NaN or inf entries, or empty layers; the message names the layer.

    Examples
    --------
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])   # |x| = relu(x) + relu(-x)
    >>> net.widths
    (1, 2, 1)
    >>> net([[-3.0], [2.0]]).ravel().tolist()
    [3.0, 2.0]
    """

    def __init__(self, weights: Sequence[object], biases: Sequence[object] | None = None):
        self.weights, self.biases = _check_layers(weights, biases)
        self.name = None

    # ------------------------------------------------------- as a Network
    @cached_property
    def input_shape(self) -> tuple[int, ...]:  # type: ignore[override]
        """``(n_0,)``."""
        return (self.widths[0],)

    @cached_property
    def layers(self) -> tuple[Layer, ...]:  # type: ignore[override]
        """The layers ``input, dense, relu, …, dense`` (see :class:`Network`)."""
        out = [Layer("input", (), {}, "input")]
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            out.append(Layer("dense", (len(out) - 1,), {"W": W, "b": b}, f"dense{len(out)}"))
            if l < self.n_layers - 1:
                out.append(Layer("relu", (len(out) - 1,), {}, f"relu{len(out)}"))
        return tuple(out)

    @property
    def output_layer(self) -> int:  # type: ignore[override]
        return len(self.layers) - 1

    @cached_property
    def _low(self):
        return lower(self.input_shape, self.layers)

    @property
    def program(self):
        """The lowered program (dense layers and ReLUs)."""
        return self._low.program

    @property
    def is_dense_relu(self) -> bool:
        """True: a fully connected ReLU chain."""
        return True

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(n_L,)``."""
        return (self.widths[-1],)

    @property
    def levels(self) -> list[tuple[int, int]]:
        """Neuron ranges of the hidden layers."""
        o = self.layer_offsets
        return [(int(o[l]), int(o[l + 1])) for l in range(len(o) - 1)]

    @property
    def needs_merge(self) -> bool:
        """False: every unit is a ReLU."""
        return False

    def to_relu_network(self) -> "ReLUNetwork":
        """Itself.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0]]]); net.to_relu_network() is net
        True
        """
        return self

    def values_and_scales(self, x: object, neurons: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activations and their magnitudes ``|W| |h| + |b|`` (see :class:`Network`).

        Examples
        --------
        >>> v, s = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).values_and_scales([[2.0]])
        >>> v.tolist(), s.tolist()
        ([[2.0, -2.0]], [[2.0, 2.0]])
        """
        h, _ = as_points(x, self.input_dim)
        N = self.n_neurons
        sl = neurons if neurons is not None else slice(0, N)
        vals, scales = [], []
        for l, (W, b) in enumerate(zip(self.weights[:-1], self.biases[:-1])):
            a, e = int(self.layer_offsets[l]), int(self.layer_offsets[l + 1])
            if e <= sl.start:
                h = np.maximum(h @ W.T + b, 0.0)
                continue
            if a >= sl.stop:
                break
            z = h @ W.T + b
            lo, hi = max(a, sl.start) - a, min(e, sl.stop) - a
            vals.append(z[:, lo:hi])
            scales.append(np.abs(h) @ np.abs(W[lo:hi]).T + np.abs(b[lo:hi]))
            h = np.maximum(z, 0.0)
        if not vals:
            return np.zeros((len(h), 0)), np.zeros((len(h), 0))
        return np.hstack(vals), np.hstack(scales)

    # ------------------------------------------------------------------ shape
    @cached_property
    def widths(self) -> tuple[int, ...]:
        """``(n_0, n_1, …, n_L)``."""
        return (self.weights[0].shape[1],) + tuple(W.shape[0] for W in self.weights)

    @property
    def input_dim(self) -> int:
        """``n_0``."""
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        """``n_L``."""
        return self.widths[-1]

    @property
    def n_layers(self) -> int:
        """Number ``L`` of affine layers."""
        return len(self.weights)

    @cached_property
    def hidden_widths(self) -> tuple[int, ...]:
        """``(n_1, …, n_{L-1})``."""
        return self.widths[1:-1]

    @cached_property
    def n_neurons(self) -> int:
        """Total number of hidden (ReLU) neurons."""
        return int(sum(self.hidden_widths))

    @cached_property
    def layer_offsets(self) -> np.ndarray:
        """Start index of each hidden layer in a flat pattern (length L, last = n_neurons).

        Examples
        --------
        >>> ReLUNetwork([np.ones((3, 2)), np.ones((2, 3)), np.ones((1, 2))]).layer_offsets.tolist()
        [0, 3, 5]
        """
        return np.concatenate([[0], np.cumsum(self.hidden_widths)]).astype(np.int64)

    def neuron(self, k: int) -> tuple[int, int]:
        """The (layer, index) of flat neuron number ``k``, both from 0.

        Examples
        --------
        >>> ReLUNetwork([np.ones((3, 2)), np.ones((2, 3)), np.ones((1, 2))]).neuron(4)
        (1, 1)
        """
        if not 0 <= k < self.n_neurons:
            raise IndexError(f"neuron {k} out of range for {self.n_neurons} hidden neurons")
        l = int(np.searchsorted(self.layer_offsets, k, side="right") - 1)
        return l, int(k - self.layer_offsets[l])

    def __repr__(self) -> str:
        return f"ReLUNetwork(widths={self.widths})"

    def describe(self) -> str:
        """A one-line description: the widths.

        Examples
        --------
        >>> ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).describe()
        'widths 1-2-1 (2 hidden neurons)'
        """
        return f"widths {'-'.join(map(str, self.widths))} ({self.n_neurons} hidden neurons)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReLUNetwork) or other.widths != self.widths:
            return NotImplemented if not isinstance(other, ReLUNetwork) else False
        return all(np.array_equal(a, b) for a, b in zip(self.weights + self.biases,
                                                          other.weights + other.biases))

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------ evaluation
    def preactivations(self, x: object) -> list[np.ndarray]:
        """Pre-activations of every hidden layer, each of shape (n, n_l).

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.preactivations([[2.0]])[0].tolist()
        [[2.0, -2.0]]
        """
        h, _ = as_points(x, self.input_dim)
        out = []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = h @ W.T + b
            out.append(z)
            h = np.maximum(z, 0.0)
        return out

    def __call__(self, x: object) -> np.ndarray:
        """Evaluate the network on points ``x`` of shape (n, n_0) (or one point (n_0,)).

        Examples
        --------
        >>> ReLUNetwork([[[2.0]]], [[1.0]])([3.0]).tolist()
        [7.0]
        """
        h, single = as_points(x, self.input_dim)
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ W.T + b, 0.0)
        y = h @ self.weights[-1].T + self.biases[-1]
        return y[0] if single else y

    evaluate = __call__

    def evaluate_exact(self, x: Sequence[object]) -> list[Fraction]:
        """Evaluate at one point in exact rational arithmetic.

        The float weights are converted exactly (every float is a rational), so the result
        is the exact value of the stored network at the given rational point.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.evaluate_exact([Fraction(-1, 3)])
        [Fraction(1, 3)]
        """
        h = [Fraction(v) for v in x]
        if len(h) != self.input_dim:
            raise ValueError(f"x must have {self.input_dim} entries; got {len(h)}")
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            Wf = [[Fraction(float(w)) for w in row] for row in W]
            z = [sum((wi * hi for wi, hi in zip(row, h)), Fraction(float(bi))) for row, bi in zip(Wf, b)]
            h = z if l == self.n_layers - 1 else [max(v, Fraction(0)) for v in z]
        return h

    def activation_patterns(self, x: object) -> np.ndarray:
        """Activation patterns of points: bool array (n, n_neurons), True = positive.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.activation_patterns([[2.0], [-1.0], [0.0]]).astype(int).tolist()
        [[1, 0], [0, 1], [0, 0]]
        """
        z = self.preactivations(x)
        if not z:
            n = np.asarray(x, dtype=float).reshape(-1, self.input_dim).shape[0]
            return np.zeros((n, 0), dtype=bool)
        return np.concatenate([zi > 0 for zi in z], axis=1)

    def split_pattern(self, pattern: object) -> list[np.ndarray]:
        """Split a flat pattern into one bool vector per hidden layer.

        Examples
        --------
        >>> net = ReLUNetwork([np.ones((2, 1)), np.ones((1, 2)), np.ones((1, 1))])
        >>> [p.tolist() for p in net.split_pattern([1, 0, 1])]
        [[True, False], [True]]
        """
        p = np.asarray(pattern).astype(bool).reshape(-1)
        if p.size != self.n_neurons:
            raise ValueError(f"pattern must have {self.n_neurons} entries; got {p.size}")
        o = self.layer_offsets
        return [p[o[l]:o[l + 1]] for l in range(len(self.hidden_widths))]

    def affine_map(self, pattern: object) -> tuple[np.ndarray, np.ndarray]:
        """The affine map ``x ↦ A x + c`` the network computes on a pattern's region.

        Returns
        -------
        A : ndarray (n_L, n_0)
        c : ndarray (n_L,)

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> A, c = net.affine_map([0, 1]); A.tolist(), c.tolist()
        ([[-1.0]], [0.0])
        """
        A, c = np.eye(self.input_dim), np.zeros(self.input_dim)
        for (W, b), d in zip(zip(self.weights, self.biases), self.split_pattern(pattern) + [None]):
            A, c = W @ A, W @ c + b
            if d is not None:
                A, c = A * d[:, None], c * d
        return A, c

    def preactivation_maps(self, pattern: object) -> tuple[np.ndarray, np.ndarray]:
        """Affine maps of all hidden pre-activations on a pattern's region.

        Returns ``(G, g)`` with ``G`` of shape (n_neurons, n_0): on the closure of the region,
        neuron ``k`` has pre-activation ``G[k] @ x + g[k]``.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> G, g = net.preactivation_maps([1, 0]); G.ravel().tolist()
        [1.0, -1.0]
        """
        A, c = np.eye(self.input_dim), np.zeros(self.input_dim)
        Gs, gs = [], []
        for (W, b), d in zip(zip(self.weights[:-1], self.biases[:-1]), self.split_pattern(pattern)):
            A, c = W @ A, W @ c + b
            Gs.append(A)
            gs.append(c)
            A, c = A * d[:, None], c * d
        if not Gs:
            return np.zeros((0, self.input_dim)), np.zeros(0)
        return np.vstack(Gs), np.concatenate(gs)

    def affine_maps(self, patterns: object) -> tuple[np.ndarray, np.ndarray]:
        """Affine maps of many patterns: ``A`` ``(R, n_L, n_0)``, ``c`` ``(R, n_L)``.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> A, c = net.affine_maps([[1, 0], [0, 1]]); A.ravel().tolist()
        [1.0, -1.0]
        """
        P = self._patterns(patterns)
        R, d = len(P), self.input_dim
        A = np.broadcast_to(np.eye(d), (R, d, d))
        c = np.zeros((R, d))
        offs = self.layer_offsets
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            A = np.einsum("ij,rjk->rik", W, A)
            c = c @ W.T + b
            if l < self.n_layers - 1:
                mask = P[:, offs[l]:offs[l + 1]].astype(float)
                A = A * mask[:, :, None]
                c = c * mask
        return A, c

    def preactivation_maps_many(self, patterns: object) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activation maps of many patterns: ``(R, N, n_0)`` and ``(R, N)``.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> G, g = net.preactivation_maps_many([[1, 0]]); G.ravel().tolist()
        [1.0, -1.0]
        """
        P = self._patterns(patterns)
        R, d = len(P), self.input_dim
        J = np.broadcast_to(np.eye(d), (R, d, d))
        c = np.zeros((R, d))
        Gs, gs = [], []
        offs = self.layer_offsets
        for l, (W, b) in enumerate(zip(self.weights[:-1], self.biases[:-1])):
            G = np.einsum("ij,rjk->rik", W, J)
            g = c @ W.T + b
            Gs.append(G)
            gs.append(g)
            mask = P[:, offs[l]:offs[l] + W.shape[0]]
            J = G * mask[:, :, None]
            c = g * mask
        if not Gs:
            return np.zeros((R, 0, d)), np.zeros((R, 0))
        return np.concatenate(Gs, axis=1), np.concatenate(gs, axis=1)

    def pattern_along(self, y: object, v: object, tol=None) -> np.ndarray:
        """The pattern on the open segment ``(y, y + ε v)`` (see :meth:`Network.pattern_along`).

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.pattern_along(np.array([0.0]), np.array([1.0])).tolist()
        [True, False]
        """
        from .._tol import resolve

        tol = resolve(tol)
        h = np.asarray(y, dtype=float).reshape(-1)
        dh = np.asarray(v, dtype=float).reshape(-1)
        out = []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = W @ h + b
            dz = W @ dh
            absW = np.abs(W)
            zscale = absW @ np.abs(h) + np.abs(b)
            dscale = absW @ np.abs(dh)
            zero = np.abs(z) <= tol.zero_atol * (1.0 + zscale)
            dpos = dz > tol.zero_atol * (1.0 + dscale)
            act = np.where(zero, dpos, z > 0)
            out.append(act)
            h = np.where(act, z, 0.0)
            dh = np.where(act, dz, 0.0)
        if not out:
            return np.zeros(0, dtype=bool)
        return np.concatenate(out)

    def layer_outputs(self, x: object, l: int) -> np.ndarray:
        """Outputs of hidden layer ``l - 1`` (the input when ``l == 0``) at points, chunked.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.layer_outputs([[2.0]], 1).tolist()
        [[2.0, 0.0]]
        """
        X, _ = as_points(x, self.input_dim)
        out = np.empty((len(X), self.widths[l]), dtype=float)
        step = _CHUNK
        for s in range(0, len(X), step):
            h = X[s: s + step]
            for W, b in zip(self.weights[:l], self.biases[:l]):
                h = np.maximum(h @ W.T + b, 0.0)
            out[s: s + len(h)] = h
        return out

    def neuron_values(self, x: object, l: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activation of neuron ``j`` of hidden layer ``l`` at points and its magnitude
        ``|w| |h| + |b|`` (the size of the terms summed), chunked.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.5, 0.0], [0.0]])
        >>> [a.tolist() for a in net.neuron_values([[2.0]], 0, 0)]
        [[2.5], [2.5]]
        """
        X, _ = as_points(x, self.input_dim)
        w, beta = self.weights[l][j], float(self.biases[l][j])
        val = np.empty(len(X))
        scale = np.empty(len(X))
        for s in range(0, len(X), _CHUNK):
            h = X[s: s + _CHUNK]
            for W, b in zip(self.weights[:l], self.biases[:l]):
                h = np.maximum(h @ W.T + b, 0.0)
            val[s: s + len(h)] = h @ w + beta
            scale[s: s + len(h)] = np.abs(h) @ np.abs(w) + abs(beta)
        return val, scale

    def level_evaluator(self, l: int, X: np.ndarray, carry=None):
        """Values of hidden layer ``l`` at a growing set of points (see :mod:`._levels`).

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> X = np.array([[2.0]])
        >>> net.level_evaluator(0, X).values(1, X)[0].tolist()
        [-2.0]
        """
        from ._levels import DenseLevelEvaluator

        return DenseLevelEvaluator(self, l, X)

    @cached_property
    def _dense_exact(self):
        from ._exact import DenseExact

        return DenseExact(self)

    def exact_pattern_at(self, x: object) -> tuple[list[bool], bool]:
        """Exact pattern at a float point and whether it is strict (see :class:`Network`).

        Examples
        --------
        >>> ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]).exact_pattern_at([0.0])
        ([False, False], False)
        """
        return self._dense_exact.pattern_at(np.asarray(x, dtype=float))

    def exact_preactivation_maps(self, pattern: object, neurons=None) -> tuple[np.ndarray, np.ndarray]:
        """Exact maps of neurons' pre-activations on a pattern's region (see :class:`Network`).

        Examples
        --------
        >>> net = ReLUNetwork([[[0.5], [-1.0]], [[1.0, 1.0]]], [[0.25, 0.0], [0.0]])
        >>> G, g = net.exact_preactivation_maps([True, True], [0]); G.tolist(), g.tolist()
        ([[1/2]], [1/4])
        """
        p = list(np.asarray(pattern).astype(bool).reshape(-1))
        p += [True] * (self.n_neurons - len(p))
        ks = range(self.n_neurons) if neurons is None else neurons
        return self._dense_exact.preactivation_maps(p, ks)

    # ----------------------------------------------------------- transforms
    def restrict(self, origin: object, directions: object) -> "ReLUNetwork":
        """The network on the affine slice ``x = origin + directions.T @ t``.

        Parameters
        ----------
        origin : array_like (n_0,)
        directions : array_like (k, n_0)
            One direction per row; the slice network has input dimension ``k``.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0, 1.0]], [[1.0]]])
        >>> sl = net.restrict([0.0, 1.0], [[1.0, 0.0]])
        >>> sl.widths, sl([[2.0]]).tolist()
        ((1, 1, 1), [[3.0]])
        """
        o = as_array(origin, name="origin", shape=(self.input_dim,))
        U = as_array(directions, name="directions", ndim=2)
        if U.shape[1] != self.input_dim:
            raise ValueError(f"directions must have shape (k, {self.input_dim}); got {U.shape}")
        W0, b0 = self.weights[0], self.biases[0]
        return ReLUNetwork([W0 @ U.T, *self.weights[1:]], [W0 @ o + b0, *self.biases[1:]])

    def compose_input(self, A: object, c: object) -> "ReLUNetwork":
        """The network ``x ↦ f(A x + c)`` (an affine input transform folded in).

        Examples
        --------
        >>> ReLUNetwork([[[1.0]]]).compose_input([[2.0]], [1.0])([1.0]).tolist()
        [3.0]
        """
        A = as_array(A, name="A", ndim=2)
        if A.shape[0] != self.input_dim:
            raise ValueError(f"A must have {self.input_dim} rows; got {A.shape}")
        c = as_array(c, name="c", shape=(self.input_dim,))
        W0, b0 = self.weights[0], self.biases[0]
        return ReLUNetwork([W0 @ A, *self.weights[1:]], [W0 @ c + b0, *self.biases[1:]])

    def compose_output(self, A: object, c: object) -> "ReLUNetwork":
        """The network ``x ↦ A f(x) + c``.

        Examples
        --------
        >>> ReLUNetwork([[[1.0]]]).compose_output([[1.0], [-1.0]], [0.0, 1.0])([2.0]).tolist()
        [2.0, -1.0]
        """
        A = as_array(A, name="A", ndim=2)
        if A.shape[1] != self.output_dim:
            raise ValueError(f"A must have {self.output_dim} columns; got {A.shape}")
        c = as_array(c, name="c", shape=(A.shape[0],))
        WL, bL = self.weights[-1], self.biases[-1]
        return ReLUNetwork([*self.weights[:-1], A @ WL], [*self.biases[:-1], A @ bL + c])

    # --------------------------------------------------------------- loaders
    @classmethod
    def from_npz(cls, path: object) -> "ReLUNetwork":
        """Load from ``.npz`` (keys ``W0, b0, W1, b1, …``). See :func:`relugeom.network.load_npz`.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "net.npz")
        >>> ReLUNetwork([[[1.0, 2.0]], [[3.0]]]).to_npz(p)
        >>> ReLUNetwork.from_npz(p).widths
        (2, 1, 1)
        """
        from ._io import load_npz

        return load_npz(path)

    def to_npz(self, path: object) -> None:
        """Save to ``.npz``. See :func:`relugeom.network.save_npz`.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "net.npz")
        >>> net = ReLUNetwork([[[1.0]], [[2.0]]]); net.to_npz(p)
        >>> ReLUNetwork.from_npz(p) == net
        True
        """
        from ._io import save_npz

        save_npz(self, path)

    @classmethod
    def from_torch(cls, module: object, input_shape=None, **kwargs) -> "ReLUNetwork":
        """From a PyTorch model that is a fully connected ReLU chain. See :func:`relugeom.network.from_torch`.

        Raises
        ------
        NetworkError
            When the model is not a fully connected ReLU chain (use
            :func:`relugeom.network.from_torch` for a general :class:`Network`).

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        >>> ReLUNetwork.from_torch(model).widths
        (2, 4, 1)
        """
        from ._torch import from_torch

        net = from_torch(module, input_shape, **kwargs)
        return net if isinstance(net, ReLUNetwork) else net.to_relu_network()

    def to_torch(self) -> object:
        """To a PyTorch ``nn.Sequential``. See :func:`relugeom.network.to_torch`.

        Examples
        --------
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> model = net.to_torch()
        >>> ReLUNetwork.from_torch(model) == net
        True
        """
        from ._torch import to_torch

        return to_torch(self)

    @classmethod
    def from_onnx(cls, path: object) -> "ReLUNetwork":
        """From an ONNX file or ModelProto. See :func:`relugeom.network.load_onnx`.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "net.onnx")
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> net.to_onnx(p)
        >>> ReLUNetwork.from_onnx(p) == net
        True
        """
        from ._onnx import load_onnx

        return load_onnx(path)

    def to_onnx(self, path: object) -> None:
        """Save as ONNX (Gemm/Relu, opset 13). See :func:`relugeom.network.save_onnx`.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "net.onnx")
        >>> ReLUNetwork([[[2.0]]]).to_onnx(p)
        >>> ReLUNetwork.from_onnx(p)([3.0]).tolist()
        [6.0]
        """
        from ._onnx import save_onnx

        save_onnx(self, path)

    @classmethod
    def from_nnet(cls, path: object) -> "ReLUNetwork":
        """From an ``.nnet`` file (normalisation folded in). See :func:`relugeom.network.load_nnet`.

        Examples
        --------
        >>> import os, tempfile
        >>> from relugeom.network import save_nnet
        >>> p = os.path.join(tempfile.mkdtemp(), "net.nnet")
        >>> save_nnet(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]), p)
        >>> ReLUNetwork.from_nnet(p)([-2.0]).tolist()
        [2.0]
        """
        from ._nnet import load_nnet

        return load_nnet(path)
