"""Polyhedra: H- and V-polytopes, one LP wrapper over HiGHS, exact certificates.

Contents
--------
HPolytope, Box
    ``{x : A x <= b, A_eq x = b_eq}``: emptiness, Chebyshev centre, interior point,
    support functions, boundedness, implicit equalities, dimension, affine hull,
    irredundant facets, vertices (pycddlib), volume, affine images, projections,
    bounding boxes, shapely in 2-D. ``Box`` adds split/sample.
VPolytope
    ``conv(points) + cone(rays)``: convex hull, H-representation (pycddlib), volume.
solve_lp, LPResult, LPStatus, LPBackend
    The one LP wrapper (highspy fast path, scipy fallback); OPTIMAL, INFEASIBLE,
    UNBOUNDED and FAILED are kept apart, never raised.
IncrementalLP
    A warm-started HiGHS model to modify and re-solve (objectives, rows, bounds).
exact_strictly_inside, farkas_certificate, bound_certificate, certify_redundancy
    Exact rational checks of float data: strict inclusion, emptiness proofs, bounds on
    ``max c·x`` (weak duality), (ir)redundancy of a row, verified in exact arithmetic.

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
from ._exact import (BoundCertificate, FarkasCertificate, RedundancyCertificate, StrictCheck,
                     bound_certificate, certify_redundancy, exact_strictly_inside,
                     exact_strictly_inside_many,
                     farkas_certificate, to_fractions)

__all__ = ["HPolytope", "Box", "VPolytope", "irredundant_rows", "solve_lp", "LPResult", "LPStatus",
           "LPBackend", "IncrementalLP", "generators", "inequalities", "AffineHull",
           "exact_strictly_inside", "exact_strictly_inside_many", "StrictCheck", "farkas_certificate", "FarkasCertificate",
           "bound_certificate", "BoundCertificate", "to_fractions", "certify_redundancy",
           "RedundancyCertificate"]
