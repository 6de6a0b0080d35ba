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

import logging
import time

import numpy as np

from .._grow import Grow as _Grow

log = logging.getLogger(__name__)

__all__ = ["DenseLevelEvaluator", "GraphLevelEvaluator"]

#: bytes for a level's cache (previous layer's outputs, or a block of values and scales)
BUDGET = 512 * 2 ** 20
#: dense layers at least this wide are evaluated by blocks of neurons
BLOCK_MIN = 128
#: the next level is carried along (accumulated while this level is cut) up to this width
NEXT_MAX = 256
_CHUNK = 1 << 20


def _mag32(S: np.ndarray) -> np.ndarray:
    """Magnitudes kept in float32, rounded up (they only scale tie thresholds)."""
    return (np.asarray(S, dtype=np.float64) * (1.0 + 2.0 ** -20)).astype(np.float32)


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


def _no_carry(self, n_points: int):
    """End of the level: nothing is carried to the next one."""
    return None


DenseLevelEvaluator.finish = _no_carry


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

    def __init__(self, net, l: int, X: np.ndarray, budget: int = BUDGET, carry=None):
        self.net, self.budget, self.l = net, budget, int(l)
        prog = net.program
        self.carry_in = carry
        self.next = _next_level_map(net, self.l, len(X), budget)
        self.T: _Grow | None = None      # the next level's pre-activations, accumulated
        self.TS: _Grow | None = None     # and their magnitudes
        self.done: set = set()           # neurons whose block was accumulated
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
        self._accumulate(self.rank[int(k)])
        # half the budget (values in float64, magnitudes in float32): room for the points this
        # block's cuts add (reloaded beyond it)
        width = int(max(1, self.budget // (24 * max(len(X), 1))))
        r = self.rank[int(k)]
        self.block = self.order[r: r + width]
        self.where = {int(q): j for j, q in enumerate(self.block.tolist())}
        t0 = time.perf_counter()
        if self.carry_in is not None and self.carry_in.covers(self.block):
            Z, S = self.carry_in.take(self.block, len(X))
        else:
            Z, S = self.net.values_and_scales(X, self.block)
        self.Z, self.S = _Grow(Z), _Grow(_mag32(S))
        log.debug("level block of %d neurons (from %d) at %d points: %.2f s", len(self.block), k,
                  len(X), time.perf_counter() - t0)

    def values(self, k: int, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pre-activation of neuron ``k`` and its magnitude at the points ``X``."""
        j = self.where.get(int(k))
        if j is None or self.Z.n != len(X) or self.Z.nbytes() + self.S.nbytes() > self.budget:
            self._load(k, X)
            j = self.where[int(k)]
        return self.Z.v[:, j], self.S.v[:, j].astype(np.float64)

    def extend(self, ca: np.ndarray, cb: np.ndarray, t: np.ndarray, Xn: np.ndarray) -> None:
        """New points ``Xn = X[ca] + t (X[cb] - X[ca])`` were added: interpolate the block."""
        if not len(Xn):
            return
        if self.T is not None and self.T.nbytes() + self.TS.nbytes() > 2 * self.budget:
            self.next, self.T, self.TS = None, None, None  # outgrew its budget: no carry
        for Zg, Sg in ((self.Z, self.S), (self.T, self.TS)):
            if Zg is None:
                continue
            Zv, Sv = Zg.v, Sg.v
            za, zb = Zv[ca], Zv[cb]
            Zg.extend(za + t[:, None] * (zb - za))
            Sg.extend(_mag32(np.maximum(Sv[ca], Sv[cb]) + np.abs(za) + np.abs(zb)))
        if self.carry_in is not None:
            self.carry_in.extend(ca, cb, t)

    def _accumulate(self, upto: int) -> None:
        """Add the share of the next level's pre-activations of the block's finished neurons.

        The neurons before rank ``upto`` in ``order`` have been cut, so on every edge made
        from now on their ReLU outputs are affine, and so is the accumulated sum: new points
        get it by interpolation.
        """
        if self.next is None or self.Z is None or not len(self.block):
            return
        ranks = np.array([self.rank[int(q)] for q in self.block])
        fin = (ranks < upto) & ~np.isin(self.block, np.fromiter(self.done, np.int64, len(self.done)))
        if not np.any(fin):
            return
        M, Mabs = self.next.M, self.next.Mabs
        cols = self.block[fin] - self.next.offset
        h = np.maximum(self.Z.v[:, fin], 0.0)
        part = h @ M[:, cols].T
        mag = h @ Mabs[:, cols].T
        if self.T is None:
            self.T, self.TS = _Grow(part), _Grow(_mag32(mag))
        else:
            self.T.v[:] += part
            self.TS.v[:] = _mag32(self.TS.v + mag)
        self.done.update(int(k) for k in self.block[fin])

    def finish(self, n_points: int):
        """End of the level: the next level's values when they were carried along, else None."""
        self._accumulate(len(self.order))
        if self.next is None or self.T is None or len(self.done) != len(self.order):
            return None
        return _Carried(self.next, self.T, self.TS)


class _NextMap:
    """The affine map from a level's ReLU outputs to the next level's pre-activations."""

    def __init__(self, M, c, offset, next_offset):
        self.M, self.c = M, c
        self.Mabs = np.abs(M)
        self.offset, self.next_offset = offset, next_offset


def _next_level_map(net, l: int, n_points: int, budget: int):
    """The dense map to level ``l + 1`` when it reads only level ``l``'s ReLU and is narrow."""
    from ._graph import _affine_block, _register_sources

    prog = net.program
    if l + 1 >= len(prog.levels) or len(prog.level_relus[l]) != 1 or len(prog.level_relus[l + 1]) != 1:
        return None
    src_op = prog.level_relus[l][0]
    dst_op = prog.level_relus[l + 1][0]
    n_next = prog.levels[l + 1][1] - prog.levels[l + 1][0]
    n_here = prog.levels[l][1] - prog.levels[l][0]
    # a narrow next level (a dense head) only: its values are kept at every point, which
    # multiply during this level
    if n_next > NEXT_MAX or n_next * max(n_points, 1) * 12 * 3 > budget or n_next * n_here > 2 ** 24:
        return None
    target = prog.ops[dst_op].inputs[0]
    if _register_sources(prog, target) != {src_op + 1}:
        return None
    M, c = _affine_block(prog, src_op + 1, target)
    return _NextMap(M, c, prog.levels[l][0], prog.levels[l + 1][0])


class _Carried:
    """Next-level values accumulated during a level (values = sum + constant)."""

    def __init__(self, nm: _NextMap, T: _Grow, TS: _Grow):
        self.nm = nm
        self.Z = _Grow(T.v + nm.c)
        self.S = _Grow(_mag32(TS.v + np.abs(nm.c)))

    def covers(self, block: np.ndarray) -> bool:
        return self.Z.n > 0

    def take(self, block: np.ndarray, n_points: int):
        cols = np.asarray(block) - self.nm.next_offset
        return self.Z.v[:, cols].copy(), self.S.v[:, cols].astype(np.float64)

    def extend(self, ca, cb, t):
        Zv, Sv = self.Z.v, self.S.v
        za, zb = Zv[ca], Zv[cb]
        self.Z.extend(za + t[:, None] * (zb - za))
        self.S.extend(_mag32(np.maximum(Sv[ca], Sv[cb]) + np.abs(za) + np.abs(zb)))
