"""Exact rational arithmetic for dense ReLU networks (python-flint ``fmpq_mat``).

Every float64 weight is an exact rational, so pre-activations at rational points and the
affine maps of neurons on a pattern's region can be computed without rounding. The general
:class:`~relugeom.network.Network` does this operation by operation on object arrays of
``fmpq``; a :class:`~relugeom.network.ReLUNetwork` uses the dense matrices here, which is
much faster.

Examples
--------
>>> import numpy as np
>>> from relugeom.network import ReLUNetwork
>>> net = ReLUNetwork([[[1.0, 0.0], [1.0, 1.0]], [[1.0, 1.0]]], [[0.0, -1.0], [0.0]])
>>> DenseExact(net).pattern_at(np.array([0.5, 0.25]))
([True, False], True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["DenseExact", "fmpq_of", "solve_point"]


def fmpq_of(v: float):
    """The float ``v`` as an exact ``fmpq``.

    Examples
    --------
    >>> fmpq_of(0.75)
    3/4
    """
    from flint import fmpq

    p, q = float(v).as_integer_ratio()
    return fmpq(p, q)


def _mat(A: np.ndarray):
    from flint import fmpq_mat

    A = np.atleast_2d(np.asarray(A, dtype=float))
    return fmpq_mat(A.shape[0], A.shape[1], [fmpq_of(v) for v in A.ravel()])


def solve_point(rows: list, rhs: list):
    """The exact solution of ``rows x = rhs`` (``d`` rows of ``fmpq``), or None if singular.

    Examples
    --------
    >>> from flint import fmpq
    >>> solve_point([[fmpq(2), fmpq(0)], [fmpq(0), fmpq(4)]], [fmpq(1), fmpq(1)])
    [1/2, 1/4]
    """
    from flint import fmpq_mat

    d = len(rows)
    M = fmpq_mat(d, d, [v for r in rows for v in r])
    if M.rank() < d:
        return None
    x = M.solve(fmpq_mat(d, 1, list(rhs)))
    return [x[i, 0] for i in range(d)]


class DenseExact:
    """A :class:`ReLUNetwork` converted exactly to rational matrices (lazily, per layer).

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> DenseExact(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])).n_neurons
    2
    """

    def __init__(self, net):
        self.net = net
        self.d = net.input_dim
        self.offsets = [int(o) for o in net.layer_offsets]
        self.n_neurons = int(net.n_neurons)
        self._W: dict[int, object] = {}
        self._b: dict[int, object] = {}

    def W(self, l: int):
        if l not in self._W:
            self._W[l] = _mat(self.net.weights[l])
            self._b[l] = _mat(np.asarray(self.net.biases[l]).reshape(-1, 1))
        return self._W[l], self._b[l]

    def maps(self, active, n_layers: int) -> list:
        """Exact maps ``(G_l, g_l)`` of the pre-activations of layers ``0..n_layers-1``."""
        from flint import fmpq_mat

        d = self.d
        A = fmpq_mat(d, d, [1 if i == j else 0 for i in range(d) for j in range(d)])
        c = fmpq_mat(d, 1, [0] * d)
        out = []
        for l in range(n_layers):
            W, b = self.W(l)
            G = W * A
            g = W * c + b
            out.append((G, g))
            if l + 1 < n_layers:
                o = self.offsets[l]
                n = G.nrows()
                D = fmpq_mat(n, n, [(1 if (i == j and active[o + i]) else 0)
                                    for i in range(n) for j in range(n)])
                A, c = D * G, D * g
        return out

    def preactivation_maps(self, active, neurons) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``(G, g)`` of the listed neurons on the region of pattern ``active``."""
        neurons = [int(k) for k in neurons]
        d = self.d
        if not neurons:
            return np.zeros((0, d), dtype=object), np.zeros(0, dtype=object)
        layers = [int(np.searchsorted(self.offsets, k, side="right") - 1) for k in neurons]
        maps = self.maps(list(active), max(layers) + 1)
        G = np.empty((len(neurons), d), dtype=object)
        g = np.empty(len(neurons), dtype=object)
        for r, (k, l) in enumerate(zip(neurons, layers)):
            Gl, gl = maps[l]
            i = k - self.offsets[l]
            for t in range(d):
                G[r, t] = Gl[i, t]
            g[r] = gl[i, 0]
        return G, g

    def pattern_at(self, x: np.ndarray) -> tuple[list[bool], bool]:
        """Exact pattern at a float point, and whether no pre-activation is zero."""
        from flint import fmpq_mat

        h = fmpq_mat(self.d, 1, [fmpq_of(v) for v in np.asarray(x, dtype=float).ravel()])
        pattern, strict = [], True
        for l in range(self.net.n_layers - 1):
            W, b = self.W(l)
            z = W * h + b
            vals = [z[i, 0] for i in range(z.nrows())]
            strict = strict and all(v != 0 for v in vals)
            pattern.extend(v > 0 for v in vals)
            h = fmpq_mat(len(vals), 1, [v if v > 0 else 0 for v in vals])
        return pattern, strict
