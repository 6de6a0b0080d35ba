"""Batched bound propagation over boxes: interval arithmetic and linear relaxations (CROWN).

For a batch of input boxes ``[lo_b, hi_b]`` the functions return, per box, bounds on every
hidden pre-activation and lower bounds on linear functions ``C f(x)`` of the output. The
linear relaxation is the usual one (Zhang et al., CROWN, NeurIPS 2018; Singh et al.,
DeepPoly, POPL 2019): an unstable neuron with pre-activation bounds ``l < 0 < u`` satisfies
``α z <= relu(z) <= u (z - l) / (u - l)`` with ``α ∈ {0, 1}`` chosen adaptively
(``α = 1`` when ``u > -l``). Bounds are propagated backwards from each layer to the input
box; every intermediate bound is also intersected with interval arithmetic.

Two implementations share these definitions: the dense one for
:class:`~relugeom.network.ReLUNetwork` (matrices, tuned for ACAS Xu), and the general one,
which runs on the lowered program of any :class:`~relugeom.network.Network`: backwards,
every affine operation applies its ``adjoint`` and adds its ``constant``, every ReLU its
relaxation; the reverse of that pass (for α-CROWN's gradients) is a forward pass. On a dense
chain both give the same numbers (to rounding). The output bounds ``spec_lb`` are the
linear bound's own minimum (not intersected with interval arithmetic, so that
``spec_coef``/``spec_argmin`` describe them); they can be looser than interval arithmetic
when a relaxation with ``α = 1`` dominates.

All bounds are sound in real arithmetic; computed in float64 they carry rounding errors of
order ``1e-12`` relative to the weights, which the caller's tolerance covers.
"""

from __future__ import annotations

import copy
import logging
import weakref
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["BoxBounds", "crown_bounds", "interval_bounds", "gradient_bounds", "optimize_spec_alpha"]


@dataclass
class BoxBounds:
    """Bounds for a batch of ``B`` boxes.

    Attributes
    ----------
    pre_lb, pre_ub : list of ndarray (B, n_l)
        Bounds on the pre-activations of each hidden layer.
    spec_lb : ndarray (B, R) or None
        Lower bounds on ``C f(x)`` over each box (rows of ``C``).
    spec_coef : ndarray (B, R, n_0) or None
        The input coefficients of the linear lower bound of each row (the bound is
        ``spec_coef @ x + const`` minimised over the box).
    spec_argmin : ndarray (B, R, n_0) or None
        The box corner minimising each row's linear lower bound.
    relax : list or dict or None
        The ReLU relaxations used (internal: per hidden layer for a :class:`ReLUNetwork`,
        per ReLU operation of the program for a general network).
    level_method : list of str or None
        How the pre-activation bounds of each level were computed: ``"crown"`` (a backward
        linear relaxation, or bounds known to be as tight: the exact range of an affine
        function, or every neuron already stable by interval arithmetic), ``"interval"``
        (interval arithmetic: asked for, or the level was too wide for the CROWN budget) or
        ``"symbolic"``.
    """

    pre_lb: list[np.ndarray]
    pre_ub: list[np.ndarray]
    spec_lb: np.ndarray | None = None
    spec_coef: np.ndarray | None = None
    spec_argmin: np.ndarray | None = None
    relax: list | dict | None = None
    level_method: list[str] | None = None

    def n_unstable(self) -> np.ndarray:
        """Number of unstable neurons (``l < 0 < u``) per box.

        Examples
        --------
        >>> b = BoxBounds([np.array([[-1.0, 1.0]])], [np.array([[1.0, 2.0]])])
        >>> b.n_unstable().tolist()
        [1]
        """
        if not self.pre_lb:
            return np.zeros(0, dtype=int)
        return sum(((l < 0) & (u > 0)).sum(axis=1) for l, u in zip(self.pre_lb, self.pre_ub))

    def stable_pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """``(fixed, active)`` bool arrays (B, N): which neurons are stable, and their sign.

        Examples
        --------
        >>> b = BoxBounds([np.array([[-1.0, 1.0]])], [np.array([[1.0, 2.0]])])
        >>> [a.astype(int).tolist() for a in b.stable_pattern()]
        [[[0, 1]], [[0, 1]]]
        """
        lb = np.concatenate(self.pre_lb, axis=1)
        ub = np.concatenate(self.pre_ub, axis=1)
        return (lb >= 0) | (ub <= 0), lb >= 0


