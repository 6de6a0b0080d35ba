"""relugeom.algebra: polynomial parametrizations and their implicitization.

Generic (not ReLU-specific) algebra: :class:`Parametrization` (the interface),
:class:`PolynomialParametrization` (from user polynomials), and the implicitization engine.
"""

from relugeom.algebra._param import Parametrization, PolynomialParametrization

__all__ = ["Parametrization", "PolynomialParametrization"]

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
