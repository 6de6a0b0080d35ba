"""Linear regions: enumeration, the polyhedral complex, counts and bounds.

Examples
--------
>>> from relugeom.network import example_network
>>> from relugeom.polyhedra import Box
>>> from relugeom.regions import enumerate_regions
>>> cx = enumerate_regions(example_network("three_units"), Box([-2, -2], [2, 2]))
>>> cx.n_regions, cx.n_linear_pieces()
(7, 7)
"""

from ._bounds import RegionBound, region_bounds
from ._complex import CheckReport, Facet, MergedRegionComplex, Region, RegionComplex
from ._enumerate import Method, RegionCount, Slice, count_regions, enumerate_regions
from ._line import LineRegions, line_regions
from ._plot import class_cells, decision_boundary, plot_complex
from ._slices import slice_through

__all__ = ["enumerate_regions", "count_regions", "RegionComplex", "MergedRegionComplex", "Region", "Facet", "CheckReport",
           "Slice", "Method", "RegionCount", "RegionBound", "region_bounds", "line_regions",
           "LineRegions", "plot_complex", "class_cells", "decision_boundary", "slice_through"]
