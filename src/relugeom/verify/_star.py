"""Exact region splitting inside a polytope (star sets in input space).

Within a polytope ``P`` of input space, the network is processed neuron by neuron in layer
order. A neuron whose pre-activation (an affine function of ``x`` on the current piece)
keeps one sign on the piece is fixed; otherwise the piece is split along the neuron's
hyperplane into two pieces. When every neuron is fixed, the piece is a region of the
network inside ``P`` (or a union of faces of one) and the network is one affine map there.
This is the exact star-set method (Tran et al. 2019; Bak et al., nnenum, 2020), written over
the input coordinates, which are few for the networks this is meant for.

Decisions use LPs over the current piece with feasibility tolerance ``tol.feas_atol``;
bounds valid on all of ``P`` (from bound propagation) fix neurons without any LP.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from .._tol import Tolerance
from ..network import as_network
from ..polyhedra import LPStatus, solve_lp

log = logging.getLogger(__name__)

__all__ = ["Piece", "iter_pieces"]


@dataclass
class Piece:
    """One leaf of the splitting: a polytope ``{x : A x <= b}`` ∩ box with one affine map.

    Attributes
    ----------
    A, b : ndarray
        The inequalities (input-set rows and neuron sign rows).
    pattern : ndarray of bool (N,)
        The activation pattern (True = active) of the piece.
    out_A, out_c : ndarray
        ``f(x) = out_A @ x + out_c`` on the piece.
    witness : ndarray
        A point of the piece.
    """

    A: np.ndarray
    b: np.ndarray
    pattern: np.ndarray
    out_A: np.ndarray
    out_c: np.ndarray
    witness: np.ndarray


@dataclass
class StarStats:
    """Counters of one splitting run."""

    n_lp: int = 0
    n_pieces: int = 0
    n_splits: int = 0
    timed_out: bool = False
    extra: dict = field(default_factory=dict)


def _lp_range(c: np.ndarray, A: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              tol: Tolerance, sense: int):
    """min (sense=+1) or max (sense=-1) of c @ x over the piece: (status, value, x)."""
    r = solve_lp(sense * c, A if len(b) else None, b if len(b) else None,
                 bounds=list(zip(lo, hi)), tol=tol)
    if r.status is not LPStatus.OPTIMAL:
        return r.status, None, None
    return r.status, sense * r.value, r.x


def iter_pieces(net, lo: np.ndarray, hi: np.ndarray, A0: np.ndarray, b0: np.ndarray, *,
                tol: Tolerance, pre_lb: np.ndarray | None = None, pre_ub: np.ndarray | None = None,
                witness: np.ndarray | None = None, deadline: float | None = None,
                prune: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], bool] | None = None,
                stats: StarStats | None = None) -> Iterator[Piece]:
    """Yield the pieces (regions ∩ polytope) of ``net`` inside ``{lo <= x <= hi, A0 x <= b0}``.

    Parameters
    ----------
    net : Network or ReLUNetwork
        A :class:`ReLUNetwork` is processed layer by layer with its dense matrices; any
        other network level by level (``net.levels``), the maps of a level's neurons on a
        piece read from ``net.preactivation_maps`` of the piece's pattern.
    lo, hi : ndarray (n_0,)
        A box containing the polytope (its bounds enter every LP as variable bounds).
    A0, b0 : ndarray
        Extra inequalities of the polytope (may have 0 rows).
    tol : Tolerance
    pre_lb, pre_ub : ndarray (N,), optional
        Pre-activation bounds valid on the whole box; stable neurons are fixed without LPs.
    witness : ndarray, optional
        A point of the polytope.
    deadline : float, optional
        ``time.monotonic()`` value after which the iteration stops (``stats.timed_out``).
    prune : callable, optional
        ``prune(A, b, out_A, out_c, layer)`` is called when a hidden layer is complete, with
        the piece and the affine map of that layer's post-activations; returning True drops
        the piece (the caller proved it irrelevant). ReLUNetwork only.
    stats : StarStats, optional
        Filled with counters.

    Yields
    ------
    Piece

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom._tol import DEFAULT
    >>> net = example_network("three_units")
    >>> ps = list(iter_pieces(net, np.array([-2.0, -2.0]), np.array([2.0, 2.0]),
    ...                       np.zeros((0, 2)), np.zeros(0), tol=DEFAULT))
    >>> len(ps)
    7
    """
    net = as_network(net)
    st = stats if stats is not None else StarStats()
    d = net.input_dim
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    if not net.is_dense_relu:
        if prune is not None:
            raise ValueError("prune is only supported for a ReLUNetwork")
        yield from _iter_pieces_general(net, lo, hi, A0, b0, tol=tol, pre_lb=pre_lb, pre_ub=pre_ub,
                                        witness=witness, deadline=deadline, st=st)
        return
    Ws, bs = net.weights, net.biases
    Lh = net.n_layers - 1
    offs = net.layer_offsets
    if witness is None:
        r = solve_lp(np.zeros(d), A0 if len(b0) else None, b0 if len(b0) else None,
                     bounds=list(zip(lo, hi)), tol=tol)
        st.n_lp += 1
        if r.status is not LPStatus.OPTIMAL:
            return
        witness = r.x
    # a stack of (A, b, layer, j, P, p, pattern, witness)
    P0 = Ws[0].copy() if Lh else Ws[0]
    p0 = bs[0].copy()
    stack = [(A0, b0, 0, 0, P0, p0, np.zeros(net.n_neurons, dtype=bool), np.asarray(witness, float))]
    while stack:
        if deadline is not None and time.monotonic() > deadline:
            st.timed_out = True
            return
        A, b, k, j, P, p, pat, w = stack.pop()
        if k == Lh:  # all hidden layers done: P, p is the output map
            st.n_pieces += 1
            yield Piece(A, b, pat, P, p, w)
            continue
        n_k = P.shape[0]
        split = False
        while j < n_k:
            g, g0 = P[j], p[j]
            gid = offs[k] + j
            if pre_lb is not None and pre_lb[gid] >= 0:
                pat[gid] = True
                j += 1
                continue
            if pre_ub is not None and pre_ub[gid] <= 0:
                j += 1
                continue
            # interval over the box first, then one LP against the witness's sign
            gp, gn = np.maximum(g, 0.0), np.minimum(g, 0.0)
            zmin = gp @ lo + gn @ hi + g0
            zmax = gp @ hi + gn @ lo + g0
            if zmin >= 0:
                pat[gid] = True
                j += 1
                continue
            if zmax <= 0:
                j += 1
                continue
            zw = g @ w + g0
            st.n_lp += 1
            status, v, xo = _lp_range(g, A, b, lo, hi, tol, +1 if zw > 0 else -1)
            if status is LPStatus.INFEASIBLE:  # the piece is empty (up to the tolerance)
                break
            if v is not None:
                v = v + g0
            if v is not None and zw > 0 and v >= 0:
                pat[gid] = True
                j += 1
                continue
            if v is not None and zw <= 0 and v <= 0:
                j += 1
                continue
            if xo is None:  # the LP failed: split conservatively, both sides kept
                log.debug("LP failed at neuron %d; splitting without a witness", gid)
                xo = w
            # both signs occur: split the piece along the hyperplane g x + g0 = 0
            st.n_splits += 1
            A_on = np.vstack([A, -g[None, :]])
            b_on = np.append(b, g0)           # g x + g0 >= 0
            A_off = np.vstack([A, g[None, :]])
            b_off = np.append(b, -g0)         # g x + g0 <= 0
            pat_on, pat_off = pat.copy(), pat.copy()
            pat_on[gid] = True
            w_on, w_off = (w, xo) if zw > 0 else (xo, w)
            stack.append((A_off, b_off, k, j + 1, P, p, pat_off, w_off))
            stack.append((A_on, b_on, k, j + 1, P, p, pat_on, w_on))
            split = True
            break
        if split:
            continue
        if j < n_k:  # empty piece
            continue
        # layer k complete: post-activation map, then the next pre-activation map
        D = pat[offs[k]:offs[k + 1]].astype(float)
        M, m = P * D[:, None], p * D
        if prune is not None and prune(A, b, M, m, k):
            continue
        stack.append((A, b, k + 1, 0, Ws[k + 1] @ M, Ws[k + 1] @ m + bs[k + 1], pat, w))


def _iter_pieces_general(net, lo: np.ndarray, hi: np.ndarray, A0: np.ndarray, b0: np.ndarray, *,
                         tol: Tolerance, pre_lb, pre_ub, witness, deadline, st: StarStats) -> Iterator[Piece]:
    """:func:`iter_pieces` for any network, level by level (the same decisions as the dense path)."""
    d = net.input_dim
    levels = net.levels
    if witness is None:
        r = solve_lp(np.zeros(d), A0 if len(b0) else None, b0 if len(b0) else None,
                     bounds=list(zip(lo, hi)), tol=tol)
        st.n_lp += 1
        if r.status is not LPStatus.OPTIMAL:
            return
        witness = r.x
    # a stack of (A, b, level, j, maps of the level's neurons or None, pattern, witness)
    stack = [(A0, b0, 0, 0, None, np.zeros(net.n_neurons, dtype=bool), np.asarray(witness, float))]
    while stack:
        if deadline is not None and time.monotonic() > deadline:
            st.timed_out = True
            return
        A, b, k, j, maps, pat, w = stack.pop()
        if k == len(levels):  # every level done: the network is one affine map on the piece
            st.n_pieces += 1
            out_A, out_c = net.affine_map(pat)
            yield Piece(A, b, pat, out_A, out_c, w)
            continue
        start, stop = levels[k]
        if maps is None:      # the level's pre-activations depend on the levels before it only
            G, g = net.preactivation_maps(pat)
            maps = (G[start:stop], g[start:stop])
        P, p = maps
        n_k = stop - start
        split = False
        while j < n_k:
            g_, g0 = P[j], p[j]
            gid = start + j
            if pre_lb is not None and pre_lb[gid] >= 0:
                pat[gid] = True
                j += 1
                continue
            if pre_ub is not None and pre_ub[gid] <= 0:
                j += 1
                continue
            gp, gn = np.maximum(g_, 0.0), np.minimum(g_, 0.0)
            zmin = gp @ lo + gn @ hi + g0
            zmax = gp @ hi + gn @ lo + g0
            if zmin >= 0:
                pat[gid] = True
                j += 1
                continue
            if zmax <= 0:
                j += 1
                continue
            zw = g_ @ w + g0
            st.n_lp += 1
            status, v, xo = _lp_range(g_, A, b, lo, hi, tol, +1 if zw > 0 else -1)
            if status is LPStatus.INFEASIBLE:
                break
            if v is not None:
                v = v + g0
            if v is not None and zw > 0 and v >= 0:
                pat[gid] = True
                j += 1
                continue
            if v is not None and zw <= 0 and v <= 0:
                j += 1
                continue
            if xo is None:
                log.debug("LP failed at neuron %d; splitting without a witness", gid)
                xo = w
            st.n_splits += 1
            A_on = np.vstack([A, -g_[None, :]])
            b_on = np.append(b, g0)
            A_off = np.vstack([A, g_[None, :]])
            b_off = np.append(b, -g0)
            pat_on, pat_off = pat.copy(), pat.copy()
            pat_on[gid] = True
            w_on, w_off = (w, xo) if zw > 0 else (xo, w)
            stack.append((A_off, b_off, k, j + 1, maps, pat_off, w_off))
            stack.append((A_on, b_on, k, j + 1, maps, pat_on, w_on))
            split = True
            break
        if split or j < n_k:  # split, or an empty piece
            continue
        stack.append((A, b, k + 1, 0, None, pat, w))
