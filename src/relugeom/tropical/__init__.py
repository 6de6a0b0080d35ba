"""Tropical geometry of ReLU networks: max-plus polynomials, F ⊘ G, Newton polytopes.

A ReLU network is a difference ``f = F − G`` (written ``F ⊘ G``) of two convex max-affine
functions (tropical polynomials), built layer by layer (Zhang–Naitzat–Lim 2018).

Examples
--------
>>> from relugeom.network import example_network
>>> from relugeom.tropical import tropical_form
>>> form = tropical_form(example_network("three_pieces"))
>>> form.F.n_terms, form.G.n_terms, form.n_pieces()
(2, 2, 3)
"""

from ._poly import TropicalPolynomial, product, to_fraction
from ._prune import PruneMethod, prune_terms, upper_hull
from ._rational import LinearPieces, TropicalRational, linear_pieces
from ._form import LayerStats, TropicalForm, tropical_form
from ._convert import max_tree_network, polynomial_to_network, rationals_to_network
from ._geometry import (DualSubdivision, HypersurfaceCell, OneLayerZonotopes, TropicalHypersurface,
                        decision_boundary, dual_subdivision, newton_polytope, one_layer_zonotopes,
                        tropical_hypersurface)
from ._plot import plot_newton_polygon, plot_pieces, plot_tropical, plot_tropical_curve

__all__ = [
    "TropicalPolynomial", "TropicalRational", "TropicalForm", "LayerStats", "LinearPieces",
    "PruneMethod", "tropical_form", "prune_terms", "upper_hull", "product", "to_fraction",
    "linear_pieces", "max_tree_network", "polynomial_to_network", "rationals_to_network",
    "DualSubdivision", "HypersurfaceCell", "OneLayerZonotopes", "TropicalHypersurface",
    "decision_boundary", "dual_subdivision", "newton_polytope", "one_layer_zonotopes",
    "tropical_hypersurface", "plot_tropical", "plot_tropical_curve", "plot_newton_polygon",
    "plot_pieces",
]
