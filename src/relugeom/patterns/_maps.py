r"""Pattern matrices and the pattern maps φ^A and φ_X^A as polynomial parametrizations.

For a pattern assignment ``A`` with blocks ``b = 1, …, k`` the *pattern matrix* of block
``b`` is

.. math:: M_b(θ) = W_L D^{(b)}_{L-1} W_{L-1} \cdots D^{(b)}_1 W_1,

``D^{(b)}_l = diag(d^{(b)}_l)``. The pattern map is ``φ^A: θ ↦ [M_1 | … | M_k]`` with
outputs ``m_b_i_j`` (entry ``(i, j)`` of ``M_b``, all indices from 1, blocks in order, each
block row-major); the output map for data blocks ``X_b`` (``n_0 × n_b``, points as columns)
is ``φ_X^A: θ ↦ [M_1 X_1 | … | M_k X_k]`` with outputs ``y_b_i_j``.

Parameters ``θ`` are ordered layer by layer: ``W_1`` row-major (names ``w1_i_j``), then
``b_1`` if present (``b1_i``), then ``W_2``, ``b_2``, …

Biases (:class:`BiasMode`)
--------------------------
``"none"`` (default, as in the literature)
    Bias-free; every output is a homogeneous polynomial of degree ``L`` in θ.
``"first"``
    First-layer biases through a constant input coordinate: ``M_b`` gets an extra last
    column (index ``n_0 + 1``), the map is the bias-free map of a network with input
    ``(x, 1)``; still homogeneous.
``"all"``
    Also ``b_2, …, b_L`` as extra parameters. The last column of ``M_b`` is the offset
    ``c_b`` of the affine map ``x ↦ M_b[:, :n_0] x + c_b``; its entries are inhomogeneous
    in θ (mixed degrees); the image is still a cone (scale ``W_L`` and ``b_L``), so the
    ideal is homogeneous in the outputs, and the torus grading below still holds.

Grading
-------
``deg m_b_i_j = (e_i, e_j) ∈ Z^{n_L} × Z^{c}`` (``c`` = number of columns of ``M_b``): the
map is equivariant for scaling the rows of ``W_L`` and the columns of ``W_1`` (with biases:
the constant coordinate). ``φ_X^A`` keeps only the row grading ``Z^{n_L}``.
"""

from __future__ import annotations

import logging
from enum import Enum
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from ._assignment import PatternAssignment
from ._modp import check_prime, fractions_mod, matmul_mod

from ..algebra._param import Parametrization as _Base
from .._validation import as_points

log = logging.getLogger(__name__)

__all__ = ["BiasMode", "ParameterLayout", "PatternMap", "OutputMap", "pattern_matrices", "PatternSymmetry"]


class BiasMode(str, Enum):
    """How biases enter the parameter space (see the module docstring)."""

    NONE = "none"
    FIRST = "first"
    ALL = "all"


