"""From tropical polynomials and rational functions back to ReLU networks.

A max of affine terms is a ReLU network: ``max(u, v) = relu(u − v) + relu(v) − relu(−v)``;
pairing the terms level by level gives a tree of depth ``⌈log2 m⌉``. Values that are
already finished are carried through a layer as ``v = relu(v) − relu(−v)``.
"""

from __future__ import annotations

import numpy as np

from ._poly import TropicalPolynomial

__all__ = ["polynomial_to_network", "rationals_to_network", "max_tree_network"]


def max_tree_network(groups: list[tuple[np.ndarray, np.ndarray]], out: np.ndarray):
    """A network computing ``out @ [max_i (A_g x + c_g)_i for each group g]``.

    Parameters
    ----------
    groups : list of (A (m_g, n), c (m_g,))
        The affine terms of each max.
    out : ndarray (n_out, n_groups)
        Linear combination of the group maxima for each output.

    Examples
    --------
    >>> net = max_tree_network([(np.array([[1.0], [-1.0]]), np.zeros(2))], np.array([[1.0]]))
    >>> net([[-2.0], [3.0]]).ravel().tolist()
    [2.0, 3.0]
    """
    from ..network import ReLUNetwork

    n = groups[0][0].shape[1]
    # current values of each group: rows of (M, v), linear in the previous layer's output h
    cur = [(np.asarray(A, float), np.asarray(c, float)) for A, c in groups]
    Ws, bs = [], []
    while any(len(c) > 1 for _, c in cur):
        rows, offs = [], []
        nxt_spec = []  # for each group, list of per-value neuron combos (neuron index, coef)
        k = 0
        for M, v in cur:
            combos = []
            m = len(v)
            for s in range(0, m - 1, 2):
                u_M, u_v, w_M, w_v = M[s], v[s], M[s + 1], v[s + 1]
                rows += [u_M - w_M, w_M, -w_M]
                offs += [u_v - w_v, w_v, -w_v]
                combos.append([(k, 1.0), (k + 1, 1.0), (k + 2, -1.0)])
                k += 3
            if m % 2 == 1:
                rows += [M[m - 1], -M[m - 1]]
                offs += [v[m - 1], -v[m - 1]]
                combos.append([(k, 1.0), (k + 1, -1.0)])
                k += 2
            nxt_spec.append(combos)
        Ws.append(np.array(rows))
        bs.append(np.array(offs))
        cur = []
        for combos in nxt_spec:
            M = np.zeros((len(combos), k))
            for r, combo in enumerate(combos):
                for idx, coef in combo:
                    M[r, idx] = coef
            cur.append((M, np.zeros(len(combos))))
    # every group has one value now: out @ values
    Mf = np.vstack([M for M, _ in cur])
    vf = np.concatenate([v for _, v in cur])
    out = np.asarray(out, float)
    Ws.append(out @ Mf)
    bs.append(out @ vf)
    return ReLUNetwork(Ws, bs)


def polynomial_to_network(F: TropicalPolynomial):
    """A ReLU network computing ``F`` (one output).

    Examples
    --------
    >>> F = TropicalPolynomial([0.0, 0.0], [[1.0], [0.0]])
    >>> polynomial_to_network(F)([[-1.0], [2.0]]).ravel().tolist()
    [0.0, 2.0]
    """
    A, c = F.float_arrays()
    return max_tree_network([(A, c)], np.ones((1, 1)))


def rationals_to_network(rationals: list):
    """A ReLU network with outputs ``F_k − G_k`` for a list of tropical rational functions.

    Examples
    --------
    >>> from relugeom.tropical import TropicalRational
    >>> r = TropicalRational(TropicalPolynomial([0.0, 0.0], [[1.0], [-1.0]]),
    ...                      TropicalPolynomial([0.0], [[0.0]]))
    >>> rationals_to_network([r, r])([[-3.0]]).tolist()
    [[3.0, 3.0]]
    """
    if not rationals:
        raise ValueError("need at least one tropical rational function")
    groups = []
    K = len(rationals)
    out = np.zeros((K, 2 * K))
    for k, r in enumerate(rationals):
        groups.append(r.F.float_arrays())
        groups.append(r.G.float_arrays())
        out[k, 2 * k], out[k, 2 * k + 1] = 1.0, -1.0
    return max_tree_network(groups, out)
