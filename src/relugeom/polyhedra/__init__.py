"""Polyhedra: H-polytopes, one LP wrapper over HiGHS, redundancy removal, vertices.

Examples
--------
>>> from relugeom.polyhedra import Box
>>> Box([-1, -1], [1, 1]).chebyshev_center()[1]
1.0
"""

from ._hpoly import Box, HPolytope, irredundant_rows
from ._lp import LPResult, LPStatus, solve_lp
from ._cdd import generators

__all__ = ["HPolytope", "Box", "irredundant_rows", "solve_lp", "LPResult", "LPStatus", "generators"]