def interval_bounds(net, lo: object, hi: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval arithmetic through every operation of a network over a batch of boxes.

    Returns ``(pre_lb, pre_ub, out_lb, out_ub)``: ``(B, n_neurons)`` bounds on the
    pre-activations and ``(B, output_dim)`` bounds on the outputs.

    Examples
    --------
    >>> from relugeom.network import NetworkBuilder
    >>> b = NetworkBuilder((2,)); net = b.build(b.reduce_max(b.input, axes=(0,)))
    >>> [a.tolist() for a in interval_bounds(net, [[0.0, -1.0]], [[1.0, 2.0]])]  # max = x0 + relu(x1 - x0)
    [[[-2.0]], [[2.0]], [[0.0]], [[3.0]]]
    """
    from ._program import Const, Relu

    prog = net.program
    lo = np.atleast_2d(np.asarray(lo, dtype=float))
    hi = np.atleast_2d(np.asarray(hi, dtype=float))
    if lo.shape != hi.shape or lo.shape[1] != prog.input_size:
        raise ValueError(f"lo and hi must have shape (B, {prog.input_size}); got {lo.shape}, {hi.shape}")
    B = lo.shape[0]
    mid: list = [None] * (len(prog.ops) + 1)
    rad: list = [None] * (len(prog.ops) + 1)
    mid[0] = ((lo + hi) / 2).reshape((B,) + prog.input_shape)
    rad[0] = ((hi - lo) / 2).reshape((B,) + prog.input_shape)
    plb = np.empty((B, prog.n_neurons))
    pub = np.empty((B, prog.n_neurons))
    for i, op in enumerate(prog.ops):
        ins = op.inputs
        if isinstance(op, Relu):
            l = (mid[ins[0]] - rad[ins[0]])
            u = (mid[ins[0]] + rad[ins[0]])
            plb[:, op.offset: op.offset + op.size] = l.reshape(B, -1)
            pub[:, op.offset: op.offset + op.size] = u.reshape(B, -1)
            l, u = np.maximum(l, 0.0), np.maximum(u, 0.0)
            mid[i + 1], rad[i + 1] = (l + u) / 2, (u - l) / 2
        elif isinstance(op, Const):
            mid[i + 1] = np.broadcast_to(op.value, (B,) + op.shape)
            rad[i + 1] = np.zeros((B,) + op.shape)
        else:
            mid[i + 1] = op.forward(*[mid[r] for r in ins])
            rad[i + 1] = op.absolute(*[rad[r] for r in ins])
    m, r = mid[prog.output].reshape(B, -1), rad[prog.output].reshape(B, -1)
    return plb, pub, m - r, m + r


def _relaxation(l: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower slope α, upper slope s and upper intercept t of the ReLU relaxation."""
    act = l >= 0
    unst = (l < 0) & (u > 0)
    denom = np.where(unst, u - l, 1.0)
    s = np.where(act, 1.0, np.where(unst, u / denom, 0.0))
    t = np.where(unst, -s * l, 0.0)
    alpha = np.where(act, 1.0, np.where(unst, (u > -l).astype(float), 0.0))
    return alpha, s, t


def _mm(L: np.ndarray, W: np.ndarray) -> np.ndarray:
    """(B, m, n) @ (n, p) as one GEMM."""
    B, m, n = L.shape
    return (L.reshape(B * m, n) @ W).reshape(B, m, W.shape[1])


def _backward(Ws, bs, relax, Lam: np.ndarray, layer: int, lo: np.ndarray, hi: np.ndarray):
    """Lower bound of ``Lam @ z_layer`` over each box (``z_layer`` = pre-activation of layer)."""
    const = Lam @ bs[layer]
    Om = _mm(Lam, Ws[layer])
    for k in range(layer - 1, -1, -1):
        alpha, s, t, unst, live = relax[k]
        # stable neurons: relu is exact (slope s = alpha in {0, 1}, no intercept); only the
        # columns unstable in some box of the batch need the sign-dependent relaxation
        Lam = Om[:, :, live] * s[:, None, live]
        if len(unst):
            pos_u = np.searchsorted(live, unst)             # unstable ⊆ live
            OmU = Om[:, :, unst]
            negU = np.minimum(OmU, 0.0)
            const = const + np.einsum("bmu,bu->bm", negU, t[:, unst])
            Lam[:, :, pos_u] = np.where(OmU > 0, OmU * alpha[:, None, unst], negU * s[:, None, unst])
        const = const + Lam @ bs[k][live]
        Om = _mm(Lam, Ws[k][live])
    pos = np.maximum(Om, 0.0)
    neg = Om - pos
    lb = const + np.einsum("bmd,bd->bm", pos, lo) + np.einsum("bmd,bd->bm", neg, hi)
    return lb, Om


def _relax_entry(l: np.ndarray, u: np.ndarray):
    alpha, s, t = _relaxation(l, u)
    unst = np.flatnonzero(((l < 0) & (u > 0)).any(axis=0))
    live = np.flatnonzero((u > 0).any(axis=0))          # neurons active somewhere in the batch
    return alpha, s, t, unst, live


def _crown_dense(net, lo: np.ndarray, hi: np.ndarray, C: np.ndarray | None = None,
                 *, method: str = "crown") -> BoxBounds:
    """Bounds of a :class:`ReLUNetwork` over boxes: the dense, tuned path of :func:`crown_bounds`."""
    if method not in ("crown", "symbolic", "interval"):
        raise ValueError(f"method must be 'crown', 'symbolic' or 'interval'; got {method!r}")
    lo = np.atleast_2d(np.asarray(lo, float))
    hi = np.atleast_2d(np.asarray(hi, float))
    Ws, bs = net.weights, net.biases
    Lh = net.n_layers - 1
    pre_lb: list[np.ndarray] = []
    pre_ub: list[np.ndarray] = []
    relax = []
    if method == "symbolic":
        d = lo.shape[1]
        B = lo.shape[0]
        # linear lower/upper functions of x: z >= Lx + lc, z <= Ux + uc
        Lx = np.broadcast_to(np.eye(d), (B, d, d))
        Ux = Lx
        lc = np.zeros((B, d))
        uc = lc
    for k in range(Lh):
        W, b = Ws[k], bs[k]
        if method == "symbolic":
            Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
            Lx, Ux = (np.matmul(Wp, Lx) + np.matmul(Wn, Ux), np.matmul(Wp, Ux) + np.matmul(Wn, Lx))
            lc, uc = lc @ Wp.T + uc @ Wn.T + b, uc @ Wp.T + lc @ Wn.T + b
            l = lc + np.einsum("bnd,bd->bn", np.maximum(Lx, 0), lo) + np.einsum("bnd,bd->bn", np.minimum(Lx, 0), hi)
            u = uc + np.einsum("bnd,bd->bn", np.maximum(Ux, 0), hi) + np.einsum("bnd,bd->bn", np.minimum(Ux, 0), lo)
            if k > 0:
                ilo, ihi = np.maximum(pre_lb[-1], 0.0), np.maximum(pre_ub[-1], 0.0)
                l = np.maximum(l, ilo @ Wp.T + ihi @ Wn.T + b)
                u = np.minimum(u, ihi @ Wp.T + ilo @ Wn.T + b)
            pre_lb.append(l)
            pre_ub.append(u)
            alpha, s_, t_, _, _ = entry = _relax_entry(l, u)
            relax.append(entry)
            Lx = Lx * alpha[:, :, None]
            lc = lc * alpha
            Ux = Ux * s_[:, :, None]
            uc = uc * s_ + t_
            continue
        if k == 0:
            ilo, ihi = lo, hi
        else:
            ilo, ihi = np.maximum(pre_lb[-1], 0.0), np.maximum(pre_ub[-1], 0.0)
        Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
        l = ilo @ Wp.T + ihi @ Wn.T + b
        u = ihi @ Wp.T + ilo @ Wn.T + b
        if k > 0 and method == "crown":
            n = W.shape[0]
            # only the neurons interval arithmetic leaves unstable need the backward pass
            unst = np.flatnonzero(((l < 0) & (u > 0)).any(axis=0))
            if len(unst):
                E = np.zeros((len(unst), n))
                E[np.arange(len(unst)), unst] = 1.0
                Lam = np.broadcast_to(np.vstack([E, -E]), (lo.shape[0], 2 * len(unst), n))
                lb, _ = _backward(Ws, bs, relax, np.ascontiguousarray(Lam), k, lo, hi)
                m = len(unst)
                l[:, unst] = np.maximum(l[:, unst], lb[:, :m])
                u[:, unst] = np.minimum(u[:, unst], -lb[:, m:])
        pre_lb.append(l)
        pre_ub.append(u)
        relax.append(_relax_entry(l, u))
    out = BoxBounds(pre_lb, pre_ub, relax=relax, level_method=[method] * Lh)
    if C is not None:
        C = np.asarray(C, float)
        if method == "interval":
            ilo, ihi = (np.maximum(pre_lb[-1], 0.0), np.maximum(pre_ub[-1], 0.0)) if Lh else (lo, hi)
            M = C @ Ws[-1]
            Mp, Mn = np.maximum(M, 0.0), np.minimum(M, 0.0)
            out.spec_lb = ilo @ Mp.T + ihi @ Mn.T + C @ bs[-1]
        else:
            Lam = np.ascontiguousarray(np.broadcast_to(C, (lo.shape[0],) + C.shape))
            lb, Om = _backward(Ws, bs, relax, Lam, Lh, lo, hi)
            out.spec_lb = lb
            out.spec_coef = Om
            out.spec_argmin = np.where(Om > 0, lo[:, None, :], hi[:, None, :])
    return out


def _optimize_alpha_dense(net, bb: BoxBounds, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          C: np.ndarray, *, steps: int = 20, lr: float = 0.1,
                          rows: np.ndarray | None = None) -> np.ndarray:
    """The dense path of :func:`optimize_spec_alpha`."""
    Ws, bs = net.weights, net.biases
    lo_i, hi_i = lo[idx], hi[idx]
    B, R = len(idx), C.shape[0]
    if rows is not None:
        rows = np.asarray(rows, dtype=int).reshape(B, -1)
        R = rows.shape[1]
    H = len(bb.relax)
    s_ = [r[1][idx][:, None, :] for r in bb.relax]
    t_ = [r[2][idx][:, None, :] for r in bb.relax]
    um = [(r[2][idx] > 0)[:, None, :] for r in bb.relax]
    alphas = [np.repeat(r[0][idx][:, None, :], R, axis=1) for r in bb.relax]
    m1 = [np.zeros_like(a) for a in alphas]
    m2 = [np.zeros_like(a) for a in alphas]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    best = None
    if rows is None:
        Om_top = np.broadcast_to(C @ Ws[-1], (B, R, Ws[-1].shape[1]))
        const_top = np.broadcast_to(C @ bs[-1], (B, R))
    else:
        Cb = np.asarray(C, float)[rows]                                    # (B, R', m)
        Om_top = Cb @ Ws[-1]
        const_top = Cb @ bs[-1]
    for it in range(steps + 1):
        Om = Om_top
        const = const_top
        Oms, As = [], [None] * H
        for k in range(H - 1, -1, -1):
            a = np.where(um[k], alphas[k], s_[k])                      # α kept in [0, 1]
            As[k] = a
            Oms.append(Om)
            pos = np.maximum(Om, 0.0)
            neg = Om - pos
            const = const + (neg * t_[k]).sum(-1)
            Lam = pos * a + neg * s_[k]
            const = const + Lam @ bs[k]
            Om = _mm(Lam, Ws[k])
        lb = const + (np.maximum(Om, 0.0) * lo_i[:, None, :]).sum(-1) + (np.minimum(Om, 0.0) * hi_i[:, None, :]).sum(-1)
        best = lb if best is None else np.maximum(best, lb)
        if it == steps:
            break
        # reverse pass: d lb / d Om at the input, then up through the layers
        G = np.where(Om > 0, lo_i[:, None, :], hi_i[:, None, :])          # d lb / d Om_input
        Oms = Oms[::-1]                                                    # Oms[k] enters step k
        for k in range(H):
            gLam = _mm(G, Ws[k].T) + bs[k]                                   # d lb / d Lam_k
            Omk = Oms[k]
            pos = np.maximum(Omk, 0.0)
            grad = gLam * pos * um[k]
            # Adam ascent on α (projected onto [0, 1])
            m1[k] = beta1 * m1[k] + (1 - beta1) * grad
            m2[k] = beta2 * m2[k] + (1 - beta2) * grad * grad
            mh = m1[k] / (1 - beta1 ** (it + 1))
            vh = m2[k] / (1 - beta2 ** (it + 1))
            alphas[k] = np.minimum(np.maximum(alphas[k] + lr * mh / (np.sqrt(vh) + eps), 0.0), 1.0)
            G = gLam * np.where(Omk > 0, As[k], s_[k]) + (Omk < 0) * t_[k]
    return best


def _gradient_bounds_dense(net, bb: BoxBounds, idx: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dense path of :func:`gradient_bounds`."""
    Ws = net.weights
    B = len(idx)
    G = np.broadcast_to(np.asarray(C, float) @ Ws[-1], (B,) + (C.shape[0], Ws[-1].shape[1]))
    lo_g = hi_g = G
    for k in range(len(Ws) - 2, -1, -1):
        l, u = bb.pre_lb[k][idx][:, None, :], bb.pre_ub[k][idx][:, None, :]
        act = l >= 0
        unst = (l < 0) & (u > 0)
        lo_g = np.where(act, lo_g, np.where(unst, np.minimum(lo_g, 0.0), 0.0))
        hi_g = np.where(act, hi_g, np.where(unst, np.maximum(hi_g, 0.0), 0.0))
        Wp, Wn = np.maximum(Ws[k], 0.0), np.minimum(Ws[k], 0.0)
        lo_g, hi_g = _mm(lo_g, Wp) + _mm(hi_g, Wn), _mm(hi_g, Wp) + _mm(lo_g, Wn)
    return lo_g, hi_g


# ======================================================================= general networks
#: default work budget of the CROWN pass of one ReLU operation's intermediate bounds: boxes
#: × rows (two per unstable neuron) × entries of the registers the pass goes through; an
#: operation above it keeps its interval bounds
CROWN_BUDGET = 2e9
#: entries of one adjoint array of a backward pass (rows are processed in chunks of this)
_CHUNK_FLOATS = 2 ** 22
#: step size of the projected Adam ascent on the lower slopes (α-CROWN)
ALPHA_LR = 0.1
#: default work budget of α-CROWN for one ReLU operation's intermediate bounds (CROWN
#: pass × iterations, counted as for CROWN_BUDGET)
ALPHA_BUDGET = 1e8


def _ancestors(prog, r: int) -> set[int]:
    """The registers register ``r`` is computed from (``r`` included)."""
    seen: set[int] = set()
    stack = [r]
    while stack:
        q = stack.pop()
        if q in seen:
            continue
        seen.add(q)
        if q > 0:
            stack.extend(prog.ops[q - 1].inputs)
    return seen


def _box_exact(prog) -> list[bool]:
    """Per register: is interval arithmetic over an input box exact for every entry?

    True when the register is reached from the input without a ReLU and through at most one
    operation that mixes entries (dense, convolution, sum, combination of tensors); the
    others (reshapes, selections, scaling, concatenation) map one entry to one entry.
    """
    from ._program import Conv, Const, Dense, LinComb, ReduceSum, Relu

    mix = [0.0]
    for op in prog.ops:
        if isinstance(op, Relu):
            m = np.inf
        elif isinstance(op, Const):
            m = 0.0
        else:
            m = max((mix[r] for r in op.inputs), default=0.0)
            if isinstance(op, (Dense, Conv, ReduceSum)) or (isinstance(op, LinComb) and len(op.inputs) > 1):
                m += 1.0
        mix.append(m)
    return [m <= 1.0 for m in mix]


def _as_boxes(prog, lo: object, hi: object) -> tuple[np.ndarray, np.ndarray]:
    lo = np.atleast_2d(np.asarray(lo, dtype=float))
    hi = np.atleast_2d(np.asarray(hi, dtype=float))
    if lo.shape != hi.shape or lo.ndim != 2 or lo.shape[1] != prog.input_size:
        raise ValueError(f"lo and hi must have shape (B, {prog.input_size}); got {lo.shape}, {hi.shape}")
    return lo, hi


def _backward_general(prog, target: int, Lam: np.ndarray, lo: np.ndarray, hi: np.ndarray, relax: dict,
                      *, alphas: dict | None = None, stop: dict | None = None, keep: bool = False):
    """Lower bounds of ``<Lam_j, z_target>`` over each box, backwards through the program.

    ``Lam`` is ``(B, m, *shape of register target)``; ``relax`` maps each ReLU operation
    on the way to its ``(alpha, s, t)`` (``(B, size)``); ``alphas`` replaces the lower
    slopes by per-row ones ``(B, m, size)`` (α-CROWN); ``stop`` maps ReLU operations to
    the interval ``(lo, hi)`` of their outputs, used instead of the relaxation (interval
    arithmetic from there on). Returns ``(lb (B, m), coef (B, m, n_0) or None, kept)``,
    ``kept`` the adjoints at the ReLU outputs (with ``keep``).
    """
    from ._program import Const, Relu

    B, m = Lam.shape[:2]
    n = B * m
    adj = {target: Lam.reshape((n,) + prog.shapes[target])}
    const = np.zeros((B, m))
    kept: dict = {}
    for i in range(target - 1, -1, -1):
        g = adj.pop(i + 1, None)
        if g is None:
            continue
        op = prog.ops[i]
        if isinstance(op, Relu):
            g3 = g.reshape(B, m, -1)
            if keep:
                kept[i] = g3
            pos = np.maximum(g3, 0.0)
            neg = g3 - pos
            if stop is not None and i in stop:
                l, u = stop[i]
                const += np.einsum("bmk,bk->bm", pos, l) + np.einsum("bmk,bk->bm", neg, u)
                continue
            alpha, s, t = relax[i]
            const += np.einsum("bmk,bk->bm", neg, t)
            a = alphas[i] if alphas is not None and i in alphas else alpha[:, None, :]
            parts = ((pos * a + neg * s[:, None, :]).reshape(g.shape),)
        elif isinstance(op, Const):
            const += g.reshape(B, m, -1) @ op.value.reshape(-1)
            continue
        else:
            c = op.constant()
            if c is not None:
                const += g.reshape(B, m, -1) @ np.ravel(c)
            parts = op.adjoint(g)
        for r, gr in zip(op.inputs, parts):
            adj[r] = gr if r not in adj else adj[r] + gr
    g0 = adj.get(0)
    if g0 is None:
        return const, None, kept
    Om = g0.reshape(B, m, -1)
    pos = np.maximum(Om, 0.0)
    lb = const + np.einsum("bmd,bd->bm", pos, lo) + np.einsum("bmd,bd->bm", Om - pos, hi)
    return lb, Om, kept


def _crown_rows(prog, relax: dict, r: int, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                chunk: int, alpha_steps: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CROWN (α-CROWN with ``alpha_steps``) lower and upper bounds ``(B, len(idx))`` of the
    entries ``idx`` of register ``r``."""
    B = lo.shape[0]
    shape = prog.shapes[r]
    size = int(np.prod(shape, dtype=np.int64))
    lbs, ubs = [], []
    for s0 in range(0, len(idx), chunk):
        ii = idx[s0: s0 + chunk]
        k = len(ii)
        E = np.zeros((2 * k, size))
        E[np.arange(k), ii] = 1.0
        E[k + np.arange(k), ii] = -1.0
        Lam = np.ascontiguousarray(np.broadcast_to(E, (B, 2 * k, size))).reshape((B, 2 * k) + shape)
        if alpha_steps:
            lb = _alpha_rows(prog, relax, r, Lam, lo, hi, steps=alpha_steps, lr=ALPHA_LR)
        else:
            lb, _, _ = _backward_general(prog, r, Lam, lo, hi, relax)
        lbs.append(lb[:, :k])
        ubs.append(-lb[:, k:])
    return np.concatenate(lbs, axis=1), np.concatenate(ubs, axis=1)


def _crown_general(net, lo: object, hi: object, C: object | None, method: str,
                   budget: float, alpha_steps: int = 20, alpha_budget: float = np.inf) -> BoxBounds:
    """:func:`crown_bounds` on the lowered program of any network."""
    from ._program import Const, Relu

    if method not in ("crown", "alpha", "interval"):
        raise ValueError(f"method must be 'crown', 'alpha' or 'interval' for a general network "
                         f"('symbolic' is for ReLUNetwork only); got {method!r}")
    steps = int(alpha_steps) if method == "alpha" else 0
    prog = net.program
    lo, hi = _as_boxes(prog, lo, hi)
    B = lo.shape[0]
    n_ops = len(prog.ops)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in prog.shapes]
    mid: list = [None] * (n_ops + 1)
    rad: list = [None] * (n_ops + 1)
    mid[0] = ((lo + hi) / 2).reshape((B,) + prog.input_shape)
    rad[0] = ((hi - lo) / 2).reshape((B,) + prog.input_shape)
    plb = np.empty((B, prog.n_neurons))
    pub = np.empty((B, prog.n_neurons))
    relax: dict = {}
    outs: dict = {}
    exact = _box_exact(prog)
    fallback = [method == "interval"] * len(prog.levels)
    plain = [False] * len(prog.levels)          # some operation of the level got plain CROWN
    for i, op in enumerate(prog.ops):
        ins = op.inputs
        if isinstance(op, Relu):
            r = ins[0]
            l = (mid[r] - rad[r]).reshape(B, -1)
            u = (mid[r] + rad[r]).reshape(B, -1)
            if method != "interval" and not exact[r]:
                unst = np.flatnonzero(((l < 0) & (u > 0)).any(axis=0))
                if len(unst):
                    anc = _ancestors(prog, r)
                    work = B * 2 * len(unst) * sum(sizes[a] for a in anc)
                    if work <= budget:
                        chunk = max(1, int(_CHUNK_FLOATS // (2 * B * max(sizes[a] for a in anc))))
                        st_i = steps if work * steps <= alpha_budget else 0
                        plain[op.level] |= st_i == 0
                        cl, cu = _crown_rows(prog, relax, r, unst, lo, hi, chunk, st_i)
                        l[:, unst] = np.maximum(l[:, unst], cl)
                        u[:, unst] = np.minimum(u[:, unst], cu)
                    else:
                        fallback[op.level] = True
                        log.debug("level %d: %d unstable neurons of %s exceed the CROWN budget; "
                                  "interval bounds kept", op.level, len(unst), op)
            plb[:, op.offset: op.offset + op.size] = l
            pub[:, op.offset: op.offset + op.size] = u
            relax[i] = _relaxation(l, u)
            lp, up = np.maximum(l, 0.0), np.maximum(u, 0.0)
            outs[i] = (lp, up)
            mid[i + 1] = ((lp + up) / 2).reshape((B,) + op.shape)
            rad[i + 1] = ((up - lp) / 2).reshape((B,) + op.shape)
        elif isinstance(op, Const):
            mid[i + 1] = np.broadcast_to(op.value, (B,) + op.shape)
            rad[i + 1] = np.zeros((B,) + op.shape)
        else:
            mid[i + 1] = op.forward(*[mid[r] for r in ins])
            rad[i + 1] = op.absolute(*[rad[r] for r in ins])
        for r in ins:
            if prog.last_use[r] == i and r != prog.output:
                mid[r] = rad[r] = None
    out = BoxBounds([plb[:, a:b] for a, b in prog.levels], [pub[:, a:b] for a, b in prog.levels],
                    relax=relax, level_method=["interval" if f else "alpha" if steps and not p else "crown"
                                               for f, p in zip(fallback, plain)])
    if C is not None:
        C = np.atleast_2d(np.asarray(C, dtype=float))
        if C.shape[1] != prog.output_size:
            raise ValueError(f"C must have {prog.output_size} columns; got {C.shape}")
        R = C.shape[0]
        Lam = np.ascontiguousarray(np.broadcast_to(C, (B, R, C.shape[1]))).reshape((B, R) + prog.output_shape)
        if method == "interval":
            out.spec_lb, _, _ = _backward_general(prog, prog.output, Lam, lo, hi, relax, stop=outs)
        else:
            lb, Om, _ = _backward_general(prog, prog.output, Lam, lo, hi, relax)
            if Om is None:                                   # the output does not depend on x
                Om = np.zeros((B, R, prog.input_size))
            out.spec_lb = lb
            out.spec_coef = Om
            out.spec_argmin = np.where(Om > 0, lo[:, None, :], hi[:, None, :])
    return out


def _alpha_rows(prog, relax: dict, target: int, Lam: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                *, steps: int, lr: float) -> np.ndarray:
    """Lower bounds ``(B, m)`` of ``<Lam_j, z_target>`` with the lower slopes optimised per
    row (projected Adam, gradients by the reverse of the backward pass: a forward pass).
    Iteration 0 is the plain CROWN bound, and the best bound seen is returned."""
    from ._program import Const, Relu

    B, R = Lam.shape[:2]
    anc = _ancestors(prog, target)
    relax = {i: v for i, v in relax.items() if i + 1 in anc}
    um = {i: (t > 0)[:, None, :] for i, (a, s, t) in relax.items()}
    alphas = {i: np.repeat(a[:, None, :], R, axis=1) for i, (a, s, t) in relax.items()}
    m1 = {i: np.zeros_like(a) for i, a in alphas.items()}
    m2 = {i: np.zeros_like(a) for i, a in alphas.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    best = None
    for it in range(steps + 1):
        al = {i: np.where(um[i], alphas[i], relax[i][1][:, None, :]) for i in relax}
        lb, Om, kept = _backward_general(prog, target, Lam, lo, hi, relax, alphas=al, keep=True)
        best = lb if best is None else np.maximum(best, lb)
        if it == steps or Om is None:
            break
        # reverse of the backward pass: d lb / d (adjoint of each register), forwards
        G: dict = {0: np.where(Om > 0, lo[:, None, :], hi[:, None, :]).reshape((B * R,) + prog.input_shape)}
        for i, op in enumerate(prog.ops[:target]):
            if i + 1 not in anc:
                continue
            if isinstance(op, Relu):
                A = kept[i]
                _, s, t = relax[i]
                Gin = G[op.inputs[0]].reshape(B, R, -1)
                grad = Gin * np.maximum(A, 0.0) * um[i]
                m1[i] = beta1 * m1[i] + (1 - beta1) * grad
                m2[i] = beta2 * m2[i] + (1 - beta2) * grad * grad
                mh = m1[i] / (1 - beta1 ** (it + 1))
                vh = m2[i] / (1 - beta2 ** (it + 1))
                G[i + 1] = (Gin * np.where(A > 0, al[i], s[:, None, :]) + (A < 0) * t[:, None, :]
                            ).reshape((B * R,) + op.shape)
                alphas[i] = np.minimum(np.maximum(alphas[i] + lr * mh / (np.sqrt(vh) + eps), 0.0), 1.0)
            elif isinstance(op, Const):
                G[i + 1] = np.broadcast_to(op.value, (B * R,) + op.shape)
            else:
                G[i + 1] = op.forward(*[G[r] for r in op.inputs])
            for r in op.inputs:
                if prog.last_use[r] == i and r != prog.output:
                    G.pop(r, None)
    return best


def _optimize_alpha_general(net, bb: BoxBounds, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                            C: np.ndarray, *, steps: int, lr: float, rows: np.ndarray | None) -> np.ndarray:
    """:func:`optimize_spec_alpha` on the lowered program of any network."""
    prog = net.program
    idx = np.asarray(idx, dtype=np.int64)
    lo_i, hi_i = np.asarray(lo, float)[idx], np.asarray(hi, float)[idx]
    B = len(idx)
    C = np.atleast_2d(np.asarray(C, dtype=float))
    Cb = np.broadcast_to(C, (B,) + C.shape) if rows is None else C[np.asarray(rows, dtype=int).reshape(B, -1)]
    R = Cb.shape[1]
    Lam = np.ascontiguousarray(Cb).reshape((B, R) + prog.output_shape)
    relax = {i: (a[idx], s[idx], t[idx]) for i, (a, s, t) in bb.relax.items()}
    return _alpha_rows(prog, relax, prog.output, Lam, lo_i, hi_i, steps=steps, lr=lr)


_ABS_OPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _abs_op(op):
    """The operation with every coefficient replaced by its absolute value (for adjoints)."""
    from ._program import Conv, Dense, LinComb

    if not isinstance(op, (Dense, Conv, LinComb)):
        return op                      # reshapes, selections, sums: coefficients 0 and 1
    got = _ABS_OPS.get(op)
    if got is None:
        got = copy.copy(op)
        if isinstance(op, LinComb):
            got.coefs = [np.abs(c) for c in op.coefs]
        else:
            got.W = np.abs(op.W)
        _ABS_OPS[op] = got
    return got


def _gradient_bounds_general(net, bb: BoxBounds, idx: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gradient_bounds` on the lowered program of any network."""
    from ._program import Const, Relu

    prog = net.program
    idx = np.asarray(idx, dtype=np.int64)
    B = len(idx)
    C = np.atleast_2d(np.asarray(C, dtype=float))
    R = C.shape[0]
    lb = np.concatenate(bb.pre_lb, axis=1)[idx]
    ub = np.concatenate(bb.pre_ub, axis=1)[idx]
    top = np.ascontiguousarray(np.broadcast_to(C, (B, R, C.shape[1])))
    gm = {prog.output: top.reshape((B * R,) + prog.output_shape)}
    gr = {prog.output: np.zeros((B * R,) + prog.output_shape)}
    for i in range(prog.output - 1, -1, -1):
        m = gm.pop(i + 1, None)
        if m is None:
            continue
        r = gr.pop(i + 1)
        op = prog.ops[i]
        if isinstance(op, Relu):
            l = lb[:, op.offset: op.offset + op.size][:, None, :]
            u = ub[:, op.offset: op.offset + op.size][:, None, :]
            g_lo, g_hi = (m - r).reshape(B, R, -1), (m + r).reshape(B, R, -1)
            act, unst = l >= 0, (l < 0) & (u > 0)
            g_lo = np.where(act, g_lo, np.where(unst, np.minimum(g_lo, 0.0), 0.0))
            g_hi = np.where(act, g_hi, np.where(unst, np.maximum(g_hi, 0.0), 0.0))
            shape = (B * R,) + prog.shapes[op.inputs[0]]
            pm, pr = (((g_lo + g_hi) / 2).reshape(shape),), (((g_hi - g_lo) / 2).reshape(shape),)
        elif isinstance(op, Const):
            continue
        else:
            pm, pr = op.adjoint(m), _abs_op(op).adjoint(r)
        for q, a, b in zip(op.inputs, pm, pr):
            if q in gm:
                gm[q], gr[q] = gm[q] + a, gr[q] + b
            else:
                gm[q], gr[q] = a, b
    if 0 not in gm:
        z = np.zeros((B, R, prog.input_size))
        return z, z.copy()
    m, r = gm[0].reshape(B, R, -1), gr[0].reshape(B, R, -1)
    return m - r, m + r


# ========================================================================= public entries
def crown_bounds(net, lo: object, hi: object, C: object | None = None, *, method: str = "crown",
                 budget: float = CROWN_BUDGET, alpha_steps: int = 20,
                 alpha_budget: float = ALPHA_BUDGET) -> BoxBounds:
    """Bounds of a network over a batch of boxes: every pre-activation, and ``C f(x)``.

    The backward linear relaxation (CROWN, Zhang et al. 2018) runs on the lowered program
    (every operation's ``adjoint`` and ``constant``, the ReLU relaxation), batched over the
    boxes. A :class:`~relugeom.network.ReLUNetwork` takes the dense path (tuned for ACAS
    Xu); any other :class:`~relugeom.network.Network` the general one, where each ReLU
    operation's bounds are interval bounds, tightened by a CROWN pass for the neurons they
    leave unstable when that pass fits ``budget`` (``BoxBounds.level_method`` says which
    levels got it). Interval arithmetic is exact (and CROWN skipped) on pre-activations
    that are one affine operation of the input.

    Parameters
    ----------
    net : Network or ReLUNetwork
    lo, hi : ndarray (B, input_dim)
        The boxes.
    C : ndarray (R, output_dim), optional
        Output rows whose lower bounds ``min_x C f(x)`` are wanted.
    method : {"crown", "alpha", "symbolic", "interval"}
        Intermediate bounds by backward linear relaxation (CROWN; tightest, cost quadratic
        in depth), by CROWN with the lower slopes optimised for every bound separately
        (α-CROWN, Xu et al. 2021; ``alpha_steps`` forward-backward passes per level;
        general networks only), by forward symbolic linear bounds in the input variables
        (cheap; the output rows still get a backward pass; ReLUNetwork only), or plain
        interval arithmetic. The output rows get one CROWN pass on the intermediate bounds
        (optimise them with :func:`optimize_spec_alpha`).
    budget : float
        General networks: the largest CROWN pass (boxes × rows × entries of the registers
        it goes through) run for one ReLU operation; wider ones keep interval bounds.
    alpha_steps : int
        Iterations of the slope optimisation for ``method="alpha"``.
    alpha_budget : float
        ``method="alpha"``: a ReLU operation whose CROWN pass (as for ``budget``) times
        ``alpha_steps`` exceeds this gets plain CROWN bounds (the level then says
        ``"crown"``); the cheap ones, typically the last, narrow levels, where optimised
        slopes pay off most, get α-CROWN.

    Returns
    -------
    BoxBounds
        ``pre_lb``/``pre_ub`` one array ``(B, width)`` per level (``net.levels``).

    Raises
    ------
    ValueError
        For an unknown method or boxes of the wrong shape.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])       # |x|
    >>> b = crown_bounds(net, np.array([[-1.0]]), np.array([[2.0]]), C=np.array([[1.0], [-1.0]]))
    >>> b.pre_lb[0].tolist(), b.pre_ub[0].tolist()
    ([[-1.0, -2.0]], [[2.0, 1.0]])
    >>> bool(b.spec_lb[0, 1] >= -2.0 - 1e-12)                    # -|x| >= -2 on [-1, 2]
    True

    Any network: here ``max(x0, x1)`` on ``[0, 1] × [-1, 2]``.

    >>> from relugeom.network import NetworkBuilder
    >>> nb = NetworkBuilder((2,)); mx = nb.build(nb.reduce_max(nb.input, axes=(0,)))
    >>> b = crown_bounds(mx, [[0.0, -1.0]], [[1.0, 2.0]], C=[[1.0]])
    >>> b.pre_lb[0].tolist(), b.level_method, round(float(b.spec_lb[0, 0]), 6)
    ([[-2.0]], ['crown'], 0.0)
    """
    from ._graph import as_network

    net = as_network(net)
    if getattr(net, "is_dense_relu", False):
        return _crown_dense(net, lo, hi, C, method=method)
    return _crown_general(net, lo, hi, C, method, float(budget), alpha_steps, float(alpha_budget))


def optimize_spec_alpha(net, bb: BoxBounds, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                        C: np.ndarray, *, steps: int = 20, lr: float = 0.1,
                        rows: np.ndarray | None = None) -> np.ndarray:
    """Tighter lower bounds of ``C f(x)`` on boxes ``idx`` by optimising the lower slopes.

    Every lower slope ``α ∈ [0, 1]`` of an unstable neuron gives a valid bound (α-CROWN,
    Xu et al., ICLR 2021); the slopes are optimised per box and per row by projected Adam
    on the bound (gradients by hand, in numpy: the reverse of the backward pass is a
    forward pass through the operations), keeping the intermediate bounds ``bb`` fixed,
    and the best bound seen is returned: shape ``(len(idx), R)``. Every bound returned is
    evaluated exactly as the plain backward pass with clamped slopes, so it is valid
    whatever the optimiser does. With ``rows`` (int array ``(len(idx), R')``) only those
    rows of ``C`` are bounded for each box (shape ``(len(idx), R')``).

    Examples
    --------
    >>> from relugeom.network._examples import random_network
    >>> net = random_network((2, 6, 6, 1), rng=0)
    >>> lo, hi = -np.ones((1, 2)), np.ones((1, 2))
    >>> bb = crown_bounds(net, lo, hi, C=np.array([[1.0]]))
    >>> opt = optimize_spec_alpha(net, bb, np.array([0]), lo, hi, np.array([[1.0]]))
    >>> bool(opt[0, 0] >= bb.spec_lb[0, 0] - 1e-12)
    True
    """
    if getattr(net, "is_dense_relu", False):
        return _optimize_alpha_dense(net, bb, idx, lo, hi, C, steps=steps, lr=lr, rows=rows)
    return _optimize_alpha_general(net, bb, idx, lo, hi, C, steps=steps, lr=lr, rows=rows)


def gradient_bounds(net, bb: BoxBounds, idx: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interval bounds of the input gradient of ``C f(x)`` over boxes ``idx``.

    On a box every neuron's derivative is 0 (stable inactive), 1 (stable active) or some
    value in ``[0, 1]`` (unstable); interval arithmetic backwards through the operations
    bounds every partial derivative ``∂(C f)_r / ∂x_i`` wherever the gradient exists
    (ReluVal's "smear", Wang et al., USENIX Security 2018). Returns ``(G_lo, G_hi)`` of
    shape ``(len(idx), R, input_dim)``.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])       # |x|
    >>> bb = crown_bounds(net, np.array([[-1.0], [1.0]]), np.array([[2.0], [2.0]]))
    >>> g_lo, g_hi = gradient_bounds(net, bb, np.array([0, 1]), np.array([[1.0]]))
    >>> g_lo[:, 0, 0].tolist(), g_hi[:, 0, 0].tolist()
    ([-1.0, 1.0], [1.0, 1.0])
    """
    if getattr(net, "is_dense_relu", False):
        return _gradient_bounds_dense(net, bb, idx, C)
    return _gradient_bounds_general(net, bb, idx, C)
