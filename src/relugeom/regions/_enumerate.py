"""The public verbs :func:`enumerate_regions` and :func:`count_regions`."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array
from ..errors import EmptyDomainError
from ..network import as_network
from ..polyhedra import Box, HPolytope
from ._complex import RegionComplex
from ._lp_traversal import TraversalResult, lp_traversal, pattern_keys

log = logging.getLogger(__name__)

__all__ = ["enumerate_regions", "count_regions", "Slice", "Method", "RegionCount"]

#: the skeleton method applies to bounded domains of at most this dimension (it starts from
#: the domain's vertices); higher-dimensional inputs are enumerated on slices, or by LP
SKELETON_MAX_DIM = 16


class Method(str, Enum):
    """Enumeration method: ``"auto"``, ``"skeleton"`` (fast, bounded domains) or ``"lp"``.

    Examples
    --------
    >>> Method("lp")
    <Method.LP: 'lp'>
    """

    AUTO = "auto"
    SKELETON = "skeleton"
    LP = "lp"


@dataclass(frozen=True)
class Slice:
    """An affine slice ``x = origin + directions.T @ t`` of the input space, with a domain.

    Parameters
    ----------
    origin : array_like (n_0,)
    directions : array_like (k, n_0)
        One direction per row (k = 1 or 2 for pictures; any k works).
    domain : Box, HPolytope or "unbounded"
        The domain in slice coordinates ``t`` (dimension k).

    Examples
    --------
    >>> s = Slice([0.0, 0.0, 1.0], [[1.0, 0.0, 0.0]], Box([-1], [1]))
    >>> s.to_ambient([[0.5]]).tolist()
    [[0.5, 0.0, 1.0]]
    """

    origin: np.ndarray
    directions: np.ndarray
    domain: object = "unbounded"

    def __post_init__(self) -> None:
        o = as_array(self.origin, name="origin", ndim=1)
        U = as_array(self.directions, name="directions", ndim=2)
        if U.shape[1] != o.shape[0]:
            raise ValueError(f"directions must have shape (k, {o.shape[0]}) to match origin; got {U.shape}")
        object.__setattr__(self, "origin", o)
        object.__setattr__(self, "directions", U)

    @property
    def dim(self) -> int:
        """Dimension ``k`` of the slice."""
        return self.directions.shape[0]

    def to_ambient(self, t: object) -> np.ndarray:
        """Map slice coordinates (n, k) to input-space points (n, n_0).

        Examples
        --------
        >>> Slice([1.0, 1.0], [[1.0, -1.0]]).to_ambient([[2.0]]).tolist()
        [[3.0, -1.0]]
        """
        T = np.atleast_2d(np.asarray(t, dtype=float))
        return self.origin + T @ self.directions

    def to_dict(self) -> dict:
        """JSON-ready dict.

        Examples
        --------
        >>> Slice([0.0, 0.0], [[1.0, 0.0]], "unbounded").to_dict()
        {'origin': [0.0, 0.0], 'directions': [[1.0, 0.0]], 'domain': 'unbounded'}
        """
        dom = self.domain if isinstance(self.domain, str) else self.domain.to_dict()
        return {"origin": self.origin.tolist(), "directions": self.directions.tolist(), "domain": dom}

    @classmethod
    def from_dict(cls, data: dict) -> "Slice":
        """Inverse of :meth:`to_dict`.

        Examples
        --------
        >>> s = Slice([0.0, 0.0], [[1.0, 0.0]], Box([0], [1]))
        >>> Slice.from_dict(s.to_dict()).domain.n_constraints
        2
        """
        dom = data.get("domain", "unbounded")
        dom = dom if isinstance(dom, str) else HPolytope.from_dict(dom)
        return cls(data["origin"], data["directions"], dom)


@dataclass(frozen=True)
class RegionCount:
    """Counts of an enumeration (what ``relugeom regions --count-only`` reports).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> c = count_regions(example_network("three_units"), "unbounded")
    >>> c.n_regions, c.complete
    (7, True)
    """

    n_regions: int
    n_linear_pieces: int | None
    complete: bool
    reason: str | None
    method: str
    seconds: float
    tolerance: Tolerance
    stats: dict = field(default_factory=dict)

    def __int__(self) -> int:
        return self.n_regions

    def to_dict(self) -> dict:
        """JSON-ready dict.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> count_regions(example_network("abs"), "unbounded").to_dict()["n_regions"]
        2
        """
        return {"n_regions": self.n_regions, "n_linear_pieces": self.n_linear_pieces,
                "complete": self.complete, "reason": self.reason, "method": self.method,
                "seconds": self.seconds, "tolerance": self.tolerance.as_dict(),
                "stats": _jsonable(self.stats)}


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Tolerance):
        return obj.as_dict()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


# ----------------------------------------------------------------------------- domains
def _as_domain(domain: object, d: int) -> HPolytope | None:
    """Normalise a domain argument to an HPolytope, or None for all of R^d."""
    if domain is None:
        raise ValueError(
            "enumerate_regions needs a domain: a Box, an HPolytope, 'unbounded' (all of R^n) "
            "or a Slice; got None"
        )
    if isinstance(domain, str):
        if domain.lower() in ("unbounded", "r^n", "rn", "all"):
            return None
        raise ValueError(f"domain string must be 'unbounded'; got {domain!r}")
    if not isinstance(domain, HPolytope):
        raise TypeError(f"domain must be a Box, HPolytope, 'unbounded' or Slice; got {type(domain).__name__}")
    if domain.dim != d:
        raise ValueError(f"domain lives in R^{domain.dim} but the network's input is in R^{d}")
    if len(domain.b_eq):
        raise ValueError("domain must be full-dimensional (no equalities); use a Slice for affine subspaces")
    return domain


def _domain_arrays(dom: HPolytope | None, d: int, tol: Tolerance):
    if dom is None:
        return np.zeros((0, d)), np.zeros(0), False, np.zeros(d)
    if not dom.is_full_dimensional(tol=tol):
        raise EmptyDomainError(f"domain {dom!r} is empty or not full-dimensional")
    x0, _ = dom.chebyshev_center(tol=tol)
    bounded = dom.is_bounded(tol=tol)
    return dom.A, dom.b, bounded, x0


def _skeleton_fn():
    try:
        from ._skeleton import enumerate_skeleton  # noqa: PLC0415 (optional, fast method)
    except ImportError:
        return None
    return enumerate_skeleton


# ----------------------------------------------------------------------------- verbs
def enumerate_regions(net, domain: object = None, *, method: str = "auto", tol: Tolerance | None = None,
                      max_regions: int | None = None, time_limit: float | None = None,
                      progress: bool = False, executor: Executor | None = None,
                      n_jobs: int | None = None, merge_units: bool = True) -> RegionComplex:
    r"""Enumerate every full-dimensional linear region of ``net`` in ``domain``.

    Parameters
    ----------
    net : ReLUNetwork
    domain : Box, HPolytope, "unbounded" or Slice
        The input set: a box, an H-polytope, all of ``R^n`` (``"unbounded"``; unbounded
        regions included), or a :class:`Slice` (the enumeration runs on the network
        restricted to the slice; the complex remembers the slice).
    method : {"auto", "skeleton", "lp"}
        ``"lp"``: breadth-first LP traversal across facets (any domain, robust to
        degeneracy). ``"skeleton"``: the fast vertex/edge-skeleton method, on bounded
        domains and on all of ``R^n`` (there on a box certified to contain every vertex of
        the complex, which needs a first weight matrix of rank ``n``; see
        ``relugeom.regions._unbounded``). ``"auto"``: the skeleton when it applies and
        reports no degeneracy, else LP.
    tol : Tolerance, optional
        The tolerance policy (reported by the result).
    max_regions, time_limit : optional
        Bounds on the work; when hit, the partial complex is returned with
        ``complete=False`` and the reason. With ``executor``/``n_jobs`` they apply to
        each job.
    progress : bool
        Show a progress bar.
    executor : concurrent.futures.Executor, optional
        Split a bounded domain into ``n_jobs`` (default: 2 × the executor's workers, else 4)
        subdomains, enumerate each as an independent job on the executor, and merge the
        results by pattern (regions are convex, so the pieces of a pattern in different
        subdomains are one region). Any ``Executor`` works unchanged: a
        ``ProcessPoolExecutor``, a Dask ``distributed.Client().get_executor()``, or Ray's
        ``ray.util.ActorPool``-backed executors.
    n_jobs : int, optional
        Number of subdomains; with no ``executor``, a ``ProcessPoolExecutor`` with
        ``n_jobs`` workers is used.
    merge_units : bool
        For networks with a max of three or more inputs (max-pooling), return the regions
        of the units (a :class:`MergedRegionComplex`: one region per choice of every unit's
        piece) rather than of the neurons that decide them (``cx.fine``). No effect on other
        networks.

    Returns
    -------
    RegionComplex

    Raises
    ------
    EmptyDomainError
        If the domain is empty or not full-dimensional.
    ValueError
        For an unknown method or a missing/mismatched domain.

    Notes
    -----
    Only ``executor.submit(fn, *args)`` returning an object with ``.result()`` is used, so
    any executor works unchanged. With a Dask cluster::

        from distributed import Client
        client = Client()                       # or Client("scheduler:8786")
        cx = enumerate_regions(net, Box(-np.ones(4), np.ones(4)),
                               executor=client.get_executor(), n_jobs=32)

    With Ray, a three-line adapter (Ray object references convert to futures)::

        import ray
        class RayExecutor:
            def submit(self, fn, *args):
                return ray.remote(fn).remote(*args).future()
        cx = enumerate_regions(net, box, executor=RayExecutor(), n_jobs=64)

    The jobs only need ``relugeom`` importable on the workers. Each job enumerates one
    subdomain (bisections of the longest bounding-box axis); the merged complex is
    identical to a single job's (patterns, facets and, with the LP method, points).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> cx = enumerate_regions(example_network("three_units"), "unbounded", method="lp")
    >>> cx.n_regions, cx.complete
    (7, True)
    >>> enumerate_regions(example_network("abs"), Box([-1], [1])).n_regions
    2
    """
    net = as_network(net)
    method = Method(method)
    t = resolve(tol)
    t0 = time.perf_counter()
    sl = None
    work_net = net
    if isinstance(domain, Slice):
        if domain.directions.shape[1] != net.input_dim:
            raise ValueError(f"slice directions live in R^{domain.directions.shape[1]}; "
                             f"the network's input is in R^{net.input_dim}")
        sl = domain
        work_net = net.restrict(domain.origin, domain.directions)
        domain = domain.domain
    d = work_net.input_dim
    dom = _as_domain(domain, d)
    DA, Db, bounded, x0 = _domain_arrays(dom, d, t)
    if executor is not None or n_jobs is not None:
        if not bounded:
            raise ValueError("splitting into jobs needs a bounded domain")
        raw = _split_enumerate(work_net, DA, Db, t, executor=executor, n_jobs=n_jobs, method=method,
                               max_regions=max_regions, time_limit=time_limit, progress=progress)
    else:
        raw = _single(work_net, DA, Db, bounded, x0, method, t, max_regions, time_limit, progress)
    raw.stats["seconds"] = time.perf_counter() - t0
    cx = RegionComplex(work_net, dom, raw.patterns, raw.points, raw.facets, complete=raw.complete,
                       reason=raw.reason, stats=raw.stats, tol=t, slice=sl, ambient_net=net if sl else None)
    return cx.merged() if merge_units else cx


def _single(net, DA, Db, bounded, x0, method: Method, t: Tolerance, max_regions, time_limit,
            progress, *, with_facets: bool = True) -> TraversalResult:
    if method in (Method.AUTO, Method.SKELETON) and bounded and DA.shape[1] > SKELETON_MAX_DIM:
        # the skeleton starts from the domain's vertices: 2^d of them for a box
        if method is Method.SKELETON:
            raise ValueError(f"method='skeleton' starts from the domain's vertices, and a {DA.shape[1]}-"
                             f"dimensional domain has too many (the limit is {SKELETON_MAX_DIM} "
                             "dimensions); enumerate on a low-dimensional Slice, or use method='lp'")
        log.info("%d-dimensional domain: the skeleton method does not apply; using the LP traversal",
                 DA.shape[1])
    elif method in (Method.AUTO, Method.SKELETON) and bounded:
        fn = _skeleton_fn()
        if fn is None and method is Method.SKELETON:
            raise ValueError("method='skeleton' is not available in this installation; use 'lp'")
        res = None
        if fn is not None and (time_limit is not None or max_regions is not None):
            tiled = _skeleton_tiles(net, DA, Db, t, max_regions, time_limit, progress, with_facets,
                                    method)
            if tiled is not None:
                return tiled
            log.info("skeleton method reported a degeneracy; falling back to the LP traversal")
            fn = None
        if fn is not None:
            try:
                res = fn(net, HPolytope(DA, Db), tol=t, max_regions=max_regions, time_limit=time_limit,
                         progress=progress, with_facets=with_facets)
            except (ArithmeticError, ValueError, RuntimeError, MemoryError) as exc:
                if method is Method.SKELETON:
                    raise
                log.warning("skeleton method failed (%s); falling back to the LP traversal", exc)
        if res is not None:
            if not getattr(res, "degenerate", False) or method is Method.SKELETON:
                stats = dict(getattr(res, "stats", {}) or {})
                stats.setdefault("method", "skeleton")
                facets = res.facets if res.facets is not None else np.zeros((0, 3), np.int64)
                reason = stats.get("reason") if not res.complete else None
                if not res.complete and reason is None:
                    reason = "max_regions" if max_regions is not None and res.n_regions >= max_regions else "time_limit"
                return TraversalResult(np.asarray(res.patterns, bool), np.asarray(res.points, float),
                                       np.full(len(res.patterns), np.nan), np.asarray(facets, np.int64),
                                       bool(res.complete), reason, stats)
            log.info("skeleton method reported a degeneracy; falling back to the LP traversal")
    elif method in (Method.AUTO, Method.SKELETON) and not bounded and len(Db) == 0:
        from ._unbounded import enumerate_unbounded  # noqa: PLC0415

        t_start = time.perf_counter()
        # with a time limit the skeleton gets half of it: what it finds comes only at the end,
        # so the LP traversal (which returns everything found so far) gets the rest
        sk_limit = None if time_limit is None else 0.5 * time_limit
        res = enumerate_unbounded(net, t, max_regions=max_regions, time_limit=sk_limit,
                                  progress=progress, with_facets=with_facets)
        if res is not None:
            return res
        if method is Method.SKELETON:
            raise ValueError("method='skeleton' could not certify a box containing every vertex "
                             "(rank-deficient first layer or a degeneracy); use 'lp'")
        log.info("skeleton method on R^n not applicable; using the LP traversal")
        if time_limit is not None:
            time_limit = max(0.0, time_limit - (time.perf_counter() - t_start))
    elif method is Method.SKELETON:
        raise ValueError("method='skeleton' needs a bounded domain or all of R^n; use 'lp' "
                         "for unbounded polyhedra")
    return lp_traversal(net, DA, Db, bounded=bounded, x0=x0, tol=t, max_regions=max_regions,
                        time_limit=time_limit, progress=progress)


#: tiles of a bounded domain when the skeleton runs under a time or region limit
LIMIT_TILES = 16


def _skeleton_tiles(net, DA, Db, t: Tolerance, max_regions, time_limit, progress, with_facets,
                    method: Method) -> TraversalResult | None:
    """The skeleton method under a limit: tile by tile, keeping every finished tile.

    The skeleton builds all regions at the end of its run, so a limit reached half-way
    would lose them all. Instead the domain is cut into :data:`LIMIT_TILES` pieces
    (bisections of the longest axis) enumerated one after the other; a limit stops the run
    between or inside a tile, and the regions of the finished tiles (merged by pattern
    across tile cuts: regions are convex) are returned. None on a degeneracy.
    """
    t0 = time.perf_counter()
    # a tenth of the time is kept for merging the finished tiles
    deadline = None if time_limit is None else t0 + 0.9 * time_limit
    if time_limit is not None:  # a quarter of the time for the whole domain at once (no tiling cost)
        whole = _job(net, DA, Db, np.zeros((0, DA.shape[1])), np.zeros(0), t, max_regions,
                     0.25 * time_limit, method.value, allow_lp=False)
        if whole == "degenerate":
            return None
        if whole is not None and whole.complete:
            whole.stats.update(method="skeleton")
            return TraversalResult(whole.patterns, whole.points, whole.radii, whole.facets, True, None,
                                   whole.stats)
    cuts = _split_boxes(DA, Db, LIMIT_TILES, t)
    parts: list[TraversalResult] = []
    seen: set = set()
    reason = None
    for cA, cb in cuts:
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining <= 0:
            reason = "time_limit"
            break
        r = _job(net, DA, Db, cA, cb, t, None, remaining, method.value, allow_lp=False)
        if r == "degenerate":
            return None
        if r is None:
            continue
        if not r.complete:
            reason = r.reason or "time_limit"
            break
        parts.append(r)
        seen.update(pattern_keys(r.patterns))
        if max_regions is not None and len(seen) >= max_regions:
            reason = "max_regions"
            break
    done = len(parts)
    merged = merge_results(net, DA, Db, parts, t, seconds=time.perf_counter() - t0, n_jobs=len(cuts),
                           recompute_points=False)
    if reason is None:
        merged.stats.update(method="skeleton", tiles=len(cuts))
        return merged
    P, X, F = merged.patterns, merged.points, merged.facets
    if max_regions is not None and len(P) > max_regions:
        P, X = P[:max_regions], X[:max_regions]
        keep = (F[:, 0] < max_regions) & (F[:, 1] < max_regions)
        F = F[keep]
        reason = "max_regions"
    stats = dict(merged.stats)
    stats.update(method="skeleton", tiles=len(cuts), tiles_done=done, reason=reason, stopped=reason)
    return TraversalResult(P, X, np.full(len(P), np.nan), F, False, reason or "time_limit", stats)


def count_regions(net, domain: object = None, *, method: str = "auto", tol: Tolerance | None = None,
                  max_regions: int | None = None, time_limit: float | None = None,
                  progress: bool = False, executor: Executor | None = None,
                  n_jobs: int | None = None) -> RegionCount:
    """Count the regions without keeping the complex.

    Same arguments as :func:`enumerate_regions`. ``method="lp"`` streams (only the visited
    pattern keys are kept) and the skeleton method builds no facets, so neither gives a
    piece count (``n_linear_pieces`` is None); ``"auto"`` on an unbounded domain, slices
    and split runs build the complex and report pieces too.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> count_regions(example_network("sawtooth"), "unbounded").n_linear_pieces
    6
    >>> count_regions(example_network("sawtooth"), "unbounded", method="lp").n_regions
    6
    """
    net = as_network(net)
    m = Method(method)
    t = resolve(tol)
    t0 = time.perf_counter()
    if executor is None and n_jobs is None and m is not Method.LP and not isinstance(domain, Slice):
        dom = _as_domain(domain, net.input_dim)
        DA, Db, bounded, x0 = _domain_arrays(dom, net.input_dim, t)
        if bounded and _skeleton_fn() is not None:
            raw = _single(net, DA, Db, bounded, x0, m, t, max_regions, time_limit, progress,
                          with_facets=False)
            return RegionCount(len(raw.patterns), None, raw.complete, raw.reason,
                               str(raw.stats.get("method", "skeleton")), time.perf_counter() - t0, t,
                               raw.stats)
    if m is Method.LP and executor is None and n_jobs is None and not isinstance(domain, Slice):
        dom = _as_domain(domain, net.input_dim)
        DA, Db, bounded, x0 = _domain_arrays(dom, net.input_dim, t)
        raw = lp_traversal(net, DA, Db, bounded=bounded, x0=x0, tol=t, max_regions=max_regions,
                           time_limit=time_limit, progress=progress, count_only=True)
        return RegionCount(int(raw.stats["n_regions"]), None, raw.complete, raw.reason, "lp",
                           time.perf_counter() - t0, t, raw.stats)
    cx = enumerate_regions(net, domain, method=method, tol=t, max_regions=max_regions,
                           time_limit=time_limit, progress=progress, executor=executor, n_jobs=n_jobs)
    return RegionCount(cx.n_regions, cx.n_linear_pieces(), cx.complete, cx.reason,
                       str(cx.stats.get("method")), time.perf_counter() - t0, t, dict(cx.stats))


# ----------------------------------------------------------------------------- scale-out
def _split_boxes(DA: np.ndarray, Db: np.ndarray, n: int, tol: Tolerance) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut a bounded polytope into ``n`` pieces by bisecting the longest bounding-box axis."""
    P = HPolytope(DA, Db)
    d = P.dim
    lo = np.array([-P.support(-np.eye(d)[j], tol=tol) for j in range(d)])
    hi = np.array([P.support(np.eye(d)[j], tol=tol) for j in range(d)])
    pieces = [(lo, hi, np.zeros((0, d)), np.zeros(0))]
    while len(pieces) < n:
        i = int(np.argmax([np.max(p[1] - p[0]) for p in pieces]))
        plo, phi, cA, cb = pieces.pop(i)
        j = int(np.argmax(phi - plo))
        mid = 0.5 * (plo[j] + phi[j])
        e = np.eye(d)[j]
        hi1 = phi.copy()
        hi1[j] = mid
        lo2 = plo.copy()
        lo2[j] = mid
        pieces.insert(i, (lo2, phi, np.vstack([cA, -e]), np.append(cb, -mid)))
        pieces.insert(i, (plo, hi1, np.vstack([cA, e]), np.append(cb, mid)))
    return [(cA, cb) for _, _, cA, cb in pieces]


def _job(net, DA, Db, cutA, cutb, tol, max_regions, time_limit, method: str = "lp",
         allow_lp: bool = True) -> TraversalResult | str | None:
    """One subdomain job (top level so that process pools can pickle it).

    None for an empty subdomain; ``"degenerate"`` when the skeleton reports a degeneracy and
    ``allow_lp`` is False (otherwise the LP traversal runs instead).
    """
    A = np.vstack([DA, cutA])
    b = np.concatenate([Db, cutb])
    P = HPolytope(A, b)
    if not P.is_full_dimensional(tol=tol):
        return None
    m = Method(method)
    fn = _skeleton_fn() if m is not Method.LP else None
    if fn is not None:
        res = fn(net, P, tol=tol, max_regions=max_regions, time_limit=time_limit, with_facets=True)
        if not getattr(res, "degenerate", False) and res.facets is not None:
            F = np.asarray(res.facets, np.int64).reshape(-1, 3)
            on_cut = (F[:, 1] < 0) & (-1 - F[:, 2] >= len(Db))
            cut = np.zeros(len(res.patterns), bool)
            cut[F[on_cut, 0]] = True
            stats = dict(getattr(res, "stats", {}) or {})
            stats.setdefault("method", "skeleton")
            return TraversalResult(np.asarray(res.patterns, bool), np.asarray(res.points, float),
                                   np.full(len(res.patterns), np.nan), F[~on_cut], bool(res.complete),
                                   None if res.complete else "time_limit", stats, [], cut)
        if not allow_lp and getattr(res, "degenerate", False):
            return "degenerate"
    x0, _ = P.chebyshev_center(tol=tol)
    return lp_traversal(net, A, b, bounded=True, x0=x0, tol=tol, max_regions=max_regions,
                        time_limit=time_limit, n_primary=len(Db))


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the main process, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _split_enumerate(net, DA, Db, tol, *, executor, n_jobs, method, max_regions, time_limit,
                     progress) -> TraversalResult:
    from concurrent.futures import ProcessPoolExecutor

    from tqdm.auto import tqdm

    own = None
    if executor is None:
        own = executor = ProcessPoolExecutor(max_workers=n_jobs, initializer=_ignore_sigint)
    if n_jobs is None:
        n_jobs = 2 * int(getattr(executor, "_max_workers", 2) or 2)
    t0 = time.perf_counter()
    try:
        cuts = _split_boxes(DA, Db, max(1, int(n_jobs)), tol)
        futs = [executor.submit(_job, net, DA, Db, cA, cb, tol, max_regions, time_limit, method.value)
                for cA, cb in cuts]
        results = [f.result() for f in tqdm(futs, disable=not progress, desc="jobs")]
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM) or failed: stop the workers now, not after their jobs
        for f in futs if "futs" in locals() else []:
            f.cancel()
        if own is not None:
            procs = list(getattr(own, "_processes", {}).values())
            own.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.join(timeout=5)
            own = None
        raise
    finally:
        if own is not None:
            own.shutdown()
    return merge_results(net, DA, Db, [r for r in results if r is not None], tol,
                         seconds=time.perf_counter() - t0, n_jobs=len(cuts))


