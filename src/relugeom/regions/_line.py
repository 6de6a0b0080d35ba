"""An independent 1-D method: walk a line from breakpoint to breakpoint (no LPs).

On a line every pre-activation is piecewise affine in the line parameter; on the current
piece (pattern fixed) each neuron's pre-activation is ``G_k s + g_k``, so the piece ends at
the nearest root ``-g_k / G_k`` beyond the current point. Walking left to the first piece,
then right to the last, gives every region of the line, the breakpoints between them and
the kinks of the function (breakpoints where the affine map really changes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._tol import Tolerance, resolve
from ..network import as_network
from ..errors import DegenerateError

__all__ = ["LineRegions", "line_regions"]


@dataclass(frozen=True)
class LineRegions:
    """Regions of a network on an interval of a line.

    Attributes
    ----------
    breakpoints : ndarray (R - 1,)
        Region boundaries, increasing.
    patterns : bool ndarray (R, N)
        Pattern of each region, left to right.
    slopes, intercepts : ndarray (R, n_L)
        The function is ``s ↦ slope s + intercept`` on each region.
    kinks : ndarray
        Breakpoints where the affine map changes (the function's true breakpoints).
    lo, hi : float
        The interval (``±inf`` allowed).
    tol : Tolerance

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> lr = line_regions(example_network("three_pieces"))
    >>> lr.breakpoints.tolist(), lr.n_regions, lr.n_pieces
    ([0.0, 1.0], 3, 3)
    """

    breakpoints: np.ndarray
    patterns: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    kinks: np.ndarray
    lo: float
    hi: float
    tol: Tolerance

    @property
    def n_regions(self) -> int:
        """Number of regions (intervals with one pattern)."""
        return len(self.patterns)

    @property
    def n_pieces(self) -> int:
        """Number of linear pieces: kinks + 1."""
        return len(self.kinks) + 1


def _pattern_right(net, s: float, direction: float, tol: Tolerance) -> np.ndarray:
    from ._lp_traversal import pattern_along

    return pattern_along(net, np.array([s]), np.array([direction]), tol)


def line_regions(net, lo: float = -np.inf, hi: float = np.inf, *, origin: object = None,
                 direction: object = None, tol: Tolerance | None = None,
                 max_steps: int = 1_000_000) -> LineRegions:
    """Regions of a network on the interval ``[lo, hi]`` of a line, by walking it.

    Parameters
    ----------
    net : Network
        With input dimension 1, or any network with ``origin`` and ``direction`` given
        (the line ``origin + s * direction``).
    lo, hi : float
        The interval (``-inf``/``inf`` for the whole line).
    tol : Tolerance, optional
        Pieces shorter than ``tol.interior_atol`` are not separated; maps are compared
        with ``tol.map_rtol``.

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> lr = line_regions(example_network("sawtooth"))
    >>> lr.n_regions, lr.n_pieces, lr.kinks.tolist()
    (6, 6, [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    t = resolve(tol)
    net = as_network(net)
    if origin is not None or direction is not None:
        net = net.restrict(np.asarray(origin, float), np.asarray(direction, float).reshape(1, -1))
    if net.input_dim != 1:
        raise ValueError(f"line_regions needs a network on R^1 (or origin/direction); got input dim {net.input_dim}")
    if not lo < hi:
        raise ValueError(f"need lo < hi; got [{lo}, {hi}]")
    eps = t.interior_atol

    def roots(p, s, side):
        G, g = net.preactivation_maps(p)
        G, g = G[:, 0], g
        nz = np.abs(G) > t.zero_atol
        r = -g[nz] / G[nz]
        return r[r > s + eps * (1 + abs(s))] if side > 0 else r[r < s - eps * (1 + abs(s))]

    # walk left to the first breakpoint
    if np.isfinite(lo):
        start = lo
        p = _pattern_right(net, start, 1.0, t)
    else:
        s = 0.0 if not np.isfinite(hi) else hi - 1.0
        steps = 0
        while True:
            q = _pattern_right(net, s, -1.0, t)
            r = roots(q, s, -1)
            if len(r) == 0:
                p = q
                break
            s = float(r.max())
            steps += 1
            if steps > max_steps:
                raise DegenerateError("line walk did not terminate")
        start = -np.inf
    bps, pats = [], [p]
    s = start
    while True:
        cur = s if np.isfinite(s) else (min(bps[-1], 0.0) - 1.0 if bps else -1e300)
        r = roots(p, cur if np.isfinite(s) else -np.inf, 1) if np.isfinite(s) else _roots_all(net, p)
        r = r[r < hi] if len(r) else r
        if len(r) == 0:
            break
        s = float(r.min())
        bps.append(s)
        p = _pattern_right(net, s, 1.0, t)
        pats.append(p)
        if len(bps) > max_steps:
            raise DegenerateError("line walk did not terminate")
    P = np.array(pats, dtype=bool).reshape(-1, net.n_neurons)
    maps = [net.affine_map(q) for q in P]
    slopes = np.array([A[:, 0] for A, _ in maps])
    inter = np.array([c for _, c in maps])
    M = np.hstack([slopes, inter])
    diff = np.abs(np.diff(M, axis=0)).max(axis=1, initial=0)
    scale = 1.0 + np.maximum(np.abs(M[:-1]).max(axis=1, initial=0), np.abs(M[1:]).max(axis=1, initial=0))
    kinks = (np.array(bps) + 0.0)[diff > t.map_rtol * scale] if len(bps) else np.zeros(0)
    return LineRegions(np.array(bps) + 0.0, P, slopes, inter, kinks, float(lo), float(hi), t)


def _roots_all(net, p) -> np.ndarray:
    G, g = net.preactivation_maps(p)
    nz = np.abs(G[:, 0]) > 0
    return -g[nz] / G[nz, 0]
