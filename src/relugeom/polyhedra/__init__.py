"""Polyhedra: H-polytopes, one LP wrapper over HiGHS, redundancy removal, vertices.

Examples
--------
>>> from relugeom.polyhedra import Box
>>> Box([-1, -1], [1, 1]).chebyshev_center()[1]
1.0
"""

from ._hpoly import AffineHull, Box, HPolytope, irredundant_rows
from ._vpoly import VPolytope
from ._lp import LPBackend, LPResult, LPStatus, solve_lp
from ._highs import IncrementalLP
from ._cdd import generators, inequalities
from ._exact import (BoundCertificate, FarkasCertificate, StrictCheck, bound_certificate,
                     exact_strictly_inside, farkas_certificate, to_fractions)

__all__ = ["HPolytope", "Box", "VPolytope", "irredundant_rows", "solve_lp", "LPResult", "LPStatus",
           "LPBackend", "IncrementalLP", "generators", "inequalities", "AffineHull",
           "exact_strictly_inside", "StrictCheck", "farkas_certificate", "FarkasCertificate",
           "bound_certificate", "BoundCertificate", "to_fractions"]
