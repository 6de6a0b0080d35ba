"""relugeom: tropical, polyhedral and algebraic geometry of ReLU networks.

The main verbs live in the subpackages; the most used ones are re-exported here lazily,
so ``import relugeom`` stays light (no torch, onnx or matplotlib).

Examples
--------
>>> import relugeom
>>> relugeom.ReLUNetwork([[[1.0]]]).widths
(1, 1)
"""

from __future__ import annotations

from importlib import import_module

from . import errors
from ._tol import Tolerance
from .network import Network, NetworkBuilder, ReLUNetwork, example_network, load_network, random_network

__version__ = "0.1.0"

_LAZY = {
    "HPolytope": "relugeom.polyhedra",
    "Box": "relugeom.polyhedra",
    "enumerate_regions": "relugeom.regions",
    "RegionComplex": "relugeom.regions",
    "Slice": "relugeom.regions",
    "slice_through": "relugeom.regions",
    "load_point": "relugeom._points",
    "tropical_form": "relugeom.tropical",
    "check_safety": "relugeom.verify",
    "reachable_set": "relugeom.verify",
}

__all__ = ["Network", "NetworkBuilder", "ReLUNetwork", "Tolerance", "errors", "example_network",
           "load_network", "random_network", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'relugeom' has no attribute {name!r}")
