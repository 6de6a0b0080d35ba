"""The pruned tropical form read off the linear regions of a network (exact, no sampling).

In the Zhang–Naitzat–Lim recursion ``F'_i = H_i ⊕ G'_i`` with ``H_i − G'_i`` equal to neuron
``i``'s pre-activation, so on the closure of a region with activation pattern ``p`` the term
of ``F'_i`` attaining the maximum is ``H_i`` when neuron ``i`` is active and ``G'_i``
otherwise, and every ``F_j``, ``G_j`` is affine there. Running the recursion on affine maps
with the pattern fixed gives ``F|_R`` and ``G|_R`` for every region ``R`` at once (arrays of
shape ``(R, width, n + 1)``). A term of the pruned ``F`` is one that is the unique maximum on
an open set, and every open set meets the interior of a region, so the pruned terms of ``F``
are exactly the distinct maps ``F|_R`` over the regions of ``R^n`` (likewise ``G`` and every
intermediate ``F'_i``, ``G'_i``: the regions of the network refine those of its first
layers).
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

from .._tol import Tolerance, resolve
from ._poly import TropicalPolynomial, to_fraction
from ._prune import dedup_terms

log = logging.getLogger(__name__)

__all__: list[str] = []


def _affine_recursion(net, patterns: np.ndarray, exact: bool, layer_cb=None):
    """``(F, G)`` of every output on every pattern: arrays (R, m, n + 1), column 0 constant.

    ``layer_cb(l, F, G)`` is called after each layer with the layer's maps.
    """
    R = patterns.shape[0]
    n = net.input_dim
    dt = object if exact else float
    zero = Fraction(0) if exact else 0.0
    one = Fraction(1) if exact else 1.0
    F = np.full((R, n, n + 1), zero, dtype=dt)
    for k in range(n):
        F[:, k, k + 1] = one
    G = np.full((R, n, n + 1), zero, dtype=dt)
    if not net.is_dense_relu:
        return _graph_recursion(net, patterns, exact, F, G, layer_cb)
    L = net.n_layers
    offs = net.layer_offsets
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        if exact:
            Wq = np.array([[to_fraction(float(v)) for v in row] for row in W], dtype=object).reshape(W.shape)
            pos = np.where(W > 0, Wq, Fraction(0))
            neg = np.where(W < 0, -Wq, Fraction(0))
            bq = np.array([to_fraction(float(v)) for v in b], dtype=object)
        else:
            pos, neg = np.maximum(W, 0.0), np.maximum(-W, 0.0)
            bq = np.asarray(b, float)
        # (R, width_in, n+1) -> (R, width_out, n+1)
        H = np.matmul(pos, F) + np.matmul(neg, G)
        H[:, :, 0] = H[:, :, 0] + bq
        Gn = np.matmul(neg, F) + np.matmul(pos, G)
        if l < L - 1:
            act = patterns[:, offs[l]:offs[l] + W.shape[0]]
            Fn = np.where(act[:, :, None], H, Gn)
        else:
            Fn = H
        F, G = Fn, Gn
        if layer_cb is not None:
            layer_cb(l, F, G)
    return F, G


def _graph_recursion(net, patterns, exact, F0, G0, layer_cb):
    """:func:`_affine_recursion` on the program of a general network (``layer_cb`` per level)."""
    from ..network import _program as P

    prog = net.program
    regs: list = [None] * (len(prog.ops) + 1)
    regs[0] = (F0, G0)
    last = {prog.ops[i].level: i for i in prog.relus}
    for i, op in enumerate(prog.ops):
        if isinstance(op, P.Relu):
            F, G = regs[op.inputs[0]]
            act = patterns[:, op.offset: op.offset + op.size]
            regs[i + 1] = (np.where(act[:, :, None], F, G), G)
            if layer_cb is not None and last.get(op.level) == i:
                layer_cb(op.level, *regs[i + 1])
            continue
        M, c = prog.op_matrix(i)
        if exact:
            Mq = np.array([[to_fraction(float(v)) for v in row] for row in M], dtype=object).reshape(M.shape)
            pos = np.where(M > 0, Mq, Fraction(0))
            neg = np.where(M < 0, -Mq, Fraction(0))
            cq = np.array([to_fraction(float(v)) for v in c], dtype=object)
        else:
            pos, neg, cq = np.maximum(M, 0.0), np.maximum(-M, 0.0), c
        if op.inputs:
            F = np.concatenate([regs[r][0] for r in op.inputs], axis=1)
            G = np.concatenate([regs[r][1] for r in op.inputs], axis=1)
            H = np.matmul(pos, F) + np.matmul(neg, G)
            Gn = np.matmul(neg, F) + np.matmul(pos, G)
        else:
            shape = (patterns.shape[0], M.shape[0], F0.shape[2])
            H = np.full(shape, Fraction(0) if exact else 0.0, dtype=F0.dtype)
            Gn = H.copy()
        H[:, :, 0] = H[:, :, 0] + cq
        regs[i + 1] = (H, Gn)
        for r in op.inputs:
            if prog.last_use[r] == i and r != prog.output:
                regs[r] = None
    F, G = regs[prog.output]
    if layer_cb is not None:
        layer_cb(len(last), F, G)
    return F, G


def distinct_maps(M: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Indices of distinct rows ``(c, a)`` of a float array (R, n + 1) up to ``tol.map_rtol``.

    Examples
    --------
    >>> distinct_maps(np.array([[0.0, 1.0], [1e-14, 1.0], [0.0, 2.0]]), resolve(None)).tolist()
    [0, 2]
    """
    if len(M) == 0:
        return np.zeros(0, int)
    scale = max(1.0, float(np.abs(M).max()))
    key = np.round(M / (scale * tol.map_rtol)).astype(np.int64)
    _, idx = np.unique(key, axis=0, return_index=True)
    return np.sort(idx)


