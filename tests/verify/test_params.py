"""check_reachability_params: the parameter-space front end agrees with direct evaluation."""

from __future__ import annotations

from fractions import Fraction


from relugeom.patterns import ReachStatus, parse_blocks
from relugeom.verify import check_reachability_params


def test_one_block_line():
    A = parse_blocks("1", (1, 1, 1), point_blocks=[0, 0])
    r = check_reachability_params(A, [[1], [2]], [[Fraction(1)], [Fraction(3)]], max_degree=1)
    assert r.status is ReachStatus.UNREACHABLE and r.exact and r.value != 0
    r = check_reachability_params(A, [[1], [2]], [[1.0], [2.0]], max_degree=1, rng=0)
    assert r.status is ReachStatus.REACHABLE
    assert r.residual is not None and r.residual < 1e-6
