r"""Known invariants of pattern varieties: the Alexandr–Montúfar minors and rank conditions.

Shallow networks (one hidden layer), any number of blocks
    ``M_b = W_2 D_b W_1``, so a combination ``Σ_b λ_b M_b = W_2 diag(Σ_b λ_b d_b) W_1``.
    For every set ``S`` of hidden neurons let ``Λ_S`` be the combinations whose combined
    pattern ``Σ_b λ_b d_b`` vanishes outside ``S``, and ``S'`` the neurons the combined
    patterns of ``Λ_S`` actually use. For a basis ``λ^{(1)}, …, λ^{(q)}`` of ``Λ_S`` the
    matrices ``N_t = Σ_b λ^{(t)}_b M_b`` placed side by side ``[N_1 | … | N_q]`` or stacked
    ``[N_1; …; N_q]`` have rank ``<= |S'|``; their ``(|S'|+1)``-minors are invariants (the
    ideal does not depend on the basis). For two blocks this is exactly the theorem:
    ``(r_1+1)``-minors of ``M_1`` (``S = R_1``), ``(r_2+1)``-minors of ``M_2``,
    ``(u+1)``-minors of ``[M_1 | M_2]`` and ``[M_1ᵀ | M_2ᵀ]`` with ``u = |R_1 ∪ R_2|``
    (``S`` = all neurons; ``S' = R_1 ∪ R_2``, not ``n_1``), and ``(t+1)``-minors of
    ``M_1 − M_2`` (``S`` = the symmetric difference, ``t = r_1 + r_2 − 2s``). First-layer
    biases (``bias="first"``) only add a column to ``W_1``; the same conditions hold.

Deep networks (covered conditions, all proven by factorization)
    * every ``M_b`` has rank ``<= min_l |R^{(b)}_l|`` (active neurons per hidden layer);
    * blocks whose patterns agree on every hidden layer except ``l`` factor as
      ``A D^{(b)}_l C`` with common ``A, C``: the shallow conditions above on the layer-``l``
      patterns, with rank bound ``min(|S'|, rank A)`` side by side and ``min(|S'|, rank C)``
      stacked, where ``rank A`` (``rank C``) is at most the fewest active neurons in a layer
      after (before) ``l``;
    * for every set ``B`` of blocks, ``[M_b]_{b∈B}`` side by side has rank
      ``<= |∪_B R^{(b)}_{L-1}|`` and stacked ``<= |∪_B R^{(b)}_1|``.
    Shared-path conditions beyond these are not generated.

``bias="all"`` (deeper biases) is not covered (a :class:`ValueError` says so).

Observed (benchmarks/invariants.py, degree bound 5): these conditions span every computed
``I_d`` for the two-block cases (2,2,2), (3,3,3), (4,3,4), (4,4,4), (5,4,5), the deep
(3,2,3,3) and (4,3,3,4) cases and (3,3,3) with three blocks; for (4,4,4) with blocks
``1100;0110;0011`` they span ``I_3`` and ``I_4`` but not ``I_5`` (the 2000 minimal quintics
are missing). Rank bounds of 2×2 block matrices such as ``[[M_1, M_2], [0, M_3]]``
(rank ``<= Σ_i rank C_i`` with ``C_i`` the per-neuron coefficient matrix, here 4) recover
part of them; they are not generated here.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from ._assignment import PatternAssignment
from ._maps import BiasMode, PatternMap, obj_full

log = logging.getLogger(__name__)

__all__ = ["KnownInvariant", "RankCondition", "rank_conditions", "known_invariants", "KnownCheck", "check_known"]


@dataclass(frozen=True)
class RankCondition:
    """A matrix of linear forms in the ``m`` variables with a proven rank bound.

    Attributes
    ----------
    matrix : ndarray of fmpq_mpoly
    bound : int
    description : str

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, rank_conditions
    >>> c = [c for c in rank_conditions(parse_blocks("10;11", (2, 2, 2))) if c.description == "rank M_1 <= 1"][0]
    >>> c.bound, len(c.minors())
    (1, 1)
    """

    matrix: np.ndarray
    bound: int
    description: str

    def minors(self, max_degree: int | None = None) -> list:
        """The ``(bound+1)``-minors (flint polynomials), empty if too large.

        Examples
        --------
        >>> from relugeom.patterns import parse_blocks
        >>> rc = rank_conditions(parse_blocks("10;11", (2, 2, 2)))[2]
        >>> rc.description, [str(f) for f in rc.minors()]
        ('rank M_1 <= 1', ['-m_1_1_2*m_1_2_1 + m_1_1_1*m_1_2_2'])
        """
        r = self.bound + 1
        m, n = self.matrix.shape
        if r > min(m, n) or (max_degree is not None and r > max_degree):
            return []
        out = []
        for rows in itertools.combinations(range(m), r):
            sub_rows = self.matrix[list(rows)]
            for cols in itertools.combinations(range(n), r):
                f = _det(sub_rows[:, list(cols)])
                if not f.is_zero():
                    out.append(f)
        return out


@dataclass(frozen=True)
class KnownInvariant:
    """One known invariant: a minor from a rank condition.

    Attributes
    ----------
    polynomial : fmpq_mpoly
        In the ring of the ``m_b_i_j`` (degrevlex).
    degree : int
    condition : str
        The rank condition it comes from.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, known_invariants
    >>> k = known_invariants(parse_blocks("10;11", (2, 2, 2)))[0]
    >>> k.degree, k.condition
    (2, 'rank M_1 <= 1')
    """

    polynomial: object
    degree: int
    condition: str

    def __str__(self) -> str:
        return str(self.polynomial)


def _det(A: np.ndarray):
    """Determinant of a small square object matrix by Laplace expansion along the first row."""
    n = A.shape[0]
    if n == 1:
        return A[0, 0]
    if n == 2:
        return A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    total = None
    for j in range(n):
        if A[0, j].is_zero():
            continue
        minor = _det(np.delete(A[1:], j, axis=1))
        term = A[0, j] * minor
        if j % 2:
            term = -term
        total = term if total is None else total + term
    if total is None:
        return A[0, 0] - A[0, 0]
    return total


def _nullspace(D: np.ndarray, k: int) -> list[list[Fraction]]:
    """Rational basis of {λ ∈ Q^k : D λ = 0} for an integer matrix D (m, k), in rref-canonical form."""
    import flint

    if D.shape[0] == 0:
        return [[Fraction(int(i == j)) for j in range(k)] for i in range(k)]
    return rref_kernel(flint.fmpq_mat(D.shape[0], k, [int(v) for v in D.ravel()]))


def rref_kernel(M) -> list[list[Fraction]]:
    """Basis of the right kernel of a flint ``fmpq_mat`` (one vector per free column of its rref).

    Examples
    --------
    >>> import flint
    >>> rref_kernel(flint.fmpq_mat(1, 2, [1, 2]))
    [[Fraction(-2, 1), Fraction(1, 1)]]
    """
    k = M.ncols()
    R, rank = M.rref()
    pivots, row = [], 0
    for c in range(k):
        if row < rank and R[row, c] != 0:
            pivots.append(c)
            row += 1
    basis = []
    for f in (c for c in range(k) if c not in pivots):
        v = [Fraction(0)] * k
        v[f] = Fraction(1)
        for i, pc in enumerate(pivots):
            q = R[i, f]
            v[pc] = -Fraction(int(q.p), int(q.q))
        basis.append(v)
    return basis


def _combine(Ms: list[np.ndarray], lam: Sequence[Fraction], zero) -> np.ndarray:
    import flint

    out = obj_full(Ms[0].shape, zero)
    for M, c in zip(Ms, lam):
        if c == 0:
            continue
        cf = flint.fmpq(int(c.numerator), int(c.denominator))
        for idx in np.ndindex(M.shape):
            out[idx] = out[idx] + M[idx] * cf
    return out


def _combo_name(lam: Sequence[Fraction], blocks: Sequence[int]) -> str:
    """'M_1 - M_2', '2·M_1 + M_3', …"""
    s = ""
    for b, c in zip(blocks, lam):
        if c == 0:
            continue
        mag = "" if abs(c) == 1 else f"{abs(c)}·"
        if not s:
            s = ("-" if c < 0 else "") + f"{mag}M_{b + 1}"
        else:
            s += (" - " if c < 0 else " + ") + f"{mag}M_{b + 1}"
    return s or "0"


def _shallow_conditions(pats: np.ndarray, Ms: list[np.ndarray], blocks: Sequence[int], zero,
                        extra_side: int | None, extra_stack: int | None, label: str) -> list[RankCondition]:
    """The S-conditions for blocks with one-layer patterns ``pats`` (k, n) and matrices Ms.

    ``M_b = A diag(d_b) C``; ``extra_side`` bounds rank A (column spaces), ``extra_stack``
    bounds rank C (row spaces).
    """
    k, n = pats.shape
    seen = set()
    out = []
    D = pats.astype(np.int64)
    for size in range(n, -1, -1):
        for S in itertools.combinations(range(n), size):
            notS = [i for i in range(n) if i not in S]
            basis = _nullspace(D[:, notS].T, k)
            if not basis:
                continue
            basis = [[-c for c in lam] if next(c for c in lam if c != 0) < 0 else lam for lam in basis]
            comb = np.array([[sum((lam[b] * int(D[b, i]) for b in range(k)), Fraction(0)) for i in range(n)]
                             for lam in basis], dtype=object)
            S_eff = tuple(i for i in range(n) if any(comb[t, i] != 0 for t in range(len(basis))))
            key = (S_eff, tuple(tuple(v) for v in basis))
            if key in seen:
                continue
            seen.add(key)
            side_b = min([len(S_eff)] + ([extra_side] if extra_side is not None else []))
            stack_b = min([len(S_eff)] + ([extra_stack] if extra_stack is not None else []))
            Ns = [_combine(Ms, lam, zero) for lam in basis]
            names = [_combo_name(lam, blocks) for lam in basis]
            if len(Ns) == 1:
                bound = min(side_b, stack_b)
                out.append(RankCondition(Ns[0], bound, f"rank {names[0]} <= {bound}{label}"))
            else:
                side = np.concatenate(Ns, axis=1)
                stack = np.concatenate(Ns, axis=0)
                out.append(RankCondition(side, side_b, f"rank [{' | '.join(names)}] <= {side_b}{label}"))
                out.append(RankCondition(stack, stack_b, f"rank [{'; '.join(names)}] <= {stack_b}{label}"))
    return out


def rank_conditions(assignment: PatternAssignment, *, bias: BiasMode | str = BiasMode.NONE) -> list[RankCondition]:
    """The proven rank conditions on (combinations of) pattern matrices; see the module docstring.

    Parameters
    ----------
    assignment : PatternAssignment
    bias : BiasMode or str
        ``"none"`` or ``"first"``.

    Returns
    -------
    list of RankCondition
        Matrices of linear forms in the ring of :meth:`PatternMap.output_ring`.

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> [c.description for c in rank_conditions(parse_blocks("110;011", (3, 3, 3)))]  # doctest: +NORMALIZE_WHITESPACE
    ['rank [M_1 | M_2] <= 3', 'rank [M_1; M_2] <= 3', 'rank M_1 <= 2', 'rank M_1 - M_2 <= 2',
     'rank M_2 <= 2']
    """
    bias = BiasMode(bias)
    if bias is BiasMode.ALL:
        raise ValueError("known invariants are not covered for bias='all' (deeper biases); use 'none' or 'first'")
    phi = PatternMap(assignment, bias=bias)
    ctx = phi.output_ring()
    gens = ctx.gens()
    zero = ctx.from_dict({})
    k = assignment.n_blocks
    Ms = [phi.matrix_of(gens, b) for b in range(k)]
    if assignment.shallow:
        return _shallow_conditions(assignment.patterns, Ms, list(range(k)), zero, None, None, "")
    out: list[RankCondition] = []
    n_hidden = len(assignment.hidden_widths)
    counts = np.array([[int(p.sum()) for p in assignment.layers(b)] for b in range(k)])
    for b in range(k):
        bd = int(counts[b].min())
        out.append(RankCondition(Ms[b], bd, f"rank M_{b + 1} <= {bd} (fewest active neurons in a layer)"))
    for l in range(n_hidden):
        groups: dict[tuple, list[int]] = {}
        for b in range(k):
            key = tuple(tuple(assignment.layer(b, m).tolist()) for m in range(n_hidden) if m != l)
            groups.setdefault(key, []).append(b)
        for key, bl in groups.items():
            if len(bl) < 2:
                continue
            after = [int(counts[bl[0], m]) for m in range(l + 1, n_hidden)]
            before = [int(counts[bl[0], m]) for m in range(l)]
            pats = np.array([assignment.layer(b, l) for b in bl])
            out += _shallow_conditions(pats, [Ms[b] for b in bl], bl, zero, min(after) if after else None,
                                       min(before) if before else None,
                                       f" (blocks agree outside hidden layer {l + 1})")
    for size in range(2, k + 1):
        for B in itertools.combinations(range(k), size):
            last = int(np.any([assignment.layer(b, n_hidden - 1) for b in B], axis=0).sum())
            first = int(np.any([assignment.layer(b, 0) for b in B], axis=0).sum())
            names = [f"M_{b + 1}" for b in B]
            out.append(RankCondition(np.concatenate([Ms[b] for b in B], axis=1), last,
                                     f"rank [{' | '.join(names)}] <= {last} (last hidden layer)"))
            out.append(RankCondition(np.concatenate([Ms[b] for b in B], axis=0), first,
                                     f"rank [{'; '.join(names)}] <= {first} (first hidden layer)"))
    return out


def known_invariants(assignment: PatternAssignment, *, max_degree: int | None = None,
                     bias: BiasMode | str = BiasMode.NONE) -> list[KnownInvariant]:
    """The minors of all proven rank conditions, deduplicated (up to scalars), by degree.

    Parameters
    ----------
    assignment : PatternAssignment
    max_degree : int, optional
        Only minors of size at most this.
    bias : BiasMode or str

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> K = known_invariants(parse_blocks("10;11", (2, 2, 2)))
    >>> [(k.degree, k.condition) for k in K]
    [(2, 'rank M_1 <= 1'), (2, 'rank M_1 - M_2 <= 1')]
    """
    out, seen = [], set()
    for rc in rank_conditions(assignment, bias=bias):
        for f in rc.minors(max_degree):
            lc = f.leading_coefficient()
            g = f / lc
            key = str(g)
            if key in seen:
                continue
            seen.add(key)
            out.append(KnownInvariant(g, int(f.total_degree()), rc.description))
    out.sort(key=lambda t: t.degree)
    return out


# ============================================================================ checks
@dataclass(frozen=True)
class KnownCheck:
    """Result of :func:`check_known`.

    Attributes
    ----------
    n_known : dict int -> int
        Number of known invariants per degree (after deduplication).
    all_vanish : bool
        Every known invariant vanishes on the parametrization (random points mod p).
    failures : list of str
        Known invariants that did not vanish (a bug or a false theorem).
    known_dim : dict int -> int
        dim of the degree-d piece of the ideal generated by the known invariants.
    ideal_dim : dict int -> int or None
        dim I_d from the implicitization (None when not available).
    spans : dict int -> bool or None
        Whether the known invariants generate I_d (the conjecture, case by case).
    error_probability : float
        Bound on the probability that ``all_vanish`` is wrong (Schwartz–Zippel).
    seconds : float

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks, check_known
    >>> check_known(parse_blocks("10;11", (2, 2, 2)), {2: 2}, max_degree=2).spans[2]
    True
    """

    n_known: dict
    all_vanish: bool
    failures: list
    known_dim: dict
    ideal_dim: dict
    spans: dict
    error_probability: float
    seconds: float

    @property
    def conjecture_holds(self) -> bool | None:
        """True when the known invariants span every computed I_d; None if not compared."""
        vals = [v for v in self.spans.values() if v is not None]
        if not vals:
            return None
        return all(vals)


_P = 2147483629  # a prime below 2**31


def _poly_mod_eval(f, names_index: dict, values: np.ndarray, p: int) -> np.ndarray:
    """Evaluate an fmpq_mpoly at many points mod p: values (n, nvars) int64."""
    res = np.zeros(values.shape[0], dtype=np.int64)
    for exps, c in f.terms():
        cq = (int(c.p) % p) * pow(int(c.q) % p, -1, p) % p
        term = np.full(values.shape[0], cq, dtype=np.int64)
        for v, e in enumerate(exps):
            for _ in range(e):
                term = term * values[:, v] % p
        res = (res + term) % p
    return res


def _ideal_dims(ideal_dim_source: object, D: int) -> dict:
    """dim I_d for d <= D from an implicitization result (duck-typed)."""
    out = {}
    if ideal_dim_source is None:
        return {d: None for d in range(1, D + 1)}
    if isinstance(ideal_dim_source, dict):
        return {d: ideal_dim_source.get(d) for d in range(1, D + 1)}
    for attr in ("ideal_dimensions", "ideal_dims"):
        v = getattr(ideal_dim_source, attr, None)
        if v is not None:
            v = v() if callable(v) else v
            return {d: (v.get(d) if isinstance(v, dict) else (v[d] if d < len(v) else None)) for d in range(1, D + 1)}
    hf = getattr(ideal_dim_source, "hilbert_function", None)
    n = getattr(ideal_dim_source, "n_variables", None) or len(getattr(ideal_dim_source, "variables", []) or [])
    if hf is not None and n:
        from math import comb

        hf = hf() if callable(hf) else hf
        for d in range(1, D + 1):
            h = hf.get(d) if isinstance(hf, dict) else (hf[d] if d < len(hf) else None)
            out[d] = None if h is None else comb(n + d - 1, d) - int(h)
        return out
    return {d: None for d in range(1, D + 1)}


def _generated_dims(polys: list, nvars: int, grading: np.ndarray, D: int, p: int,
                    time_limit: float | None, symmetry: object = None) -> dict:
    """dim of the degree-d part of the ideal generated by multihomogeneous ``polys`` (mod p), d <= D.

    With a ``symmetry`` (``canonical(multidegree) -> (canonical, perm)``) under which the set of
    polynomials is invariant, only canonical multidegree pieces are computed and each is
    counted once per multidegree of its orbit.
    """
    import flint

    t0 = time.perf_counter()
    out = {}
    G = np.asarray(grading, dtype=np.int64)
    polys_data = []
    for f in polys:
        terms = [(np.array(e, dtype=np.int64), (int(c.p) % p) * pow(int(c.q) % p, -1, p) % p) for e, c in f.terms()]
        E = np.array([t[0] for t in terms])
        cs = np.array([t[1] for t in terms], dtype=np.int64)
        deg = int(E[0].sum())
        polys_data.append((E, cs, deg, tuple((E[0] @ G).tolist())))
    buckets: dict[int, dict[tuple, np.ndarray]] = {}

    def bucket(t: int) -> dict[tuple, np.ndarray]:
        if t not in buckets:
            mons = np.array(list(_monomials(nvars, t)), dtype=np.int64).reshape(-1, nvars)
            degs = mons @ G
            groups: dict[tuple, list[int]] = {}
            for r, dg in enumerate(map(tuple, degs.tolist())):
                groups.setdefault(dg, []).append(r)
            buckets[t] = {k: mons[v] for k, v in groups.items()}
        return buckets[t]

    for d in range(1, D + 1):
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            out[d] = None
            continue
        pieces: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = {}
        orbit: dict[tuple, set] = {}
        for E, cs, deg, mdeg in polys_data:
            if deg > d:
                continue
            for key, mons in bucket(d - deg).items():
                delta = tuple(a + b for a, b in zip(mdeg, key))
                canon = delta if symmetry is None else tuple(symmetry.canonical(delta)[0])
                orbit.setdefault(canon, set()).add(delta)
                if canon != delta:
                    continue
                lst = pieces.setdefault(delta, [])
                for a in mons:
                    lst.append((E + a[None, :], cs))
        total = 0
        for key, rows in pieces.items():
            cols: dict[tuple, int] = {}
            entries = []
            for r, (E, cs) in enumerate(rows):
                for e, c in zip(map(tuple, E.tolist()), cs.tolist()):
                    j = cols.setdefault(e, len(cols))
                    entries.append((r, j, c))
            M = flint.nmod_mat(len(rows), len(cols), p)
            for r, j, c in entries:
                M[r, j] = c
            total += M.rank() * len(orbit[key])
        out[d] = total
    return out


def _monomials(n: int, d: int):
    """All exponent tuples of degree d in n variables."""
    if d == 0:
        yield (0,) * n
        return
    for combo in itertools.combinations_with_replacement(range(n), d):
        e = [0] * n
        for v in combo:
            e[v] += 1
        yield tuple(e)


def check_known(assignment: PatternAssignment, implicitization: object = None, *, max_degree: int | None = None,
                bias: BiasMode | str = BiasMode.NONE, n_points: int = 3, rng: object = None,
                time_limit: float | None = None, use_symmetry: bool = True) -> KnownCheck:
    """Check the known invariants against the parametrization and, if given, an implicitization.

    Parameters
    ----------
    assignment : PatternAssignment
    implicitization : object, optional
        A result of :func:`relugeom.algebra.implicitize` for :class:`PatternMap` (or a dict
        ``{d: dim I_d}``). Its dimensions of ``I_d`` are compared with the dimension of the
        degree-``d`` part of the ideal generated by the known invariants.
    max_degree : int, optional
        Degree bound ``D`` (default: the implicitization's, else 4).
    n_points : int
        Random points (mod a prime near 2**31) at which vanishing is tested.
    rng : seed, optional
    time_limit : float, optional
        Seconds for the span computation; degrees not reached report None.
    use_symmetry : bool
        Compute only canonical multidegree pieces (the known invariants are invariant under
        the row/column permutations of :meth:`PatternMap.symmetry`).

    Examples
    --------
    >>> from relugeom.patterns import parse_blocks
    >>> r = check_known(parse_blocks("10;11", (2, 2, 2)), {1: 0, 2: 2, 3: 16}, max_degree=3)
    >>> r.all_vanish, r.known_dim, r.spans
    (True, {1: 0, 2: 2, 3: 16}, {1: True, 2: True, 3: True})
    """
    t0 = time.perf_counter()
    if max_degree is None:
        max_degree = int(getattr(implicitization, "max_degree", 4) or 4)
    D = int(max_degree)
    phi = PatternMap(assignment, bias=bias)
    K = known_invariants(assignment, max_degree=D, bias=bias)
    gen = np.random.default_rng(rng)
    p = _P
    theta = gen.integers(0, p, size=(n_points, phi.n_params), dtype=np.int64)
    vals = phi.evaluate_mod_p(theta, p)
    failures = []
    for k in K:
        if np.any(_poly_mod_eval(k.polynomial, {}, vals, p)):
            failures.append(f"{k.condition}: {k.polynomial}")
    maxdeg = max((k.degree * phi.assignment.n_layers for k in K), default=0)
    err = (maxdeg / p) ** n_points if K else 0.0
    n_known = {d: sum(1 for k in K if k.degree == d) for d in range(1, D + 1)}
    sym = phi.symmetry() if use_symmetry else None
    kd = _generated_dims([k.polynomial for k in K], phi.n_outputs, phi.grading(), D, p,
                         None if time_limit is None else time_limit - (time.perf_counter() - t0), sym)
    idims = _ideal_dims(implicitization, D)
    spans = {d: (None if idims.get(d) is None or kd.get(d) is None else kd[d] == idims[d]) for d in range(1, D + 1)}
    return KnownCheck(n_known, not failures, failures, kd, idims, spans, float(err), time.perf_counter() - t0)
