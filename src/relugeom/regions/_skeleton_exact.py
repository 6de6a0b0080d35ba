"""Exact rational arithmetic for the skeleton method (python-flint ``fmpq``).

Every float64 weight is an exact rational, so the vertices of the region complex of the
stored network are exact rational solutions of ``d`` linear equations and every
pre-activation at a float point can be evaluated without rounding. The skeleton method
uses this module on the few places where floating point is near a tie:

* :meth:`ExactNetwork.vertex_sign` decides the sign of a neuron at a vertex given by the
  hyperplanes through it (domain facets and neurons);
* :meth:`ExactNetwork.pattern_at` computes the exact activation pattern (and whether any
  pre-activation is exactly zero) at a float point, to certify interior points.

Examples
--------
>>> import numpy as np
>>> from relugeom.network import ReLUNetwork
>>> net = ReLUNetwork([[[1.0, 0.0], [1.0, 1.0]], [[1.0, 1.0]]], [[0.0, -1.0], [0.0]])
>>> X = ExactNetwork(net, np.zeros((0, 2)), np.zeros(0))
>>> X.pattern_at(np.array([0.5, 0.25]))
([True, False], True)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["ExactNetwork"]


def _q(v: float):
    from flint import fmpq

    p, q = float(v).as_integer_ratio()
    return fmpq(p, q)


def _mat(A: np.ndarray):
    from flint import fmpq_mat

    A = np.atleast_2d(np.asarray(A, dtype=float))
    return fmpq_mat(A.shape[0], A.shape[1], [_q(v) for v in A.ravel()])


class ExactNetwork:
    """A ReLU network and a domain ``A x <= b`` converted exactly to rationals.

    Parameters
    ----------
    net : ReLUNetwork
    A, b : ndarray
        The domain's rows (hyperplane ``i`` of the skeleton is ``A[i] x = b[i]``).

    Examples
    --------
    >>> import numpy as np
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> ExactNetwork(net, np.array([[1.0], [-1.0]]), np.ones(2)).n_neurons
    2
    """

    def __init__(self, net, A: np.ndarray, b: np.ndarray):
        self.net = net
        self.d = net.input_dim
        self.m = int(A.shape[0])
        self.W = [_mat(W) for W in net.weights[:-1]]
        self.b = [_mat(np.asarray(bb).reshape(-1, 1)) for bb in net.biases[:-1]]
        self.A = [[_q(v) for v in row] for row in np.asarray(A, dtype=float)]
        self.bA = [_q(v) for v in np.asarray(b, dtype=float)]
        self.offsets = [int(o) for o in net.layer_offsets]
        self.n_neurons = int(net.n_neurons)

    # ----------------------------------------------------------- pattern maps
    def _maps(self, active: list[bool], n_layers: int):
        """Exact affine maps (G_l, g_l) of the pre-activations of layers 0..n_layers-1."""
        from flint import fmpq_mat

        d = self.d
        A = fmpq_mat(d, d, [1 if i == j else 0 for i in range(d) for j in range(d)])
        c = fmpq_mat(d, 1, [0] * d)
        out = []
        for l in range(n_layers):
            G = self.W[l] * A
            g = self.W[l] * c + self.b[l]
            out.append((G, g))
            if l + 1 < n_layers:
                o = self.offsets[l]
                n = G.nrows()
                D = fmpq_mat(n, n, [(1 if (i == j and active[o + i]) else 0)
                                    for i in range(n) for j in range(n)])
                A, c = D * G, D * g
        return out

    def vertex_sign(self, zero_hyperplanes: list[int], active: list[bool], k: int) -> int:
        """Exact sign of neuron ``k``'s pre-activation at a skeleton vertex.

        Parameters
        ----------
        zero_hyperplanes : list of int
            The ``d`` hyperplanes through the vertex: ``i < m`` is domain row ``i``,
            ``m + j`` is hidden neuron ``j`` (all ``j < k``).
        active : list of bool
            A pattern of the neurons ``< k`` of one region whose closure contains the
            vertex (e.g. the vertex's signs with the zero neurons filled as active).
        k : int
            The neuron whose sign is wanted.

        Returns
        -------
        int
            -1, 0 or 1; 2 when the hyperplanes do not meet in a single point.

        Examples
        --------
        >>> import numpy as np
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[1.0], [1.0]], [[1.0, 1.0]]], [[0.0, -0.5], [0.0]])
        >>> X = ExactNetwork(net, np.array([[1.0], [-1.0]]), np.ones(2))
        >>> X.vertex_sign([2], [True, False], 1)   # at x = 0 neuron 1 is -0.5
        -1
        """
        from flint import fmpq_mat

        d = self.d
        layer = int(np.searchsorted(self.offsets, k, side="right") - 1)
        maps = self._maps(active + [True] * (self.n_neurons - len(active)), layer + 1)
        rows, rhs = [], []
        for h in zero_hyperplanes:
            if h < self.m:
                rows.extend(self.A[h])
                rhs.append(self.bA[h])
            else:
                j = h - self.m
                lj = int(np.searchsorted(self.offsets, j, side="right") - 1)
                G, g = maps[lj]
                i = j - self.offsets[lj]
                rows.extend(G[i, t] for t in range(d))
                rhs.append(-g[i, 0])
        M = fmpq_mat(d, d, rows)
        if M.rank() < d:
            return 2
        x = M.solve(fmpq_mat(d, 1, rhs))
        G, g = maps[layer]
        i = k - self.offsets[layer]
        val = sum((G[i, t] * x[t, 0] for t in range(d)), g[i, 0])
        return (val > 0) - (val < 0)

    def pattern_at(self, x: np.ndarray) -> tuple[list[bool], bool]:
        """Exact activation pattern at a float point (converted exactly).

        Returns
        -------
        pattern : list of bool
        strict : bool
            False when some pre-activation is exactly zero (the point is on a boundary).

        Examples
        --------
        >>> import numpy as np
        >>> from relugeom.network import ReLUNetwork
        >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])
        >>> ExactNetwork(net, np.zeros((0, 1)), np.zeros(0)).pattern_at(np.array([0.0]))
        ([False, False], False)
        """
        from flint import fmpq_mat

        h = fmpq_mat(self.d, 1, [_q(v) for v in np.asarray(x, dtype=float)])
        pattern, strict = [], True
        for W, b in zip(self.W, self.b):
            z = W * h + b
            vals = [z[i, 0] for i in range(z.nrows())]
            strict = strict and all(v != 0 for v in vals)
            pattern.extend(v > 0 for v in vals)
            h = fmpq_mat(len(vals), 1, [v if v > 0 else 0 for v in vals])
        return pattern, strict


def as_fraction(v) -> Fraction:
    """An ``fmpq`` as a :class:`fractions.Fraction`.

    Examples
    --------
    >>> from flint import fmpq
    >>> as_fraction(fmpq(1, 3))
    Fraction(1, 3)
    """
    return Fraction(int(v.p), int(v.q))
