"""Safety checks: can an input of the input set reach the unsafe set?

Method
------
1. *Falsification* that does not depend on search order: random points of every input
   part, then sign-gradient descent (PGD) on the margin ``min_j max_i (C_j f(x) - d_j)_i`` from
   the best of them, then an LP walk over regions from the best point: on a region the
   network is affine, so one LP finds the most violating point of the region (and of the
   input part); a region facet that blocks the LP is crossed by flipping its neuron.
2. *Branch and bound by input splitting*: each sub-box gets pre-activation bounds and lower
   bounds of every unsafe row ``C f(x)`` by linear relaxation (CROWN/DeepPoly, see
   :mod:`relugeom.verify._bounds`); an unsafe polyhedron is excluded from a box when one of
   its rows is bounded away; box centres and bound minimisers are evaluated as candidate
   counterexamples. A box that stays open is bisected along the input coordinate with the
   largest *smear* ``width_i * max |∂(C f)_r / ∂x_i|`` over its open rows, the partial
   derivatives bounded by interval arithmetic backwards through the ReLUs (ReluVal's
   heuristic; :func:`relugeom.verify._bounds.gradient_bounds`). The coefficients of the
   linear bound itself are a poor guide: an input whose influence passes through many
   unstable neurons can have a tiny coefficient while it is what keeps the box open.
3. *Exact leaves*: a box whose neurons are all stable is decided by one LP per remaining
   unsafe polyhedron (``min t`` s.t. ``C_j (A x + c) - d_j <= t``); a box with few unstable
   neurons (or a deep one) is split exactly into regions (:mod:`relugeom.verify._star`),
   one LP per region.

General networks
----------------
Any :class:`~relugeom.network.Network` (convolutions, residual connections, pooling, …) is
checked the same way, with the general bounds of :mod:`relugeom.network._bounds`, gradients
from ``net.gradient`` and region maps from the network; LP walks run only when the dense
maps of all neurons are small (``WALK_MAX_ENTRIES``). Input parts of more than
``SPLIT_MAX_DIM`` dimensions (images) are not split: they get CROWN and α-CROWN bounds over
the whole part, falsification with restarts, and end UNKNOWN (with the reason) when
neither decides. A :class:`~relugeom.network.ReLUNetwork` keeps the dense path.

Guarantees
----------
SAFE is returned only when every box was excluded by a bound (``lb > d`` in floating point)
or an LP (optimal ``t > 0``, or infeasible, with HiGHS feasibility tolerance
``tol.feas_atol``). UNSAFE is returned only with an input ``x`` of the input set (clipped into
boxes exactly; within ``tol.feas_atol`` of a polytope) whose evaluated output has margin
``<= tol.feas_atol``; with ``exact=True`` the output is also evaluated in rational arithmetic
and the exact margin is reported. With ``exact=True`` SAFE needs exact certificates for every
leaf (see :func:`check_safety`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor, FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

import numpy as np

from .._tol import Tolerance, resolve
from ..polyhedra import LPStatus, solve_lp
from ..network import as_network
from ..network._bounds import crown_bounds, gradient_bounds, optimize_spec_alpha
from ._sets import InputSet, UnsafeSet, as_input_set, as_unsafe_set, check_sizes
from ._star import StarStats, iter_pieces

log = logging.getLogger(__name__)

__all__ = ["Verdict", "Counterexample", "SafetyResult", "check_safety"]

#: general networks (not ReLUNetwork): input parts with at most this many non-degenerate
#: coordinates are split (branch and bound over input boxes); larger ones get CROWN and
#: α-CROWN bounds over the whole part only (splitting thousands of pixels proves nothing)
SPLIT_MAX_DIM = 16
#: unsafe parts targeted by the extra PGD restarts of an unsplit (high-dimensional) check
RESTART_PARTS = 4
#: LP walks over regions need the dense maps of every neuron in the input; they run when
#: neurons × input dimension is at most this (always for a ReLUNetwork)
WALK_MAX_ENTRIES = 2_000_000


class Verdict(str, Enum):
    """Outcome of a safety check.

    Examples
    --------
    >>> Verdict("safe").vnncomp
    'unsat'
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    UNKNOWN = "unknown"
    TIMEOUT = "timeout"

    @property
    def vnncomp(self) -> str:
        """The VNN-COMP result word: ``unsat`` (safe), ``sat``, ``unknown``, ``timeout``."""
        return {"safe": "unsat", "unsafe": "sat", "unknown": "unknown", "timeout": "timeout"}[self.value]


@dataclass(frozen=True)
class Counterexample:
    """An input ``x`` of the input set whose output ``y = f(x)`` lies in the unsafe set.

    Attributes
    ----------
    x, y : ndarray
        The input and its floating-point output.
    margin : float
        ``min_j max_i (C_j y - d_j)_i`` (``<= 0`` inside the unsafe set).
    input_part, unsafe_part : int
        Which input polytope contains ``x`` and which unsafe polyhedron contains ``y``.
    exact_margin : Fraction or None
        The margin of the exact rational output ``f(x)`` (``exact=True`` only).

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box, HPolytope
    >>> r = check_safety(ReLUNetwork([[[1.0]]]), Box([0], [1]), HPolytope([[-1.0]], [-0.5]),
    ...                  exact=True, rng=0)
    >>> c = r.counterexample
    >>> bool(c.y[0] >= 0.5), c.margin <= 0, c.exact_margin <= 0
    (True, True, True)
    """

    x: np.ndarray
    y: np.ndarray
    margin: float
    input_part: int
    unsafe_part: int
    exact_margin: Fraction | None = None


