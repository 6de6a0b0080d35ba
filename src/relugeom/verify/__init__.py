"""Safety verification: input and unsafe sets, VNN-LIB properties, reachable sets, checks.

Examples
--------
>>> from relugeom.network import ReLUNetwork
>>> from relugeom.polyhedra import Box, HPolytope
>>> from relugeom.verify import check_safety
>>> net = ReLUNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]])          # |x|
>>> check_safety(net, Box([-1], [1]), HPolytope([[-1.0]], [-2.0]), rng=0).verdict.vnncomp
'unsat'
"""

from ._check import Counterexample, SafetyResult, Verdict, check_safety
from ._sets import InputSet, UnsafeSet, as_input_set, as_unsafe_set
from ._vnnlib import VNNLibProperty, parse_vnnlib, read_vnnlib
from ._reach import ReachableSet, ReachPiece, reachable_set
from ._params import check_reachability_params
from ._exact import ExactCertificate

__all__ = ["check_safety", "SafetyResult", "Verdict", "Counterexample", "InputSet", "UnsafeSet",
           "as_input_set", "as_unsafe_set", "VNNLibProperty", "read_vnnlib", "parse_vnnlib",
           "reachable_set", "ReachableSet", "ReachPiece", "check_reachability_params",
           "ExactCertificate"]
