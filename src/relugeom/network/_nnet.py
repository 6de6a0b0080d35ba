r"""The ``.nnet`` text format of the ACAS Xu networks (Kyle Julian's NNet format).

Layout of a file, after any number of header lines starting with ``//``::

    numLayers, inputSize, outputSize, maxLayerSize,
    size_0, size_1, ..., size_numLayers,         (size_0 = inputSize)
    0,                                           (a legacy flag, ignored)
    min_1, ..., min_inputSize,                   (input minimums)
    max_1, ..., max_inputSize,                   (input maximums)
    mean_1, ..., mean_inputSize, mean_out,       (normalisation means)
    range_1, ..., range_inputSize, range_out,    (normalisation ranges)

then, for each of the ``numLayers`` affine layers, the rows of ``W_l`` (one line each,
``size_{l-1}`` values) followed by the entries of ``b_l`` (one line each). Values are
separated by commas (whitespace is accepted too); trailing commas are allowed.

The network the file describes is
``x ↦ range_out · N((clip(x, min, max) − mean_in) / range_in) + mean_out``
with ``N`` the stored ReLU network (a hidden ReLU after every layer but the last).

Files are untrusted input: at most :data:`MAX_NNET_BYTES` bytes are read, the declared layer
sizes are checked against the length of the file before anything is allocated, values are
parsed with ``float`` (nothing is evaluated) and must be finite, and every problem raises one
:class:`~relugeom.errors.ParseError` (malformed text) or
:class:`~relugeom.errors.NetworkError` (well-formed values that do not make a network) naming
the file and, where there is one, the line.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import NetworkError, ParseError
from ._network import ReLUNetwork

__all__ = ["load_nnet", "read_nnet", "NNetFile", "save_nnet", "MAX_NNET_BYTES"]

log = logging.getLogger(__name__)

#: Largest ``.nnet`` file :func:`load_nnet` reads (bytes).
MAX_NNET_BYTES = 2 ** 29


class _Lines:
    """Numeric lines of a .nnet file with their 1-based line numbers (comments skipped)."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.items: list[tuple[int, str]] = []
        header = True
        for no, line in enumerate(text.splitlines(), start=1):
            s = line.strip()
            if not s:
                continue
            if s.startswith("//"):
                if not header:
                    raise ParseError(f"{path}, line {no}: comment line after the header")
                continue
            header = False
            self.items.append((no, s))
        self.pos = 0

    def error(self, msg: str, no: int | None = None) -> ParseError:
        if no is None:
            no = self.items[self.pos - 1][0] if self.pos else 1
        return ParseError(f"{self.path}, line {no}: {msg}")

    def next(self, what: str) -> tuple[int, str]:
        if self.pos >= len(self.items):
            last = self.items[-1][0] if self.items else 0
            raise ParseError(f"{self.path}, line {last + 1}: unexpected end of file; expected {what}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def numbers(self, what: str, count: int, *, integer: bool = False) -> list[float]:
        no, s = self.next(what)
        tokens = [t for t in s.replace(",", " ").split() if t]
        if len(tokens) != count:
            raise self.error(f"expected {count} value{'s' * (count != 1)} ({what}); "
                             f"got {len(tokens)}: {s[:80]!r}", no)
        out: list[float] = []
        for t in tokens:
            try:
                v = float(t)  # float() parses numbers only; nothing is evaluated
            except ValueError:
                raise self.error(f"{t!r} is not a number ({what})", no) from None
            if not math.isfinite(v):
                raise self.error(f"{t!r} is not finite ({what})", no)
            if integer and (v != int(v) or v < 0):
                raise self.error(f"{t!r} is not a non-negative integer ({what})", no)
            out.append(v)
        return out


def _parse(path: str, text: str) -> dict[str, object]:
    lines = _Lines(path, text)
    L, n_in, n_out, max_size = (int(v) for v in lines.numbers(
        "numLayers, inputSize, outputSize, maxLayerSize", 4, integer=True))
    if L < 1:
        raise lines.error("numLayers must be at least 1")
    sizes = [int(v) for v in lines.numbers(f"the {L + 1} layer sizes", L + 1, integer=True)]
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise lines.error(f"layer sizes {sizes} must start with inputSize {n_in} "
                          f"and end with outputSize {n_out}")
    if min(sizes) < 1:
        raise lines.error(f"layer sizes {sizes} must be positive")
    if max(sizes) != max_size:
        log.warning("%s: maxLayerSize %d differs from the largest layer %d", path, max_size, max(sizes))
    # every value takes at least two characters ("0," or "0\n"): refuse sizes the file
    # cannot hold before anything is allocated
    values = sum(sizes[l] * sizes[l + 1] + sizes[l + 1] for l in range(L)) + 4 * n_in + 2
    if 2 * values > len(text):
        raise lines.error(f"the layer sizes {_short(sizes)} declare {values} values but the file has "
                          f"only {len(text)} characters")
    lines.next("the legacy flag line")
    mins = np.array(lines.numbers("input minimums", n_in))
    line_maxs = lines.items[lines.pos][0] if lines.pos < len(lines.items) else None
    maxs = np.array(lines.numbers("input maximums", n_in))
    means = np.array(lines.numbers("means (inputs, then output)", n_in + 1))
    ranges = np.array(lines.numbers("ranges (inputs, then output)", n_in + 1))
    if np.any(ranges == 0):
        raise lines.error(f"normalisation ranges must be non-zero; got {_short(ranges.tolist())}")
    with np.errstate(over="ignore", divide="ignore"):
        if not np.all(np.isfinite(1.0 / ranges)):
            raise lines.error(f"normalisation ranges {_short(ranges.tolist())} are too small (1/range "
                              "overflows)")
    if np.any(mins > maxs):
        raise lines.error(f"input minimums exceed maximums at inputs "
                          f"{_short(np.flatnonzero(mins > maxs).tolist())}", line_maxs)
    Ws, bs = [], []
    for l in range(L):
        W = [lines.numbers(f"row {i} of the weights of layer {l}", sizes[l]) for i in range(sizes[l + 1])]
        b = [lines.numbers(f"entry {i} of the biases of layer {l}", 1)[0] for i in range(sizes[l + 1])]
        Ws.append(np.array(W, dtype=np.float64).reshape(sizes[l + 1], sizes[l]))
        bs.append(np.array(b, dtype=np.float64))
    if lines.pos < len(lines.items):
        no, s = lines.items[lines.pos]
        raise ParseError(f"{path}, line {no}: unexpected content after the last layer: {s[:80]!r}")
    return dict(weights=Ws, biases=bs, mins=mins, maxs=maxs, means=means, ranges=ranges)


def _short(values: list) -> str:
    """A list for an error message: at most ten entries."""
    return str(values) if len(values) <= 10 else str(values[:10])[:-1] + ", …]"


@dataclass(frozen=True)
class NNetFile:
    """What an ``.nnet`` file holds: the network and its input box ``[lo, hi]``.

    Examples
    --------
    >>> NNetFile(ReLUNetwork([[[1.0]]]), np.zeros(1), np.ones(1)).hi.tolist()
    [1.0]
    """

    network: ReLUNetwork
    lo: np.ndarray
    hi: np.ndarray


def load_nnet(path: str | os.PathLike, *, normalize: bool = True,
              return_bounds: bool = False) -> ReLUNetwork:
    r"""Read the network of an ``.nnet`` file (the ACAS Xu text format).

    :func:`read_nnet` also gives the file's input box.

    Parameters
    ----------
    path : str or path
    normalize : bool
        If True (default), fold the file's normalisation into the network: the result is
        ``x ↦ range_out · N((x − mean_in) / range_in) + mean_out`` on raw inputs. If False,
        return the stored network ``N`` on normalised inputs, unchanged.
    return_bounds : bool
        Deprecated (a FutureWarning): returns ``(network, (lo, hi))``; use :func:`read_nnet`.

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    ParseError
        For malformed content; the message names the line. Values are parsed with
        ``float``; nothing is evaluated.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.nnet")
    >>> _ = Path(p).write_text("// toy\n1,1,1,1,\n1,1,\n0,\n-5,\n5,\n1,10,\n2,3,\n4,\n0.5,\n")
    >>> load_nnet(p)([[3.0]]).tolist()   # 3 * (4 * (3 - 1) / 2 + 0.5) + 10
    [[23.5]]
    >>> load_nnet(p, normalize=False)([[1.0]]).tolist()
    [[4.5]]
    """
    f = read_nnet(path, normalize=normalize)
    if return_bounds:
        import warnings

        warnings.warn("load_nnet(return_bounds=True) is deprecated: read_nnet(path) gives the "
                      "network with its box (.network, .lo, .hi)", FutureWarning, stacklevel=2)
        return f.network, (f.lo, f.hi)  # type: ignore[return-value]
    return f.network


def read_nnet(path: str | os.PathLike, *, normalize: bool = True) -> NNetFile:
    r"""Read an ``.nnet`` file (the ACAS Xu text format): the network and its input box.

    Parameters
    ----------
    path : str or path
    normalize : bool
        As in :func:`load_nnet`.

    Returns
    -------
    NNetFile
        ``.network``, and the input box ``.lo``, ``.hi``: ``[mins, maxs]`` in raw input
        coordinates with ``normalize=True``; with ``normalize=False`` the same box in
        normalised coordinates, ``[(mins − mean)/range, (maxs − mean)/range]``.

    Notes
    -----
    The reference implementation also clips inputs to ``[mins, maxs]`` before normalising.
    Clipping is not an affine layer, so the network is the *unclipped* normalised network;
    it agrees with the reference on the input box (restrict analyses to that box).

    Raises
    ------
    ParseError
        For malformed content; the message names the line.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.nnet")
    >>> _ = Path(p).write_text("// toy\n1,1,1,1,\n1,1,\n0,\n-5,\n5,\n1,10,\n2,3,\n4,\n0.5,\n")
    >>> f = read_nnet(p)
    >>> f.network([[3.0]]).tolist(), f.lo.tolist(), f.hi.tolist()
    ([[23.5]], [-5.0], [5.0])
    >>> g = read_nnet(p, normalize=False)
    >>> g.lo.tolist(), g.hi.tolist()   # (±5 - 1) / 2
    ([-3.0], [2.0])
    """
    p = Path(path)
    with open(p, "rb") as fh:
        parts, size = [], 0
        while size <= MAX_NNET_BYTES:
            part = fh.read(min(2 ** 20, MAX_NNET_BYTES + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    raw = b"".join(parts)
    del parts
    if len(raw) > MAX_NNET_BYTES:
        raise ParseError(f"{p}: more than the limit of {MAX_NNET_BYTES} bytes (MAX_NNET_BYTES) for an "
                         ".nnet file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ParseError(f"{p}, line {line}: not a UTF-8 text file (byte {exc.start} is "
                         f"{raw[exc.start:exc.start + 1]!r})") from None
    del raw
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(f"{p}, line {line}: a NUL character; not an .nnet text file")
    d = _parse(str(p), text)
    del text
    mins, maxs = d["mins"], d["maxs"]
    means, ranges = d["means"], d["ranges"]
    try:
        net = ReLUNetwork(d["weights"], d["biases"])
        n_in = net.input_dim
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if normalize:
                net = net.compose_input(np.diag(1.0 / ranges[:n_in]), -means[:n_in] / ranges[:n_in])
                k = net.output_dim
                net = net.compose_output(ranges[n_in] * np.eye(k), np.full(k, means[n_in]))
                lo, hi = mins.copy(), maxs.copy()
            else:
                lo = (mins - means[:n_in]) / ranges[:n_in]
                hi = (maxs - means[:n_in]) / ranges[:n_in]
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise NetworkError("the normalised input box is not finite (tiny ranges?)")
    except ValueError as exc:  # NetworkError, or an overflow found by compose_input/_output
        raise NetworkError(f"{p}: {exc}") from None
    log.debug("loaded %s: widths %s", p, net.widths)
    return NNetFile(net, lo, hi)


def save_nnet(
    net: ReLUNetwork,
    path: str | os.PathLike,
    *,
    input_mins: Sequence[float] | None = None,
    input_maxs: Sequence[float] | None = None,
    means: Sequence[float] | None = None,
    ranges: Sequence[float] | None = None,
    header: str = "written by relugeom",
) -> None:
    r"""Write a network as an ``.nnet`` file.

    The weights are written as they are (the stored network ``N``); the normalisation lines
    default to the identity (means 0, ranges 1), so :func:`load_nnet` returns ``net`` either
    way. Values are written with ``repr`` (shortest exact float64 form).

    Parameters
    ----------
    net : ReLUNetwork
    path : str or path
    input_mins, input_maxs : sequence of float, optional
        The input box; default ``∓1.7976931348623157e308`` (no clipping).
    means, ranges : sequence of float, optional
        ``n_0 + 1`` values each (inputs, then the output); default zeros and ones.
    header : str
        Comment text; each line is written after ``//``.

    Examples
    --------
    >>> import tempfile, os
    >>> net = ReLUNetwork([[[1.0, -2.0], [0.5, 0.25]], [[1.0, 1.0]]], [[0.1, 0.0], [3.0]])
    >>> p = os.path.join(tempfile.mkdtemp(), "n.nnet")
    >>> save_nnet(net, p)
    >>> load_nnet(p) == net
    True
    """
    n = net.input_dim
    big = float(np.finfo(np.float64).max)

    def vec(v: Sequence[float] | None, default: float, size: int, name: str) -> np.ndarray:
        a = np.full(size, default) if v is None else np.asarray(v, dtype=np.float64).reshape(-1)
        if a.shape != (size,) or not np.all(np.isfinite(a)):
            raise NetworkError(f"{name} must be {size} finite values; got {np.asarray(v).tolist()}")
        return a

    mins = vec(input_mins, -big, n, "input_mins")
    maxs = vec(input_maxs, big, n, "input_maxs")
    mu = vec(means, 0.0, n + 1, "means")
    rg = vec(ranges, 1.0, n + 1, "ranges")
    if np.any(rg == 0):
        raise NetworkError(f"ranges must be non-zero; got {rg.tolist()}")

    def row(a: np.ndarray) -> str:
        return ",".join(repr(float(x)) for x in a) + ","

    out = [f"// {h}" for h in header.splitlines()] if header else []
    out.append(f"{net.n_layers},{n},{net.output_dim},{max(net.widths)},")
    out.append(",".join(str(w) for w in net.widths) + ",")
    out.append("0,")
    out += [row(mins), row(maxs), row(mu), row(rg)]
    for W, b in zip(net.weights, net.biases):
        out += [row(r) for r in W]
        out += [row(np.array([x])) for x in b]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")