@dataclass(frozen=True)
class SafetyResult:
    """Result of :func:`check_safety`.

    Attributes
    ----------
    verdict : Verdict
    counterexample : Counterexample or None
        For UNSAFE.
    reason : str
        Why: how SAFE was proven, where the counterexample came from, or which limit hit.
    coverage : float
        Fraction of the input set's volume proven safe (1.0 for SAFE).
    stats : dict
        Counters (boxes, splits, LPs, regions, falsification points, …).
    tol : Tolerance
    seconds : float
    seed : int or None
    exact : bool
        Whether counterexamples were checked and SAFE leaves certified in exact arithmetic.
    certificates : tuple of ExactCertificate
        With ``exact=True``: the verified rational Farkas certificates of every removed
        piece (see :mod:`relugeom.verify._exact`).

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box, HPolytope
    >>> r = check_safety(ReLUNetwork([[[1.0]]]), Box([0], [1]), HPolytope([[-1.0]], [-2.0]), rng=0)
    >>> r.verdict.value, r.safe, r.coverage
    ('safe', True, 1.0)
    """

    verdict: Verdict
    counterexample: Counterexample | None
    reason: str
    coverage: float
    stats: dict
    tol: Tolerance
    seconds: float
    seed: int | None
    exact: bool = False
    certificates: tuple = ()

    @property
    def safe(self) -> bool:
        """True for SAFE."""
        return self.verdict is Verdict.SAFE

    @property
    def unsafe(self) -> bool:
        """True for UNSAFE."""
        return self.verdict is Verdict.UNSAFE