# ----------------------------------------------------------------------------- layout
class ParameterLayout:
    """Where every weight and bias sits in the flat parameter vector θ.

    θ lists ``W_1`` (row by row), then ``b_1`` if present, then ``W_2``, ``b_2``, … — the order
    of :attr:`names` (``w{l}_{i}_{j}``, ``b{l}_{i}``, 1-based), shared by every pattern and
    output map and by :func:`theta_from_network`.

    Parameters
    ----------
    widths : sequence of int
        ``(n_0, …, n_L)``.
    bias : BiasMode or str
        ``"none"``, ``"first"`` (first-layer biases) or ``"all"``.

    Examples
    --------
    >>> lay = ParameterLayout((2, 1, 1), "first")
    >>> lay.n_params, lay.names
    (4, ('w1_1_1', 'w1_1_2', 'b1_1', 'w2_1_1'))
    >>> Ws, bs = lay.split(np.arange(4.0)[None, :])
    >>> Ws[0].tolist(), bs[0].tolist(), bs[1]
    ([[[0.0, 1.0]]], [[2.0]], None)
    """

    def __init__(self, widths: Sequence[int], bias: BiasMode | str = BiasMode.NONE):
        widths = tuple(int(w) for w in widths)
        bias = BiasMode(bias)
        self.widths = widths
        self.bias = bias
        self.L = len(widths) - 1
        self.has_col = bias is not BiasMode.NONE
        self.ncols = widths[0] + (1 if self.has_col else 0)
        names: list[str] = []
        self.W_slices: list[tuple[int, int]] = []
        self.b_slices: list[tuple[int, int] | None] = []
        pos = 0
        for l in range(1, self.L + 1):
            n_out, n_in = widths[l], widths[l - 1]
            self.W_slices.append((pos, pos + n_out * n_in))
            names += [f"w{l}_{i}_{j}" for i in range(1, n_out + 1) for j in range(1, n_in + 1)]
            pos += n_out * n_in
            if bias is BiasMode.ALL or (bias is BiasMode.FIRST and l == 1):
                self.b_slices.append((pos, pos + n_out))
                names += [f"b{l}_{i}" for i in range(1, n_out + 1)]
                pos += n_out
            else:
                self.b_slices.append(None)
        self.names = tuple(names)
        self.n_params = pos

    def split(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Batched θ (n, P) -> lists of W_l (n, n_l, n_{l-1}) and b_l (n, n_l) or None.

        Examples
        --------
        >>> Ws, bs = ParameterLayout((1, 2, 1), "none").split(np.array([[1.0, 2.0, 3.0, 4.0]]))
        >>> Ws[1].tolist(), bs
        ([[[3.0, 4.0]]], [None, None])
        """
        n = theta.shape[0]
        Ws, bs = [], []
        for l in range(1, self.L + 1):
            s, e = self.W_slices[l - 1]
            Ws.append(theta[:, s:e].reshape(n, self.widths[l], self.widths[l - 1]))
            bsl = self.b_slices[l - 1]
            bs.append(None if bsl is None else theta[:, bsl[0]:bsl[1]])
        return Ws, bs

    def index_matrices(self) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Parameter index of every weight (as matrices) and bias (as vectors).

        Examples
        --------
        >>> Ws, bs = ParameterLayout((1, 2, 1), "all").index_matrices()
        >>> Ws[0].ravel().tolist(), bs[0].tolist(), Ws[1].tolist(), bs[1].tolist()
        ([0, 1], [2, 3], [[4, 5]], [6])
        """
        idx = np.arange(self.n_params)[None, :]
        Ws, bs = self.split(idx)
        return [W[0] for W in Ws], [None if b is None else b[0] for b in bs]


def _products(Ws: list[np.ndarray], bs: list[np.ndarray | None], actives: list[np.ndarray],
              ncols: int, has_col: bool, mm: Callable, add: Callable, zeros: Callable) -> np.ndarray:
    """The pattern matrix of one block for a batch: (n, n_L, ncols). Generic arithmetic."""
    W1, b1 = Ws[0], bs[0]
    a = actives[0]
    H = W1[:, a, :]
    if has_col:
        col = b1[:, a][:, :, None] if b1 is not None else zeros(H.shape[:2] + (1,))
        H = np.concatenate([H, col], axis=2)
    for l in range(1, len(Ws)):
        W, b = Ws[l], bs[l]
        prev = actives[l - 1]
        if l < len(Ws) - 1:
            cur = actives[l]
            H = mm(W[:, cur][:, :, prev], H)
            if b is not None:
                H[:, :, -1] = add(H[:, :, -1], b[:, cur])
        else:
            H = mm(W[:, :, prev], H)
            if b is not None:
                H[:, :, -1] = add(H[:, :, -1], b)
    return H


class _PatternBase(_Base):  # type: ignore[misc,valid-type]
    """Shared machinery of :class:`PatternMap` and :class:`OutputMap`."""

    _prefix = "m"

    def output_exponents(self) -> list[np.ndarray]:
        """Exponent vectors of every output polynomial: list of (n_terms, n_params) arrays.

        Each term of ``m_b_i_j`` is one path ``j → k_1 → … → k_{L-1} → i`` through active
        neurons (plus the bias paths); read directly off the flint polynomials (shared by
        :class:`PatternMap` and :class:`OutputMap`).

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 2, 1), [[1, 1]])).output_exponents()[0].tolist()
        [[1, 0, 1, 0], [0, 1, 0, 1]]
        """
        out = []
        for f in self.polynomials():
            ms = f.monoms()
            out.append(np.array(ms, dtype=np.int64).reshape(len(ms), self.n_params))
        return out

    def __init__(self, assignment: PatternAssignment, *, bias: BiasMode | str = BiasMode.NONE):
        bias = BiasMode(bias)
        if not isinstance(assignment, PatternAssignment):
            raise TypeError(f"assignment must be a PatternAssignment; got {type(assignment).__name__}")
        self.assignment = assignment
        self.bias = bias
        self._layout = ParameterLayout(assignment.widths, bias)
        self._actives = [[np.flatnonzero(p) for p in assignment.layers(b)] for b in range(assignment.n_blocks)]

    # ------------------------------------------------------------- interface
    @property
    def n_params(self) -> int:
        """Number of parameters (weights and biases)."""
        return self._layout.n_params

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names ``w{l}_{i}_{j}`` and ``b{l}_{i}`` (from 1)."""
        return self._layout.names

    @property
    def n_outputs(self) -> int:
        """Number of output coordinates."""
        return len(self.output_names)

    @property
    def homogeneous(self) -> bool:
        """Always True: the ideal of the image is homogeneous in the output variables.

        Every output has exactly one row degree ``e_i``, so the standard degree is the sum
        of the row grading; the image is a cone (scale ``W_L`` and, with biases, ``b_L``)
        even when deeper biases make the coordinate polynomials inhomogeneous in θ.
        """
        return True

    @property
    def ncols(self) -> int:
        """Columns of each ``M_b``: ``n_0`` (+1 with biases)."""
        return self._layout.ncols

    # ------------------------------------------------------------ matrices
    def _matrices_generic(self, Ws, bs, mm, add, zeros) -> list[np.ndarray]:
        return [_products(Ws, bs, act, self.ncols, self._layout.has_col, mm, add, zeros)
                for act in self._actives]

    def matrices(self, theta: object) -> list[np.ndarray]:
        """The pattern matrices ``M_b(θ)`` for a batch: list of (n, n_L, ncols) float arrays.

        Examples
        --------
        >>> A = PatternAssignment((1, 2, 1), [[1, 0], [1, 1]])
        >>> [M.tolist() for M in PatternMap(A).matrices([2.0, 3.0, 5.0, 7.0])]
        [[[10.0]], [[31.0]]]
        """
        th, single = as_points(theta, self.n_params, name="theta", dtype=float)
        Ws, bs = self._layout.split(th)
        Ms = self._matrices_generic(Ws, bs, np.matmul, np.add, np.zeros)
        return [M[0] for M in Ms] if single else Ms

    def matrices_mod_p(self, theta: object, p: int) -> list[np.ndarray]:
        """The pattern matrices modulo ``p`` for a batch of int64 θ (entries in [0, p)).

        Examples
        --------
        >>> A = PatternAssignment((1, 2, 1), [[1, 1]])
        >>> PatternMap(A).matrices_mod_p([[2, 3, 5, 7]], 11)[0].tolist()
        [[[9]]]
        """
        p = check_prime(p)
        th, _ = as_points(theta, self.n_params, name="theta", dtype=np.int64)
        th = th % p
        Ws, bs = self._layout.split(th)
        return self._matrices_generic(
            Ws, bs, lambda A, B: matmul_mod(A, B, p), lambda x, y: (x + y) % p,
            lambda s: np.zeros(s, dtype=np.int64))

    def matrices_exact(self, theta: Sequence[object]) -> list[np.ndarray]:
        """The pattern matrices at one rational θ, as object arrays of Fractions (n_L, ncols).

        Examples
        --------
        >>> A = PatternAssignment((1, 2, 1), [[1, 0]])
        >>> PatternMap(A).matrices_exact([Fraction(1, 2), 3, 5, 7])[0].tolist()
        [[Fraction(5, 2)]]
        """
        th = np.array([[Fraction(v) for v in theta]], dtype=object)
        if th.shape[1] != self.n_params:
            raise ValueError(f"theta must have {self.n_params} entries; got {th.shape[1]}")
        Ws, bs = self._layout.split(th)
        zeros = lambda s: np.full(s, Fraction(0), dtype=object)  # noqa: E731
        Ms = self._matrices_generic(Ws, bs, _mm_object(Fraction(0)), np.add, zeros)
        return [M[0] for M in Ms]

    def matrices_symbolic(self) -> list[np.ndarray]:
        """The pattern matrices as object arrays of flint ``fmpq_mpoly`` in ``param_names``.

        Examples
        --------
        >>> A = PatternAssignment((1, 2, 1), [[1, 1]])
        >>> str(PatternMap(A).matrices_symbolic()[0][0, 0])
        'w1_1_1*w2_1_1 + w1_2_1*w2_1_2'
        """
        ctx = self.param_ring()
        gens = np.empty((1, self.n_params), dtype=object)
        for i, g in enumerate(ctx.gens()):
            gens[0, i] = g
        Ws, bs = self._layout.split(gens)
        zero = ctx.from_dict({})
        zeros = lambda s: obj_full(s, zero)  # noqa: E731
        Ms = self._matrices_generic(Ws, bs, _mm_object(zero), np.add, zeros)
        return [M[0] for M in Ms]

    def param_ring(self):
        """The flint ``fmpq_mpoly_ctx`` of the parameters (degrevlex).

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).param_ring().nvars()
        2
        """
        import flint

        return flint.fmpq_mpoly_ctx.get(self.param_names, "degrevlex")

    def output_ring(self):
        """The flint ``fmpq_mpoly_ctx`` of the output coordinates (degrevlex).

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).output_ring().names()
        ('m_1_1_1',)
        """
        import flint

        return flint.fmpq_mpoly_ctx.get(self.output_names, "degrevlex")

    # ---------------------------------------------------------- jacobians
    def _jacobian_generic(self, Ws, bs, mm, outer, zeros, eye) -> np.ndarray:
        """Jacobian (n_outputs_M, n_params) of the matrices [M_1 | ... | M_k] at one θ."""
        lay = self._layout
        L = lay.L
        Widx, bidx = lay.index_matrices()
        W = [w[0] for w in Ws]
        b = [None if v is None else v[0] for v in bs]
        nL, c = self.assignment.widths[-1], self.ncols
        n0 = self.assignment.widths[0]
        blocks = []
        for act in self._actives:
            masks = []
            for l, a in enumerate(act):
                m = np.zeros(self.assignment.widths[l + 1], dtype=bool)
                m[a] = True
                masks.append(m)
            # forward: Q_l = input to layer l (n_{l-1} x c)
            Q = []
            if lay.has_col:
                Qc = zeros((n0, c))
                Qc[:, :n0] = eye(n0)
                W1 = np.concatenate([W[0], b[0][:, None] if b[0] is not None else zeros((W[0].shape[0], 1))], axis=1)
            else:
                Qc = eye(n0)
                W1 = W[0]
            Q.append(Qc)
            H = W1.copy() if lay.has_col else W1
            for l in range(1, L):
                Qn = H * masks[l - 1][:, None]
                Q.append(Qn)
                H = mm(W[l], Qn)
                if b[l] is not None:
                    H = H.copy()
                    H[:, -1] = H[:, -1] + b[l]
            # backward: P_l (n_L x n_l), P_L = I
            P = [None] * L
            P[L - 1] = eye(nL)
            for l in range(L - 2, -1, -1):
                P[l] = mm(P[l + 1], W[l + 1]) * masks[l][None, :]
            J = zeros((nL, c, lay.n_params))
            for l in range(L):
                if l == 0:
                    # dM/dW1[a, j] = P_0[:, a] * Q_0-ish: with a column the derivative of W1aug
                    blk = outer(P[0], eye(c) if lay.has_col else eye(n0))  # (nL, c, n1, c)
                    J[:, :, Widx[0].ravel()] = blk[:, :, :, :n0].reshape(nL, c, -1)
                    if bidx[0] is not None:
                        J[:, :, bidx[0]] = blk[:, :, :, n0]
                else:
                    blk = outer(P[l], Q[l])  # (nL, c, n_l, n_{l-1}) with [i, j, a, k] = P[i,a] Q[k,j]
                    J[:, :, Widx[l].ravel()] = blk.reshape(nL, c, -1)
                    if bidx[l] is not None:
                        e = zeros((c,))
                        e[-1] = 1
                        J[:, :, bidx[l]] = outer(P[l], e[None, :])[:, :, :, 0]
            blocks.append(J.reshape(nL * c, lay.n_params))
        return np.concatenate(blocks, axis=0)

    def _jac_M(self, theta: object) -> np.ndarray:
        th, _ = as_points(theta, self.n_params, name="theta", dtype=float)
        if th.shape[0] != 1:
            raise ValueError("jacobian takes one parameter vector")
        Ws, bs = self._layout.split(th)
        return self._jacobian_generic(
            Ws, bs, np.matmul, lambda P, Q: np.einsum("ia,kj->ijak", P, Q), np.zeros, np.eye)

    def _jac_M_mod_p(self, theta: object, p: int) -> np.ndarray:
        p = check_prime(p)
        th, _ = as_points(theta, self.n_params, name="theta", dtype=np.int64)
        if th.shape[0] != 1:
            raise ValueError("jacobian_mod_p takes one parameter vector")
        th = th % p
        Ws, bs = self._layout.split(th)
        return self._jacobian_generic(
            Ws, bs, lambda A, B: matmul_mod(A, B, p),
            lambda P, Q: np.einsum("ia,kj->ijak", P, Q) % p,
            lambda s: np.zeros(s, dtype=np.int64), lambda n: np.eye(n, dtype=np.int64)) % p


def obj_full(shape: tuple, value: object) -> np.ndarray:
    """An object array filled with one Python object (numpy would try to iterate polynomials)."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = value
    return out


