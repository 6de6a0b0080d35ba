"""Exceptions of relugeom, named after the mathematics.

All derive from :class:`RelugeomError`; those caused by bad input also derive from
``ValueError`` so that generic handlers still work.

Examples
--------
>>> issubclass(InfeasibleError, ValueError)
True
>>> issubclass(SolverError, RuntimeError)
True
"""

from __future__ import annotations


class RelugeomError(Exception):
    """Base class of every relugeom error."""


class NetworkError(RelugeomError, ValueError):
    """A network's layers are malformed (shapes, NaN/inf, empty layers)."""


class UnsupportedLayerError(NetworkError):
    """A model file or module uses an operator/layer relugeom cannot represent."""


class InfeasibleError(RelugeomError, ValueError):
    """A polyhedron or LP is empty (infeasible)."""


class EmptyDomainError(InfeasibleError):
    """The domain of an enumeration or an input set is empty or lower-dimensional."""


class UnboundedError(RelugeomError, ValueError):
    """An LP is unbounded, or a bounded object was required."""


class SolverError(RelugeomError, RuntimeError):
    """A numerical solver failed (not a statement about the mathematics)."""


class ParseError(RelugeomError, ValueError):
    """A text format (VNN-LIB, .nnet, pattern strings, JSON) could not be parsed."""


class DegenerateError(RelugeomError, ValueError):
    """The input is in special position where the chosen method needs general position."""


class NumericalWarning(UserWarning):
    """Floating-point results were near a tie and have been checked or should be."""