# ----------------------------------------------------------------------------- helpers
def _box_volume(lo: np.ndarray, hi: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Volume in the coordinates that are not degenerate in the root box."""
    w = (hi - lo)[..., active]
    return np.prod(w, axis=-1) if w.shape[-1] else np.ones(w.shape[:-1])


def _row_gradients(net, Z: np.ndarray, C: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The gradient of ``C[rows[i]] @ f`` at each point ``Z[i]`` (on the point's region)."""
    G = np.empty_like(Z)
    for r in np.unique(rows):
        sel = rows == r
        G[sel] = net.gradient(Z[sel], C[r: r + 1])[:, 0]
    return G


def _walk_affordable(net) -> bool:
    """Whether LP walks over regions are affordable (dense maps of every neuron in the input)."""
    return net.is_dense_relu or net.n_neurons * net.input_dim <= WALK_MAX_ENTRIES


class _Ctx:
    """Shared state of one check."""

    def __init__(self, net, ins: InputSet, uns: UnsafeSet, tol: Tolerance, deadline: float | None,
                 exact: bool):
        self.net, self.ins, self.uns, self.tol = net, ins, uns, tol
        self.deadline = deadline
        self.exact = exact

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


def _confirm(net, ins: InputSet, uns: UnsafeSet, k: int, x: np.ndarray, tol: Tolerance,
             exact: bool, bounds: tuple[np.ndarray, np.ndarray]) -> Counterexample | None:
    """Check a candidate by evaluation; None when it is not a counterexample."""
    lo, hi = bounds
    x = np.clip(np.asarray(x, float), lo, hi)
    part = ins.parts[k]
    if not ins.is_box(k) and not part.contains(x, tol=tol):
        return None
    y = net(x)
    pm = uns.part_margins(y[None, :])[0]
    j = int(np.argmin(pm))
    if not pm[j] <= tol.feas_atol:
        return None
    em = None
    if exact:
        ye = net.evaluate_exact([Fraction(float(v)) for v in x])
        ems = []
        for jj in range(uns.n_parts):
            rows = np.flatnonzero(uns.group == jj)
            ems.append(max(sum((Fraction(float(c)) * yv for c, yv in zip(uns.C[r], ye)), Fraction(0))
                           - Fraction(float(uns.d[r])) for r in rows))
        j = int(np.argmin([float(e) for e in ems]))
        em = ems[j]
        if em > 0:
            return None
    return Counterexample(x, y, float(pm[j]), k, j, em)


# ------------------------------------------------------------------------ falsification
def _region_lp(net, uns: UnsafeSet, j: int, pattern: np.ndarray, lo, hi, Pin, tol):
    """Most violating point of unsafe part j on the region of ``pattern``: (t, x, duals)."""
    d = net.input_dim
    G, g = net.preactivation_maps(pattern)
    s = np.where(pattern, 1.0, -1.0)
    A_reg = -s[:, None] * G
    b_reg = s * g
    A, c = net.affine_map(pattern)
    rows = uns.group == j
    Cj, dj = uns.C[rows], uns.d[rows]
    A_out = np.hstack([Cj @ A, -np.ones((len(dj), 1))])
    b_out = dj - Cj @ c
    blocks_A = [np.hstack([A_reg, np.zeros((len(b_reg), 1))]), A_out]
    blocks_b = [b_reg, b_out]
    if Pin is not None:
        blocks_A.append(np.hstack([Pin[0], np.zeros((len(Pin[1]), 1))]))
        blocks_b.append(Pin[1])
    cost = np.zeros(d + 1)
    cost[-1] = 1.0
    r = solve_lp(cost, np.vstack(blocks_A), np.concatenate(blocks_b),
                 bounds=list(zip(lo, hi)) + [(None, None)], tol=tol)
    if r.status is not LPStatus.OPTIMAL:
        return None, None, None
    return r.value, r.x[:d], (r.dual[:len(b_reg)] if r.dual is not None else None)


def _falsify(ctx: _Ctx, gen: np.random.Generator, stats: dict, *, n_random: int = 4000,
             n_pgd: int = 64, pgd_steps: int = 40, n_walk: int = 3, walk_hops: int = 15,
             eta0: float = 0.1, decay: float = 0.9, part: int | None = None):
    """Random points, then PGD on the margin (step ``eta`` times the box width, ``eta0``
    shrinking by ``decay`` per step), then LP walks. With ``part`` the descent targets that
    unsafe part only (its margin), instead of each point's closest part."""
    net, ins, uns, tol = ctx.net, ctx.ins, ctx.uns, ctx.tol
    for k in range(len(ins)):
        lo, hi = ins.part_bounds(k, tol=tol)
        Pin = None if ins.is_box(k) else (ins.parts[k].A, ins.parts[k].b)
        width = hi - lo
        # half uniform, half with coordinates snapped to the faces of the box (the extrema
        # of piecewise-linear functions sit on faces of their regions, often the box's)
        U = gen.random((n_random, len(lo)))
        r = gen.random((n_random, len(lo)))
        half = np.arange(n_random) >= n_random // 2
        U = np.where(half[:, None] & (r < 0.25), 0.0, np.where(half[:, None] & (r > 0.75), 1.0, U))
        X = lo + width * U
        X = np.vstack([X, (lo + hi)[None] / 2])
        if Pin is not None:
            X = X[np.asarray(ins.parts[k].contains(X, tol=tol))]
            if len(X) == 0:
                continue
        stats["falsify_points"] += len(X)
        YX = net(X)
        m = uns.margin(YX)
        best = np.argsort(m if part is None else uns.part_margins(YX)[:, part])[:n_pgd]
        if m[best[0]] <= tol.feas_atol:
            cex = _confirm(net, ins, uns, k, X[best[0]], tol, ctx.exact, (lo, hi))
            if cex is not None:
                return cex, "random sampling"
        # sign-gradient descent on the margin
        Z = X[best].copy()
        eta = eta0
        Y = net(Z)
        for _ in range(pgd_steps):
            S = uns.row_slack(Y)
            pm = uns.part_margins(Y)
            jstar = np.argmin(pm, axis=1) if part is None else np.full(len(Y), part)
            Smask = np.where(uns.group[None, :] == jstar[:, None], S, -np.inf)
            rstar = np.argmax(Smask, axis=1)
            grad = _row_gradients(net, Z, uns.C, rstar)
            Z = np.clip(Z - eta * width * np.sign(grad), lo, hi)
            eta *= decay
            stats["falsify_points"] += len(Z)
            if Pin is not None:
                ok = np.asarray(ins.parts[k].contains(Z, tol=tol))
                Z = np.where(ok[:, None], Z, X[best])
            Y = net(Z)
            mz = uns.margin(Y)
            i = int(np.argmin(mz))
            if mz[i] <= tol.feas_atol:
                cex = _confirm(net, ins, uns, k, Z[i], tol, ctx.exact, (lo, hi))
                if cex is not None:
                    return cex, "gradient descent (PGD) on the margin"
            if ctx.out_of_time():
                return None, ""
        # LP walk over regions from the best points
        starts = Z[np.argsort(uns.margin(net(Z)))[:n_walk]]
        for x0 in starts:
            x = _walk(net, uns, x0, lo, hi, Pin, tol, stats, hops=walk_hops, key="falsify_lps")
            if x is not None:
                cex = _confirm(net, ins, uns, k, x, tol, ctx.exact, (lo, hi))
                if cex is not None:
                    return cex, "LP on the region of the best sampled point"
            if ctx.out_of_time():
                return None, ""
    return None, ""


def _walk(net, uns: UnsafeSet, x0: np.ndarray, lo, hi, Pin, tol: Tolerance, stats: dict, *,
          hops: int, key: str = "walk_lps") -> np.ndarray | None:
    """From ``x0``: the most violating point of its region; then cross the most blocking
    facet while that improves. Returns a point with margin ``<= tol.feas_atol`` or None.
    (None at once when the network is too large for dense region maps.)"""
    if not _walk_affordable(net):
        return None
    pattern = net.activation_patterns(x0[None])[0]
    j = int(np.argmin(uns.part_margins(net(x0)[None])[0]))
    best_t = np.inf
    for _ in range(hops):
        stats[key] = stats.get(key, 0) + 1
        t, x, dual = _region_lp(net, uns, j, pattern, lo, hi, Pin, tol)
        if t is None:
            return None
        if t <= 0:
            x = np.clip(x, lo, hi)
            if uns.margin(net(x)) <= tol.feas_atol:
                return x
        if t >= best_t - tol.feas_atol or dual is None or not (dual > tol.feas_atol).any():
            return None
        best_t = t
        pattern = pattern.copy()
        flip = int(np.argmax(dual))          # cross the most blocking facet
        pattern[flip] = ~pattern[flip]
    return None


# ---------------------------------------------------------------------- branch and bound
@dataclass
class _PartOutcome:
    status: str                     # "safe", "cex", "timeout", "limit", "numeric"
    x: np.ndarray | None = None
    covered: float = 0.0            # proven volume
    total: float = 1.0
    stats: dict = field(default_factory=dict)
    reason: str = ""


def _leaf_lp(net, uns: UnsafeSet, j: int, A: np.ndarray, c: np.ndarray, lo, hi, Areg, breg, tol):
    """min t s.t. C_j (A x + c) - d_j <= t, Areg x <= breg, lo <= x <= hi."""
    d = len(lo)
    rows = uns.group == j
    Cj, dj = uns.C[rows], uns.d[rows]
    A_ub = np.hstack([Cj @ A, -np.ones((len(dj), 1))])
    b_ub = dj - Cj @ c
    if len(breg):
        A_ub = np.vstack([A_ub, np.hstack([Areg, np.zeros((len(breg), 1))])])
        b_ub = np.concatenate([b_ub, breg])
    cost = np.zeros(d + 1)
    cost[-1] = 1.0
    r = solve_lp(cost, A_ub, b_ub, bounds=list(zip(lo, hi)) + [(None, None)], tol=tol)
    if r.status is LPStatus.INFEASIBLE:
        return np.inf, None
    if r.status is not LPStatus.OPTIMAL:
        return None, None
    return r.value, r.x[:d]


def _decide_exactly(net, uns: UnsafeSet, parts: np.ndarray, lo, hi, Pin, tol, pre_lb, pre_ub,
                    deadline, stats: dict):
    """Split a box exactly into regions; 'safe' / ('cex', x) / 'timeout' / 'numeric'."""
    A0 = Pin[0] if Pin is not None else np.zeros((0, len(lo)))
    b0 = Pin[1] if Pin is not None else np.zeros(0)
    st = StarStats()
    status = "safe"
    x_found = None
    for piece in iter_pieces(net, lo, hi, A0, b0, tol=tol, pre_lb=pre_lb, pre_ub=pre_ub,
                             deadline=deadline, stats=st):
        for j in np.flatnonzero(parts):
            stats["leaf_lps"] += 1
            t, x = _leaf_lp(net, uns, int(j), piece.out_A, piece.out_c, lo, hi, piece.A, piece.b, tol)
            if t is None:
                status = "numeric"
            elif t <= 0:
                y = net(x)
                if uns.margin(y) <= tol.feas_atol:
                    x_found = x
                    break
                status = "numeric"
        if x_found is not None:
            break
    stats["star_lps"] += st.n_lp
    stats["regions"] += st.n_pieces
    if x_found is not None:
        return "cex", x_found
    if st.timed_out:
        return "timeout", None
    return status, None


def _bab_part(net, uns: UnsafeSet, lo0: np.ndarray, hi0: np.ndarray, Pin, tol: Tolerance,
              deadline: float | None, max_splits: int | None, *, batch: int = 16,
              exact_unstable: int = 3, max_depth: int = 60, progress: bool = False,
              combine_rows: bool = False, bounds: str = "crown", split: str = "gradient",
              alpha_steps: int = 10, alpha_after: int = 500, alpha_rows: str = "best") -> _PartOutcome:
    """Input-splitting branch and bound on one box (∩ polytope ``Pin``)."""
    stats = {"boxes": 0, "splits": 0, "leaf_lps": 0, "star_lps": 0, "regions": 0, "star_boxes": 0,
             "bound_lps": 0, "alpha_boxes": 0}
    multi = np.bincount(uns.group, minlength=uns.n_parts) >= 2
    d = len(lo0)
    K = uns.n_parts
    active = (hi0 - lo0) > 0
    total = float(_box_volume(lo0, hi0, active))
    covered = 0.0
    R = len(uns.d)
    onehot = (uns.group[None, :] == np.arange(K)[:, None])          # (K, R)
    S_lo = [lo0[None].copy()]
    S_hi = [hi0[None].copy()]
    S_mask = [np.ones((1, K), dtype=bool)]
    S_depth = [np.zeros(1, dtype=int)]
    pending = 1
    best_seen = np.inf
    incomplete = None
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=1.0, desc="verified volume", unit="", leave=False)
    try:
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                incomplete = "timeout"
                if log.isEnabledFor(logging.DEBUG):
                    dep = np.concatenate(S_depth)
                    log.debug("timeout with %d pending boxes; depth histogram %s; last batch "
                              "unstable %s, best open-row gap %s", len(dep),
                              np.bincount(dep).tolist(), locals().get("nun", []),
                              locals().get("gap", None))
                break
            if max_splits is not None and stats["splits"] >= max_splits:
                incomplete = "limit"
                break
            # pop a batch from the end (depth-first order keeps the stack small)
            lo = np.concatenate(S_lo)
            hi = np.concatenate(S_hi)
            mask = np.concatenate(S_mask)
            depth = np.concatenate(S_depth)
            nb = min(batch, len(lo))
            S_lo, S_hi, S_mask, S_depth = [lo[:-nb]], [hi[:-nb]], [mask[:-nb]], [depth[:-nb]]
            lo, hi, mask, depth = lo[-nb:], hi[-nb:], mask[-nb:].copy(), depth[-nb:]
            pending -= nb
            stats["boxes"] += nb
            bb = crown_bounds(net, lo, hi, uns.C, method=bounds)
            row_ok = bb.spec_lb > uns.d[None, :]                      # (nb, R)
            if alpha_steps and stats["boxes"] > alpha_after:
                # optimise the lower relaxation slopes where the plain bounds fail (α-CROWN)
                part_ok0 = (row_ok[:, None, :] & onehot[None]).any(axis=2)
                idx = np.flatnonzero((mask & ~part_ok0).any(axis=1))
                if len(idx):
                    stats["alpha_boxes"] += len(idx)
                    if alpha_rows == "best":
                        # one row per unsafe part: the one whose plain bound is closest to
                        # excluding the part (any row excludes it; optimising all is R times
                        # the work for little gain)
                        gapm = bb.spec_lb[idx] - uns.d[None, :]
                        rsel = np.argmax(np.where(onehot[None], gapm[:, None, :], -np.inf), axis=2)
                        better = optimize_spec_alpha(net, bb, idx, lo, hi, uns.C, steps=alpha_steps,
                                                     rows=rsel)
                        bb.spec_lb[idx[:, None], rsel] = np.maximum(bb.spec_lb[idx[:, None], rsel], better)
                    else:
                        better = optimize_spec_alpha(net, bb, idx, lo, hi, uns.C, steps=alpha_steps)
                        bb.spec_lb[idx] = np.maximum(bb.spec_lb[idx], better)
                    row_ok = bb.spec_lb > uns.d[None, :]
            gap = np.round(np.max(bb.spec_lb - uns.d[None, :], axis=1)[:8], 5)
            part_ok = (row_ok[:, None, :] & onehot[None]).any(axis=2)  # (nb, K)
            mask &= ~part_ok
            # candidate counterexamples: centres and the bound minimisers of open rows
            cand = [(lo + hi) / 2]
            open_rows = ~row_ok & mask[:, uns.group]
            cand.append(bb.spec_argmin[open_rows])
            Xc = np.concatenate(cand)
            if Pin is not None:
                Xc = Xc[np.all(Xc @ Pin[0].T - Pin[1] <= tol.feas_atol, axis=1)]
            if len(Xc):
                mc = uns.margin(net(Xc))
                i = int(np.argmin(mc))
                if mc[i] <= tol.feas_atol:
                    return _PartOutcome("cex", Xc[i], covered, total, stats, "box centre / bound minimiser")
                if mc[i] < best_seen:
                    # a new closest point: the most violating point of its region and of a few
                    # neighbouring regions (one LP each)
                    best_seen = float(mc[i])
                    x = _walk(net, uns, Xc[i], lo0, hi0, Pin, tol, stats, hops=4)
                    if x is not None:
                        return _PartOutcome("cex", x, covered, total, stats, "LP walk over regions from the closest point seen")
            # parts with several rows: the rows' linear lower bounds may exclude the part
            # together (an LP over the box) where no single row does
            if combine_rows:
                for i, j in zip(*np.nonzero(mask & multi[None, :])):
                    rows = np.flatnonzero(uns.group == j)
                    a = bb.spec_coef[i, rows]
                    beta = bb.spec_lb[i, rows] - (a * bb.spec_argmin[i, rows]).sum(1)   # lb = min a x + beta
                    A_ub = np.hstack([a, -np.ones((len(rows), 1))])
                    cost = np.zeros(d + 1)
                    cost[-1] = 1.0
                    stats["bound_lps"] += 1
                    r = solve_lp(cost, A_ub, uns.d[rows] - beta,
                                 bounds=list(zip(lo[i], hi[i])) + [(None, None)], tol=tol)
                    if r.status is LPStatus.OPTIMAL and r.value > 0:
                        mask[i, j] = False
                    elif r.status is LPStatus.OPTIMAL:
                        xc = r.x[:d]
                        if Pin is None or np.all(Pin[0] @ xc - Pin[1] <= tol.feas_atol):
                            if uns.margin(net(xc)) <= tol.feas_atol:
                                return _PartOutcome("cex", xc, covered, total, stats,
                                                    "LP on the linear bounds of a box")
            done = ~mask.any(axis=1)
            vols = _box_volume(lo, hi, active)
            covered += float(vols[done].sum())
            nun = bb.n_unstable()
            fixed_lb = np.concatenate(bb.pre_lb, axis=1) if bb.pre_lb else np.zeros((nb, 0))
            fixed_ub = np.concatenate(bb.pre_ub, axis=1) if bb.pre_ub else np.zeros((nb, 0))
            to_split = []
            for i in np.flatnonzero(~done):
                if Pin is not None:
                    feas = solve_lp(np.zeros(d), Pin[0], Pin[1], bounds=list(zip(lo[i], hi[i])), tol=tol)
                    if feas.status is LPStatus.INFEASIBLE:
                        covered += float(vols[i])
                        continue
                if nun[i] == 0 and Pin is None:
                    pattern = fixed_lb[i] >= 0
                    A, c = net.affine_map(pattern)
                    res = "safe"
                    for j in np.flatnonzero(mask[i]):
                        stats["leaf_lps"] += 1
                        t, x = _leaf_lp(net, uns, int(j), A, c, lo[i], hi[i], np.zeros((0, d)), np.zeros(0), tol)
                        if t is None:
                            res = "numeric"
                        elif t <= 0:
                            if uns.margin(net(x)) <= tol.feas_atol:
                                return _PartOutcome("cex", x, covered, total, stats, "LP on a box with all neurons stable")
                            res = "numeric"
                    if res == "safe":
                        covered += float(vols[i])
                    else:
                        incomplete = incomplete or "numeric"
                    continue
                if nun[i] <= exact_unstable or depth[i] >= max_depth:
                    stats["star_boxes"] += 1
                    res, x = _decide_exactly(net, uns, mask[i], lo[i], hi[i], Pin, tol,
                                             fixed_lb[i], fixed_ub[i], deadline, stats)
                    if res == "cex":
                        return _PartOutcome("cex", x, covered, total, stats, "exact region split of a small box")
                    if res == "safe":
                        covered += float(vols[i])
                    elif res == "timeout":
                        incomplete = "timeout"
                        break
                    else:
                        incomplete = incomplete or "numeric"
                    continue
                to_split.append(i)
            if incomplete == "timeout":
                break
            if to_split:
                ts = np.asarray(to_split)
                w = hi[ts] - lo[ts]
                rel = (~row_ok[ts] & mask[ts][:, uns.group]).astype(float)
                if split == "gradient":
                    g_lo, g_hi = gradient_bounds(net, bb, ts, uns.C)
                    coef = np.maximum(np.abs(g_lo), np.abs(g_hi))     # (s, R, d)
                else:
                    coef = np.abs(bb.spec_coef[ts])                   # (s, R, d)
                score = np.einsum("sr,srd->sd", rel, coef) * w
                score[:, ~active] = -1.0
                none = score.max(axis=1) <= 0
                score[none] = np.where(active, w[none], -1.0)
                if split == "widest":
                    score = np.where(active, w / np.where(active, hi0 - lo0, 1.0), -1.0)
                dim = np.argmax(score, axis=1)
                if split == "lookahead":
                    dim = _lookahead_dims(net, uns, lo[ts], hi[ts], mask[ts], active, onehot)
                mid = (lo[ts, dim] + hi[ts, dim]) / 2
                lo_a, hi_a = lo[ts].copy(), hi[ts].copy()
                hi_a[np.arange(len(ts)), dim] = mid
                lo_b, hi_b = lo[ts].copy(), hi[ts].copy()
                lo_b[np.arange(len(ts)), dim] = mid
                S_lo.append(np.concatenate([lo_a, lo_b]))
                S_hi.append(np.concatenate([hi_a, hi_b]))
                S_mask.append(np.concatenate([mask[ts], mask[ts]]))
                S_depth.append(np.concatenate([depth[ts] + 1, depth[ts] + 1]))
                pending += 2 * len(ts)
                stats["splits"] += len(ts)
            if bar is not None:
                bar.n = covered / total if total > 0 else 0.0
                bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    if incomplete is None and pending == 0:
        return _PartOutcome("safe", None, total, total, stats, "")
    return _PartOutcome(incomplete or "limit", None, covered, total, stats, "")


