"""ReLU-specific parameter space: pattern assignments, pattern maps, activation regions, invariants.

Assignments
    :class:`PatternAssignment`, :func:`parse_blocks` (``"110,10;011,11"``),
    :meth:`PatternAssignment.from_network` (the patterns a network has on data).
Parametrizations (subclasses of :class:`relugeom.algebra.Parametrization`)
    :class:`PatternMap` ``φ^A: θ ↦ [M_1 | … | M_k]`` (outputs ``m_b_i_j``) and
    :class:`OutputMap` ``φ_X^A: θ ↦ [M_1 X_1 | … | M_k X_k]`` (outputs ``y_b_i_j``), with fast
    batched float / mod-p / exact evaluators, Jacobians, flint polynomials, the
    ``Z^{n_L} × Z^{n_0}`` grading and :class:`PatternSymmetry` for the engine's ``symmetry`` hook.
Activation regions
    :class:`ActivationRegion` (membership, ties inactive), :func:`find_region_point`
    (exact LP + Farkas certificates for the first layer; layer-by-layer search deeper),
    :func:`is_realizable`.
Known invariants
    :func:`rank_conditions`, :func:`known_invariants` (Alexandr–Montúfar minors and rank
    conditions on combinations), :func:`check_known` (vanishing; whether they span ``I_d``).
Output varieties
    :func:`output_invariants` (``I_X^A`` by the change of coordinates or interpolation),
    :func:`reachability` / :func:`is_reachable`.

Invariants themselves are computed by :func:`relugeom.algebra.implicitize`.

Scope: parameter space is stated for fully connected ReLU networks
(:class:`relugeom.network.ReLUNetwork`, widths ``(n_0, …, n_L)``). A general network
(convolutions, pooling, residual connections, other units) is accepted where it is such a
chain (it is converted) and otherwise gets one ``NetworkError`` saying why.

Examples
--------
>>> from relugeom.algebra import implicitize
>>> from relugeom.patterns import parse_blocks, PatternMap
>>> phi = PatternMap(parse_blocks("10;11", (2, 2, 2)))
>>> res = implicitize(phi, 3, rng=0, symmetry=phi.symmetry())
>>> res.generator_degrees, res.dimension
([2, 2], 6)
"""

from ._assignment import PatternAssignment, parse_blocks
from ._known import KnownCheck, KnownInvariant, RankCondition, check_known, known_invariants, rank_conditions
from ._maps import (BiasMode, OutputMap, ParameterLayout, PatternMap, PatternSymmetry, network_from_theta,
                    pattern_matrices, theta_from_network)
from ._output import (OutputInvariants, Reachability, ReachStatus, is_reachable, output_invariants,
                      reachability)
from ._region import ActivationRegion, RegionSearchResult, RegionStatus, find_region_point, is_realizable

__all__ = ["PatternAssignment", "parse_blocks", "BiasMode", "ParameterLayout", "PatternMap", "OutputMap",
           "PatternSymmetry", "pattern_matrices", "theta_from_network", "network_from_theta",
           "ActivationRegion", "RegionSearchResult", "RegionStatus", "find_region_point", "is_realizable",
           "KnownCheck", "KnownInvariant", "RankCondition", "check_known", "known_invariants", "rank_conditions",
           "OutputInvariants", "Reachability", "ReachStatus", "is_reachable", "output_invariants", "reachability"]