def merge_results(net, DA, Db, results: list[TraversalResult], tol: Tolerance, *, seconds: float = 0.0,
                  n_jobs: int | None = None, recompute_points: bool = True) -> TraversalResult:
    """Merge subdomain traversals by pattern.

    Pieces of one pattern are one region (regions are convex); its interior point is
    recomputed as the Chebyshev centre of the whole region, so that the merged complex is
    identical to a single job's. Facets on subdomain cuts are dropped, neuron facets merged
    (also those whose neighbour lives in another subdomain).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom._tol import DEFAULT
    >>> net = example_network("three_units")
    >>> B = Box([-2, -2], [2, 2])
    >>> parts = [_job(net, B.A, B.b, cA, cb, DEFAULT, None, None) for cA, cb in _split_boxes(B.A, B.b, 3, DEFAULT)]
    >>> merge_results(net, B.A, B.b, parts, DEFAULT).patterns.shape
    (7, 3)
    """
    N, d = net.n_neurons, net.input_dim
    m_dom = len(Db)
    pats = [np.asarray(r.patterns, bool).reshape(-1, N) for r in results]
    sizes = np.array([len(p) for p in pats], np.int64)
    allP = np.concatenate(pats) if pats else np.zeros((0, N), bool)
    allX = np.concatenate([np.asarray(r.points, float).reshape(-1, d) for r in results]) \
        if results else np.zeros((0, d))
    cut = np.concatenate([r.touches_cut if r.touches_cut is not None else np.ones(len(p), bool)
                          for r, p in zip(results, pats)]) if results else np.zeros(0, bool)
    # one region per distinct pattern, in the order of the packed keys (as pattern_keys sorts)
    packed = np.packbits(allP, axis=1)
    if len(packed):
        _, first, inv, counts = np.unique(packed, axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
        inv = inv.reshape(-1)
    else:
        first, inv, counts = (np.zeros(0, np.int64),) * 3
    R = len(first)
    patterns = allP[first].reshape(R, N)
    recompute = counts > 1
    np.logical_or.at(recompute, inv, cut)
    # interior points: the whole region's Chebyshev centre (same LP as a single job)
    points = allX[first].reshape(R, d).copy()
    radii = np.full(R, np.nan)
    if recompute_points and recompute.any():
        from ._highs import TinyLP
        from ._lp_traversal import region_rows

        for i in np.flatnonzero(recompute).tolist():
            A, b = region_rows(net, patterns[i], DA, Db)
            nr = np.linalg.norm(A, axis=1)
            ok = nr > tol.zero_atol
            lp = TinyLP(A[ok] / nr[ok, None], b[ok] / nr[ok], np.ones(int(ok.sum())), np.inf, tol)
            c = np.zeros(d + 1)
            c[-1] = -1.0
            st, z, _ = lp.solve(c)
            points[i], radii[i] = z[:d], z[-1]
    methods = sorted({str(r.stats.get("method", "lp")) for r in results}) or ["lp"]
    stats = {"method": "+".join(methods), "jobs": n_jobs, "lps": 0,
             "recomputed_points": int(recompute.sum())}
    complete = all(r.complete for r in results)
    reason = next((r.reason for r in results if r.reason), None)
    stats["lps"] = sum(r.stats.get("lps", 0) for r in results)
    index = {k: i for i, k in enumerate(pattern_keys(patterns))} if any(r.external for r in results) \
        else {}
    blocks = [np.zeros((0, 3), np.int64)]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for j, r in enumerate(results):
        loc = inv[offsets[j]: offsets[j + 1]]
        F = np.asarray(r.facets, np.int64).reshape(-1, 3)
        inner = F[:, 1] >= 0
        a, b_ = loc[F[inner, 0]], loc[F[inner, 1]]
        blocks.append(np.stack([np.minimum(a, b_), np.maximum(a, b_), F[inner, 2]], axis=1))
        dom = ~inner & (-1 - F[:, 2] < m_dom)
        blocks.append(np.stack([loc[F[dom, 0]], np.full(int(dom.sum()), -1), F[dom, 2]], axis=1))
        ext = []
        for a_, lab, q in r.external:
            kq = pattern_keys(q)[0]
            if kq in index and index[kq] != loc[a_]:
                ext.append((min(loc[a_], index[kq]), max(loc[a_], index[kq]), lab))
            elif kq not in index:  # partial run: a facet to a region not enumerated
                ext.append((loc[a_], -1, lab))
        blocks.append(np.array(ext, np.int64).reshape(-1, 3))
    facets = np.unique(np.concatenate(blocks).astype(np.int64), axis=0).reshape(-1, 3)
    stats["seconds"] = seconds
    return TraversalResult(patterns, points, radii, facets, complete, reason, stats)