def _bound_whole_part(net, uns: UnsafeSet, lo0: np.ndarray, hi0: np.ndarray, Pin, tol: Tolerance,
                      deadline: float | None, *, alpha_steps: int = 100) -> _PartOutcome:
    """A high-dimensional input part of a general network, bounded over the whole part (no
    splitting): CROWN; then α-CROWN on the rows of the unsafe parts still open; then, when
    the time left allows, intermediate bounds by α-CROWN where cheap
    (``crown_bounds(method="alpha")``) and the rows again. Every bound is valid, the best
    one per row is kept. Status "safe", "cex" (a bound minimiser or the centre is a
    counterexample), "timeout" (the time limit passed first) or "unsplit"."""
    stats = {"boxes": 1, "alpha_boxes": 0}
    K = uns.n_parts
    onehot = (uns.group[None, :] == np.arange(K)[:, None])          # (K, R)
    total = float(_box_volume(lo0, hi0, (hi0 - lo0) > 0))
    lo, hi = lo0[None], hi0[None]
    t_c = time.monotonic()
    bb = crown_bounds(net, lo, hi, uns.C)
    t_c = time.monotonic() - t_c
    lbs = bb.spec_lb[0].copy()
    Xc = np.vstack([(lo0 + hi0)[None] / 2, bb.spec_argmin[0]])
    if Pin is not None:
        Xc = Xc[np.all(Xc @ Pin[0].T - Pin[1] <= tol.feas_atol, axis=1)]
    if len(Xc):
        mc = uns.margin(net(Xc))
        i = int(np.argmin(mc))
        if mc[i] <= tol.feas_atol:
            return _PartOutcome("cex", Xc[i], 0.0, total, stats, "a minimiser of the linear bounds")

    def proven() -> np.ndarray:
        return (onehot & (lbs > uns.d)[None, :]).any(axis=1)

    def optimise(b: object) -> None:
        rows = np.flatnonzero(~proven()[uns.group])
        stats["alpha_boxes"] += 1
        better = optimize_spec_alpha(net, b, np.array([0]), lo, hi, uns.C, steps=alpha_steps, rows=rows[None])
        lbs[rows] = np.maximum(lbs[rows], better[0])

    def time_left() -> float:
        return np.inf if deadline is None else deadline - time.monotonic()

    for stage in ("alpha rows", "alpha levels"):
        if proven().all() or not alpha_steps:
            break
        if time_left() <= 0:
            return _PartOutcome("timeout", None, 0.0, total, stats, "")
        if stage == "alpha rows":
            optimise(bb)
        elif time_left() > 4 * t_c:
            b2 = crown_bounds(net, lo, hi, uns.C, method="alpha")
            stats["alpha_levels"] = b2.level_method.count("alpha")
            np.maximum(lbs, b2.spec_lb[0], out=lbs)
            if not proven().all():
                optimise(b2)
    stats["open_parts"] = int((~proven()).sum())
    if proven().all():
        return _PartOutcome("safe", None, total, total, stats, "")
    return _PartOutcome("unsplit", None, 0.0, total, stats, "")


