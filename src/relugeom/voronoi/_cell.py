r"""Voronoi cells by a cutting-plane loop with a nearest-point oracle.

For a model ``M``, a point ``q ∈ M`` and a distance, the Voronoi cell of ``q`` is the closed
convex set of data ``u`` whose nearest point of ``M`` is ``q`` (ties included):

* Euclidean / Q-weighted: ``∩_{p ∈ M} {u : 2(p − q)ᵀQ u <= pᵀQp − qᵀQq}``;
* log-likelihood: ``∩_{p ∈ M} {u ∈ Δ : Σ u_i log(q_i / p_i) >= 0}``.

The loop
--------
1. Start from the (Q-)normal cone ``{u : Q(u − q) ∈ N}`` (log: the log-normal polytope
   ``{u ∈ Δ : u/q ∈ N}``), ``N ⊇`` the normal cone of ``M`` at ``q``
   (:meth:`Model.normal_cone`).
2. Compute the vertices and extreme rays of the current outer approximation (pycddlib).
3. Probe every vertex, and points ``v + T r`` (``T = s, 4s, 16s, …``) along every extreme
   ray, with the model's nearest-point oracle. For exact models a ray is certified by the
   exact recession check ``sup_{p∈M} (Qr)ᵀ(p − q) <= 0`` instead.
4. Every probe whose best competitor ``p`` beats ``q`` by more than ``gap_tol`` yields the
   cut of ``p``; repeat until every probe passes (the cell is *complete*) or a budget runs
   out (``max_cuts``, ``max_iterations``, ``time_limit``: the result is an outer
   approximation, marked incomplete).

Guarantees
----------
Every cut comes from a point of ``M`` (and the start contains the cell), so the result
always *contains* the cell. It equals the cell — ``exact=True`` — only when the loop closed
with an exact oracle (finite sets, polyhedra, unions of cones, toric/linear log models): then
every vertex has ``q`` as a nearest point and every ray lies in the recession cone, so by
convexity the outer approximation lies in the cell. With an inexact oracle (multistart local
optimisation) or a cell with curved boundary the result is an outer approximation with the
measured ``gap`` (the largest amount by which a probe's competitor beat ``q``), never exact.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array
from ..polyhedra import HPolytope, generators
from ._metric import Metric, MetricKind, as_metric
from ._models import ConeUnionModel, FiniteModel, Model, ToricModel, as_model

log = logging.getLogger(__name__)

__all__ = ["VoronoiCell", "voronoi_cell"]


@dataclass(frozen=True)
class VoronoiCell:
    r"""A Voronoi cell (or an outer approximation of one) ``{u : A u <= b, A_eq u = b_eq}``.

    Attributes
    ----------
    q : ndarray (m,)
        The model point.
    metric : Metric
    A, b, A_eq, b_eq : ndarray
        H-representation.
    vertices, rays : ndarray
        Generators (pycddlib): the cell is ``conv(vertices) + cone(rays)`` (lineality as
        ``±`` rays).
    exact : bool
        True when the cell is proven equal to the true cell (loop closed with an exact
        oracle, or a theorem: toric log cells).
    complete : bool
        True when every probe passed (otherwise a budget ran out).
    gap : float
        The largest amount (distance, or log-likelihood for ``log``) by which a vertex's best
        competitor beat ``q`` in the last round; ``<= gap_tol`` when complete, ``inf`` when
        some extreme ray of the outer approximation is known not to belong to the cell.
    gap_tol : float
        The pass threshold of a probe.
    n_cuts, n_probes, n_iterations : int
    seed : object
        The ``rng`` argument (random starts of inexact oracles).
    tol : Tolerance
    seconds : float
    message : str
    competitors : ndarray (n_cuts, m)
        The model points whose half-spaces were added.
    theta : ndarray or None
        The parameter of ``q`` (parametrized models).

    Examples
    --------
    >>> cell = voronoi_cell([[0.0, 0.0], [2.0, 0.0]], [0.0, 0.0])
    >>> cell.exact, cell.n_cuts, cell.contains([[0.9, 5.0], [1.1, 0.0]]).tolist()
    (True, 1, [True, False])
    """

    q: np.ndarray
    metric: Metric
    A: np.ndarray
    b: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    vertices: np.ndarray
    rays: np.ndarray
    exact: bool
    complete: bool
    gap: float
    gap_tol: float
    n_cuts: int
    n_probes: int
    n_iterations: int
    seed: object
    tol: Tolerance
    seconds: float
    message: str = ""
    competitors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    theta: np.ndarray | None = None

    @property
    def dim(self) -> int:
        """Ambient dimension ``m``."""
        return int(self.q.shape[0])

    @property
    def polytope(self) -> HPolytope:
        """The cell as an :class:`~relugeom.polyhedra.HPolytope`.

        Examples
        --------
        >>> voronoi_cell([[0.0], [2.0]], [2.0]).polytope.contains([5.0])
        True
        """
        return HPolytope(self.A, self.b, self.A_eq, self.b_eq)

    @property
    def is_bounded(self) -> bool:
        """No extreme rays.

        Examples
        --------
        >>> voronoi_cell([[0.0], [2.0], [4.0]], [2.0]).is_bounded
        True
        """
        return len(self.rays) == 0

    def dimension(self) -> int:
        """Affine dimension of the cell.

        Examples
        --------
        >>> voronoi_cell([[0.0, 0.0], [2.0, 0.0]], [0.0, 0.0]).dimension()
        2
        """
        return self.polytope.dimension(tol=self.tol)

    def contains(self, u: object, *, atol: float | None = None) -> np.ndarray | bool:
        """Whether points lie in the cell (up to ``atol``, default ``tol.feas_atol`` × scale).

        Examples
        --------
        >>> voronoi_cell([[0.0], [2.0]], [0.0]).contains([[0.5], [1.5]]).tolist()
        [True, False]
        """
        X = np.asarray(u, dtype=float)
        single = X.ndim == 1
        X = np.atleast_2d(X)
        if X.shape[1] != self.dim:
            raise ValueError(f"u must have shape (n, {self.dim}) or ({self.dim},); got {np.shape(u)}")
        if atol is None:
            atol = 1e3 * self.tol.feas_atol * max(1.0, float(np.abs(self.q).max()))
        ok = np.all(X @ self.A.T - self.b <= atol * (1 + np.abs(X).max(axis=1, keepdims=True)), axis=1)
        if len(self.b_eq):
            ok &= np.all(np.abs(X @ self.A_eq.T - self.b_eq) <= atol * (1 + np.abs(X).max(axis=1, keepdims=True)),
                         axis=1)
        return bool(ok[0]) if single else ok

    def to_dict(self) -> dict:
        """JSON-ready summary (H-representation, vertices, rays, exact, gap, cuts, …).

        Examples
        --------
        >>> d = voronoi_cell([[0.0], [2.0]], [0.0]).to_dict()
        >>> d["exact"], d["n_cuts"], d["A"]
        (True, 1, [[1.0]])
        """
        return {
            "q": self.q.tolist(), "metric": self.metric.to_dict(),
            "A": self.A.tolist(), "b": self.b.tolist(), "A_eq": self.A_eq.tolist(), "b_eq": self.b_eq.tolist(),
            "vertices": self.vertices.tolist(), "rays": self.rays.tolist(),
            "exact": self.exact, "complete": self.complete, "gap": self.gap, "gap_tol": self.gap_tol,
            "n_cuts": self.n_cuts, "n_probes": self.n_probes, "n_iterations": self.n_iterations,
            "seed": self.seed if isinstance(self.seed, (int, type(None))) else str(self.seed),
            "tolerance": self.tol.as_dict(), "seconds": self.seconds, "message": self.message,
            "theta": None if self.theta is None else np.asarray(self.theta).tolist(),
        }

    def plot(self, ax: object = None, **kwargs: object) -> object:
        """Draw a 2-D or 3-D cell (see :func:`relugeom.voronoi.plot_cell`).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> ax = voronoi_cell([[0.0, 0.0], [2.0, 0.0]], [0.0, 0.0]).plot()
        """
        from ._plot import plot_cell

        return plot_cell(self, ax=ax, **kwargs)


# ------------------------------------------------------------------------ helpers
def _normalize_rows(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nrm = np.linalg.norm(A, axis=1)
    keep = nrm > 1e-14
    return A[keep] / nrm[keep, None], b[keep] / nrm[keep]


def _is_new(a: np.ndarray, beta: float, A: np.ndarray, b: np.ndarray, eps: float) -> bool:
    if len(A) == 0:
        return True
    close = np.all(np.abs(A - a) <= eps, axis=1) & (np.abs(b - beta) <= eps * max(1.0, abs(beta)))
    return not bool(np.any(close))


def _check_on_model(model: Model, q: np.ndarray, met: Metric, t: Tolerance, gen: np.random.Generator,
                    theta: np.ndarray | None) -> np.ndarray | None:
    """Return θ of q (parametrized models); raise ValueError if q is not on the model."""
    from ._models import ParametrizedModel

    s = max(1.0, float(np.linalg.norm(q)))
    if isinstance(model, ToricModel):
        if not model.contains(q, tol=t):
            raise ValueError("q is not a positive point of the toric model")
        return None
    if isinstance(model, ParametrizedModel):
        if theta is not None:
            theta = np.asarray(theta, dtype=float).reshape(model.n_params)
            p = np.asarray(model.param.evaluate(theta), dtype=float)
            if np.linalg.norm(p - q) > max(1e-6, t.eval_rtol) * s:
                raise ValueError(f"phi(theta) differs from q by {np.linalg.norm(p - q):.3g}")
            return theta
        return model.preimage(q, rng=gen, tol=t)
    r = model.nearest(q, "euclidean", rng=gen, tol=t)
    if r.loss > 1e3 * t.feas_atol * s:
        raise ValueError(f"q is not on the model (distance {r.loss:.3g} to the nearest model point)")
    return None


# --------------------------------------------------------------------------- main
def voronoi_cell(model: object, q: object, *, metric: object = "euclidean", theta: object = None,
                 max_cuts: int = 200, max_iterations: int = 60, time_limit: float | None = None,
                 gap_tol: float | None = None, ray_steps: int = 7, max_vertices: int = 20000,
                 rng: object = None, tol: Tolerance | None = None, progress: bool = False) -> VoronoiCell:
    """The Voronoi cell of a point ``q`` of a model (see the module docstring).

    Parameters
    ----------
    model : Model or array_like
        A :class:`~relugeom.voronoi.Model`; an ``(n, m)`` array is a finite point set, an
        :class:`~relugeom.polyhedra.HPolytope` a polyhedral model.
    q : array_like (m,)
        A point of the model (for ``log``: a positive probability vector).
    metric : {"euclidean", "log"}, array_like or Metric
        A matrix means the Q-weighted (pseudo)metric ``‖·‖_Q`` (see :func:`mse_metric`).
    theta : array_like, optional
        Parameters of ``q`` (parametrized models; found by search otherwise). The normal
        cone is taken at this parameter.
    max_cuts, max_iterations : int
        Budgets; when exhausted the result is marked incomplete.
    time_limit : float, optional
        Seconds.
    gap_tol : float, optional
        A probe passes when no competitor beats ``q`` by more than this (default: ten times
        ``tol.feas_atol`` for exact oracles, ``tol.eval_rtol`` otherwise, times the scale of
        ``q``). ``exact=True`` needs a final gap of at most ``tol.eval_rtol`` times the scale.
    ray_steps : int
        Number of probe points ``v + 4^k s r`` along each extreme ray (inexact oracles).
    max_vertices : int
        Stop (incomplete) when the outer approximation has more vertices.
    rng : seed, optional
        Random starts of inexact oracles; recorded in the result.
    tol : Tolerance, optional
    progress : bool
        Show a progress bar over the rounds.

    Returns
    -------
    VoronoiCell

    Raises
    ------
    ValueError
        If ``q`` has the wrong shape or does not lie on the model, or (``log``) is not a
        positive probability vector.

    Examples
    --------
    Three points on a line: the middle one's cell is a slab.

    >>> cell = voronoi_cell([[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]], [2.0, 0.0])
    >>> cell.exact, np.round(cell.vertices, 9).tolist(), cell.rays.shape[0]
    (True, [[1.0, 0.0], [3.0, 0.0]], 2)

    A logarithmic Voronoi cell of the independence model (a segment):

    >>> from relugeom.voronoi import independence_model
    >>> c = voronoi_cell(independence_model(2, 2), [1/12, 1/4, 1/6, 1/2], metric="log")
    >>> c.exact, len(c.vertices)
    (True, 2)
    """
    t0 = time.perf_counter()
    met = as_metric(metric)
    t = resolve(tol)
    mdl = as_model(model)
    m = mdl.dim
    q = as_array(q, name="q", shape=(m,))
    gen = np.random.default_rng(rng)
    is_log = met.kind is MetricKind.LOG
    if is_log and (np.any(q <= 0) or abs(q.sum() - 1.0) > 1e-9):
        raise ValueError("for logarithmic Voronoi cells q must be a positive probability vector (sum 1)")
    if isinstance(mdl, ToricModel) and not is_log:
        raise ValueError("a ToricModel has log-likelihood cells only; use metric='log' "
                         "(or a ParametrizedModel for Euclidean cells)")
    if is_log and isinstance(mdl, ConeUnionModel):
        raise ValueError("ReLU output sets (ConeUnionModel) support Euclidean and Q-weighted cells only")
    if max_cuts < 0 or max_iterations < 1:
        raise ValueError("max_cuts must be >= 0 and max_iterations >= 1")
    s0 = 1.0 if is_log else max(1.0, float(np.abs(q).max()))
    exact_gap = t.eval_rtol * s0
    th = _check_on_model(mdl, q, met, t, gen, None if theta is None else np.asarray(theta, dtype=float))
    oracle_exact = mdl.exact_for(met)
    if gap_tol is None:  # exact oracles can afford a tighter threshold (cuts converge fast)
        gap_tol = 10 * t.feas_atol * s0 if oracle_exact else exact_gap
    gap_tol = float(gap_tol)

    # ---- the start: (Q-)normal cone or log-normal polytope
    H, E = mdl.normal_cone(q, theta=th, tol=t)
    if is_log:
        Dinv = 1.0 / q
        A = np.vstack([H * Dinv, -np.eye(m)])
        b = np.zeros(len(A))
        A_eq = np.vstack([E * Dinv, np.ones((1, m))])
        b_eq = np.concatenate([np.zeros(len(E)), [1.0]])
    else:
        Qm = met.gram(m)
        A = H @ Qm
        b = A @ q
        A_eq = E @ Qm
        b_eq = A_eq @ q
        keep = np.linalg.norm(A_eq, axis=1) > 1e-12
        A_eq, b_eq = A_eq[keep], b_eq[keep]
    A, b = _normalize_rows(A, b)
    if len(A_eq):
        # an orthonormal basis of the equations keeps cdd well conditioned
        U, sv, Vt = np.linalg.svd(A_eq, full_matrices=False)
        r = int((sv > 1e-10 * max(1.0, sv.max())).sum())
        A_eq, b_eq = Vt[:r], (U[:, :r].T @ b_eq) / sv[:r]
    # work in coordinates z of the affine hull {A_eq u = b_eq} = {o + Bᵀz}: cdd is far more
    # robust on full-dimensional systems than with equality rows
    if len(A_eq):
        _, sv, Vt = np.linalg.svd(A_eq)
        B = Vt[len(A_eq):]
        o = A_eq.T @ b_eq
        c = A @ A_eq.T
        A, b = A - c @ A_eq, b - c @ b_eq
        A, b = _normalize_rows(A, b)
    else:
        B = np.eye(m)
        o = np.zeros(m)
    k_dim = B.shape[0]

    def gens(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if k_dim == 0:
            ok = np.all(A @ o - b <= 1e3 * t.feas_atol * s0) if len(A) else True
            return (o[None, :] if ok else np.zeros((0, m))), np.zeros((0, m))
        Az, bz = A @ B.T, b - A @ o
        # parallel rows (same normal): keep the tightest; cdd misbehaves on near-duplicates
        if len(Az) > 1:
            key = np.round(Az, 9)
            _, inv = np.unique(key, axis=0, return_inverse=True)
            inv = np.asarray(inv).ravel()
            best: dict[int, int] = {}
            for i, g in enumerate(inv):
                if g not in best or bz[i] < bz[best[g]]:
                    best[g] = i
            keep = sorted(best.values())
            Az, bz = Az[keep], bz[keep]
        Vz, Rz = generators(HPolytope(Az, bz))
        return o + Vz @ B, Rz @ B

    def prune(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if k_dim == 0 or len(A) == 0:
            return A, b
        try:
            Pz = HPolytope(A @ B.T, b - A @ o).remove_redundant(tol=t)
        except Exception:  # lower-dimensional or numerical trouble: keep every row
            return A, b
        A2 = Pz.A @ B
        return A2, Pz.b + A2 @ o

    competitors: list[np.ndarray] = []

    def make_cut(p: np.ndarray) -> tuple[np.ndarray, float] | None:
        if is_log:
            if np.any(p <= 0):
                return None
            a, beta = met.halfspace(p, q)
        elif mdl.is_cone and np.linalg.norm(q) <= t.feas_atol:
            a, beta = met.gram(m) @ p, 0.0     # ∩_{t>0} of the cuts of t·p
        else:
            a, beta = met.halfspace(p, q)
        a = np.asarray(a, dtype=float)
        beta = float(beta)
        if len(A_eq):  # restrict to the affine hull {A_eq u = b_eq} (orthonormal rows)
            c = A_eq @ a
            a = a - A_eq.T @ c
            beta = beta - float(c @ b_eq)
        nrm = float(np.linalg.norm(a))
        if nrm <= 1e-10 * max(1.0, float(np.abs(p).max())):
            return None
        return a / nrm, beta / nrm

    n_cuts = 0
    # finite sets: all bisectors at once
    if isinstance(mdl, FiniteModel) and len(mdl.points) <= 5000:
        rows, rhs = [], []
        for p in mdl.points:
            if np.linalg.norm(p - q) <= t.feas_atol * s0:
                continue
            c = make_cut(p)
            if c is not None:
                rows.append(c[0])
                rhs.append(c[1])
                competitors.append(p)
        if rows:
            A = np.vstack([A, rows])
            b = np.concatenate([b, rhs])
            n_cuts = len(rows)
            A, b = prune(A, b)

    # toric models: the log cell is the log-normal polytope (Birch)
    theorem = isinstance(mdl, ToricModel) and is_log

    n_probes = 0
    it = 0
    last_added = 0
    gap = 0.0
    complete = False
    message = ""
    from tqdm import tqdm

    bar = tqdm(total=max_iterations, disable=not progress, desc="voronoi cuts", leave=False)
    while True:
        it += 1
        try:
            V, R = gens(A, b)
        except RuntimeError as exc:  # cdd: numerical inconsistency
            if last_added:
                A, b = A[:-last_added], b[:-last_added]
                n_cuts -= last_added
                del competitors[len(competitors) - last_added:]
            message = f"pycddlib failed ({exc}); the last cuts were dropped"
            log.warning(message)
            break
        if len(V) == 0:
            message = "the outer approximation became empty (numerical trouble); last cut dropped"
            log.warning(message)
            break
        if len(V) > max_vertices:
            message = f"more than max_vertices={max_vertices} vertices"
            break
        scale = s0
        Qm = None if is_log else met.gram(m)
        probes: list[np.ndarray] = list(V)
        failures: list[tuple[np.ndarray, np.ndarray]] = []
        gap = -np.inf
        ray_failures = 0
        lq_cache = {}

        def probe(w: np.ndarray) -> tuple[float, np.ndarray]:
            res = mdl.nearest(w, met, rng=gen, tol=t)
            lq = float(met.losses(w[None], q[None])[0])
            return lq - res.loss, res.point

        timed_out = False
        for v in probes:
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                timed_out = True  # checked per probe: one nearest-point search at most past the limit
                break
            n_probes += 1
            g, p = probe(v)
            gap = max(gap, g)
            if g > gap_tol:
                failures.append((v, p))
        if len(R):
            Rn = R / np.linalg.norm(R, axis=1, keepdims=True)
            v0 = V[int(np.argmin(np.linalg.norm(V - q, axis=1)))]
            for r in Rn:
                if timed_out or (time_limit is not None and time.perf_counter() - t0 > time_limit):
                    timed_out = True
                    break
                sc = None if is_log else mdl.support(Qm @ r, q, scale=scale, tol=t)
                if sc is not None and sc.ok:
                    continue
                found = False
                for k in range(ray_steps):
                    w = v0 + (4.0 ** (k - 1)) * scale * r
                    n_probes += 1
                    g, p = probe(w)
                    if g > gap_tol:
                        failures.append((w, p))
                        found = True
                        break
                if not found and sc is not None and sc.competitor is not None:
                    failures.append((v0 + (4.0 ** (ray_steps - 2)) * scale * r, sc.competitor))
                    found = True
                ray_failures += int(found)
        gap = float(max(gap, 0.0)) if not ray_failures else float("inf")
        bar.update(1)
        if not failures and not timed_out:
            complete = True
            break
        if theorem:
            message = "toric log cell: a probe failed (numerical MLE); cell kept from Birch's theorem"
            break
        added = 0
        for w, p in failures:
            if n_cuts >= max_cuts:
                break
            c = make_cut(p)
            if c is None:
                continue
            a, beta = c
            if a @ w - beta <= 1e-12 * max(1.0, float(np.abs(w).max())):
                continue  # does not separate the probe
            if not _is_new(a, beta, A, b, 1e-10):
                continue
            A = np.vstack([A, a])
            b = np.append(b, beta)
            competitors.append(np.asarray(p, dtype=float))
            n_cuts += 1
            added += 1
        last_added = added
        if added == 0 and timed_out:
            message = "time_limit reached"
            break
        if added == 0:
            message = message or ("max_cuts reached" if n_cuts >= max_cuts else
                                  "stalled: failing probes gave no separating cut")
            break
        if it >= max_iterations:
            message = "max_iterations reached"
            break
        if timed_out or (time_limit is not None and time.perf_counter() - t0 > time_limit):
            message = "time_limit reached"
            break
        if len(A) > 3 * (m + 1) + 20:
            A, b = prune(A, b)
    bar.close()
    A, b = prune(A, b)
    try:
        V, R = gens(A, b)
    except RuntimeError:  # pragma: no cover - reported in message
        V, R = np.zeros((0, m)), np.zeros((0, m))
    if len(R):
        R = R / np.linalg.norm(R, axis=1, keepdims=True)
    exact = bool((complete and oracle_exact and gap <= exact_gap) or (theorem and complete))
    if not message:
        message = "closed" if complete else "incomplete"
    if theorem and not message.startswith("toric"):
        message = "toric log cell (Birch's theorem): " + message
    cell = VoronoiCell(
        q=q.copy(), metric=met, A=np.asarray(A, float), b=np.asarray(b, float), A_eq=np.asarray(A_eq, float),
        b_eq=np.asarray(b_eq, float), vertices=V, rays=R, exact=exact, complete=complete, gap=gap,
        gap_tol=gap_tol, n_cuts=n_cuts, n_probes=n_probes, n_iterations=it, seed=rng, tol=t,
        seconds=time.perf_counter() - t0, message=message,
        competitors=np.array(competitors, dtype=float).reshape(-1, m), theta=th)
    log.info("voronoi cell: %d cuts, %d probes, gap %.3g, exact=%s (%s)", n_cuts, n_probes, gap, exact, message)
    return cell
