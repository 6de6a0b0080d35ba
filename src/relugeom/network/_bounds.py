"""Batched bound propagation over boxes: interval arithmetic and linear relaxations (CROWN).

For a batch of input boxes ``[lo_b, hi_b]`` the functions return, per box, bounds on every
hidden pre-activation and lower bounds on linear functions ``C f(x)`` of the output. The
linear relaxation is the usual one (Zhang et al., CROWN, NeurIPS 2018; Singh et al.,
DeepPoly, POPL 2019): an unstable neuron with pre-activation bounds ``l < 0 < u`` satisfies
``α z <= relu(z) <= u (z - l) / (u - l)`` with ``α ∈ {0, 1}`` chosen adaptively
(``α = 1`` when ``u > -l``). Bounds are propagated backwards from each layer to the input
box; every bound is also intersected with interval arithmetic.

All bounds are sound in real arithmetic; computed in float64 they carry rounding errors of
order ``1e-12`` relative to the weights, which the caller's tolerance covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """

    pre_lb: list[np.ndarray]
    pre_ub: list[np.ndarray]
    spec_lb: np.ndarray | None = None
    spec_coef: np.ndarray | None = None
    spec_argmin: np.ndarray | None = None
    relax: list | None = None

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


def crown_bounds(net, lo: np.ndarray, hi: np.ndarray, C: np.ndarray | None = None,
                 *, method: str = "crown") -> BoxBounds:
    """Bounds of a network over a batch of boxes.

    Parameters
    ----------
    net : ReLUNetwork
    lo, hi : ndarray (B, n_0)
        The boxes.
    C : ndarray (R, n_L), optional
        Output rows whose lower bounds ``min_x C f(x)`` are wanted.
    method : {"crown", "symbolic", "interval"}
        Intermediate bounds by backward linear relaxation (CROWN; tightest, cost quadratic
        in depth), by forward symbolic linear bounds in the input variables (cheap; the
        output rows still get a backward pass), or plain interval arithmetic.

    Returns
    -------
    BoxBounds

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])       # |x|
    >>> b = crown_bounds(net, np.array([[-1.0]]), np.array([[2.0]]), C=np.array([[1.0], [-1.0]]))
    >>> b.pre_lb[0].tolist(), b.pre_ub[0].tolist()
    ([[-1.0, -2.0]], [[2.0, 1.0]])
    >>> bool(b.spec_lb[0, 1] >= -2.0 - 1e-12)                    # -|x| >= -2 on [-1, 2]
    True
    """
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
    out = BoxBounds(pre_lb, pre_ub, relax=relax)
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


def optimize_spec_alpha(net, bb: BoxBounds, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                        C: np.ndarray, *, steps: int = 20, lr: float = 0.1,
                        rows: np.ndarray | None = None) -> np.ndarray:
    """Tighter lower bounds of ``C f(x)`` on boxes ``idx`` by optimising the lower slopes.

    Every lower slope ``α ∈ [0, 1]`` of an unstable neuron gives a valid bound (α-CROWN,
    Xu et al., ICLR 2021); the slopes are optimised per box and per row by projected Adam
    on the bound (gradients by hand, in numpy), keeping the intermediate bounds fixed, and
    the best bound seen is returned: shape ``(len(idx), R)``. Every bound returned is
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


def gradient_bounds(net, bb: BoxBounds, idx: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interval bounds of the input gradient of ``C f(x)`` over boxes ``idx``.

    On a box every neuron's derivative is 0 (stable inactive), 1 (stable active) or some
    value in ``[0, 1]`` (unstable); interval arithmetic backwards through the layers
    bounds every partial derivative ``∂(C f)_r / ∂x_i`` wherever the gradient exists
    (ReluVal's "smear", Wang et al., USENIX Security 2018). Returns ``(G_lo, G_hi)`` of
    shape ``(len(idx), R, n_0)``.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])       # |x|
    >>> bb = crown_bounds(net, np.array([[-1.0], [1.0]]), np.array([[2.0], [2.0]]))
    >>> g_lo, g_hi = gradient_bounds(net, bb, np.array([0, 1]), np.array([[1.0]]))
    >>> g_lo[:, 0, 0].tolist(), g_hi[:, 0, 0].tolist()
    ([-1.0, 1.0], [1.0, 1.0])
    """
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