def _lookahead_dims(net, uns: UnsafeSet, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray,
                    active: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """For each box, the input coordinate whose bisection improves the bounds most.

    Score of a split: over both children, the worst (smallest) of the best proof gaps
    ``max_{rows of part} (lb - d)`` of the parts still open; the best score wins."""
    s, d = lo.shape
    dims = np.flatnonzero(active)
    LO, HI = [], []
    for i in dims:
        mid = (lo[:, i] + hi[:, i]) / 2
        a_hi = hi.copy(); a_hi[:, i] = mid
        b_lo = lo.copy(); b_lo[:, i] = mid
        LO += [lo, b_lo]
        HI += [a_hi, hi]
    bb = crown_bounds(net, np.concatenate(LO), np.concatenate(HI), uns.C)
    gap = bb.spec_lb - uns.d[None, :]                                  # (2*nd*s, R)
    part_gap = np.where(onehot[None], gap[:, None, :], -np.inf).max(axis=2)   # (.., K)
    part_gap = np.where(np.tile(mask, (2 * len(dims), 1)), np.minimum(part_gap, 0.0), 0.0)
    score = part_gap.sum(axis=1).reshape(len(dims), 2, s).sum(axis=1)   # (nd, s), <= 0
    return dims[np.argmax(score, axis=0)]


def _split_root(lo: np.ndarray, hi: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    boxes = [(lo.copy(), hi.copy())]
    while len(boxes) < n:
        lo_, hi_ = boxes.pop(0)
        i = int(np.argmax(hi_ - lo_))
        if hi_[i] - lo_[i] <= 0:
            boxes.append((lo_, hi_))
            break
        m = (lo_[i] + hi_[i]) / 2
        a_hi = hi_.copy(); a_hi[i] = m
        b_lo = lo_.copy(); b_lo[i] = m
        boxes += [(lo_, a_hi), (b_lo, hi_)]
    return boxes


def _merge_stats(total: dict, s: dict) -> None:
    for k, v in s.items():
        total[k] = total.get(k, 0) + v


def check_safety(net, input_set: object, unsafe: object, *, time_limit: float | None = None,
                 max_splits: int | None = None, exact: bool = False, tol: Tolerance | None = None,
                 executor: Executor | None = None, progress: bool = False,
                 rng: object = None, falsify: bool = True) -> SafetyResult:
    """Decide whether some input of ``input_set`` is mapped into ``unsafe``.

    Parameters
    ----------
    net : Network or ReLUNetwork
        Any piecewise-linear network (convolutions, residual connections, pooling, …). A
        :class:`~relugeom.network.ReLUNetwork` takes the dense path tuned for ACAS Xu. On
        other networks, input parts of at most ``SPLIT_MAX_DIM`` dimensions are split as
        for dense ones (with the general bounds); larger ones (images) get CROWN and
        α-CROWN bounds over the whole part and more falsification, and end UNKNOWN when
        neither decides (no neuron splitting).
    input_set : Box, HPolytope, list of them, or InputSet
        Bounded input polytopes (a union).
    unsafe : HPolytope, list of them, or UnsafeSet
        The unsafe output polyhedra (a union).
    time_limit : float, optional
        Seconds; when hit the verdict is TIMEOUT with the covered fraction.
    max_splits : int, optional
        Work limit (box splits per input part); when hit the verdict is UNKNOWN.
    exact : bool
        Check counterexamples in rational arithmetic (the exact margin must be ``<= 0``),
        and prove SAFE only with exact certificates: every region of the input set is
        split off exactly and each leaf's LP infeasibility is certified by a rational Farkas
        certificate (meant for small networks; no relaxation-based pruning; runs in this
        process, ``executor`` and ``max_splits`` are not used).
    tol : Tolerance, optional
        ``tol.feas_atol`` is the LP feasibility tolerance and the counterexample tolerance.
    executor : concurrent.futures.Executor, optional
        Splits each input part into sub-boxes checked in parallel.
    progress : bool
        Show a progress bar of the verified volume.
    rng : int or Generator, optional
        Seed of the falsification step (recorded in the result).
    falsify : bool
        Run the falsification step first (default). Without it counterexamples come only
        from the search itself (used in tests of the search).

    Returns
    -------
    SafetyResult

    Raises
    ------
    TypeError
        If ``net`` is not a relugeom network.
    ValueError
        If the set dimensions do not match the network.
    EmptyDomainError, UnboundedError
        If an input part is empty or unbounded.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> from relugeom.polyhedra import Box, HPolytope
    >>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])          # |x|
    >>> check_safety(net, Box([-1], [2]), HPolytope([[-1.0]], [-3.0]), rng=0).verdict.value
    'safe'
    >>> r = check_safety(net, Box([-1], [2]), HPolytope([[-1.0]], [-1.5]), rng=0)
    >>> r.verdict.value, bool(abs(r.counterexample.y[0]) >= 1.5)
    ('unsafe', True)

    Any network, e.g. a max-pool over a convolution:

    >>> from relugeom.network import NetworkBuilder
    >>> b = NetworkBuilder((1, 3))
    >>> h = b.maxpool(b.relu(b.conv(b.input, [[[1.0, -1.0]]])), kernel=(2,))
    >>> mp = b.build(b.flatten(h))                          # max(relu(x0 - x1), relu(x1 - x2))
    >>> check_safety(mp, Box([0, 0, 0], [1, 1, 1]), HPolytope([[-1.0]], [-1.5]), rng=0).verdict.value
    'safe'
    >>> check_safety(mp, Box([0, 0, 0], [1, 1, 1]), HPolytope([[-1.0]], [-0.9]), rng=0).verdict.value
    'unsafe'
    """
    t0 = time.monotonic()
    net = as_network(net)
    tol = resolve(tol)
    if isinstance(rng, np.random.Generator):
        gen, seed = rng, None
    else:
        seed = int(np.random.SeedSequence().entropy % (2**63)) if rng is None else int(rng)
        gen = np.random.default_rng(seed)
    ins = as_input_set(input_set)
    uns = as_unsafe_set(unsafe)
    check_sizes(net, ins, uns)
    bounds = [ins.part_bounds(k, tol=tol) for k in range(len(ins))]  # raises on empty/unbounded
    deadline = None if time_limit is None else t0 + float(time_limit)
    ctx = _Ctx(net, ins, uns, tol, deadline, exact)
    stats: dict = {"falsify_points": 0, "falsify_lps": 0}

    def result(verdict, cex=None, reason="", coverage=0.0):
        return SafetyResult(verdict, cex, reason, float(coverage), stats, tol,
                            time.monotonic() - t0, seed, exact)

    cex, how = _falsify(ctx, gen, stats) if falsify else (None, "")
    if cex is not None:
        return result(Verdict.UNSAFE, cex, f"counterexample found by {how}", 0.0)
    if exact:
        from ._exact import exact_search

        return exact_search(ctx, bounds, stats, result)
    covered = total = 0.0
    incomplete: set[str] = set()
    for k in range(len(ins)):
        lo0, hi0 = bounds[k]
        Pin = None if ins.is_box(k) else (ins.parts[k].A, ins.parts[k].b)
        if not net.is_dense_relu and np.count_nonzero(hi0 > lo0) > SPLIT_MAX_DIM:
            outs = [_bound_whole_part(net, uns, lo0, hi0, Pin, tol, deadline)]
        elif executor is None:
            outs = [_bab_part(net, uns, lo0, hi0, Pin, tol, deadline, max_splits, progress=progress)]
        else:
            subs = _split_root(lo0, hi0, 8)
            futs = [executor.submit(_bab_part, net, uns, lo, hi, Pin, tol, deadline, max_splits)
                    for lo, hi in subs]
            outs = []
            pending = set(futs)
            while pending:
                fin, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in fin:
                    outs.append(f.result())
                if any(o.status == "cex" for o in outs):
                    for f in pending:
                        f.cancel()
                    break
        for o in outs:
            _merge_stats(stats, o.stats)
            covered += o.covered
            total += o.total
            if o.status == "cex":
                c = _confirm(net, ins, uns, k, o.x, tol, exact, (lo0, hi0))
                if c is not None:
                    return result(Verdict.UNSAFE, c, f"counterexample found by {o.reason}", 0.0)
                incomplete.add("numeric")
            elif o.status != "safe":
                incomplete.add(o.status)
    if "unsplit" in incomplete and falsify:
        # not proven and too wide to split: more falsification before answering UNKNOWN:
        # PGD restarts aimed at one unsafe part at a time (the closest parts at the centre
        # of the first input part first; aiming at each point's closest part can stall on
        # a part that is never reached), longer, with a slower step decay
        lo0, hi0 = bounds[0]
        order = np.argsort(uns.part_margins(net((lo0 + hi0)[None] / 2))[0])
        for j in order[:RESTART_PARTS]:
            if ctx.out_of_time():
                break
            cex, how = _falsify(ctx, gen, stats, n_random=256, n_pgd=16, pgd_steps=150, eta0=0.25,
                                decay=0.977, part=int(j))
            if cex is not None:
                return result(Verdict.UNSAFE, cex, f"counterexample found by {how} (restart aimed "
                              f"at unsafe part {int(j)})", 0.0)
    if not incomplete:
        return result(Verdict.SAFE, None,
                      "every sub-box excluded by linear-relaxation bounds or an LP "
                      f"(feasibility tolerance {tol.feas_atol:g})", 1.0)
    cov = covered / total if total > 0 else 0.0
    if "timeout" in incomplete:
        return result(Verdict.TIMEOUT, None, f"time limit hit; {cov:.1%} of the input volume proven safe", cov)
    if "unsplit" in incomplete:
        why = (f"not proven by CROWN and α-CROWN over the whole input set, which has too many "
               f"dimensions ({net.input_dim}) to split (general networks split at most {SPLIT_MAX_DIM}; "
               "neuron splitting is not implemented); falsification found no counterexample")
    elif "limit" in incomplete:
        why = "work limit (max_splits) hit"
    else:
        why = "numerical trouble in some LPs"
    return result(Verdict.UNKNOWN, None, f"{why}; {cov:.1%} of the input volume proven safe", cov)
