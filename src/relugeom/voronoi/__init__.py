"""relugeom.voronoi: Voronoi cells of models and ReLU Voronoi cells.

Which targets does the best fit send to a given output? For a model ``M`` (a finite set, a
union of polyhedra, the image of a polynomial parametrization, the outputs ``F_X(θ)`` of a
ReLU architecture on data ``X``, a statistical model) and a point ``q ∈ M`` the Voronoi cell
of ``q`` is the closed convex set of data whose nearest point of ``M`` is ``q``, for the
Euclidean distance, a Q-weighted one (MSE losses) or the log-likelihood.
:func:`voronoi_cell` computes it by cutting planes from the normal cone, and says whether
the answer is exact or an outer approximation with a measured gap.

Examples
--------
>>> from relugeom.voronoi import voronoi_cell, half_circle
>>> cell = voronoi_cell(half_circle(), [1.0, 0.0], rng=0)
>>> sorted(map(tuple, np.round(cell.rays, 9).tolist()))
[(0.0, -1.0), (1.0, 0.0)]
"""

import numpy as np

from ._metric import Metric, MetricKind, as_metric, design_matrix, mse_metric
from ._models import (ConeUnionModel, FiniteModel, Model, NearestPoint, ParametrizedModel, PolyhedralModel,
                      ToricModel, as_model)
from ._cell import VoronoiCell, voronoi_cell
from ._examples import half_circle, independence_model, rank_one_model, twisted_cubic
from ._relu import (NetworkOutputs, ReLUStrata, critical_cell, relu_model, relu_strata, relu_voronoi_cell,
                    shallow_chambers)
from ._plot import plot_cell, plot_cells

__all__ = ["Metric", "MetricKind", "as_metric", "design_matrix", "mse_metric",
           "Model", "NearestPoint", "FiniteModel", "PolyhedralModel", "ConeUnionModel", "ToricModel",
           "ParametrizedModel", "as_model", "VoronoiCell", "voronoi_cell",
           "half_circle", "rank_one_model", "independence_model", "twisted_cubic",
           "NetworkOutputs", "ReLUStrata", "critical_cell", "relu_model", "relu_strata", "relu_voronoi_cell",
           "shallow_chambers", "plot_cell", "plot_cells"]
