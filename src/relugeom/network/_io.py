"""Loading and saving networks: .npz, and dispatch by file extension.

An ``.npz`` file is untrusted input: :func:`load_npz` reads the zip directory and the header
of every ``.npy`` member (shape, dtype, memory order) before it reads any array data, refuses
object and non-numeric dtypes (nothing is unpickled), caps the declared arrays at
:data:`MAX_NPZ_BYTES` in all, and turns every failure into one
:class:`~relugeom.errors.NetworkError` naming the file and the problem.
"""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import NetworkError, RelugeomError
from ._graph import Network
from ._network import ReLUNetwork

__all__ = ["load_npz", "save_npz", "load_network", "MAX_NPZ_BYTES"]

#: Largest total size (bytes) of the arrays an ``.npz`` network may declare.
MAX_NPZ_BYTES = 2 ** 31
_MAX_HEADER = 10_000  # bytes of one .npy header (numpy's own default limit)
_NPY_MAGIC = b"\x93NUMPY"
# what zipfile and zlib raise on damaged archives (bad CRC or headers, cut streams, unknown
# compression methods, zip64 fields that do not add up)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
               RuntimeError, struct.error, OverflowError, IndexError, KeyError)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head[:-3].decode("utf-8", errors="replace")  # a character cut at the end
        if "\ufffd" in text:
            return False
    return all(c.isprintable() or c in "\t\r\n\f" for c in text)


def _not_an_archive(p: Path, head: bytes) -> NetworkError:
    """The error for a file that is not a zip archive, saying what it looks like instead."""
    if not head:
        return NetworkError(f"{p}: empty file (0 bytes); expected an .npz archive of arrays W0, b0, …")
    if head.startswith(_NPY_MAGIC):
        return NetworkError(f"{p}: a single .npy array, not an .npz archive of arrays W0, b0, …")
    if head.startswith(b"PK"):
        return NetworkError(f"{p}: truncated or corrupt zip archive (its central directory is missing "
                            "or damaged)")
    if _looks_like_text(head):
        return NetworkError(f"{p}: a text file, not an .npz archive (a zip of .npy arrays W0, b0, …)")
    return NetworkError(f"{p}: not an .npz archive (a zip of .npy arrays W0, b0, …)")


class _Member:
    """One ``.npy`` member: its zip entry and the array its header declares."""

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, p: Path):
        self.info, self.key = info, info.filename[:-4]
        what = f"{p}: member {info.filename}"
        if info.flag_bits & 0x1:
            raise NetworkError(f"{what} is encrypted")
        with zf.open(info) as fp:
            try:
                version = np.lib.format.read_magic(fp)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=_MAX_HEADER)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=_MAX_HEADER)
                else:
                    raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
            except (zipfile.BadZipFile, zlib.error, EOFError):
                raise  # the archive, not the header: reported by load_npz
            except Exception as exc:  # numpy raises ValueError, tokenize.TokenError, SyntaxError, …
                msg = re.sub(r" at 0x[0-9a-f]+", "", str(exc))[:200]
                raise NetworkError(f"{what}: bad .npy header ({type(exc).__name__}: {msg})") from None
            self.offset = fp.tell()
        if dtype.hasobject:
            raise NetworkError(f"{what}: object arrays are refused (reading them would unpickle)")
        if dtype.kind not in "fiub" or dtype.names is not None or dtype.shape != ():
            raise NetworkError(f"{what}: dtype {dtype} is not a real number type")
        if any(not isinstance(n, int) or n < 0 for n in shape):
            raise NetworkError(f"{what}: bad shape {shape}")
        self.shape, self.fortran, self.dtype = shape, fortran, dtype
        self.nbytes = math.prod(shape) * dtype.itemsize
        if self.offset + self.nbytes > info.file_size:
            raise NetworkError(f"{what} is truncated: its header declares {self.nbytes} bytes of data "
                               f"(shape {shape}, dtype {dtype}) but it holds {info.file_size - self.offset}")

    def read(self, zf: zipfile.ZipFile, p: Path) -> np.ndarray:
        with zf.open(self.info) as fp:
            fp.read(self.offset)
            data = fp.read(self.nbytes)
        if len(data) != self.nbytes:
            raise NetworkError(f"{p}: member {self.info.filename} is truncated: {len(data)} of "
                               f"{self.nbytes} bytes of data")
        a = np.frombuffer(data, dtype=self.dtype)
        return a.reshape(self.shape, order="F" if self.fortran else "C")


