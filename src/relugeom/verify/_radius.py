"""The robust radius: the largest ε for which every input within ε of ``x`` keeps its class.

Two methods:

- ``"exact"`` (small networks): the regions of the network on the box ``x ± max_radius``
  (:func:`relugeom.regions.enumerate_regions`); on each region the network is affine, so the
  inputs of the region where another class scores at least as high as ``x``'s form a
  polytope, and its L∞ (or L1) distance from ``x`` is one LP. The radius is the least of these
  distances: the distance to the decision boundary, piece by piece. The closest misclassified
  input is returned as a witness.
- ``"bisect"`` (any network): bisection on ε with :func:`check_safety` on the ball (a box for
  L∞). Every SAFE answer is a certified lower bound, every counterexample an upper bound;
  the result is the interval between them.

This is the ReLU counterpart of "robustness at ξ ⇔ the distance from ξ to the decision
boundary exceeds ε" in the reference talks.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .._tol import Tolerance, resolve
from .._validation import as_array
from ..network import as_network
from ..polyhedra import Box, HPolytope, solve_lp
from ..polyhedra._lp import LPStatus

log = logging.getLogger(__name__)

__all__ = ["RobustRadius", "robust_radius"]


@dataclass(frozen=True)
class RobustRadius:
    """The robust radius of a point, or bounds on it.

    ``lower <= radius <= upper``: with the exact method both equal the radius (``exact``),
    unless no other class is reached within ``max_radius`` (then ``upper`` is ``inf`` and
    ``lower`` is ``max_radius``). ``witness`` is an input at distance ``upper`` that another
    class (``witness_class``) scores at least as high as ``label``.

    Examples
    --------
    >>> RobustRadius(0.5, 0.5, "inf", 0, np.zeros(1), 1, True, True, "exact", {}).radius
    0.5
    """

    lower: float
    upper: float
    norm: str
    label: int
    witness: np.ndarray | None
    witness_class: int | None
    exact: bool
    complete: bool
    method: str
    stats: dict = field(default_factory=dict)
    tol: Tolerance | None = None

    @property
    def radius(self) -> float:
        """The radius when it is known exactly, else NaN."""
        return self.lower if self.lower == self.upper else float("nan")


def _norm(norm: object) -> str:
    n = str(norm).lower()
    if n in ("inf", "linf", "infinity"):
        return "inf"
    if n in ("1", "l1"):
        return "1"
    raise ValueError(f"norm must be 'inf' or 1; got {norm!r}")


def _distance_lp(x0: np.ndarray, A: np.ndarray, b: np.ndarray, norm: str, tol: Tolerance):
    """Least ``‖x − x0‖`` over ``{A x <= b}`` (one LP); (distance, x) or None if empty."""
    d = len(x0)
    if norm == "inf":   # variables (x, t): |x - x0| <= t
        c = np.zeros(d + 1)
        c[-1] = 1.0
        I = np.eye(d)
        one = np.ones((d, 1))
        A_ub = np.vstack([np.hstack([A, np.zeros((len(A), 1))]), np.hstack([I, -one]), np.hstack([-I, -one])])
        b_ub = np.concatenate([b, x0, -x0])
    else:               # variables (x, s): |x - x0| <= s, minimise sum s
        c = np.concatenate([np.zeros(d), np.ones(d)])
        I = np.eye(d)
        A_ub = np.vstack([np.hstack([A, np.zeros((len(A), d))]), np.hstack([I, -I]), np.hstack([-I, -I])])
        b_ub = np.concatenate([b, x0, -x0])
    r = solve_lp(c, A_ub, b_ub, tol=tol)
    if r.status is not LPStatus.OPTIMAL:
        return None
    return float(r.value), np.asarray(r.x[:d])


def robust_radius(net, x: object, *, label: int | None = None, norm: object = "inf",
                  max_radius: float = 1.0, method: str = "exact", domain: Box | None = None,
                  steps: int = 12, time_limit: float | None = None, tol: Tolerance | None = None,
                  rng: object = 0) -> RobustRadius:
    """The largest ε such that every input within ε of ``x`` (and in ``domain``) keeps its class.

    Parameters
    ----------
    net : Network
        Any piecewise-linear classifier; the class is the output of largest score.
    x : array_like (input_dim,)
    label : int, optional
        The class to keep (default: ``x``'s class).
    norm : "inf" or 1
    max_radius : float
        Only ε up to this are searched.
    method : "exact" or "bisect"
        See the module docstring. ``"exact"`` enumerates regions (small input dimension).
    domain : Box, optional
        Inputs outside are not considered (for example the valid pixel range).
    steps : int
        Bisection steps (``"bisect"``).
    time_limit : float, optional
        Seconds; the result is then possibly incomplete (bounds, not the radius).
    tol : Tolerance, optional
    rng : seed of the falsification in ``"bisect"``.

    Returns
    -------
    RobustRadius

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]]])          # class 0 iff x_0 >= x_1
    >>> r = robust_radius(net, [1.0, 0.0], max_radius=2.0)
    >>> round(r.radius, 9), r.witness_class                     # x_0 - x_1 = 1 falls to 0 at ε = 1/2
    (0.5, 1)
    >>> r1 = robust_radius(net, [1.0, 0.0], norm=1, max_radius=2.0)
    >>> round(r1.radius, 9)
    1.0
    """
    net = as_network(net)
    t = resolve(tol)
    nm = _norm(norm)
    x0 = as_array(x, name="x", shape=(net.input_dim,))
    if not (np.isfinite(max_radius) and max_radius > 0):
        raise ValueError(f"max_radius must be positive and finite; got {max_radius}")
    y0 = np.asarray(net(x0[None]))[0]
    K = len(y0)
    if K < 2:
        raise ValueError("the robust radius needs a classifier with at least two outputs")
    lab = int(np.argmax(y0)) if label is None else int(label)
    if not 0 <= lab < K:
        raise ValueError(f"label {lab} is not an output of a network with {K} outputs")
    t0 = time.perf_counter()
    lo = x0 - max_radius
    hi = x0 + max_radius
    if domain is not None:
        lo, hi = np.maximum(lo, domain.lo), np.minimum(hi, domain.hi)
        if np.any(lo > hi):
            raise ValueError("x lies farther than max_radius from the domain")
    if y0[lab] < np.max(np.delete(y0, lab)):   # x itself is not of its label
        return RobustRadius(0.0, 0.0, nm, lab, x0, int(np.argmax(np.where(np.arange(K) == lab, -np.inf, y0))),
                            True, True, method, {}, t)
    if method == "exact":
        return _exact(net, x0, lab, nm, Box(lo, hi), max_radius, time_limit, t, t0)
    if method == "bisect":
        return _bisect(net, x0, lab, K, nm, lo, hi, max_radius, steps, time_limit, t, rng, t0)
    raise ValueError(f"method must be 'exact' or 'bisect'; got {method!r}")


def _exact(net, x0, lab, nm, box, max_radius, time_limit, t, t0) -> RobustRadius:
    from ..regions import enumerate_regions

    cx = enumerate_regions(net, box, time_limit=time_limit, tol=t)
    M, c = cx.affine_maps
    K = M.shape[1]
    best, wit, wcls = np.inf, None, None
    n_lps = 0
    for i in range(cx.n_regions):
        A, b, _ = cx.hrep(i)
        for j in range(K):
            if j == lab:
                continue
            # class j at least as high: (M_l - M_j) x + (c_l - c_j) <= 0
            row = (M[i, lab] - M[i, j])[None, :]
            if not np.any(row):
                if c[i, lab] - c[i, j] > 0:
                    continue
            n_lps += 1
            got = _distance_lp(x0, np.vstack([A, row]), np.append(b, c[i, j] - c[i, lab]), nm, t)
            if got is not None and got[0] < best:
                best, wit, wcls = got[0], got[1], j
    stats = {"regions": cx.n_regions, "lps": n_lps, "seconds": time.perf_counter() - t0}
    if not cx.complete:
        # regions not enumerated may hold closer misclassified inputs: only an upper bound
        return RobustRadius(0.0, float(best), nm, lab, wit, wcls, False, False, "exact",
                            dict(stats, reason=cx.reason), t)
    if wit is None:
        return RobustRadius(float(max_radius), np.inf, nm, lab, None, None, False, True, "exact", stats, t)
    return RobustRadius(float(best), float(best), nm, lab, wit, wcls, True, True, "exact", stats, t)


def _bisect(net, x0, lab, K, nm, lo, hi, max_radius, steps, time_limit, t, rng, t0) -> RobustRadius:
    from ._check import Verdict, check_safety
    from ._sets import UnsafeSet

    if nm != "inf":
        raise ValueError("method='bisect' supports the L-infinity norm")
    unsafe = UnsafeSet([HPolytope((np.eye(K)[lab] - np.eye(K)[j])[None, :], [0.0]) for j in range(K) if j != lab])
    a, b_ = 0.0, float(max_radius)        # SAFE at a (trivially at 0), b_ not yet decided
    upper, wit, wcls = np.inf, None, None
    complete = True
    for k in range(steps + 1):
        eps = b_ if k == 0 else 0.5 * (a + b_)
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            complete = False
            break
        box = Box(np.maximum(x0 - eps, lo), np.minimum(x0 + eps, hi))
        res = check_safety(net, box, unsafe, time_limit=left, tol=t, rng=rng)
        if res.verdict is Verdict.SAFE:
            a = eps
            if k == 0:
                break            # safe on the whole search ball
        elif res.verdict is Verdict.UNSAFE:
            xc = np.asarray(res.counterexample.x, float)
            dist = float(np.max(np.abs(xc - x0)))
            if dist < upper:
                upper, wit = dist, xc
                y = np.asarray(net(xc[None]))[0]
                wcls = int(np.argmax(np.where(np.arange(K) == lab, -np.inf, y)))
            b_ = min(eps, dist)
        else:
            complete = False
            b_ = eps             # undecided: search below
    stats = {"steps": k + 1, "seconds": time.perf_counter() - t0}
    if upper == np.inf and a == max_radius:
        return RobustRadius(float(max_radius), np.inf, nm, lab, None, None, False, True, "bisect", stats, t)
    return RobustRadius(float(a), float(upper), nm, lab, wit, wcls, False, complete, "bisect", stats, t)
