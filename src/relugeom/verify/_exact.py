"""Exactly certified safety checks (``check_safety(..., exact=True)``).

The network's float weights are read as the rationals they are. The input part is split
into pieces along neuron hyperplanes as in :mod:`relugeom.verify._star`, but every decision
that removes part of the input set carries a proof in rational arithmetic:

- a neuron is fixed on a piece ``Q`` (no split) only with a Farkas certificate that the
  other side ``Q ∩ {z_j <= 0}`` (resp. ``{z_j >= 0}``) is empty;
- a leaf (all neurons decided; ``f(x) = A x + c`` exactly) is safe only with a Farkas
  certificate that ``Q ∩ {C_j (A x + c) <= d_j}`` is empty, for every unsafe part ``j``.

All systems are built from the network's exact pre-activation maps
(``net.exact_preactivation_maps``, rational matrices for a ReLUNetwork, operation by
operation for any other network), level by level; float LPs only *find* multipliers,
which are then repaired on their support and verified exactly.
Since the pieces (split halves and certified-nonempty sides) cover the input part, SAFE
with every certificate verified is a proof. This does no relaxation-based pruning, so it is
meant for small networks.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..polyhedra import LPStatus, solve_lp

log = logging.getLogger(__name__)

__all__ = ["ExactCertificate", "farkas_exact", "exact_search"]


@dataclass(frozen=True)
class ExactCertificate:
    """A verified rational Farkas certificate of one removed piece.

    Attributes
    ----------
    input_part : int
    kind : str
        ``"leaf"`` (no unsafe output on the piece) or ``"side"`` (one side of a neuron's
        hyperplane is empty on the piece).
    signs : tuple of (int, int)
        The neuron sign constraints ``(neuron, ±1)`` defining the piece.
    unsafe_part : int or None
        For leaves, the unsafe polyhedron excluded.
    y : tuple of Fraction
        Multipliers (``>= 0``) of the piece's rows: input-set rows, box rows, sign rows,
        then the extra rows (the unsafe rows or the neuron's side); ``yᵀM = 0``, ``yᵀh < 0``.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box, HPolytope
    >>> from relugeom.verify import check_safety
    >>> r = check_safety(ReLUNetwork([[[1.0]]]), Box([0], [1]), HPolytope([[-1.0]], [-2.0]),
    ...                  exact=True, rng=0)
    >>> c = r.certificates[0]
    >>> c.kind, all(v >= 0 for v in c.y), sum(c.y) > 0
    ('leaf', True, True)
    """

    input_part: int
    kind: str
    signs: tuple[tuple[int, int], ...]
    unsafe_part: int | None
    y: tuple[Fraction, ...]


def _fq(v: float) -> Fraction:
    return Fraction(float(v))


def farkas_exact(Mq: list[list[Fraction]], hq: list[Fraction], tol) -> tuple[Fraction, ...] | None:
    """Rational ``y >= 0`` with ``yᵀM = 0`` and ``yᵀh < 0`` for the exact system ``M x <= h``.

    Floats find a vertex of ``{y >= 0, Mᵀy = 0, hᵀy = -1}``; its support is solved exactly;
    the result is verified exactly. None when no certificate is found.

    Examples
    --------
    >>> F = Fraction
    >>> farkas_exact([[F(1)], [F(-1)]], [F(0), F(-1)], None)       # x <= 0, x >= 1
    (Fraction(1, 1), Fraction(1, 1))
    >>> farkas_exact([[F(1)]], [F(1)], None) is None
    True
    """
    from flint import fmpq, fmpq_mat

    m = len(Mq)
    n = len(Mq[0]) if m else 0
    Mf = np.array([[float(v) for v in row] for row in Mq]).reshape(m, n)
    hf = np.array([float(v) for v in hq])
    # alternative LP: min sum y, y >= 0, M^T y = 0, h^T y = -1
    A_eq = np.vstack([Mf.T, hf[None, :]])
    b_eq = np.zeros(n + 1)
    b_eq[-1] = -1.0
    r = solve_lp(np.ones(m), None, None, A_eq, b_eq, bounds=(0, None), tol=tol)
    if r.status is not LPStatus.OPTIMAL:
        return None
    yf = r.x
    S = [i for i in range(m) if yf[i] > 1e-12 * max(1.0, float(yf.max()))]
    if not S:
        return None
    # exact: columns S of [M^T; h^T] y_S = [0; -1]
    cols = len(S)
    aug = fmpq_mat(n + 1, cols + 1)
    for c, i in enumerate(S):
        for a in range(n):
            v = Mq[i][a]
            aug[a, c] = fmpq(v.numerator, v.denominator)
        aug[n, c] = fmpq(hq[i].numerator, hq[i].denominator)
    aug[n, cols] = fmpq(-1)
    R, rank = aug.rref()
    pivots = []
    for row in range(rank):
        for c in range(cols + 1):
            if R[row, c] != 0:
                pivots.append(c)
                break
    if cols in pivots:  # inconsistent
        return None
    free = [c for c in range(cols) if c not in pivots]
    y = {c: Fraction(float(yf[S[c]])).limit_denominator(10**12) for c in free}
    for row, pc in enumerate(pivots):
        val = R[row, cols]
        v = Fraction(int(val.p), int(val.q))
        for c in free:
            q = R[row, c]
            if q != 0:
                v -= Fraction(int(q.p), int(q.q)) * y[c]
        y[pc] = v
    full = [Fraction(0)] * m
    for c, i in enumerate(S):
        full[i] = y[c]
    # verify exactly
    if any(v < 0 for v in full):
        return None
    for a in range(n):
        if sum((full[i] * Mq[i][a] for i in S), Fraction(0)) != 0:
            return None
    if not sum((full[i] * hq[i] for i in S), Fraction(0)) < 0:
        return None
    return tuple(full)


def _fr(v) -> Fraction:
    """An exact rational (``fmpq``) as a Fraction."""
    return Fraction(int(v.p), int(v.q))


def _output_network(net):
    """``net`` with one more ReLU level on its (flat) outputs: the exact maps of that level's
    pre-activations are the exact affine maps of the outputs on a region."""
    from ..network import Layer, Network, ReLUNetwork

    if net.is_dense_relu:     # stays dense (exact maps by rational matrices)
        k = net.output_dim
        return ReLUNetwork(list(net.weights) + [np.eye(k)], list(net.biases) + [np.zeros(k)])
    layers = list(net.layers)
    o = net.output_layer
    if tuple(net.output_shape) != (net.output_dim,):
        layers.append(Layer("reshape", (o,), {"shape": (net.output_dim,)}, "exact_flatten"))
        o = len(layers) - 1
    layers.append(Layer("relu", (o,), {}, "exact_output"))
    aug = Network(layers, net.input_shape)
    assert aug.levels[-1] == (net.n_neurons, net.n_neurons + net.output_dim)
    return aug


def exact_search(ctx, bounds, stats: dict, result):
    """The ``exact=True`` path of :func:`~relugeom.verify.check_safety`.

    Neurons are decided level by level (``net.levels``); the float and exact maps of a
    level's pre-activations on a piece come from the network (``preactivation_maps``,
    ``exact_preactivation_maps``) for the piece's pattern, the exact output map from the
    exact pre-activations of an extra ReLU level on the outputs.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box, HPolytope
    >>> from relugeom.verify import check_safety
    >>> r = check_safety(ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]]), Box([-1], [2]),
    ...                  HPolytope([[-1.0]], [-3.0]), exact=True, rng=0)
    >>> r.verdict.value, len(r.certificates) > 0
    ('safe', True)
    """
    from ._check import Verdict, _confirm

    net, ins, uns, tol = ctx.net, ctx.ins, ctx.uns, ctx.tol
    d = net.input_dim
    levels = net.levels
    aug = _output_network(net)
    out_neurons = np.arange(net.n_neurons, net.n_neurons + net.output_dim)
    out_active = np.ones(net.output_dim, dtype=bool)
    Cq = [[_fq(v) for v in row] for row in uns.C]
    dq = [_fq(v) for v in uns.d]
    certs: list[ExactCertificate] = []
    stats.update(exact_pieces=0, exact_certificates=0, exact_failed=0)
    timed_out = False

    def certify_empty(Mq, hq, k, kind, signs, jj) -> None:
        """Certify ``{Mq x <= hq}`` empty by an exact Farkas certificate, or count a failure."""
        y = farkas_exact(Mq, hq, tol)
        if y is None:
            stats["exact_failed"] += 1
        else:
            stats["exact_certificates"] += 1
            certs.append(ExactCertificate(k, kind, signs, jj, y))

    def level_maps(pat: np.ndarray, level: int):
        """Float and exact maps of the pre-activations of a level (they depend on the
        pattern of the levels before it only)."""
        a, b = levels[level]
        G, g = net.preactivation_maps(pat)
        Gq, gq = net.exact_preactivation_maps(pat, range(a, b))
        return G[a:b], g[a:b], [[_fr(v) for v in row] for row in Gq], [_fr(v) for v in gq]

    for k in range(len(ins)):
        lo, hi = bounds[k]
        part = ins.parts[k]
        Af = [np.eye(d), -np.eye(d), part.A, part.A_eq, -part.A_eq]
        bf = [hi, -lo, part.b, part.b_eq, -part.b_eq]
        A0 = np.vstack(Af)
        b0 = np.concatenate(bf)
        Aq0 = [[_fq(v) for v in row] for row in A0]
        bq0 = [_fq(v) for v in b0]
        # node: (float rows, exact rows, level, neuron in level, level maps, pattern, signs)
        stack = [(A0, b0, Aq0, bq0, 0, 0, None, np.zeros(net.n_neurons, dtype=bool), ())]
        while stack:
            if ctx.out_of_time():
                timed_out = True
                break
            A, b, Aq, bqq, layer, j, maps, pat, signs = stack.pop()
            if layer == len(levels):
                stats["exact_pieces"] += 1
                P, p = net.affine_map(pat)
                Gq, gq = aug.exact_preactivation_maps(np.concatenate([pat, out_active]), out_neurons)
                Pq = [[_fr(v) for v in row] for row in Gq]
                pq = [_fr(v) for v in gq]
                for jj in range(uns.n_parts):
                    rows = np.flatnonzero(uns.group == jj)
                    Cj = uns.C[rows]
                    # float LP: most violating point of part jj on the piece
                    A_ub = np.vstack([np.hstack([A, np.zeros((len(b), 1))]),
                                      np.hstack([Cj @ P, -np.ones((len(rows), 1))])])
                    b_ub = np.concatenate([b, uns.d[rows] - Cj @ p])
                    cost = np.zeros(d + 1)
                    cost[-1] = 1.0
                    r = solve_lp(cost, A_ub, b_ub, tol=tol)
                    if r.status is LPStatus.OPTIMAL and r.value <= 0:
                        cex = _confirm(net, ins, uns, k, r.x[:d], tol, True, (lo, hi))
                        if cex is not None:
                            return result(Verdict.UNSAFE, cex, "counterexample found by an exact region LP", 0.0)
                    # exact certificate that piece ∩ {C_j f(x) <= d_j} is empty
                    Mq = list(Aq) + [[sum((Cq[r_][o] * Pq[o][a] for o in range(len(Pq))), Fraction(0))
                                      for a in range(d)] for r_ in rows]
                    hq = list(bqq) + [dq[r_] - sum((Cq[r_][o] * pq[o] for o in range(len(pq))), Fraction(0))
                                      for r_ in rows]
                    certify_empty(Mq, hq, k, "leaf", signs, int(jj))
                continue
            if maps is None:
                maps = level_maps(pat, layer)
            P, p, Pq, pq = maps
            start = levels[layer][0]
            n_k = P.shape[0]
            split = False
            while j < n_k:
                gid = int(start + j)
                g, g0 = P[j], p[j]
                lo_r = solve_lp(g, A, b, tol=tol)
                hi_r = solve_lp(-g, A, b, tol=tol)
                if lo_r.status is LPStatus.INFEASIBLE:
                    break
                zmin = lo_r.value + g0 if lo_r.optimal else -np.inf
                zmax = -hi_r.value + g0 if hi_r.optimal else np.inf
                side = None
                if zmin > 0:    # try: {z_j <= 0} is empty on the piece -> active
                    side = +1
                    row, rhs = Pq[j], -pq[j]
                elif zmax < 0:  # try: {z_j >= 0} is empty -> inactive
                    side = -1
                    row, rhs = [-v for v in Pq[j]], pq[j]
                if side is not None:
                    y = farkas_exact(list(Aq) + [row], list(bqq) + [rhs], tol)
                    if y is not None:
                        stats["exact_certificates"] += 1
                        certs.append(ExactCertificate(k, "side", signs, None, y))
                        signs = signs + ((gid, side),)
                        pat[gid] = side > 0
                        j += 1
                        continue
                # split along z_j = 0 (both halves kept: the union covers the piece)
                on = (np.vstack([A, -g[None]]), np.append(b, g0), Aq + [[-v for v in Pq[j]]], bqq + [pq[j]])
                off = (np.vstack([A, g[None]]), np.append(b, -g0), Aq + [list(Pq[j])], bqq + [-pq[j]])
                pat_on, pat_off = pat.copy(), pat.copy()
                pat_on[gid], pat_off[gid] = True, False
                stack.append((*off, layer, j + 1, maps, pat_off, signs + ((gid, -1),)))
                stack.append((*on, layer, j + 1, maps, pat_on, signs + ((gid, 1),)))
                split = True
                break
            if split or j < n_k:
                if not split:  # empty piece (float LP infeasible): certify it
                    certify_empty(Aq, bqq, k, "side", signs, None)
                continue
            # level done: the next level's maps are read from the pattern when it is popped
            stack.append((A, b, Aq, bqq, layer + 1, 0, None, pat, signs))
        if timed_out:
            break
    if timed_out:
        return _with_certs(result(Verdict.TIMEOUT, None, "time limit hit during the exact search", 0.0), certs)
    if stats["exact_failed"]:
        return _with_certs(result(Verdict.UNKNOWN, None, f"{stats['exact_failed']} piece(s) could not be "
                                  "certified exactly", 0.0), certs)
    return _with_certs(result(Verdict.SAFE, None, f"every piece excluded by a rational Farkas certificate "
                              f"verified exactly ({len(certs)} certificates)", 1.0), certs)


def _with_certs(res, certs):
    from dataclasses import replace

    return replace(res, certificates=tuple(certs))
