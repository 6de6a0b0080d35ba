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

__all__ = ["HPolytope", "Box", "VPolytope", "AffineHull", "irredundant_rows", "solve_lp", "LPResult", "LPStatus",
           "LPBackend", "IncrementalLP", "generators", "inequalities"]
