"""Exact decisions for the skeleton method, on the network's exact arithmetic.

Every float64 weight is an exact rational, so the vertices of the region complex of the
stored network are exact rational solutions of ``d`` linear equations, and every
pre-activation at a float point can be evaluated without rounding. The network computes
the exact maps (:meth:`relugeom.network.Network.exact_preactivation_maps`, dense
``fmpq_mat`` products for a ``ReLUNetwork``, operation by operation otherwise); this
module adds the domain's rows and solves for the vertex:

* :meth:`ExactNetwork.vertex_sign` decides the sign of a neuron at a vertex given by the
  hyperplanes through it (domain facets and neurons);
* :meth:`ExactNetwork.pattern_at` gives the exact activation pattern (and whether any
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

from ..network._exact import fmpq_of, solve_point

__all__ = ["ExactNetwork"]


class ExactNetwork:
    """A network and a domain ``A x <= b`` for exact vertex decisions.

    Parameters
    ----------
    net : Network
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
        self.A = [[fmpq_of(v) for v in row] for row in np.asarray(A, dtype=float)]
        self.bA = [fmpq_of(v) for v in np.asarray(b, dtype=float)]
        self.n_neurons = int(net.n_neurons)

    def vertex_sign(self, zero_hyperplanes: list[int], active: list[bool], k: int) -> int:
        """Exact sign of neuron ``k``'s pre-activation at a skeleton vertex.

        Parameters
        ----------
        zero_hyperplanes : list of int
            The ``d`` hyperplanes through the vertex: ``i < m`` is domain row ``i``,
            ``m + j`` is neuron ``j`` (all ``j < k``).
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
        d = self.d
        pattern = list(active) + [True] * (self.n_neurons - len(active))
        neurons = [h - self.m for h in zero_hyperplanes if h >= self.m]
        G, g = self.net.exact_preactivation_maps(pattern, neurons + [k])
        rows, rhs = [], []
        it = iter(range(len(neurons)))
        for h in zero_hyperplanes:
            if h < self.m:
                rows.append(self.A[h])
                rhs.append(self.bA[h])
            else:
                i = next(it)
                rows.append([G[i, t] for t in range(d)])
                rhs.append(-g[i])
        x = solve_point(rows, rhs)
        if x is None:
            return 2
        val = g[-1]
        for t in range(d):
            val = val + G[-1, t] * x[t]
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
        return self.net.exact_pattern_at(np.asarray(x, dtype=float))


def as_fraction(v) -> Fraction:
    """An ``fmpq`` as a :class:`fractions.Fraction`.

    Examples
    --------
    >>> from flint import fmpq
    >>> as_fraction(fmpq(1, 3))
    Fraction(1, 3)
    """
    return Fraction(int(v.p), int(v.q))
