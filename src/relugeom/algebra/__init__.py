"""relugeom.algebra: polynomial parametrizations and their invariants (implicitization).

Generic, not ReLU-specific; :mod:`relugeom.patterns` builds the ReLU pattern maps on it.

* :class:`Parametrization` — the interface (batched float / mod-p / exact evaluation,
  Jacobians, flint polynomials, supports, torus grading);
  :class:`PolynomialParametrization` builds one from user polynomials.
* :func:`implicitize` — all invariants up to a degree bound by multigraded interpolation
  over prime fields, rational reconstruction and certificates; returns an
  :class:`Implicitization` (bases of the graded pieces, minimal generators as
  :class:`Invariant` with a :class:`Certificate`, Hilbert function, dimension, degree with
  its justification, seed, timing, completeness).
* :class:`BlockSymmetry` / :class:`PermutationSymmetry` — compute only canonical blocks.
* :func:`in_ideal`, :func:`spans`, :func:`evaluate_invariants`, :func:`certify_invariant`.
* :func:`parse_polynomial`, :func:`parse_inequality` — the only way a string becomes a
  polynomial: polynomial syntax only, never evaluated as code.
* Exports: :func:`to_json`, :func:`to_macaulay2`, :func:`to_singular`, :func:`to_sympy`,
  :func:`to_latex`.

Examples
--------
>>> from relugeom.algebra import PolynomialParametrization, implicitize
>>> res = implicitize(PolynomialParametrization(["s^2", "s*t", "t^2"]), 2, rng=0)
>>> [str(g) for g in res.generators], res.variety_degree
(['y1*y3 - y2^2'], 2)
"""

from relugeom.algebra._param import Parametrization, PolynomialParametrization
from relugeom.algebra._parse import parse_inequality, parse_polynomial

__all__ = ["Parametrization", "PolynomialParametrization", "parse_polynomial", "parse_inequality"]

from relugeom.algebra._implicit import (Certificate, CertifyMode, Implicitization, Invariant,
                                        certify_invariant, implicitize)
from relugeom.algebra._symmetry import BlockSymmetry, PermutationSymmetry

__all__ += ["Certificate", "CertifyMode", "Implicitization", "Invariant", "implicitize",
            "certify_invariant",
            "BlockSymmetry", "PermutationSymmetry"]

from relugeom.algebra._export import m2_name, to_json, to_latex, to_macaulay2, to_singular, to_sympy
from relugeom.algebra._membership import (InvariantValues, as_output_poly, evaluate_invariants,
                                          in_ideal, spans)

__all__ += ["to_json", "to_latex", "to_macaulay2", "to_singular", "to_sympy", "m2_name",
            "InvariantValues", "as_output_poly", "evaluate_invariants", "in_ideal", "spans"]
