"""Bound propagation lives in :mod:`relugeom.network._bounds` (the network owns it).

Examples
--------
>>> from relugeom.verify._bounds import crown_bounds
>>> crown_bounds.__module__
'relugeom.network._bounds'
"""

from ..network._bounds import BoxBounds, crown_bounds, gradient_bounds, optimize_spec_alpha

__all__ = ["BoxBounds", "crown_bounds", "gradient_bounds", "optimize_spec_alpha"]
