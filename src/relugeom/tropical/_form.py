"""The tropical form ``f = F ⊘ G`` of a ReLU network (Zhang–Naitzat–Lim recursion)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

import numpy as np

from .._tol import Tolerance, resolve
from ._poly import TropicalPolynomial, product, to_fraction
from ._prune import PruneMethod
from ._rational import TropicalRational

log = logging.getLogger(__name__)

__all__ = ["TropicalForm", "LayerStats", "FormAlgorithm", "tropical_form"]

#: ``algorithm="auto"`` uses the regions when the recursion's last layer would have more
#: than this many unpruned terms (candidate lifted points).
AUTO_REGIONS_THRESHOLD = 10**5


class FormAlgorithm(str, Enum):
    """How :func:`tropical_form` computes the pruned form.

    Examples
    --------
    >>> FormAlgorithm("regions").value
    'regions'
    """

    AUTO = "auto"
    RECURSION = "recursion"
    REGIONS = "regions"


@dataclass(frozen=True)
class LayerStats:
    """Term counts of one layer of the recursion.

    Attributes
    ----------
    layer : int
        Layer index from 1.
    terms_unpruned : int
        Total number of terms of the layer's F' and G' had nothing ever been pruned (equal
        exponents merged only); an exact integer, possibly astronomically large, saturated at
        ``COUNT_CAP = 2**4096`` per polynomial.
    terms : int
        Total number of terms of F' and G' after pruning.
    max_terms : int
        Largest number of terms of one F'_i or G'_i after pruning.
    seconds : float

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> from relugeom.tropical import tropical_form
    >>> st = tropical_form(example_network("three_pieces")).layers[0]
    >>> st.layer, st.terms >= 1
    (1, True)
    """

    layer: int
    terms_unpruned: int
    terms: int
    max_terms: int
    seconds: float


@dataclass(frozen=True)
class TropicalForm:
    """The tropical form of a network: one :class:`TropicalRational` per output.

    Attributes
    ----------
    rationals : tuple of TropicalRational or None
        ``f_k = F_k ⊘ G_k``; None when the computation stopped early.
    exact : bool
    pruned : bool
    complete : bool
        False when ``time_limit`` stopped the recursion (``rationals`` is then None).
    layers : tuple of LayerStats
    seconds : float
    tol : Tolerance
    pieces : tuple of int or None
        Linear pieces of each output on ``R^n`` read off the region complex
        (``algorithm="regions"``); None otherwise (:meth:`n_pieces` then computes them
        from ``F`` and ``G``).

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> form = tropical_form(example_network("three_pieces"))
    >>> form.F.n_terms, form.G.n_terms, form.n_pieces()
    (2, 2, 3)
    """

    rationals: tuple[TropicalRational, ...] | None
    exact: bool
    pruned: bool
    complete: bool
    layers: tuple[LayerStats, ...]
    seconds: float
    tol: Tolerance = field(default_factory=Tolerance)
    pieces: tuple[int, ...] | None = None

    def __getitem__(self, k: int) -> TropicalRational:
        if self.rationals is None:
            raise ValueError("the tropical form is incomplete (time limit reached)")
        return self.rationals[k]

    def __len__(self) -> int:
        return 0 if self.rationals is None else len(self.rationals)

    def _single(self) -> TropicalRational:
        if self.rationals is None:
            raise ValueError("the tropical form is incomplete (time limit reached)")
        if len(self.rationals) != 1:
            raise ValueError(f"the network has {len(self.rationals)} outputs; index the form (form[k])")
        return self.rationals[0]

    @property
    def F(self) -> TropicalPolynomial:
        """Numerator of a single-output network."""
        return self._single().F

    @property
    def G(self) -> TropicalPolynomial:
        """Denominator of a single-output network."""
        return self._single().G

    def __call__(self, x: object) -> np.ndarray:
        """Evaluate all outputs ``F_k − G_k``: shape (n, n_outputs) (or (n_outputs,)).

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> tropical_form(example_network("abs"))([[-2.0], [3.0]]).tolist()
        [[2.0], [3.0]]
        """
        if self.rationals is None:
            raise ValueError("the tropical form is incomplete (time limit reached)")
        cols = [np.atleast_1d(r(x)) for r in self.rationals]
        out = np.column_stack(cols)
        return out[0] if np.ndim(x) == 1 else out

    def evaluate_exact(self, x: object) -> list[Fraction]:
        """Exact values of all outputs at a rational point.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> tropical_form(example_network("abs"), exact=True).evaluate_exact([Fraction(-1, 3)])
        [Fraction(1, 3)]
        """
        return [r.evaluate_exact(x) for r in self._all()]

    def _all(self) -> tuple[TropicalRational, ...]:
        if self.rationals is None:
            raise ValueError("the tropical form is incomplete (time limit reached)")
        return self.rationals

    def n_pieces(self, k: int = 0, *, tol: Tolerance | None = None) -> int:
        """Number of linear pieces of output ``k`` on R^n.

        From the region complex when the form was read off it (``algorithm="regions"``,
        ``tol`` not given), else from the cells of ``F ⊙ G``.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> tropical_form(example_network("sawtooth")).n_pieces()
        6
        >>> tropical_form(example_network("sawtooth"), algorithm="regions").pieces
        (6,)
        """
        rationals = self._all()
        if self.pieces is not None and tol is None:
            return self.pieces[k]
        return rationals[k].n_pieces(tol=tol if tol is not None else self.tol)

    def to_network(self):
        """A ReLU network computing every output ``F_k − G_k``.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> net = tropical_form(example_network("three_pieces")).to_network()
        >>> net([[-1.0], [0.5], [2.0]]).ravel().tolist()
        [-4.0, -0.5, 2.0]
        """
        from ._convert import rationals_to_network

        return rationals_to_network(list(self._all()))

    def to_dict(self) -> dict:
        """JSON-ready summary: per output F, G (terms), counts, stats and tolerance.

        Examples
        --------
        >>> from relugeom.network import example_network
        >>> d = tropical_form(example_network("abs")).to_dict()
        >>> d["outputs"][0]["n_terms_F"], d["complete"]
        (2, True)
        """
        return {
            "exact": self.exact, "pruned": self.pruned, "complete": self.complete,
            "seconds": self.seconds, "tolerance": self.tol.as_dict(),
            "layers": [vars(s).copy() for s in self.layers],
            "outputs": [] if self.rationals is None else [r.to_dict() for r in self.rationals],
        }


def _split(W: np.ndarray, exact: bool):
    if exact:
        Wq = np.array([[to_fraction(float(v)) for v in row] for row in W], dtype=object)
        pos = np.where(W > 0, Wq, Fraction(0))
        neg = np.where(W < 0, -Wq, Fraction(0))
        return pos, neg
    return np.maximum(W, 0.0), np.maximum(-W, 0.0)


def _is_one(p: TropicalPolynomial) -> bool:
    """The tropical one (constant 0)."""
    Af, cf = p.float_arrays()
    return p.n_terms == 1 and not np.any(Af) and cf[0] == 0


def tropical_form(net, *, exact: bool = False, prune: bool = True,
                  method: PruneMethod | str = PruneMethod.AUTO, tol: Tolerance | None = None,
                  time_limit: float | None = None, max_terms: int = 2_000_000,
                  progress: bool = False, algorithm: FormAlgorithm | str = FormAlgorithm.AUTO
                  ) -> TropicalForm:
    r"""The tropical form ``f_k = F_k ⊘ G_k`` of a ReLU network, layer by layer.

    With ``W = W⁺ − W⁻`` and the layer input ``F − G``:
    ``H_i = b_i ⊙ ⨀_j F_j^{W⁺_ij} ⊙ ⨀_j G_j^{W⁻_ij}``,
    ``G'_i = ⨀_j F_j^{W⁻_ij} ⊙ ⨀_j G_j^{W⁺_ij}``, ``F'_i = H_i ⊕ G'_i`` on hidden layers
    and ``F'_i = H_i`` on the output layer, starting from ``F = x``, ``G = 0``
    (Zhang, Naitzat, Lim, ICML 2018). Every product and sum is pruned as it is formed, so no
    redundant term survives any layer.

    Parameters
    ----------
    net : ReLUNetwork
    exact : bool
        Exact rational coefficients and exponents (the float weights converted exactly).
    prune : bool
        Prune at every step (default). Without it only equal exponents are merged, and the
        term count grows exponentially (bounded by ``max_terms``).
    method : PruneMethod or str
        Pruning method (``"auto"``, ``"hull"``, ``"lp"``).
    tol : Tolerance, optional
    time_limit : float, optional
        Seconds; checked between products, an incomplete form is returned when exceeded.
    max_terms : int
        Without pruning, stop (incomplete) when one polynomial would exceed this many terms.
    progress : bool
        Show a progress bar over the neurons.
    algorithm : {"auto", "recursion", "regions"}
        ``"recursion"``: the pruned recursion above (Minkowski sums and upper hulls).
        ``"regions"``: enumerate the linear regions of ``R^n``
        (:func:`relugeom.regions.enumerate_regions`: the skeleton method on a certified box
        containing every vertex, or the LP traversal), run the recursion on affine maps with
        each region's activation pattern fixed (the active term of ``max(H_i, G'_i)`` is
        ``H_i`` exactly where neuron ``i`` is active), and keep the distinct maps: these are
        exactly the non-redundant terms (each is the unique maximum on an open set, which
        meets the interior of some region). Same result, cost linear in the number of
        regions; needs ``prune=True``; ``method`` (the pruning method) is not used. Layer
        statistics are computed the same way (same counts; each layer's ``seconds`` is an
        even share of the affine-map step, the region enumeration is only in ``seconds``).
        ``time_limit`` bounds the region enumeration (incomplete form when hit).
        ``"auto"`` (default): ``"regions"`` when ``prune`` is set and the last layer would
        have more than ``AUTO_REGIONS_THRESHOLD = 10**5`` unpruned terms, else
        ``"recursion"``.

    Returns
    -------
    TropicalForm

    Examples
    --------
    >>> from relugeom.network import example_network
    >>> form = tropical_form(example_network("three_pieces"))
    >>> sorted(form.F.terms()), sorted(form.G.terms())
    ([(0.0, (2.0,)), (0.0, (3.0,))], [(0.0, (2.0,)), (2.0, (0.0,))])
    >>> form3 = tropical_form(example_network("three_units"))
    >>> form3.F.n_terms, form3.G.terms()
    (7, [(0.0, (1.0, 1.0))])
    """
    from ..network import as_network

    net = as_network(net)
    method = PruneMethod(method)
    algorithm = FormAlgorithm(algorithm)
    t = resolve(tol)
    if algorithm is FormAlgorithm.REGIONS and not prune:
        raise ValueError("algorithm='regions' computes the pruned form; it needs prune=True")
    if algorithm is FormAlgorithm.AUTO:
        algorithm = FormAlgorithm.RECURSION
        if prune and _unpruned_counts(net)[-1] > AUTO_REGIONS_THRESHOLD:
            algorithm = FormAlgorithm.REGIONS
    if algorithm is FormAlgorithm.REGIONS:
        return _form_via_regions(net, exact=exact, tol=t, time_limit=time_limit, progress=progress)
    from tqdm.auto import tqdm

    if not net.is_dense_relu:
        return _graph_form(net, exact=exact, prune=prune, method=method, tol=t, time_limit=time_limit,
                           max_terms=max_terms, progress=progress)
    t0 = time.perf_counter()
    n = net.input_dim
    F = TropicalPolynomial.variables(n, exact=exact)
    G = [TropicalPolynomial.constant(0, n, exact=exact) for _ in range(n)]
    cnt_F = [1] * n  # unpruned term counts (exact integers)
    cnt_G = [1] * n
    stats: list[LayerStats] = []
    L = net.n_layers
    bar = tqdm(total=net.n_neurons + net.output_dim, disable=not progress, desc="tropical form")

    deadline = None if time_limit is None else t0 + time_limit

    def mult(factors: list[TropicalPolynomial]) -> TropicalPolynomial:
        factors = [f for f in factors if not _is_one(f)]
        if prune:
            return product(factors, n, exact=exact, tol=t, method=method, deadline=deadline)
        out = TropicalPolynomial.constant(0, n, exact=exact)
        for f in factors:
            if out.n_terms * f.n_terms > max_terms:
                raise _TooLarge
            out = out.otimes(f, tol=t)
        return out

    try:
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            tl = time.perf_counter()
            pos, neg = _split(W, exact)
            bq = [to_fraction(float(v)) for v in b] if exact else [float(v) for v in b]
            hidden = l < L - 1
            newF, newG, newcF, newcG = [], [], [], []
            for i in range(W.shape[0]):
                H, Gp, cH, cG = _affine_term(W[i], pos[i], neg[i], bq[i], F, G, cnt_F, cnt_G, mult, exact)
                if hidden:
                    Fi = H.oplus(Gp, prune=prune, tol=t)
                    if prune and method is not PruneMethod.AUTO:
                        Fi = Fi.prune(method=method, tol=t)
                    cF = min(cH + cG, COUNT_CAP)
                else:
                    Fi, cF = H, cH
                newF.append(Fi)
                newG.append(Gp)
                newcF.append(cF)
                newcG.append(cG)
                bar.update(1)
            F, G, cnt_F, cnt_G = newF, newG, newcF, newcG
            sizes = [p.n_terms for p in F + G]
            stats.append(LayerStats(l + 1, int(sum(cnt_F) + sum(cnt_G)), int(sum(sizes)), int(max(sizes)),
                                    time.perf_counter() - tl))
            log.info("layer %d: %d terms (unpruned %d) in %.2f s", l + 1, sum(sizes),
                     stats[-1].terms_unpruned, stats[-1].seconds)
            if deadline is not None and time.perf_counter() > deadline and l < L - 1:
                log.warning("tropical_form: time limit reached after layer %d of %d", l + 1, L)
                return TropicalForm(None, exact, prune, False, tuple(stats), time.perf_counter() - t0, t)
    except _TooLarge:
        log.warning("tropical_form: more than max_terms=%d terms without pruning", max_terms)
        return TropicalForm(None, exact, prune, False, tuple(stats), time.perf_counter() - t0, t)
    except TimeoutError:
        log.warning("tropical_form: time limit reached in layer %d of %d", len(stats) + 1, L)
        return TropicalForm(None, exact, prune, False, tuple(stats), time.perf_counter() - t0, t)
    finally:
        bar.close()
    rationals = tuple(TropicalRational(Fi, Gi) for Fi, Gi in zip(F, G))
    return TropicalForm(rationals, exact, prune, True, tuple(stats), time.perf_counter() - t0, t)


class _TooLarge(Exception):
    pass


#: unpruned term counts saturate here (an exact count of more terms than this says nothing
#: more, and the exact integers grow doubly exponentially with depth)
COUNT_CAP = 2 ** 4096


def _capped_prod(values) -> int:
    """Product of term counts, exact below :data:`COUNT_CAP` and saturated at it.

    Examples
    --------
    >>> _capped_prod([2, 3]), _capped_prod([COUNT_CAP, 2]) == COUNT_CAP
    (6, True)
    """
    out = 1
    for v in values:
        out *= int(v)
        if out >= COUNT_CAP:
            return COUNT_CAP
    return out


def _affine_term(w, pos, neg, c, F, G, cF, cG, mult, exact: bool):
    """One row ``w`` of an affine step: ``(H, G', unpruned counts of H and G')``.

    ``H = c ⊙ ⨀_j F_j^{w⁺_j} ⊙ ⨀_j G_j^{w⁻_j}`` and ``G' = ⨀_j F_j^{w⁻_j} ⊙ ⨀_j G_j^{w⁺_j}``.
    """
    jp = np.flatnonzero(w > 0)
    jn = np.flatnonzero(w < 0)
    Gp = mult([F[j].power(neg[j]) for j in jn] + [G[j].power(pos[j]) for j in jp])
    H = mult([F[j].power(pos[j]) for j in jp] + [G[j].power(neg[j]) for j in jn])
    H = TropicalPolynomial.from_arrays(H.exponents, H.coefficients + c, exact=exact)
    return (H, Gp, _capped_prod([cF[j] for j in jp] + [cG[j] for j in jn]),
            _capped_prod([cF[j] for j in jn] + [cG[j] for j in jp]))


def _matrix_split(M: np.ndarray, c: np.ndarray, exact: bool):
    """``M = M⁺ − M⁻`` and the constant, exactly (Fractions) or in floats."""
    pos, neg = _split(M, exact)
    cq = [to_fraction(float(v)) for v in c] if exact else [float(v) for v in c]
    return pos, neg, cq


def _graph_form(net, *, exact: bool, prune: bool, method: PruneMethod, tol: Tolerance,
                time_limit: float | None, max_terms: int, progress: bool) -> TropicalForm:
    """The recursion on the lowered program of a general network.

    Every register holds one pair ``(F_i, G_i)`` per entry with value ``F_i − G_i``. An
    affine operation ``y = M x + c`` gives ``H = c ⊙ ⨀ F^{M⁺} ⊙ ⨀ G^{M⁻}`` and
    ``G' = ⨀ F^{M⁻} ⊙ ⨀ G^{M⁺}``; a ReLU gives ``(F ⊕ G, G)``. A max unit, lowered to
    ``m + relu(a − m)``, becomes a max of tropical terms. One :class:`LayerStats` per level
    (after its ReLUs) and one for the output.
    """
    from tqdm.auto import tqdm

    from ..network import _program as P

    t0 = time.perf_counter()
    prog = net.program
    n = net.input_dim
    deadline = None if time_limit is None else t0 + time_limit
    one = TropicalPolynomial.constant(0, n, exact=exact)
    regs: list = [None] * (len(prog.ops) + 1)
    cnts: list = [None] * (len(prog.ops) + 1)
    regs[0] = (TropicalPolynomial.variables(n, exact=exact), [one] * n)
    cnts[0] = ([1] * n, [1] * n)
    stats: list[LayerStats] = []
    level_done = {i: prog.ops[i].level for i in prog.relus}
    last_of_level = {}
    for i in prog.relus:
        last_of_level[prog.ops[i].level] = i
    tl = time.perf_counter()
    bar = tqdm(total=len(prog.ops), disable=not progress, desc="tropical form")

    def mult(factors):
        factors = [f for f in factors if not _is_one(f)]
        if prune:
            return product(factors, n, exact=exact, tol=tol, method=method, deadline=deadline)
        out = one
        for f in factors:
            if out.n_terms * f.n_terms > max_terms:
                raise _TooLarge
            out = out.otimes(f, tol=tol)
        return out

    def record(label, F, G, cF, cG):
        nonlocal tl
        sizes = [p.n_terms for p in F + G] or [0]
        stats.append(LayerStats(label, int(sum(cF) + sum(cG)), int(sum(sizes)), int(max(sizes)),
                                time.perf_counter() - tl))
        tl = time.perf_counter()

    try:
        for i, op in enumerate(prog.ops):
            if deadline is not None and time.perf_counter() > deadline:
                raise TimeoutError
            if isinstance(op, P.Relu):
                F, G = regs[op.inputs[0]]
                cF, cG = cnts[op.inputs[0]]
                Fn = [f.oplus(g, prune=prune, tol=tol) for f, g in zip(F, G)]
                if prune and method is not PruneMethod.AUTO:
                    Fn = [f.prune(method=method, tol=tol) for f in Fn]
                regs[i + 1] = (Fn, list(G))
                cnts[i + 1] = ([min(a + b, COUNT_CAP) for a, b in zip(cF, cG)], list(cG))
            else:
                M, c = prog.op_matrix(i)
                pos, neg, cq = _matrix_split(M, c, exact)
                F = [p for r in op.inputs for p in regs[r][0]]
                G = [p for r in op.inputs for p in regs[r][1]]
                cF = [v for r in op.inputs for v in cnts[r][0]]
                cG = [v for r in op.inputs for v in cnts[r][1]]
                Fn, Gn, ncF, ncG = [], [], [], []
                for k in range(M.shape[0]):
                    H, Gp, cH, cG = _affine_term(M[k], pos[k], neg[k], cq[k], F, G, cF, cG, mult, exact)
                    Fn.append(H)
                    Gn.append(Gp)
                    ncF.append(cH)
                    ncG.append(cG)
                regs[i + 1] = (Fn, Gn)
                cnts[i + 1] = (ncF, ncG)
            for r in op.inputs:
                if prog.last_use[r] == i and r != prog.output:
                    regs[r] = cnts[r] = None
            if i in level_done and last_of_level.get(level_done[i]) == i:
                allF = [p for q in range(i + 2) if regs[q] is not None for p in regs[q][0]]
                allG = [p for q in range(i + 2) if regs[q] is not None for p in regs[q][1]]
                acF = [v for q in range(i + 2) if cnts[q] is not None for v in cnts[q][0]]
                acG = [v for q in range(i + 2) if cnts[q] is not None for v in cnts[q][1]]
                record(len(stats) + 1, allF, allG, acF, acG)
            bar.update(1)
        F, G = regs[prog.output]
        record(len(stats) + 1, F, G, *cnts[prog.output])
    except _TooLarge:
        log.warning("tropical_form: more than max_terms=%d terms without pruning", max_terms)
        return TropicalForm(None, exact, prune, False, tuple(stats), time.perf_counter() - t0, tol)
    except TimeoutError:
        log.warning("tropical_form: time limit reached after %d levels", len(stats))
        return TropicalForm(None, exact, prune, False, tuple(stats), time.perf_counter() - t0, tol)
    finally:
        bar.close()
    rationals = tuple(TropicalRational(Fi, Gi) for Fi, Gi in zip(F, G))
    return TropicalForm(rationals, exact, prune, True, tuple(stats), time.perf_counter() - t0, tol)


def _unpruned_counts(net) -> list[int]:
    """Exact unpruned term count (all F'_i and G'_i) of every layer of the recursion."""
    if not net.is_dense_relu:
        return _graph_unpruned_counts(net)
    cF = [1] * net.input_dim
    cG = [1] * net.input_dim
    out = []
    L = net.n_layers
    for l, W in enumerate(net.weights):
        nF, nG = [], []
        for i in range(W.shape[0]):
            jp = np.flatnonzero(W[i] > 0)
            jn = np.flatnonzero(W[i] < 0)
            cH = _capped_prod([cF[j] for j in jp] + [cG[j] for j in jn])
            cg = _capped_prod([cF[j] for j in jn] + [cG[j] for j in jp])
            nF.append(min(cH + cg, COUNT_CAP) if l < L - 1 else cH)
            nG.append(cg)
        cF, cG = nF, nG
        out.append(int(sum(cF) + sum(cG)))
    return out


def _graph_unpruned_counts(net) -> list[int]:
    """Unpruned term counts on a general network's program (one entry per level and output)."""
    from ..network import _program as P

    prog = net.program
    cnts: list = [None] * (len(prog.ops) + 1)
    cnts[0] = ([1] * net.input_dim, [1] * net.input_dim)
    out = []
    last = {prog.ops[i].level: i for i in prog.relus}
    for i, op in enumerate(prog.ops):
        if isinstance(op, P.Relu):
            cF, cG = cnts[op.inputs[0]]
            cnts[i + 1] = ([min(a + b, COUNT_CAP) for a, b in zip(cF, cG)], list(cG))
            if last.get(op.level) == i:
                out.append(int(sum(sum(c[0]) + sum(c[1]) for c in cnts[: i + 2] if c is not None)))
            continue
        M, _ = prog.op_matrix(i)
        cF = [v for r in op.inputs for v in cnts[r][0]]
        cG = [v for r in op.inputs for v in cnts[r][1]]
        nF, nG = [], []
        for k in range(M.shape[0]):
            jp, jn = np.flatnonzero(M[k] > 0), np.flatnonzero(M[k] < 0)
            nF.append(_capped_prod([cF[j] for j in jp] + [cG[j] for j in jn]))
            nG.append(_capped_prod([cF[j] for j in jn] + [cG[j] for j in jp]))
        cnts[i + 1] = (nF, nG)
    out.append(int(sum(cnts[prog.output][0]) + sum(cnts[prog.output][1])))
    return out