def _mm_object(zero: object) -> Callable:
    """Batched matrix product for object arrays (Fractions, flint polynomials)."""

    def mm(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        n, a, k = A.shape
        c = B.shape[-1]
        out = np.empty((n, a, c), dtype=object)
        for t in range(n):
            for i in range(a):
                for j in range(c):
                    s = zero
                    for q in range(k):
                        s = s + A[t, i, q] * B[t, q, j]
                    out[t, i, j] = s
        return out

    return mm


# ============================================================================ φ^A
class PatternMap(_PatternBase):
    r"""The pattern map ``φ^A: θ ↦ [M_1(θ) | … | M_k(θ)]`` as a polynomial parametrization.

    Parameters
    ----------
    assignment : PatternAssignment
    bias : BiasMode or str
        ``"none"`` (default), ``"first"`` or ``"all"``; see the module docstring.

    Notes
    -----
    Outputs are named ``m_b_i_j`` (block, row, column; from 1). All evaluators are batched
    over rows of θ; ``evaluate_mod_p`` multiplies int64 matrices modulo ``p < 2**31``.

    Examples
    --------
    >>> A = PatternAssignment((2, 2, 2), [[1, 0], [1, 1]])
    >>> phi = PatternMap(A)
    >>> phi.n_params, phi.n_outputs, phi.output_names[:3]
    (8, 8, ('m_1_1_1', 'm_1_1_2', 'm_1_2_1'))
    >>> phi.evaluate(np.ones((1, 8))).tolist()
    [[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]]
    """

    def __init__(self, assignment: PatternAssignment, *, bias: BiasMode | str = BiasMode.NONE):
        super().__init__(assignment, bias=bias)
        nL, c = assignment.widths[-1], self.ncols
        self._output_names = tuple(
            f"m_{b}_{i}_{j}" for b in range(1, assignment.n_blocks + 1)
            for i in range(1, nL + 1) for j in range(1, c + 1))

    @property
    def output_names(self) -> tuple[str, ...]:
        """``m_b_i_j`` for every block, row and column (from 1)."""
        return self._output_names

    def __repr__(self) -> str:
        return f"PatternMap({self.assignment!r}, bias={self.bias.value!r})"

    def evaluate(self, theta: object) -> np.ndarray:
        """Outputs at a batch of float parameters: (n, n_params) -> (n, n_outputs).

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).evaluate([[2.0, 3.0]]).tolist()
        [[6.0]]
        """
        th, single = as_points(theta, self.n_params, name="theta", dtype=float)
        Ms = self.matrices(th)
        out = np.concatenate([M.reshape(th.shape[0], -1) for M in Ms], axis=1)
        return out[0] if single else out

    def evaluate_mod_p(self, theta: object, p: int) -> np.ndarray:
        """Outputs modulo ``p`` at a batch of int64 parameters.

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).evaluate_mod_p([[2, 3]], 5).tolist()
        [[1]]
        """
        th, single = as_points(theta, self.n_params, name="theta", dtype=np.int64)
        Ms = self.matrices_mod_p(th, p)
        out = np.concatenate([M.reshape(th.shape[0], -1) for M in Ms], axis=1)
        return out[0] if single else out

    def evaluate_exact(self, theta: Sequence[object]) -> list[Fraction]:
        """Outputs at one rational parameter vector, exactly.

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).evaluate_exact([Fraction(1, 3), 3])
        [Fraction(1, 1)]
        """
        return [v for M in self.matrices_exact(theta) for v in M.ravel()]

    def jacobian(self, theta: object) -> np.ndarray:
        """The Jacobian (n_outputs, n_params) at one float θ.

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).jacobian([2.0, 3.0]).tolist()
        [[3.0, 2.0]]
        """
        return self._jac_M(theta)

    def jacobian_mod_p(self, theta: object, p: int) -> np.ndarray:
        """The Jacobian modulo ``p`` at one int64 θ.

        Examples
        --------
        >>> PatternMap(PatternAssignment((1, 1, 1), [[1]])).jacobian_mod_p([2, 3], 5).tolist()
        [[3, 2]]
        """
        return self._jac_M_mod_p(theta, p)

    def polynomials(self) -> list:
        """The output coordinates as flint ``fmpq_mpoly`` in the ring of ``param_names``.

        Examples
        --------
        >>> [str(f) for f in PatternMap(PatternAssignment((1, 2, 1), [[1, 0]])).polynomials()]
        ['w1_1_1*w2_1_1']
        """
        return [f for M in self.matrices_symbolic() for f in M.ravel()]

    def grading(self) -> np.ndarray:
        """Multidegrees ``deg m_b_i_j = (e_i, e_j)`` in ``Z^{n_L} × Z^{ncols}``: int (n_outputs, n_L + ncols).

        Examples
        --------
        >>> PatternMap(PatternAssignment((2, 1, 2), [[1]])).grading()[1].tolist()
        [1, 0, 0, 1]
        """
        nL, c, k = self.assignment.widths[-1], self.ncols, self.assignment.n_blocks
        G = np.zeros((k, nL, c, nL + c), dtype=np.int64)
        for i in range(nL):
            G[:, i, :, i] = 1
        for j in range(c):
            G[:, :, j, nL + j] = 1
        return G.reshape(k * nL * c, nL + c)

    def symmetry(self) -> "PatternSymmetry":
        """The row/column permutation symmetry of the pattern variety (see :class:`PatternSymmetry`).

        Examples
        --------
        >>> PatternMap(PatternAssignment((2, 1, 2), [[1]])).symmetry().group_order   # rows, columns, transpose
        8
        """
        A = self.assignment
        # with deeper biases the offset column is not interchangeable with the data columns
        return PatternSymmetry(A.n_blocks, A.widths[-1], self.ncols, permute_columns=self.bias is not BiasMode.ALL,
                               transpose=A.shallow and self.bias is BiasMode.NONE and A.widths[0] == A.widths[-1])

    def matrix_of(self, values: Sequence[object], b: int) -> np.ndarray:
        """Reshape an output vector's block ``b`` (from 0) into the matrix ``M_b`` (object array).

        Examples
        --------
        >>> PatternMap(PatternAssignment((2, 1, 2), [[1], [0]])).matrix_of(list(range(8)), 1).tolist()
        [[4, 5], [6, 7]]
        """
        nL, c = self.assignment.widths[-1], self.ncols
        vals = list(values)
        v = np.empty(len(vals), dtype=object)
        for i, x in enumerate(vals):
            v[i] = x
        return v[b * nL * c:(b + 1) * nL * c].reshape(nL, c)


def pattern_matrices(assignment: PatternAssignment, theta: object, *,
                     bias: BiasMode | str = BiasMode.NONE) -> list[np.ndarray]:
    """The pattern matrices ``M_b(θ)`` (float) of an assignment; see :class:`PatternMap`.

    ``theta`` may be a flat parameter vector or a :class:`~relugeom.network.ReLUNetwork`
    (whose weights — and, for ``bias="first"``/``"all"``, biases — are used).

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> net = ReLUNetwork([[[1.0], [2.0]], [[3.0, 4.0]]])
    >>> [M.tolist() for M in pattern_matrices(PatternAssignment((1, 2, 1), [[1, 0], [1, 1]]), net)]
    [[[3.0]], [[11.0]]]
    """
    phi = PatternMap(assignment, bias=bias)
    return phi.matrices(theta_from_network(theta, phi.bias) if hasattr(theta, "weights") else theta)


def theta_from_network(net: object, bias: BiasMode | str = BiasMode.NONE) -> np.ndarray:
    """The flat parameter vector θ of a ReLUNetwork in the layout of the pattern maps.

    With ``bias="none"`` the network's biases are ignored (must be zero for the maps to
    describe it); ``"first"`` keeps ``b_1``; ``"all"`` keeps every bias.

    Examples
    --------
    >>> from relugeom.network import ReLUNetwork
    >>> theta_from_network(ReLUNetwork([[[1.0], [2.0]], [[3.0, 4.0]]], [[5.0, 6.0], [7.0]]), "first").tolist()
    [1.0, 2.0, 5.0, 6.0, 3.0, 4.0]
    """
    from ..network import as_relu_network

    net = as_relu_network(net, what="parameter vectors θ")
    bias = BiasMode(bias)
    parts = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        parts.append(np.asarray(W, dtype=float).ravel())
        if bias is BiasMode.ALL or (bias is BiasMode.FIRST and l == 0):
            parts.append(np.asarray(b, dtype=float).ravel())
    return np.concatenate(parts)


def network_from_theta(widths: Sequence[int], theta: object, bias: BiasMode | str = BiasMode.NONE):
    """The ReLUNetwork with parameters θ (inverse of :func:`theta_from_network`).

    Examples
    --------
    >>> network_from_theta((1, 2, 1), [1.0, 2.0, 3.0, 4.0]).widths
    (1, 2, 1)
    """
    from ..network import ReLUNetwork

    lay = ParameterLayout(widths, bias)
    th = np.asarray(theta, dtype=float).reshape(1, -1)
    if th.shape[1] != lay.n_params:
        raise ValueError(f"theta must have {lay.n_params} entries for widths {tuple(widths)}; got {th.shape[1]}")
    Ws, bs = lay.split(th)
    return ReLUNetwork([W[0] for W in Ws], [None if b is None else b[0] for b in bs])


# ============================================================================ φ_X^A
class OutputMap(_PatternBase):
    r"""The output map ``φ_X^A: θ ↦ [M_1 X_1 | … | M_k X_k]`` for data attached to an assignment.

    Parameters
    ----------
    assignment : PatternAssignment
        With ``point_blocks`` (block of every data point).
    X : array_like (n, n_0)
        Data points, one per row; floats are converted to rationals exactly for the exact
        and modular evaluators. With biases a constant coordinate 1 is appended.
    bias : BiasMode or str

    Notes
    -----
    Outputs are ``y_b_i_j``: block ``b``, output coordinate ``i``, ``j``-th point of the
    block (all from 1). Only the row grading ``Z^{n_L}`` survives.

    Examples
    --------
    >>> A = PatternAssignment((1, 2, 1), [[1, 0], [1, 1]], point_blocks=[0, 1, 1])
    >>> psi = OutputMap(A, [[1.0], [2.0], [-1.0]])
    >>> psi.output_names
    ('y_1_1_1', 'y_2_1_1', 'y_2_1_2')
    >>> psi.evaluate([[1.0, 2.0, 3.0, 4.0]]).tolist()
    [[3.0, 22.0, -11.0]]
    """

    def __init__(self, assignment: PatternAssignment, X: object, *, bias: BiasMode | str = BiasMode.NONE):
        super().__init__(assignment, bias=bias)
        if assignment.point_blocks is None:
            raise ValueError("OutputMap needs an assignment with point_blocks (the block of every data point)")
        blocks = assignment.split_data(np.asarray(X, dtype=object) if _all_fractions(X) else X)
        self._X_exact = []
        for Xb in blocks:
            Xe = np.array([[Fraction(v) if isinstance(v, (int, Fraction)) else Fraction(float(v)) for v in row]
                           for row in np.asarray(Xb, dtype=object)], dtype=object).reshape(Xb.shape)
            if self._layout.has_col:
                Xe = np.vstack([Xe, np.full((1, Xe.shape[1]), Fraction(1), dtype=object)])
            self._X_exact.append(Xe)
        self._X_float = [np.array(Xe, dtype=float) for Xe in self._X_exact]
        self._X_mod: dict[int, list[np.ndarray]] = {}
        nL = assignment.widths[-1]
        self._output_names = tuple(
            f"y_{b + 1}_{i}_{j}" for b, Xe in enumerate(self._X_exact)
            for i in range(1, nL + 1) for j in range(1, Xe.shape[1] + 1))

    @property
    def output_names(self) -> tuple[str, ...]:
        """``y_b_i_j`` for every block, output coordinate and point of the block (from 1)."""
        return self._output_names

    @property
    def data_blocks(self) -> list[np.ndarray]:
        """The exact data blocks ``X_b`` (ncols × n_b object arrays of Fractions).

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[0.5]]).data_blocks[0].tolist()
        [[Fraction(1, 2)]]
        """
        return self._X_exact

    def __repr__(self) -> str:
        return f"OutputMap({self.assignment!r}, bias={self.bias.value!r})"

    def _x_mod(self, p: int) -> list[np.ndarray]:
        if p not in self._X_mod:
            self._X_mod[p] = [fractions_mod(Xe, p) for Xe in self._X_exact]
        return self._X_mod[p]

    def evaluate(self, theta: object) -> np.ndarray:
        """Outputs at a batch of float parameters.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0, 0])
        >>> OutputMap(A, [[1.0], [2.0]]).evaluate([2.0, 3.0]).tolist()
        [6.0, 12.0]
        """
        th, single = as_points(theta, self.n_params, name="theta", dtype=float)
        Ms = self.matrices(th)
        out = np.concatenate([(M @ Xb).reshape(th.shape[0], -1) for M, Xb in zip(Ms, self._X_float)], axis=1)
        return out[0] if single else out

    def evaluate_mod_p(self, theta: object, p: int) -> np.ndarray:
        """Outputs modulo ``p`` at a batch of int64 parameters (data reduced mod p).

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[0.5]]).evaluate_mod_p([[2, 3]], 7).tolist()
        [[3]]
        """
        th, single = as_points(theta, self.n_params, name="theta", dtype=np.int64)
        Ms = self.matrices_mod_p(th, p)
        Xm = self._x_mod(int(p))
        out = np.concatenate([matmul_mod(M, Xb, int(p)).reshape(th.shape[0], -1) for M, Xb in zip(Ms, Xm)],
                             axis=1)
        return out[0] if single else out

    def evaluate_exact(self, theta: Sequence[object]) -> list[Fraction]:
        """Outputs at one rational parameter vector, exactly.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[0.5]]).evaluate_exact([2, 3])
        [Fraction(3, 1)]
        """
        Ms = self.matrices_exact(theta)
        return [v for M, Xb in zip(Ms, self._X_exact) for v in M.dot(Xb).ravel()]

    def jacobian(self, theta: object) -> np.ndarray:
        """The Jacobian (n_outputs, n_params) at one float θ.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[2.0]]).jacobian([1.0, 1.0]).tolist()
        [[2.0, 2.0]]
        """
        JM = self._jac_M(theta)
        return self._push_jac(JM, lambda A, B: A @ B)

    def jacobian_mod_p(self, theta: object, p: int) -> np.ndarray:
        """The Jacobian modulo ``p`` at one int64 θ.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[Fraction(1, 2)]]).jacobian_mod_p([1, 1], 7).tolist()
        [[4, 4]]
        """
        p = check_prime(p)
        JM = self._jac_M_mod_p(theta, p)
        Xm = self._x_mod(p)
        return self._push_jac(JM, lambda A, B: matmul_mod(A, B, p), Xm)

    def _push_jac(self, JM: np.ndarray, mm: Callable, Xs: list[np.ndarray] | None = None) -> np.ndarray:
        Xs = self._X_float if Xs is None else Xs
        nL, c = self.assignment.widths[-1], self.ncols
        rows, pos = [], 0
        for Xb in Xs:
            J = JM[pos:pos + nL * c].reshape(nL, c, -1)  # d M[i, :] / dθ
            pos += nL * c
            # d(M X)[i, j] = sum_q dM[i, q] X[q, j]  -> (nL, P, n_b)
            Jt = np.transpose(J, (0, 2, 1))
            out = mm(Jt, Xb)  # (nL, P, n_b)
            rows.append(np.transpose(out, (0, 2, 1)).reshape(nL * Xb.shape[1], -1))
        return np.concatenate(rows, axis=0)

    def polynomials(self) -> list:
        """The output coordinates as flint ``fmpq_mpoly`` in the parameters.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 1), [[1]], point_blocks=[0])
        >>> [str(f) for f in OutputMap(A, [[0.5]]).polynomials()]
        ['1/2*w1_1_1*w2_1_1']
        """
        import flint

        Ms = self.matrices_symbolic()
        out = []
        for M, Xb in zip(Ms, self._X_exact):
            for i in range(M.shape[0]):
                for j in range(Xb.shape[1]):
                    s = self.param_ring().from_dict({})
                    for q in range(M.shape[1]):
                        if Xb[q, j] != 0:
                            s = s + M[i, q] * flint.fmpq(int(Xb[q, j].numerator), int(Xb[q, j].denominator))
                    out.append(s)
        return out

    def grading(self) -> np.ndarray:
        """Row multidegrees ``deg y_b_i_j = e_i`` in ``Z^{n_L}``.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 2), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[2.0]]).grading().tolist()
        [[1, 0], [0, 1]]
        """
        nL = self.assignment.widths[-1]
        rows = []
        for Xb in self._X_exact:
            for i in range(nL):
                rows += [np.eye(nL, dtype=np.int64)[i]] * Xb.shape[1]
        return np.array(rows, dtype=np.int64).reshape(-1, nL)

    def symmetry(self) -> "PatternSymmetry":
        """Row permutations (GL(n_L) permutation matrices) acting on every block.

        Examples
        --------
        >>> A = PatternAssignment((1, 1, 2), [[1]], point_blocks=[0])
        >>> OutputMap(A, [[2.0]]).symmetry().group_order
        2
        """
        sizes = [Xb.shape[1] for Xb in self._X_exact]
        return PatternSymmetry(self.assignment.n_blocks, self.assignment.widths[-1], sizes,
                               permute_columns=False)


def _all_fractions(X: object) -> bool:
    try:
        flat = np.asarray(X, dtype=object).ravel()
    except Exception:  # pragma: no cover
        return False
    return flat.size > 0 and all(isinstance(v, (Fraction, int)) for v in flat)


# ============================================================================ symmetry
class PatternSymmetry:
    r"""Row (and column) permutations acting simultaneously on every block matrix.

    The pattern variety is invariant under ``GL(n_L) × GL(n_0)`` acting by
    ``M_b ↦ g M_b h^{-1}`` for all ``b`` at once; permutation matrices map the multidegree
    piece ``(α, β) ∈ Z^{n_L} × Z^{n_0}`` onto ``(σα, τβ)``. Output maps keep the row part.

    Parameters
    ----------
    n_blocks : int
    n_rows : int
    n_cols : int or list of int
        Columns of every block (a list when they differ, for output maps).
    permute_columns : bool
        Whether column permutations are symmetries (pattern maps: yes; output maps: no).
    transpose : bool
        Whether transposing every block is a symmetry (shallow bias-free pattern maps with
        ``n_0 = n_L``: ``(W_2 D W_1)ᵀ = W_1ᵀ D W_2ᵀ``); it maps ``(α, β)`` to ``(β, α)``.

    Examples
    --------
    >>> S = PatternSymmetry(1, 2, 2, permute_columns=True)
    >>> S.group_order
    4
    >>> S.canonical((0, 2, 1, 1))[0]
    (2, 0, 1, 1)
    """

    def __init__(self, n_blocks: int, n_rows: int, n_cols: int | Sequence[int], *, permute_columns: bool,
                 transpose: bool = False):
        self.n_blocks = int(n_blocks)
        self.n_rows = int(n_rows)
        cols = [int(n_cols)] * self.n_blocks if np.isscalar(n_cols) else [int(c) for c in n_cols]
        self.n_cols_per_block = cols
        self.permute_columns = bool(permute_columns) and len(set(cols)) == 1
        self.n_cols = cols[0] if self.permute_columns else None
        self.transpose = bool(transpose) and self.permute_columns and self.n_cols == self.n_rows
        self._cache: dict = {}
        # flat index of (b, i, j)
        self._offsets = np.concatenate([[0], np.cumsum([self.n_rows * c for c in cols])]).astype(int)
        # block, row, column and block width of every variable (flat order)
        self._vb = np.repeat(np.arange(self.n_blocks), [self.n_rows * c for c in cols])
        self._vc = np.repeat(np.asarray(cols, dtype=int), [self.n_rows * c for c in cols])
        flat = np.arange(self._offsets[-1]) - self._offsets[self._vb]
        self._vi, self._vj = flat // self._vc, flat % self._vc
        self._perm_cache: dict = {}

    @property
    def group_order(self) -> int:
        """Order of the permutation group ``S_{n_L} (× S_{n_0})``."""
        from math import factorial

        return (factorial(self.n_rows) * (factorial(self.n_cols) if self.permute_columns else 1)
                * (2 if self.transpose else 1))

    @property
    def degree_length(self) -> int:
        """Length of the multidegree vectors this symmetry acts on."""
        return self.n_rows + (self.n_cols if self.permute_columns else 0)

    def variable_permutation(self, row_perm: Sequence[int], col_perm: Sequence[int] | None = None) -> np.ndarray:
        """The permutation of output variables induced by ``(σ, τ)``.

        ``perm[v]`` is the index of the variable that ``v`` is sent to: entry ``(b, i, j)``
        goes to ``(b, σ(i), τ(j))``.

        Examples
        --------
        >>> PatternSymmetry(1, 2, 1, permute_columns=True).variable_permutation([1, 0], [0]).tolist()
        [1, 0]
        """
        key = (tuple(int(v) for v in row_perm), None if col_perm is None else tuple(int(v) for v in col_perm))
        hit = self._perm_cache.get(key)
        if hit is not None:
            return hit.copy()
        sigma = np.asarray(key[0], dtype=int)
        if col_perm is None or not self.permute_columns:
            tj = self._vj
        else:
            tj = np.asarray(key[1], dtype=int)[self._vj]
        perm = self._offsets[self._vb] + sigma[self._vi] * self._vc + tj
        self._perm_cache[key] = perm
        return perm.copy()

    def canonical(self, multidegree: Sequence[int]) -> tuple[tuple[int, ...], np.ndarray]:
        """The canonical multidegree of an orbit and a variable permutation onto ``multidegree``.

        Implements the engine's block-symmetry protocol
        (:mod:`relugeom.algebra._symmetry`): the canonical degree has its row part (and
        column part) sorted decreasingly; with ``transpose`` also the swap of the two parts
        is used (the larger one wins). Renaming ``y_k -> y_{perm[k]}`` maps the canonical
        block onto the block of ``multidegree``.

        Examples
        --------
        >>> S = PatternSymmetry(1, 2, 2, permute_columns=True)
        >>> c, perm = S.canonical((0, 2, 1, 1))
        >>> c, perm.tolist()
        ((2, 0, 1, 1), [2, 3, 0, 1])
        """
        d = tuple(int(v) for v in multidegree)
        if d in self._cache:
            return self._cache[d]
        arr = np.asarray(d, dtype=int)
        r = self.n_rows
        ro = np.argsort(-arr[:r], kind="stable")
        if not self.permute_columns:
            c = tuple(int(v) for v in arr[ro]) + tuple(int(v) for v in arr[r:])
            out = (c, self.variable_permutation(ro))
        else:
            co = np.argsort(-arr[r:], kind="stable")
            plain = tuple(int(v) for v in arr[ro]) + tuple(int(v) for v in arr[r:][co])
            out = (plain, self.variable_permutation(ro, co))
            if self.transpose:
                swapped = tuple(int(v) for v in arr[r:][co]) + tuple(int(v) for v in arr[ro])
                if swapped > plain:
                    out = (swapped, self._transposed_permutation(ro, co))
        self._cache[d] = out
        return out

    def _transposed_permutation(self, ro: np.ndarray, co: np.ndarray) -> np.ndarray:
        # y_(b, a, c) -> y_(b, ro[c], co[a])
        n = self.n_rows
        perm = np.empty(self._offsets[-1], dtype=int)
        a, c = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        for b in range(self.n_blocks):
            perm[self._offsets[b] + (a * n + c).ravel()] = self._offsets[b] + (ro[c] * n + co[a]).ravel()
        return perm
