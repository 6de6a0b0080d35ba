"""ReLU-specific parameter space: pattern assignments, pattern maps, activation regions, invariants.

Examples
--------
>>> from relugeom.patterns import parse_blocks, PatternMap
>>> PatternMap(parse_blocks("10;11", (2, 2, 2))).n_outputs
8
"""

from ._assignment import PatternAssignment, parse_blocks
from ._maps import (BiasMode, OutputMap, PatternMap, PatternSymmetry, network_from_theta,
                    pattern_matrices, theta_from_network)

__all__ = ["PatternAssignment", "parse_blocks", "BiasMode", "PatternMap", "OutputMap",
           "PatternSymmetry", "pattern_matrices", "theta_from_network", "network_from_theta"]
from ._region import ActivationRegion, RegionSearchResult, RegionStatus, find_region_point, is_realizable

__all__ += ["ActivationRegion", "RegionSearchResult", "RegionStatus", "find_region_point", "is_realizable"]
from ._known import KnownCheck, KnownInvariant, RankCondition, check_known, known_invariants, rank_conditions

__all__ += ["KnownCheck", "KnownInvariant", "RankCondition", "check_known", "known_invariants", "rank_conditions"]
from ._output import (OutputInvariants, Reachability, ReachStatus, is_reachable, output_invariants,
                      reachability)

__all__ += ["OutputInvariants", "Reachability", "ReachStatus", "is_reachable", "output_invariants", "reachability"]
