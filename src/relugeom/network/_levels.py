"""Pre-activations of one level at a growing set of points (for incremental engines).

The skeleton method adds the neurons of a level one at a time; each cut creates new points
(vertices) on the edges of the current complex. Along such an edge every quantity computed
before the level is affine, so the network's state there can be interpolated; this module
keeps, per level, whatever makes the next neuron's values cheapest:

* dense ReLU chains keep the previous layer's outputs at every point (interpolated for new
  points) and compute each neuron as one matrix-vector product;
* general networks keep the values of a block of the level's neurons at every point and
  evaluate new points afresh through the network (a convolution stays a convolution).

Both recompute from the points' coordinates when a cache would exceed its memory budget.

Examples
--------
>>> import numpy as np
>>> from relugeom.network import ReLUNetwork
>>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]], [[1.0]]])
>>> X = np.array([[-1.0], [2.0]])
>>> ev = net.level_evaluator(1, X)
>>> ev.values(2, X)[0].tolist()                      # neuron 2 = relu(x) + relu(-x)
[1.0, 2.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["DenseLevelEvaluator", "GraphLevelEvaluator"]

#: bytes for a level's cache (previous layer's outputs, or a block of values and scales)
BUDGET = 512 * 2 ** 20
#: dense layers at least this wide are evaluated by blocks of neurons
BLOCK_MIN = 128
_CHUNK = 1 << 20


class _Grow:
    """A growable row array (amortised appends)."""

    def __init__(self, arr: np.ndarray):
        self.a = np.ascontiguousarray(arr)
        self.n = len(arr)

    @property
    def v(self) -> np.ndarray:
        return self.a[: self.n]

    def extend(self, block: np.ndarray) -> None:
        need = self.n + len(block)
        if need > len(self.a):
            cap = max(need, int(len(self.a) * 1.3) + 64)
            try:
                self.a.resize((cap,) + self.a.shape[1:], refcheck=False)
            except ValueError:
                new = np.empty((cap,) + self.a.shape[1:], dtype=self.a.dtype)
                new[: self.n] = self.a[: self.n]
                self.a = new
        self.a[self.n: need] = block
        self.n = need

    def nbytes(self) -> int:
        return int(self.a.nbytes)


class DenseLevelEvaluator:
    """Values of the neurons of hidden layer ``l`` of a :class:`ReLUNetwork`.

    Keeps ``H`` = the outputs of layer ``l - 1`` at every point (interpolated along edges for
    new points) while it fits in the budget; else recomputes from the coordinates. Narrow
    layers compute each neuron as one matrix-vector product with ``H``; wide layers
    (:data:`BLOCK_MIN` neurons or more) compute a block of neurons as one matrix product
    and interpolate the block's values for new points, which reads ``H`` once per block
    instead of once per neuron.
    """

    def __init__(self, net, l: int, X: np.ndarray, budget: int = BUDGET):
        self.net, self.l, self.budget = net, int(l), budget
        self.offset = int(net.layer_offsets[l])
        self.order = np.arange(self.offset, int(net.layer_offsets[l + 1]))
        self.W, self.b = net.weights[l], net.biases[l]
        self.H = None
        if l and len(X) * net.widths[l] * 8 < budget:
            self.H = _Grow(net.layer_outputs(X, l))
        self.blocked = len(self.order) >= BLOCK_MIN and self.H is not None
        self.block = (0, 0)
        self.Z: _Grow | None = None
        self.S: _Grow | None = None

    def _load(self, j: int) -> None:
        Hv = self.H.v
        width = int(max(1, min(len(self.order) - j, self.budget // (16 * max(len(Hv), 1)))))
        W, b = self.W[j: j + width], self.b[j: j + width]
        self.block = (j, j + width)
        self.Z = _Grow(Hv @ W.T + b)
        self.S = _Grow(np.abs(Hv) @ np.abs(W).T + np.abs(b))

    def values(self, k: int, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activation of neuron ``k`` (flat index) and its magnitude at the points ``X``."""
        j = k - self.offset
        if self.H is not None and self.H.nbytes() > self.budget:
            self.H = None  # too big now: recompute per neuron from the coordinates
            self.blocked = False
        if self.H is None:
            return self.net.neuron_values(X, self.l, j)
        if self.blocked:
            if not self.block[0] <= j < self.block[1] or self.Z.n != len(X):
                self._load(j)
            return self.Z.v[:, j - self.block[0]], self.S.v[:, j - self.block[0]]
        Hv = self.H.v
        w, beta = self.W[j], float(self.b[j])
        return Hv @ w + beta, np.abs(Hv) @ np.abs(w) + abs(beta)

    def extend(self, ca: np.ndarray, cb: np.ndarray, t: np.ndarray, Xn: np.ndarray) -> None:
        """New points ``Xn = X[ca] + t (X[cb] - X[ca])`` were added."""
        if self.H is not None:
            Hv = self.H.v
            self.H.extend(Hv[ca] + t[:, None] * (Hv[cb] - Hv[ca]))
        if self.blocked and self.Z is not None:
            Zv, Sv = self.Z.v, self.S.v
            za, zb = Zv[ca], Zv[cb]
            self.Z.extend(za + t[:, None] * (zb - za))
            self.S.extend(np.maximum(Sv[ca], Sv[cb]) + np.abs(za) + np.abs(zb))


