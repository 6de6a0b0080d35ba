r"""ReLU Voronoi cells: the outputs ``F_X(θ)`` of an architecture on data as a model.

For widths ``(n_0, n_1, …, n_L)``, data ``X`` (``n`` points, one per row) and a bias mode
(as in :class:`relugeom.patterns.BiasMode`) the *output set* is ``{F_X(θ)}`` with ``F_X(θ)``
the ``n × n_L`` matrix of outputs, flattened point-major (point ``j``, output ``i`` at index
``j·n_L + i``). The ReLU Voronoi cell of ``q = F_X(θ*)`` is the set of targets ``Y`` whose
least-squares best fit is ``q``.

One hidden layer, scalar output (exact)
---------------------------------------
With ``x̃_j`` the data (with a constant 1 for first-layer biases), ``relu(X̃ w)`` ranges over
the union over the chambers ``S`` (sets of points a hyperplane can put on its positive side)
of the polyhedral cones ``K_S = {(x̃_j·w)_{j∈S}, 0 : x̃_S w >= 0, x̃_{S^c} w <= 0}``; the output
``Σ_k v_k relu(X̃ w_k)`` ranges over the finite union of the cones ``Σ_k s_k K_{S_k}`` (signs
``s_k = ±1``; plus ``R·1`` with an output bias). So the output set is a finite union of
polyhedral cones and nearest points are exact (NNLS per cone) — though the cells can still
have curved boundaries, in which case the loop does not close and nothing is claimed.
Without an output layer (``output_layer=False``: the model ``y = relu(W x + b)``) the output
set is a product of such unions.

Everything else (deeper networks, several outputs, one activation region of a deep network)
is a :class:`~relugeom.voronoi.ParametrizedModel`, never exact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import combinations, product
from typing import Sequence

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array
from ..polyhedra import HPolytope, generators, solve_lp
from ..polyhedra._lp import LPStatus
from ._metric import as_metric
from ._models import ConeUnionModel, Model, ParametrizedModel
from ._qp import project_cone

log = logging.getLogger(__name__)

__all__ = ["NetworkOutputs", "relu_model", "relu_voronoi_cell", "ReLUStrata", "relu_strata", "critical_cell",
           "shallow_chambers"]


def _bias_mode(bias: object):
    from ..patterns import BiasMode

    return BiasMode(bias)


def _features(X: np.ndarray, with_bias: bool) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))]) if with_bias else X


# ------------------------------------------------------------------ parametrization
class NetworkOutputs:
    r"""``θ ↦ F_X(θ)`` for all θ (the union of all activation regions), point-major.

    Parameters use the layout of :class:`relugeom.patterns.PatternMap` (``W_1`` row-major,
    ``b_1`` if present, ``W_2``, …). Piecewise polynomial; ``jacobian`` is the derivative of
    the piece whose pattern θ has (ties count inactive).

    Examples
    --------
    >>> F = NetworkOutputs((1, 1, 1), [[1.0], [-1.0]], bias="first")
    >>> F.n_params, F.evaluate([1.0, 0.0, 2.0]).tolist()
    (3, [2.0, 0.0])
    """

    homogeneous = False

    def __init__(self, widths: Sequence[int], X: object, *, bias: object = "none", output_layer: bool = True):
        from ..patterns import ParameterLayout

        self.widths = tuple(int(w) for w in widths)
        self.bias = _bias_mode(bias)
        self.X = as_array(X, name="X", shape=(None, self.widths[0]))
        self._lay = ParameterLayout(self.widths, self.bias)
        self.output_layer = bool(output_layer)
        self.n_params = self._lay.n_params
        nL = self.widths[-1]
        self.n_outputs = self.X.shape[0] * nL
        self.degree = len(self.widths) - 1

    def __repr__(self) -> str:
        return f"NetworkOutputs(widths={self.widths}, n={self.X.shape[0]}, bias={self.bias.value!r})"

    def _forward(self, theta: np.ndarray) -> tuple[list, list, list]:
        Ws, bs = self._lay.split(theta)
        acts, pre = [np.broadcast_to(self.X, (theta.shape[0],) + self.X.shape)], []
        L = len(Ws)
        for l in range(L):
            Z = np.einsum("bij,bnj->bni", Ws[l], acts[-1])
            if bs[l] is not None:
                Z = Z + bs[l][:, None, :]
            pre.append(Z)
            if l < L - 1 or not self.output_layer:
                acts.append(np.maximum(Z, 0.0))
            else:
                acts.append(Z)
        return Ws, pre, acts

    def evaluate(self, theta: object) -> np.ndarray:
        """Outputs ``(k, n·n_L)`` for a batch of θ (or ``(n·n_L,)`` for one).

        Examples
        --------
        >>> NetworkOutputs((1, 2, 1), [[1.0]]).evaluate([1.0, -1.0, 1.0, 1.0]).tolist()
        [1.0]
        """
        th = np.asarray(theta, dtype=float)
        single = th.ndim == 1
        th = np.atleast_2d(th)
        _, _, acts = self._forward(th)
        out = acts[-1].reshape(th.shape[0], -1)
        return out[0] if single else out

    def smooth_at(self, theta: object, *, atol: float = 1e-9) -> bool:
        """False when some hidden pre-activation is (numerically) zero at θ (a kink).

        Off kinks the map is polynomial near θ and the image of its Jacobian lies in the
        tangent cone of the output set; at kinks it need not.

        Examples
        --------
        >>> F = NetworkOutputs((1, 1, 1), [[1.0]], bias="first")
        >>> F.smooth_at([1.0, 0.0, 1.0]), F.smooth_at([1.0, -1.0, 1.0])
        (True, False)
        """
        th = np.asarray(theta, dtype=float).reshape(1, -1)
        _, pre, _ = self._forward(th)
        hidden = pre if not self.output_layer else pre[:-1]
        s = max(1.0, float(np.abs(th).max()))
        return not any(np.any(np.abs(Z) <= atol * s) for Z in hidden)

    def jacobian(self, theta: object) -> np.ndarray:
        """``(n·n_L, n_params)`` at one θ (back-propagation through the pattern of θ).

        Examples
        --------
        >>> NetworkOutputs((1, 1, 1), [[2.0]]).jacobian([1.0, 3.0]).tolist()
        [[6.0, 2.0]]
        """
        th = np.asarray(theta, dtype=float).reshape(1, -1)
        Ws, pre, acts = self._forward(th)
        L = len(Ws)
        n = self.X.shape[0]
        nL = self.widths[-1]
        J = np.zeros((n, nL, self.n_params))
        # delta: d out / d pre_l, shape (n, nL, n_l)
        last_relu = not self.output_layer
        delta = np.broadcast_to(np.eye(nL), (n, nL, nL)).copy()
        if last_relu:
            delta = delta * (pre[-1][0] > 0)[:, None, :]
        for l in range(L - 1, -1, -1):
            s, e = self._lay.W_slices[l]
            a_prev = acts[l][0]  # (n, n_{l-1})
            J[:, :, s:e] = np.einsum("noi,nj->noij", delta, a_prev).reshape(n, nL, -1)
            bsl = self._lay.b_slices[l]
            if bsl is not None:
                J[:, :, bsl[0]:bsl[1]] = delta
            if l > 0:
                delta = np.einsum("noi,ij->noj", delta, Ws[l][0]) * (pre[l - 1][0] > 0)[:, None, :]
        return J.reshape(n * nL, self.n_params)


# ------------------------------------------------------------------- shallow cones
def shallow_chambers(Xt: np.ndarray, *, tol: Tolerance | None = None) -> list[tuple[int, ...]]:
    """The sets ``S`` of data points that some ``w`` puts strictly positive (the rest strictly negative).

    Points with ``x̃_j = 0`` are never active. Found by branching over the points with one
    LP per partial sign vector.

    Examples
    --------
    >>> sorted(shallow_chambers(np.array([[-1.0, 1.0], [1.0, 1.0]])))
    [(), (0,), (0, 1), (1,)]
    """
    t = resolve(tol)
    n, d = Xt.shape
    zero = np.linalg.norm(Xt, axis=1) == 0

    def feasible(signs: list[int]) -> bool:
        rows = [-(s * Xt[j]) for j, s in enumerate(signs) if not zero[j]]
        if not rows:
            return True
        res = solve_lp(np.zeros(d), np.array(rows), -np.ones(len(rows)), tol=t)
        return res.status is LPStatus.OPTIMAL

    out: list[tuple[int, ...]] = []
    stack: list[list[int]] = [[]]
    while stack:
        sg = stack.pop()
        if len(sg) == n:
            out.append(tuple(j for j, s in enumerate(sg) if s > 0))
            continue
        j = len(sg)
        opts = [-1] if zero[j] else [1, -1]
        for s in opts:
            cand = sg + [s]
            if feasible(cand):
                stack.append(cand)
    return out


def _chamber_generators(Xt: np.ndarray, S: Sequence[int]) -> np.ndarray:
    """Generators (columns, in R^n) of ``K_S = {relu(X̃w) : w in the closed chamber of S}``."""
    n, d = Xt.shape
    sign = -np.ones(n)
    sign[list(S)] = 1.0
    A = -(sign[:, None] * Xt)
    V, R = generators(HPolytope(A, np.zeros(n)))
    if len(R) == 0:
        return np.zeros((n, 0))
    Z = Xt @ R.T
    mask = np.zeros(n, bool)
    mask[list(S)] = True
    Z[~mask] = 0.0
    Z = Z[:, np.linalg.norm(Z, axis=0) > 1e-12]
    if Z.shape[1] == 0:
        return Z
    Z = Z / np.linalg.norm(Z, axis=0)
    Z = np.unique(np.round(Z, 12), axis=1)
    return Z


class _Reordered:
    """A parametrization with its outputs permuted (block order -> point order)."""

    def __init__(self, param: object, perm: np.ndarray):
        self.param = param
        self.perm = perm  # target index of each original output
        self.inv = np.argsort(perm)
        self.n_params = param.n_params
        self.n_outputs = param.n_outputs
        self.homogeneous = getattr(param, "homogeneous", False)

    def evaluate(self, theta: object) -> np.ndarray:
        out = np.asarray(self.param.evaluate(theta), dtype=float)
        return out[..., self.inv]

    def jacobian(self, theta: object) -> np.ndarray:
        return np.asarray(self.param.jacobian(theta), dtype=float)[self.inv]

    def output_exponents(self) -> list:
        return self.param.output_exponents()

    def __repr__(self) -> str:
        return f"{self.param!r} (point order)"


def relu_model(widths: Sequence[int], X: object, *, bias: object = "none", assignment: object = None,
               output_layer: bool = True, max_cones: int = 50000, n_starts: int = 8,
               tol: Tolerance | None = None) -> Model:
    """The output set ``{F_X(θ)}`` of an architecture on data (all activation regions, or one).

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, n_1, …, n_L)``; with ``output_layer=False`` the last layer is a ReLU layer
        (``(n_0, n_1)``: the model ``y = relu(W x + b)``).
    X : array_like (n, n_0)
        Data points, one per row.
    bias : {"none", "first", "all"}
        As in :class:`relugeom.patterns.BiasMode`.
    assignment : PatternAssignment, optional
        One activation region (with ``point_blocks``): the model is the closure of
        ``φ_X^A`` over that region. Default: the union of all regions.
    output_layer : bool
    max_cones : int
        Largest number of cones of the exact shallow model before falling back to the
        parametrized model.

    Returns
    -------
    ConeUnionModel
        For one hidden layer and scalar output, or a single ReLU layer (exact oracle).
    ParametrizedModel
        Otherwise (multistart local optimisation, not exact).

    Examples
    --------
    >>> M = relu_model((1, 1), [[-1.0], [1.0]], bias="first", output_layer=False)
    >>> type(M).__name__, M.nearest([-2.0, 3.0]).point.tolist()
    ('ConeUnionModel', [0.0, 3.0])
    """
    t = resolve(tol)
    w = tuple(int(v) for v in widths)
    bm = _bias_mode(bias)
    Xa = as_array(X, name="X", shape=(None, w[0]))
    n = Xa.shape[0]
    with_b1 = bm.value != "none"
    Xt = _features(Xa, with_b1)
    shallow_scalar = output_layer and len(w) == 3 and w[-1] == 1
    relu_layer = (not output_layer) and len(w) == 2
    if shallow_scalar or relu_layer:
        if assignment is None:
            chambers = [S for S in shallow_chambers(Xt, tol=t) if S]
            per_neuron = None
        else:
            P = np.asarray(assignment.point_patterns(), dtype=bool)
            if P.shape[0] != n:
                raise ValueError(f"the assignment has {P.shape[0]} data points; X has {n}")
            per_neuron = [tuple(np.flatnonzero(P[:, k]).tolist()) for k in range(w[1])]
            chambers = None
        gens: dict[tuple[int, ...], np.ndarray] = {}

        def G(S: tuple[int, ...]) -> np.ndarray:
            if S not in gens:
                gens[S] = _chamber_generators(Xt, S) if S else np.zeros((n, 0))
            return gens[S]

        cones, labels = [], []
        if shallow_scalar:
            extra = np.hstack([np.ones((n, 1)), -np.ones((n, 1))]) / np.sqrt(n) if bm.value == "all" else np.zeros((n, 0))
            if per_neuron is None:
                items = [(S, s) for S in chambers for s in (1, -1)]
                k = min(w[1], len(items))
                combos = list(combinations(range(len(items)), k))
                if len(combos) > max_cones:
                    log.info("%d cones exceed max_cones; using the parametrized model", len(combos))
                    combos = None
                if combos is not None:
                    for c in combos:
                        cones.append(np.hstack([s * G(S) for S, s in (items[i] for i in c)] + [extra]))
                        labels.append(tuple(items[i] for i in c))
            else:
                for signs in product((1, -1), repeat=w[1]):
                    cones.append(np.hstack([s * G(S) for S, s in zip(per_neuron, signs)] + [extra]))
                    labels.append(tuple(zip(per_neuron, signs)))
        else:
            n1 = w[1]
            choices = [chambers] * n1 if per_neuron is None else [[S] for S in per_neuron]
            if np.prod([len(c) for c in choices]) <= max_cones:
                for combo in product(*choices):
                    blocks = []
                    for k, S in enumerate(combo):
                        Gk = G(S)
                        Bk = np.zeros((n, n1, Gk.shape[1]))
                        Bk[:, k, :] = Gk
                        blocks.append(Bk.reshape(n * n1, -1))
                    cones.append(np.hstack(blocks))
                    labels.append(combo)
        if cones:
            M = ConeUnionModel(cones, labels)
            M.widths, M.X, M.bias, M.output_layer = w, Xa, bm, output_layer  # type: ignore[attr-defined]
            M.chambers = chambers  # type: ignore[attr-defined]
            return M
    if assignment is None:
        F = NetworkOutputs(w, Xa, bias=bm, output_layer=output_layer)
        return ParametrizedModel(F, cone=True, n_starts=n_starts)
    if not output_layer:
        raise ValueError("activation-region models need an output layer (use output_layer=True)")
    from ..patterns import ActivationRegion, OutputMap

    phi = OutputMap(assignment, Xa, bias=bm)
    nL = w[-1]
    perm = []
    for b_ in range(assignment.n_blocks):
        idx = np.flatnonzero(assignment.point_blocks == b_)
        for i in range(nL):
            for j in idx:
                perm.append(j * nL + i)
    region = ActivationRegion(assignment, Xa, bias=bm)
    sign = np.where(region.patterns, 1.0, -1.0)

    def g(theta: np.ndarray) -> np.ndarray:
        Z = np.concatenate(region.preactivations(theta), axis=1)
        return (sign * Z).ravel()

    return ParametrizedModel(_Reordered(phi, np.array(perm)), inequalities=g, cone=True, n_starts=n_starts)


def relu_voronoi_cell(widths: Sequence[int], X: object, theta: object, *, bias: object = "none",
                      region: bool = False, output_layer: bool = True, metric: object = "euclidean",
                      rng: object = None, tol: Tolerance | None = None, **kwargs: object):
    """The ReLU Voronoi cell of ``q = F_X(θ)``: targets whose least-squares fit is ``q``.

    Parameters
    ----------
    widths, X, bias, output_layer
        As in :func:`relu_model`.
    theta : array_like
        Parameters (layout of :class:`relugeom.patterns.PatternMap`).
    region : bool
        ``True``: the model of θ's activation region only; ``False`` (default): the union of
        all regions.
    **kwargs
        Passed to :func:`~relugeom.voronoi.voronoi_cell`.

    Examples
    --------
    >>> c = relu_voronoi_cell((1, 1), [[-1.0], [1.0]], [1.0, -5.0], bias="first", output_layer=False)
    >>> c.exact, sorted(np.round(c.rays, 9).tolist())     # the dead output (0, 0)
    (True, [[-1.0, 0.0], [0.0, -1.0]])
    """
    from ._cell import voronoi_cell

    F = NetworkOutputs(widths, X, bias=bias, output_layer=output_layer)
    th = as_array(theta, name="theta", shape=(F.n_params,))
    q = F.evaluate(th)
    assignment = None
    if region:
        from ..patterns import PatternAssignment, network_from_theta

        Xa = as_array(X, name="X")
        if output_layer:
            net = network_from_theta(F.widths, th, F.bias)
            assignment = PatternAssignment.from_network(net, Xa)
        else:
            Z = _features(Xa, F.bias.value != "none") @ th.reshape(F.widths[1], -1).T
            pats = Z > 0
            uniq, first, inv = np.unique(pats, axis=0, return_index=True, return_inverse=True)
            order = np.argsort(first)
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            assignment = PatternAssignment(tuple(F.widths) + (1,), uniq[order], rank[np.asarray(inv).ravel()])
    M = relu_model(widths, X, bias=bias, assignment=assignment, output_layer=output_layer, tol=tol)
    return voronoi_cell(M, q, metric=metric, theta=th if isinstance(M, ParametrizedModel) else None,
                        rng=rng, tol=tol, **kwargs)


# ------------------------------------------------------------------------- strata
@dataclass(frozen=True)
class ReLUStrata:
    """Where Gaussian targets are fitted (one hidden layer, scalar output; exact fits).

    Attributes
    ----------
    n_samples : int
        Samples classified (fewer than asked when a time limit stopped the run).
    dead, kink, interior : int
        Counts: the best fit is realised with a dead neuron (it lies in the output set of
        the architecture with one neuron fewer); otherwise only with a data point on a kink
        (some ``x̃_j·w_k = 0`` in every realisation); otherwise at an interior point (all
        neurons alive, every data point strictly on one side of every neuron).
    seed : object
    tol : Tolerance
    complete : bool
        False when ``time_limit`` stopped the sampling.

    Examples
    --------
    >>> s = relu_strata((1, 1, 1), [[-1.0], [1.0]], n_samples=20, bias="first", rng=0)
    >>> s.dead + s.kink + s.interior == s.n_samples
    True
    """

    n_samples: int
    dead: int
    kink: int
    interior: int
    seed: object
    tol: Tolerance
    complete: bool = True

    @property
    def fractions(self) -> dict[str, float]:
        """Fractions of the samples per stratum.

        Examples
        --------
        >>> ReLUStrata(4, 1, 1, 2, 0, resolve(None)).fractions["interior"]
        0.5
        """
        n = max(1, self.n_samples)
        return {"dead": self.dead / n, "kink": self.kink / n, "interior": self.interior / n}


def relu_strata(widths: Sequence[int], X: object, *, n_samples: int = 200, bias: object = "none",
                rng: object = None, tol: Tolerance | None = None, progress: bool = False,
                time_limit: float | None = None) -> ReLUStrata:
    """Fractions of standard Gaussian targets fitted at a dead neuron, a kink at a data point, or an interior point.

    Exact least squares (NNLS over the cones of :func:`relu_model`); one hidden layer and
    scalar output only. With ``time_limit`` (seconds) the sampling stops between samples;
    the counts of the samples done are returned, marked ``complete=False``.

    Raises
    ------
    ValueError
        For other architectures.

    Examples
    --------
    >>> s = relu_strata((1, 2, 1), [[-1.0], [0.5], [2.0]], n_samples=10, bias="first", rng=1)
    >>> s.n_samples
    10
    """
    import time

    from tqdm import tqdm

    t0 = time.perf_counter()
    t = resolve(tol)
    w = tuple(int(v) for v in widths)
    if not (len(w) == 3 and w[-1] == 1):
        raise ValueError(f"relu_strata needs one hidden layer and scalar output; got widths {w}")
    Xa = as_array(X, name="X", shape=(None, w[0]))
    n = Xa.shape[0]
    M = relu_model(w, Xa, bias=bias, tol=t)
    if not isinstance(M, ConeUnionModel):
        raise ValueError("too many cones for the exact model; reduce the data")
    bm = _bias_mode(bias)
    smaller = relu_model((w[0], w[1] - 1, 1), Xa, bias=bias, tol=t) if w[1] > 1 else None
    Xt = _features(Xa, bm.value != "none")
    gen = np.random.default_rng(rng)
    dead = kink = interior = 0
    done = 0
    for _ in tqdm(range(int(n_samples)), disable=not progress, desc="strata"):
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        done += 1
        Y = gen.standard_normal(n)
        p = M.nearest(Y).point
        s = max(1.0, float(np.linalg.norm(p)))
        eps = 1e-7 * s
        if smaller is not None:
            dist = smaller.nearest(p).loss
        else:
            dist = float(np.linalg.norm(p - (p.mean() if bm.value == "all" else 0.0)))
        if dist <= eps:
            dead += 1
            continue
        if _has_interior_realisation(M, p, Xt, bm.value == "all", eps, t):
            interior += 1
        else:
            kink += 1
    return ReLUStrata(done, dead, kink, interior, rng, t, complete=done == int(n_samples))


def _has_interior_realisation(M: ConeUnionModel, p: np.ndarray, Xt: np.ndarray, out_bias: bool,
                              eps: float, t: Tolerance) -> bool:
    """Is ``p = Σ_k s_k relu(X̃ w_k) (+ c)`` with every ``w_k`` strictly inside its chamber?"""
    n, d = Xt.shape
    pn = p / max(1e-300, float(np.linalg.norm(p)))
    for i, G in enumerate(M.generators):
        q, _ = project_cone(pn, G)
        if np.linalg.norm(q - pn) > 1e-7:
            continue
        lab = M.labels[i]
        K = len(lab)
        nv = K * d + 1 + (1 if out_bias else 0)  # w_1..w_K, slack t, (output bias c)
        A_ub, b_ub = [], []
        Aeq = np.zeros((n, nv))
        for k, (S, s) in enumerate(lab):
            mask = np.zeros(n, bool)
            mask[list(S)] = True
            for j in range(n):
                row = np.zeros(nv)
                sg = 1.0 if mask[j] else -1.0
                row[k * d:(k + 1) * d] = -sg * Xt[j]
                row[K * d] = 1.0
                A_ub.append(row)
                b_ub.append(0.0)
            Aeq[mask, k * d:(k + 1) * d] += s * Xt[mask]
        if out_bias:
            Aeq[:, -1] = 1.0
        c = np.zeros(nv)
        c[K * d] = -1.0
        bounds = [(None, None)] * nv
        bounds[K * d] = (None, 1.0)
        res = solve_lp(c, np.array(A_ub), np.array(b_ub), Aeq, pn, bounds=bounds, tol=t)
        if res.status is LPStatus.OPTIMAL and -res.value > 1e-6:
            return True
    return False


# -------------------------------------------------------------------- critical cells
def critical_cell(param: object, theta: object, *, metric: object = "euclidean") -> HPolytope:
    """The targets ``u`` for which θ is a critical point of ``‖φ(θ) − u‖²_Q``: ``q + ker(JᵀQ)``.

    Parameters
    ----------
    param : Parametrization, NetworkOutputs or ParametrizedModel
    theta : array_like
    metric : "euclidean" or a matrix Q

    Returns
    -------
    HPolytope
        The affine subspace ``{u : JᵀQ (u − q) = 0}`` (no inequalities).

    Examples
    --------
    >>> from relugeom.voronoi import rank_one_model
    >>> C = critical_cell(rank_one_model(2, 2), [1.0, 0.0, 1.0, 0.0])   # q = e1 e1ᵀ
    >>> C.dimension(), C.contains([1.0, 0.0, 0.0, 5.0])
    (1, True)
    """
    if isinstance(param, ParametrizedModel):
        param = param.param
    met = as_metric(metric)
    th = np.asarray(theta, dtype=float).reshape(-1)
    q = np.asarray(param.evaluate(th), dtype=float)
    J = np.asarray(param.jacobian(th), dtype=float)
    Qm = met.gram(len(q))
    E = J.T @ Qm
    U, s, Vt = np.linalg.svd(E, full_matrices=False)
    r = int((s > 1e-10 * max(1.0, s.max(initial=0.0))).sum())
    E = Vt[:r]
    return HPolytope(np.zeros((0, len(q))), np.zeros(0), E, E @ q)