def layer_term_counts(net, patterns: np.ndarray, tol: Tolerance | None = None):
    """Per layer: (total pruned terms of all ``F'_i``, ``G'_i``, largest one).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> net = example_network("abs")
    >>> layer_term_counts(net, enumerate_regions(net, "unbounded", method="lp").patterns)
    [(6, 2), (3, 2)]
    """
    t = resolve(tol)
    out: list[tuple[int, int]] = []

    def cb(l, F, G):
        sizes = [len(distinct_maps(X[:, i, :], t)) for X in (F, G) for i in range(X.shape[1])]
        out.append((int(sum(sizes)), int(max(sizes))))

    _affine_recursion(net, np.asarray(patterns, bool), False, cb)
    return out


def form_polys_from_patterns(net, patterns: np.ndarray, *, exact: bool = False,
                             tol: Tolerance | None = None, layer_stats: bool = True):
    """Pruned ``(F_k, G_k)`` of every output from the activation patterns of all regions of R^n.

    Returns ``(polys, layers)`` where ``polys`` is a list of ``(F_k, G_k)`` pairs of
    :class:`TropicalPolynomial` and ``layers`` a list of ``(terms, max_terms)`` per layer
    (empty when ``layer_stats`` is False).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.regions import enumerate_regions
    >>> net = example_network("three_pieces")
    >>> (F, G), = form_polys_from_patterns(net, enumerate_regions(net, "unbounded").patterns)[0]
    >>> sorted(F.terms()), sorted(G.terms())
    ([(0.0, (2.0,)), (0.0, (3.0,))], [(0.0, (2.0,)), (2.0, (0.0,))])
    """
    t = resolve(tol)
    P = np.asarray(patterns, bool)
    layers: list[tuple[int, int]] = []

    def cb(l, F, G):
        if layer_stats:
            sizes = [len(distinct_maps(X[:, i, :], t)) for X in (F, G) for i in range(X.shape[1])]
            layers.append((int(sum(sizes)), int(max(sizes))))

    F, G = _affine_recursion(net, P, False, cb)
    polys = []
    for k in range(F.shape[1]):
        pair = []
        for X in (F, G):
            M = X[:, k, :]
            keep = distinct_maps(M, t)
            keep = keep[dedup_terms(M[keep, 1:], M[keep, 0], tol=t)]  # equal exponents: largest c
            if exact:
                Fe, Ge = _affine_recursion(net, P[keep], True)
                Me = (Fe if X is F else Ge)[:, k, :]
                pair.append(TropicalPolynomial(list(Me[:, 0]), Me[:, 1:], exact=True))
            else:
                pair.append(TropicalPolynomial.from_arrays(M[keep, 1:].copy(), M[keep, 0].copy(), exact=False))
        polys.append(tuple(pair))
    return polys, layers