class GraphLevelEvaluator:
    """Values of the neurons of one level of a general :class:`Network`.

    The level's neurons are processed in blocks that are local in the network: all channels
    of a run of positions of a convolutional layer, so that a block's values need only its
    receptive field (see :meth:`Program.values_and_scales`) and the blocks together cost
    about one evaluation of the level. ``order`` is the processing order (any order within
    a level gives the same complex). Each block's values and magnitudes are kept at every
    point. A new point lies on an edge of the complex of the earlier levels, along which
    every neuron of the level is affine, so its values are interpolated (its magnitude is the
    larger of the endpoints' plus their values' sizes, which bounds the rounding carried
    along).
    """

    def __init__(self, net, l: int, X: np.ndarray, budget: int = BUDGET):
        self.net, self.budget = net, budget
        prog = net.program
        order = []
        for i in prog.level_relus[l]:
            op = prog.ops[i]
            shape = op.shape
            if len(shape) >= 2 and shape[0] > 1:  # position-major: all channels of a position together
                C, plane = shape[0], int(np.prod(shape[1:]))
                order.append((op.offset + (np.arange(C)[None, :] * plane + np.arange(plane)[:, None])).ravel())
            else:
                order.append(op.offset + np.arange(op.size))
        self.order = np.concatenate(order) if order else np.zeros(0, np.int64)
        self.rank = {int(k): r for r, k in enumerate(self.order.tolist())}
        self.block = np.zeros(0, np.int64)
        self.where: dict = {}
        self.Z: _Grow | None = None
        self.S: _Grow | None = None

    def _load(self, k: int, X: np.ndarray) -> None:
        """Evaluate the next block (from neuron ``k`` in ``order``) at all points, sized to the budget."""
        width = int(max(1, self.budget // (16 * max(len(X), 1))))
        r = self.rank[int(k)]
        self.block = self.order[r: r + width]
        self.where = {int(q): j for j, q in enumerate(self.block.tolist())}
        Z, S = self.net.values_and_scales(X, self.block)
        self.Z, self.S = _Grow(Z), _Grow(S)

    def values(self, k: int, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activation of neuron ``k`` and its magnitude at the points ``X``."""
        j = self.where.get(int(k))
        if j is None or self.Z.n != len(X) or self.Z.nbytes() + self.S.nbytes() > 2 * self.budget:
            self._load(k, X)
            j = self.where[int(k)]
        return self.Z.v[:, j], self.S.v[:, j]

    def extend(self, ca: np.ndarray, cb: np.ndarray, t: np.ndarray, Xn: np.ndarray) -> None:
        """New points ``Xn = X[ca] + t (X[cb] - X[ca])`` were added: interpolate the block."""
        if self.Z is None or not len(Xn):
            return
        Zv, Sv = self.Z.v, self.S.v
        za, zb = Zv[ca], Zv[cb]
        self.Z.extend(za + t[:, None] * (zb - za))
        self.S.extend(np.maximum(Sv[ca], Sv[cb]) + np.abs(za) + np.abs(zb))