def load_npz(path: str | os.PathLike) -> ReLUNetwork:
    """Load a network from ``.npz`` with keys ``W0, b0, W1, b1, …`` (W_l shaped (out, in)).

    The zip directory and the ``.npy`` headers are checked before any array is read: only
    numeric dtypes (nothing is unpickled), at most :data:`MAX_NPZ_BYTES` bytes of arrays.

    Raises
    ------
    NetworkError
        Naming the file and the problem: not a zip archive (empty, text, a lone ``.npy``),
        truncated or corrupt, a bad ``.npy`` header, missing or unexpected keys, a
        non-numeric dtype, arrays too large, or layers that do not form a network.
    OSError
        When the file cannot be opened.

    Examples
    --------
    >>> import tempfile, os
    >>> net = ReLUNetwork([[[1.0, 2.0]], [[3.0]]])
    >>> p = os.path.join(tempfile.mkdtemp(), "n.npz"); save_npz(net, p)
    >>> load_npz(p) == net
    True
    >>> _ = open(p, "w").write("W0 = [[1, 2]]")
    >>> load_npz(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relugeom.errors.NetworkError: .../n.npz: a text file, not an .npz archive (a zip of .npy arrays W0, b0, …)
    """
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(64)
        fh.seek(0)
        if not zipfile.is_zipfile(fh):
            raise _not_an_archive(p, head)
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                return _load_members(zf, p)
        except NetworkError:
            raise
        except MemoryError:
            raise NetworkError(f"{p}: not enough memory to read the arrays") from None
        except _ZIP_ERRORS as exc:
            raise NetworkError(f"{p}: corrupt .npz archive ({type(exc).__name__}: {str(exc)[:200]})") from None


def _load_members(zf: zipfile.ZipFile, p: Path) -> ReLUNetwork:
    infos = zf.infolist()
    names = [i.filename for i in infos]
    shown = sorted(names)[:10] + (["…"] if len(names) > 10 else [])
    if len(set(names)) != len(names):
        raise NetworkError(f"{p}: the archive names a member twice")
    bad = [n for n in names if not n.endswith(".npy")]
    if bad:
        raise NetworkError(f"{p}: member {bad[0]!r} is not an .npy array; expected W0.npy, b0.npy, …")
    keys = {n[:-4] for n in names}
    L = 0
    while f"W{L}" in keys:
        L += 1
    if L == 0:
        raise NetworkError(f"{p}: no key 'W0'; expected keys W0, b0, W1, b1, …; got {shown}")
    extra = keys - {f"W{l}" for l in range(L)} - {f"b{l}" for l in range(L)}
    if extra:
        more = sorted(extra)[:10] + (["…"] if len(extra) > 10 else [])
        raise NetworkError(f"{p}: unexpected keys {more}; expected W0..W{L-1}, b0..b{L-1}")
    by_key = {i.filename[:-4]: i for i in infos}
    members = {k: _Member(zf, by_key[k], p) for k in sorted(keys)}
    total = sum(m.nbytes for m in members.values())
    if total > MAX_NPZ_BYTES:
        big = max(members.values(), key=lambda m: m.nbytes)
        raise NetworkError(f"{p}: the arrays declare {total} bytes in all, more than the limit of "
                           f"{MAX_NPZ_BYTES} (MAX_NPZ_BYTES); the largest is {big.key} of shape "
                           f"{big.shape}, dtype {big.dtype}")
    Ws = [members[f"W{l}"].read(zf, p) for l in range(L)]
    bs = [members[f"b{l}"].read(zf, p) if f"b{l}" in members else None for l in range(L)]
    try:
        return ReLUNetwork(Ws, bs)
    except NetworkError as exc:
        raise NetworkError(f"{p}: {exc}") from None


def save_npz(net: ReLUNetwork, path: str | os.PathLike) -> None:
    """Save a network to ``.npz`` (keys ``W0, b0, …``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "n.npz")
    >>> save_npz(ReLUNetwork([[[1.0]]]), p); sorted(np.load(p).files)
    ['W0', 'b0']
    """
    arrays = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    np.savez(path, **arrays)


def load_network(path: str | os.PathLike) -> Network:
    """Load a network by file extension: ``.npz``, ``.onnx`` or ``.nnet``.

    ``.npz`` and ``.nnet`` files hold fully connected ReLU networks (a
    :class:`ReLUNetwork`); an ONNX file gives a :class:`ReLUNetwork` when its graph is a
    fully connected ReLU chain and a :class:`Network` otherwise (see
    :func:`relugeom.network.load_onnx`).

    Raises
    ------
    NetworkError
        For a file that is not a readable network of its format, naming the file and the
        problem (``ParseError`` for malformed ``.nnet`` text). An unforeseen exception of
        the ONNX reader, or running out of memory there, also becomes a ``NetworkError``
        (the original exception is chained).
    OSError
        When the file cannot be opened.

    Examples
    --------
    >>> load_network("net.h5")
    Traceback (most recent call last):
    ...
    relugeom.errors.NetworkError: cannot load 'net.h5': unknown extension '.h5' (use .npz, .onnx or .nnet)
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".npz":
        return load_npz(p)
    if ext == ".onnx":
        from ._onnx import load_onnx

        try:
            return load_onnx(p)
        except (RelugeomError, OSError, ValueError, TypeError):
            raise
        except MemoryError:
            raise NetworkError(f"{p}: not enough memory to read this ONNX model (it declares tensors "
                               "too large)") from None
        except Exception as exc:  # a file the ONNX reader did not foresee: one line, not a traceback
            raise NetworkError(f"{p}: the ONNX reader failed on this model ({type(exc).__name__}: "
                               f"{str(exc)[:200]}); please report it as a relugeom bug") from exc
    if ext == ".nnet":
        from ._nnet import load_nnet

        return load_nnet(p)
    raise NetworkError(f"cannot load '{path}': unknown extension '{ext}' (use .npz, .onnx or .nnet)")
