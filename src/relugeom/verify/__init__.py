"""Safety verification of ReLU networks: can an input of a set reach an unsafe output?

Sets
    :class:`InputSet` (finite unions of bounded boxes / H-polytopes), :class:`UnsafeSet`
    (finite unions of H-polyhedra ``{y : C y <= d}`` in output space).
VNN-LIB
    :func:`read_vnnlib` / :func:`parse_vnnlib` -> :class:`VNNLibProperty` (cases of
    ``(input set, unsafe set)``; errors name the line).
Reachable sets
    :func:`reachable_set` -> :class:`ReachableSet`: the exact image as one affine image per
    region, with a 2-D picture.
Safety checks
    :func:`check_safety` -> :class:`SafetyResult` (:class:`Verdict` SAFE / UNSAFE / UNKNOWN /
    TIMEOUT, a checked :class:`Counterexample`, coverage, statistics, tolerance, seed; with
    ``exact=True`` rational Farkas certificates :class:`ExactCertificate`).
Parameter space
    :func:`check_reachability_params` (invariants and witnesses, via relugeom.patterns).

The command ``relugeom verify NET PROP.vnnlib`` prints VNN-COMP's words (unsat/sat/...).

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
from ._radius import RobustRadius, robust_radius

__all__ = ["check_safety", "SafetyResult", "Verdict", "Counterexample", "InputSet", "UnsafeSet",
           "as_input_set", "as_unsafe_set", "VNNLibProperty", "read_vnnlib", "parse_vnnlib",
           "reachable_set", "ReachableSet", "ReachPiece", "check_reachability_params",
           "ExactCertificate", "robust_radius", "RobustRadius"]
