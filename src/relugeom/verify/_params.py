"""Safety in parameter space: can any network of an activation region reach a target?

A thin front end to :func:`relugeom.patterns.reachability`: for data ``X`` and an activation
pattern assignment ``A``, the outputs of the networks in the activation region lie on the
output variety ``V_X^A``. An invariant that does not vanish at the target ``Y`` proves it
unreachable by every network in the region; a parameter ``θ`` in the region with
``F_X^A(θ) = Y`` (up to ``tol.eval_rtol``) proves it reachable; otherwise the answer is
unknown (the image is semialgebraic, and the invariants only describe its Zariski closure).
"""

from __future__ import annotations

__all__ = ["check_reachability_params"]


def check_reachability_params(assignment: object, X: object, Y: object, **kwargs: object):
    """Decide whether some network in the activation region of ``(X, assignment)`` outputs ``Y``.

    Parameters
    ----------
    assignment : relugeom.patterns.PatternAssignment
    X : array_like (n, n_0)
        The data points (rows).
    Y : array_like (n, n_L)
        The target outputs (rows); rational entries give exact answers.
    **kwargs
        Passed to :func:`relugeom.patterns.reachability` (``max_degree``, ``bias``,
        ``invariants``, ``tol``, ``rng``, ``max_restarts``).

    Returns
    -------
    relugeom.patterns.Reachability
        ``status`` REACHABLE (with a witness ``theta``), UNREACHABLE (with the invariant that
        does not vanish, or an empty region) or UNKNOWN.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> A = parse_blocks("1", (1, 1, 1), point_blocks=[0, 0])
    >>> check_reachability_params(A, [[1], [2]], [[1], [3]], max_degree=1).status.value
    'unreachable'
    >>> r = check_reachability_params(A, [[1], [2]], [[1], [2]], max_degree=1, rng=0)
    >>> r.status.value, r.theta is not None
    ('reachable', True)
    """
    from ..patterns import reachability

    return reachability(assignment, X, Y, **kwargs)
