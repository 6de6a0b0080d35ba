r"""Region-count bounds for an architecture, in exact integer arithmetic.

Every bound is labelled with what it bounds:

* ``zaslavsky`` — one hidden layer only: the exact number of regions on ``R^{n_0}`` of
  ``n_1`` hyperplanes in general position, ``Σ_{i=0}^{n_0} C(n_1, i)`` (an upper bound
  for any weights), and ``zaslavsky_bounded`` — how many of them are bounded,
  ``C(n_1 − 1, n_0)``.
* ``serra`` — Serra–Tjandraatmadja–Ramalingam (ICML 2018) upper bound on the number of
  regions of any network of these widths.
* ``montufar2017`` — Montúfar (2017) upper bound, ``Π_l Σ_{j=0}^{d_l} C(n_l, j)`` with
  ``d_l = min(n_0, …, n_l)``.
* ``mpcb_lower`` — Montúfar–Pascanu–Cho–Bengio (NeurIPS 2014) *lower bound on the maximum
  over all weights* (some network of these widths has at least this many regions); not a
  bound for a given network. Needs every hidden width ``>= n_0``.

The upper bounds count regions of ``R^{n_0}``; a region meets a convex domain in at most
one convex piece, so they also bound the count on any convex domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from math import comb, prod
from typing import Sequence

__all__ = ["RegionBound", "region_bounds", "zaslavsky", "zaslavsky_bounded", "serra_bound",
           "serra_bound_direct", "montufar2017_bound", "mpcb_lower_bound"]


@dataclass(frozen=True)
class RegionBound:
    """One labelled bound.

    Attributes
    ----------
    name : str
        Short key (``"serra"``, ``"montufar2017"``, …).
    value : int or None
        The bound (exact integer), None when it does not apply to the architecture.
    kind : str
        ``"upper"``, ``"exact-generic"`` or ``"lower-on-max"``.
    description : str
        What it bounds, in words.

    Examples
    --------
    >>> region_bounds((2, 3, 1))[0].name
    'zaslavsky'
    """

    name: str
    value: int | None
    kind: str
    description: str

    def to_dict(self) -> dict:
        """JSON-ready dict (values as ints, which JSON keeps exact).

        Examples
        --------
        >>> RegionBound("x", 3, "upper", "d").to_dict()["value"]
        3
        """
        return {"name": self.name, "value": self.value, "kind": self.kind,
                "description": self.description}


def _check(widths: Sequence[int]) -> tuple[int, tuple[int, ...]]:
    w = tuple(int(x) for x in widths)
    if len(w) < 2 or any(x <= 0 for x in w):
        raise ValueError(f"widths must be (n_0, …, n_L) with L >= 1 positive entries; got {tuple(widths)}")
    return w[0], w[1:-1]


def zaslavsky(n0: int, n1: int) -> int:
    """``Σ_{i=0}^{n0} C(n1, i)``: regions of ``n1`` generic hyperplanes in ``R^{n0}``.

    Examples
    --------
    >>> zaslavsky(2, 3), zaslavsky(1, 5)
    (7, 6)
    """
    return sum(comb(n1, i) for i in range(n0 + 1))


def zaslavsky_bounded(n0: int, n1: int) -> int:
    """``C(n1 − 1, n0)``: bounded regions of ``n1`` generic hyperplanes in ``R^{n0}``.

    Examples
    --------
    >>> zaslavsky_bounded(2, 3), zaslavsky_bounded(2, 2)
    (1, 0)
    """
    return comb(n1 - 1, n0) if n1 >= 1 else 0


def serra_bound(widths: Sequence[int]) -> int:
    """Serra–Tjandraatmadja–Ramalingam upper bound (histogram form, Hinz–van de Geer).

    Examples
    --------
    >>> serra_bound((1, 2, 2, 1)), serra_bound((2, 3, 1))
    (9, 7)
    """
    n0, hidden = _check(widths)
    gamma = {n0: 1}
    for n in hidden:
        new: dict[int, int] = {}
        for k, g in gamma.items():
            for j in range(0, min(k, n) + 1):
                k2 = min(k, n - j)
                new[k2] = new.get(k2, 0) + g * comb(n, j)
        gamma = new
    return sum(gamma.values())


def serra_bound_direct(widths: Sequence[int]) -> int:
    """The same bound by its defining sum over ``J`` (exponential; for tests).

    Examples
    --------
    >>> serra_bound_direct((1, 2, 2, 1))
    9
    """
    n0, hidden = _check(widths)
    total = 0
    for js in product(*[range(n + 1) for n in hidden]):
        cap = n0
        ok = True
        for n, j in zip(hidden, js):
            if j > min(cap, n):
                ok = False
                break
            cap = min(cap, n - j)
        if ok:
            total += prod(comb(n, j) for n, j in zip(hidden, js))
    return total


def montufar2017_bound(widths: Sequence[int]) -> int:
    """Montúfar (2017): ``Π_l Σ_{j=0}^{d_l} C(n_l, j)``, ``d_l = min(n_0, …, n_l)``.

    Examples
    --------
    >>> montufar2017_bound((1, 2, 2, 1)), montufar2017_bound((2, 3, 1))
    (9, 7)
    """
    n0, hidden = _check(widths)
    out = 1
    dl = n0
    for n in hidden:
        dl = min(dl, n)
        out *= sum(comb(n, j) for j in range(dl + 1))
    return out


def mpcb_lower_bound(widths: Sequence[int]) -> int | None:
    """Montúfar–Pascanu–Cho–Bengio lower bound on the maximal number of regions.

    ``Π_{l=1}^{K−1} ⌊n_l / n_0⌋^{n_0} · Σ_{j=0}^{n_0} C(n_K, j)``; None unless every hidden
    width is ``>= n_0``.

    Examples
    --------
    >>> mpcb_lower_bound((1, 2, 2, 1)), mpcb_lower_bound((2, 4, 4, 1)), mpcb_lower_bound((3, 2, 1))
    (6, 44, None)
    """
    n0, hidden = _check(widths)
    if not hidden or any(n < n0 for n in hidden):
        return None
    out = 1
    for n in hidden[:-1]:
        out *= (n // n0) ** n0
    return out * zaslavsky(n0, hidden[-1])


@lru_cache(maxsize=64)
def _bounds_cached(widths: tuple[int, ...]) -> tuple[RegionBound, ...]:
    n0, hidden = _check(widths)
    out = []
    if len(hidden) == 1:
        out.append(RegionBound("zaslavsky", zaslavsky(n0, hidden[0]), "exact-generic",
                               "Zaslavsky: regions on R^n0 of one hidden layer in general position "
                               "(upper bound for any weights)"))
        out.append(RegionBound("zaslavsky_bounded", zaslavsky_bounded(n0, hidden[0]), "exact-generic",
                               "Zaslavsky: bounded regions of one hidden layer in general position"))
    out.append(RegionBound("serra", serra_bound(widths), "upper",
                           "Serra-Tjandraatmadja-Ramalingam 2018: upper bound on regions, any weights"))
    out.append(RegionBound("montufar2017", montufar2017_bound(widths), "upper",
                           "Montufar 2017: upper bound on regions, any weights"))
    out.append(RegionBound("mpcb_lower", mpcb_lower_bound(widths), "lower-on-max",
                           "Montufar-Pascanu-Cho-Bengio 2014: some weights give at least this many "
                           "regions (lower bound on the maximum, not on this network)"))
    return tuple(out)


def region_bounds(widths: Sequence[int]) -> list[RegionBound]:
    """All bounds that apply to an architecture ``(n_0, n_1, …, n_L)``, labelled.

    Examples
    --------
    >>> [(b.name, b.value) for b in region_bounds((2, 3, 1))]
    [('zaslavsky', 7), ('zaslavsky_bounded', 1), ('serra', 7), ('montufar2017', 7), ('mpcb_lower', 7)]
    >>> [b.value for b in region_bounds((1, 8, 8, 1))][:2]
    [81, 81]
    """
    return list(_bounds_cached(tuple(int(w) for w in widths)))
