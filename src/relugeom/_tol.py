"""The one tolerance policy of relugeom.

Every floating-point decision in the library reads its threshold from this module, and
every result that depended on one reports the :class:`Tolerance` it used. Exact paths
(rational arithmetic, finite fields) use no tolerance at all.

The numbers
-----------
FEAS_ATOL
    An LP constraint ``a @ x <= b`` counts as satisfied when ``a @ x - b <= FEAS_ATOL``;
    HiGHS is run with primal/dual feasibility tolerances of this size.
INTERIOR_ATOL
    A polytope is *full-dimensional* when its Chebyshev ball has radius above this; a
    hyperplane *cuts* a region when the region reaches more than this on both of its sides
    (measured in the normalised hyperplane distance).
ZERO_ATOL
    Pre-activations with absolute value at most this are "on the hyperplane" (ties).
MAP_RTOL
    Two affine maps are equal (linear pieces) when they agree to this relative tolerance.
EVAL_RTOL
    Floating-point evaluation checks (counterexamples, float-vs-exact) use this relative
    tolerance.

Examples
--------
>>> from relugeom._tol import DEFAULT
>>> DEFAULT.feas_atol
1e-09
>>> DEFAULT.with_(feas_atol=1e-7).feas_atol
1e-07
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

FEAS_ATOL = 1e-9
INTERIOR_ATOL = 1e-7
ZERO_ATOL = 1e-10
MAP_RTOL = 1e-9
EVAL_RTOL = 1e-6


@dataclass(frozen=True)
class Tolerance:
    """A bundle of the library's tolerances, reported with results.

    Parameters
    ----------
    feas_atol, interior_atol, zero_atol, map_rtol, eval_rtol : float
        See the module docstring.

    Examples
    --------
    >>> Tolerance().interior_atol
    1e-07
    """

    feas_atol: float = FEAS_ATOL
    interior_atol: float = INTERIOR_ATOL
    zero_atol: float = ZERO_ATOL
    map_rtol: float = MAP_RTOL
    eval_rtol: float = EVAL_RTOL

    def with_(self, **changes: float) -> "Tolerance":
        """Return a copy with some fields changed.

        Examples
        --------
        >>> Tolerance().with_(zero_atol=0.0).zero_atol
        0.0
        """
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        """The tolerances as a plain dict (for JSON output).

        Examples
        --------
        >>> sorted(Tolerance().as_dict())[:2]
        ['eval_rtol', 'feas_atol']
        """
        return asdict(self)


DEFAULT = Tolerance()


def resolve(tol: "Tolerance | None") -> Tolerance:
    """Return ``tol`` or the default policy.

    Examples
    --------
    >>> resolve(None) is DEFAULT
    True
    """
    if tol is None:
        return DEFAULT
    if not isinstance(tol, Tolerance):
        raise TypeError(f"tol must be a relugeom Tolerance or None; got {type(tol).__name__}")
    return tol
