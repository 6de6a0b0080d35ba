"""Pattern assignments: parsing, text round trips, patterns of concrete networks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from relugeom.errors import ParseError
from relugeom.network import ReLUNetwork
from relugeom.network._examples import random_network
from relugeom.patterns import PatternAssignment, parse_blocks


def test_parse_basic():
    A = parse_blocks("110,10;011,11", (2, 3, 2, 2))
    assert A.n_blocks == 2 and A.n_neurons == 5
    assert A.layer(0, 0).tolist() == [True, True, False]
    assert A.layer(1, 1).tolist() == [True, True]
    assert A.to_text() == "110,10;011,11"
    assert parse_blocks(" 10 ; 11 ", (2, 2, 2)).to_text() == "10;11"


@pytest.mark.parametrize("text, widths, fragment", [
    ("10;1", (2, 2, 2), "block 2, hidden layer 1"),
    ("1x;11", (2, 2, 2), "block 1, hidden layer 1: only the characters 0 and 1"),
    ("110;011", (2, 3, 2, 2), "block 1: expected 2 hidden layer"),
    ("110,10;011,1", (2, 3, 2, 2), "block 2, hidden layer 2: expected 2 digits"),
    ("10;;11", (2, 2, 2), "block 2 is empty"),
    ("", (2, 2, 2), "no pattern blocks"),
])
def test_parse_errors_name_block_and_layer(text, widths, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse_blocks(text, widths)


def test_bad_widths_and_point_blocks():
    with pytest.raises(ValueError, match="at least one hidden layer"):
        PatternAssignment((2, 2), [[1]])
    with pytest.raises(ValueError, match="point_blocks must lie in 0..1"):
        parse_blocks("10;11", (2, 2, 2), point_blocks=[0, 2])
    with pytest.raises(ValueError, match=r"patterns must have shape \(k, 2\)"):
        PatternAssignment((2, 2, 2), [[1, 0, 1]])


@given(st.lists(st.integers(1, 4), min_size=3, max_size=5), st.integers(1, 4), st.data())
def test_text_round_trip(widths, k, data):
    N = sum(widths[1:-1])
    pats = data.draw(st.lists(st.lists(st.booleans(), min_size=N, max_size=N), min_size=k, max_size=k))
    A = PatternAssignment(widths, pats)
    B = PatternAssignment.from_text(A.to_text(), widths)
    assert A == B


@given(st.integers(0, 10_000), st.sampled_from([(2, 4, 2), (3, 3, 2, 2), (2, 3, 3, 3, 1)]))
def test_from_network_round_trip(seed, widths):
    net = random_network(widths, rng=seed)
    X = np.random.default_rng(seed).normal(size=(15, widths[0]))
    A = PatternAssignment.from_network(net, X)
    # the point patterns reproduce the network's patterns exactly, blocks are distinct
    assert np.array_equal(A.point_patterns(), net.activation_patterns(X))
    assert len({tuple(r) for r in A.patterns.tolist()}) == A.n_blocks
    # blocks in order of first appearance
    firsts = [int(np.flatnonzero(A.point_blocks == b)[0]) for b in range(A.n_blocks)]
    assert firsts == sorted(firsts)
    assert parse_blocks(A.to_text(), widths, point_blocks=A.point_blocks) == A


def test_split_data_orientation():
    A = parse_blocks("10;11", (2, 2, 2), point_blocks=[1, 0, 1])
    X1, X2 = A.split_data(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert X1.tolist() == [[3.0], [4.0]]
    assert X2.tolist() == [[1.0, 5.0], [2.0, 6.0]]
    with pytest.raises(ValueError, match="X must have shape"):
        A.split_data(np.zeros((2, 2)))


def test_ties_count_inactive():
    net = ReLUNetwork([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]])
    A = PatternAssignment.from_network(net, [[0.0, 1.0]])
    assert A.to_text() == "01"
