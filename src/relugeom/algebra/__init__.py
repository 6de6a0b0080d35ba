"""relugeom.algebra: polynomial parametrizations and their implicitization.

Generic (not ReLU-specific) algebra: :class:`Parametrization` (the interface),
:class:`PolynomialParametrization` (from user polynomials), and the implicitization engine.
"""

from relugeom.algebra._param import Parametrization, PolynomialParametrization

__all__ = ["Parametrization", "PolynomialParametrization"]
