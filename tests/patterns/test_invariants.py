"""Pattern varieties through the implicitization engine: the literature cases, degree by degree."""

from __future__ import annotations

import flint

import pytest

from relugeom.algebra import implicitize
from relugeom.patterns import PatternMap, check_known, parse_blocks


def _implicitize(widths, blocks, D, symmetry=True):
    phi = PatternMap(parse_blocks(blocks, widths))
    return phi, implicitize(phi, D, rng=1, symmetry=phi.symmetry() if symmetry else None)


def test_two_by_two_worked_example_is_exactly_the_two_determinants():
    A = parse_blocks("10;11", (2, 2, 2))
    phi, res = _implicitize((2, 2, 2), "10;11", 4)
    assert res.complete and res.generator_degrees == [2, 2]
    chk = check_known(A, res, max_degree=4)
    # the known ideal <det M_1, det(M_2 - M_1)> vanishes and has the same graded pieces as I_d
    assert chk.all_vanish
    assert chk.known_dim == res.ideal_dimensions == {1: 0, 2: 2, 3: 16, 4: 71}
    assert chk.conjecture_holds is True
    assert res.dimension == 6 and res.variety_degree == 4
    assert all(g.certificate.passed for g in res.generators)


def test_three_blocks_linear_relation_and_two_quadrics():
    phi, res = _implicitize((2, 2, 2), "10;01;11", 3)
    assert res.generator_degrees == [1, 1, 1, 1, 2, 2]
    ctx = phi.output_ring()
    m = dict(zip(ctx.names(), ctx.gens()))
    expected = [m[f"m_3_{i}_{j}"] - m[f"m_1_{i}_{j}"] - m[f"m_2_{i}_{j}"] for i in (1, 2) for j in (1, 2)]
    lin = [g.polynomial for g in res.generators if g.degree == 1]
    # same span: stacking both sets has rank 4
    names = ctx.names()
    def row(f):
        d = f.to_dict()
        return [int(d.get(tuple(int(k == v) for k in range(len(names))), 0)) for v in range(len(names))]
    M = flint.fmpq_mat(8, len(names), [c for f in lin + expected for c in row(f)])
    assert M.rank() == 4
    assert check_known(parse_blocks("10;01;11", (2, 2, 2)), res, max_degree=3).conjecture_holds


def test_three_by_three_two_blocks_literature_values():
    phi, res = _implicitize((3, 3, 3), "110;011", 4)
    assert res.generator_degrees == [3, 3, 3]
    assert res.dimension == 15
    assert res.variety_degree == 27
    chk = check_known(parse_blocks("110;011", (3, 3, 3)), res, max_degree=4)
    assert chk.conjecture_holds and chk.n_known[3] == 3


def test_symmetry_does_not_change_the_answer():
    _, a = _implicitize((2, 3, 2), "110;011", 4, symmetry=True)
    _, b = _implicitize((2, 3, 2), "110;011", 4, symmetry=False)
    assert a.ideal_dimensions == b.ideal_dimensions
    assert sorted(str(g) for g in a.generators) == sorted(str(g) for g in b.generators) or \
        a.generator_degrees == b.generator_degrees


def test_deep_case_known_conditions_vanish_and_are_in_ideal():
    A = parse_blocks("10,110;11,011", (3, 2, 3, 3))
    phi, res = _implicitize((3, 2, 3, 3), "10,110;11,011", 3)
    chk = check_known(A, res, max_degree=3)
    assert chk.all_vanish
    assert all(chk.known_dim[d] <= res.ideal_dimensions[d] for d in (1, 2, 3))


@pytest.mark.slow
def test_four_three_four_through_degree_five():
    phi, res = _implicitize((4, 3, 4), "110;011", 5)
    assert res.complete
    chk = check_known(parse_blocks("110;011", (4, 3, 4)), res, max_degree=5)
    assert chk.all_vanish


@pytest.mark.parametrize("bias", ["first", "all"])
def test_biases_symmetry_consistent_and_known_vanish(bias):
    A = parse_blocks("10;11", (2, 2, 2))
    phi = PatternMap(A, bias=bias)
    a = implicitize(phi, 3, rng=2, symmetry=phi.symmetry())
    b = implicitize(phi, 3, rng=2)
    assert a.ideal_dimensions == b.ideal_dimensions
    assert all(g.certificate.passed for g in a.generators)
    if bias == "first":
        chk = check_known(A, a, max_degree=3, bias=bias)
        assert chk.all_vanish and all(chk.known_dim[d] <= a.ideal_dimensions[d] for d in (1, 2, 3))