def _form_via_regions(net, *, exact: bool, tol: Tolerance, time_limit: float | None,
                      progress: bool) -> TropicalForm:
    from ..regions import enumerate_regions
    from ._via_regions import form_polys_from_patterns

    t0 = time.perf_counter()
    cx = enumerate_regions(net, "unbounded", tol=tol, time_limit=time_limit, progress=progress,
                           merge_units=False)  # the active terms change at every neuron
    t_reg = time.perf_counter() - t0
    log.info("tropical_form (regions): %d regions in %.2f s", cx.n_regions, t_reg)
    if not cx.complete:
        log.warning("tropical_form: region enumeration incomplete (%s)", cx.reason)
        return TropicalForm(None, exact, True, False, (), time.perf_counter() - t0, tol)
    t1 = time.perf_counter()
    polys, layers = form_polys_from_patterns(net, cx.patterns, exact=exact, tol=tol)
    unpruned = _unpruned_counts(net)
    dt = (time.perf_counter() - t1) / max(1, len(layers))
    stats = tuple(LayerStats(l + 1, unpruned[l], terms, mx, dt) for l, (terms, mx) in enumerate(layers))
    rationals = tuple(TropicalRational(F, G) for F, G in polys)
    pieces = tuple(cx.n_linear_pieces(k) for k in range(net.output_dim))
    return TropicalForm(rationals, exact, True, True, stats, time.perf_counter() - t0, tol, pieces)
