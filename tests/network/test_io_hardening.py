""".npz and .nnet files as untrusted input: headers before data, caps, one error naming the file.

Valid variants (compressed, Fortran order, integer dtypes, no biases) must still load to the
same network; every malformed one must give one NetworkError / ParseError that names the
file and the problem, without allocating what a forged header declares.
"""

from __future__ import annotations

import io
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from relugeom.errors import NetworkError, ParseError
from relugeom.network import ReLUNetwork, load_network, load_nnet, load_npz, save_nnet, save_npz
from relugeom.network import _io, _nnet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "bad"))
import make_corpus as corpus  # noqa: E402

NET = ReLUNetwork(corpus.W, corpus.B)


def _zip(tmp_path: Path, members: dict[str, bytes], name: str = "n.npz", compress: bool = False) -> Path:
    p = tmp_path / name
    p.write_bytes(corpus.zip_of(members, compress))
    return p


# ---------------------------------------------------------------- valid variants still load
def test_valid_variants_load_the_same_network(tmp_path):
    Wf = [np.asfortranarray(W) for W in corpus.W]
    p = _zip(tmp_path, {f"{k}{l}.npy": corpus.npy_of(a) for l in range(2)
                        for k, a in (("W", Wf[l]), ("b", corpus.B[l]))}, "fortran.npz")
    assert load_npz(p) == NET
    q = tmp_path / "compressed.npz"
    np.savez_compressed(q, W0=corpus.W[0], b0=corpus.B[0], W1=corpus.W[1], b1=corpus.B[1])
    assert load_npz(q) == NET
    r = _zip(tmp_path, {"W0.npy": corpus.npy_of(np.array([[1, -2]], dtype=np.int16)),
                        "W1.npy": corpus.npy_of(np.array([[3]], dtype=">i4"))}, "ints.npz")
    assert load_npz(r) == ReLUNetwork([[[1.0, -2.0]], [[3.0]]])
    s = tmp_path / "s.npz"
    save_npz(NET, s)
    assert load_network(s) == NET


# ---------------------------------------------------------------- malformed archives
@pytest.mark.parametrize("name, words", [
    ("npz_empty.npz", "empty file (0 bytes)"),
    ("npz_text.npz", "a text file, not an .npz archive"),
    ("npz_single_npy.npz", "a single .npy array, not an .npz archive"),
    ("npz_garbage.npz", "not an .npz archive"),
    ("npz_truncated_half.npz", "truncated or corrupt zip archive"),
    ("npz_truncated_tail.npz", "truncated or corrupt zip archive"),
    ("npz_corrupt_crc.npz", "corrupt .npz archive (BadZipFile: Bad CRC-32"),
    ("npz_corrupt_deflate.npz", "corrupt .npz archive"),
    ("npz_missing_w0.npz", "no key 'W0'; expected keys W0, b0, W1, b1, …; got ['weights.npy']"),
    ("npz_extra_key.npz", "unexpected keys ['meta']"),
    ("npz_not_npy_member.npz", "member 'README.txt' is not an .npy array"),
    ("npz_duplicate_member.npz", "names a member twice"),
    ("npz_object_dtype.npz", "member W0.npy: object arrays are refused"),
    ("npz_string_dtype.npz", "dtype <U1 is not a real number type"),
    ("npz_complex_dtype.npz", "dtype complex128 is not a real number type"),
    ("npz_structured_dtype.npz", "is not a real number type"),
    ("npz_bad_header.npz", "member W0.npy: bad .npy header"),
    ("npz_header_code.npz", "member W0.npy: bad .npy header"),
    ("npz_nested_header.npz", "member W0.npy: bad .npy header"),
    ("npz_negative_shape.npz", "bad shape (-1, 2)"),
    ("npz_bad_magic.npz", "bad .npy header (ValueError: the magic string is not correct"),
    ("npz_version_9.npz", "unsupported .npy format version 9.0"),
    ("npz_huge_declared.npz", "member W0.npy is truncated: its header declares 7200000000 bytes"),
    ("npz_huge_forged_size.npz", "the arrays declare 3200000000 bytes in all, more than the limit of 2147483648"),
    ("npz_truncated_member.npz", "member W0.npy is truncated"),
    ("npz_encrypted.npz", "member W0.npy is encrypted"),
    ("npz_nan.npz", "W0) contains NaN or inf"),
    ("npz_shape_mismatch.npz", "W1 must have shape (1, 2)"),
    ("npz_bias_mismatch.npz", "b0 must have shape (2,)"),
    ("npz_3d_weight.npz", "must be 2-dimensional"),
    ("npz_empty_layer.npz", "layer 0 is empty"),
])
def test_corpus_npz_errors(name, words):
    path = Path(corpus.HERE) / name
    with pytest.raises(NetworkError) as e:
        load_network(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: "), msg
    assert words in msg, msg
    assert "allow_pickle" not in msg and "\n" not in msg


def test_forged_headers_allocate_nothing_big(tmp_path):
    tracemalloc.start()
    try:
        for name in ("npz_huge_declared.npz", "npz_huge_forged_size.npz"):
            with pytest.raises(NetworkError):
                load_npz(Path(corpus.HERE) / name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2 ** 20  # the headers declare 7.2 GB and 3.2 GB


def test_cap_is_a_module_constant(tmp_path, monkeypatch):
    p = tmp_path / "n.npz"
    save_npz(NET, p)
    monkeypatch.setattr(_io, "MAX_NPZ_BYTES", 40)  # W0 alone has 32 bytes, all four 72
    with pytest.raises(NetworkError, match=r"the arrays declare 72 bytes in all, more than the limit of 40 "
                                           r"\(MAX_NPZ_BYTES\); the largest is W0 of shape \(2, 2\)"):
        load_npz(p)


def test_zip_bomb_member_is_refused_before_inflating(tmp_path, monkeypatch):
    # 64 MiB of zeros in a few KB: the header says so, and the cap refuses it unread
    monkeypatch.setattr(_io, "MAX_NPZ_BYTES", 2 ** 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("W0.npy", "w", force_zip64=True) as fp:
            np.lib.format.write_array_header_1_0(fp, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (2 ** 23, 1)})
            for _ in range(64):
                fp.write(b"\0" * 2 ** 20)
    p = tmp_path / "bomb.npz"
    p.write_bytes(buf.getvalue())
    assert p.stat().st_size < 200_000
    with pytest.raises(NetworkError, match="more than the limit of 1048576"):
        load_npz(p)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "nope.npz")


# ---------------------------------------------------------------- .nnet
@pytest.mark.parametrize("name, line, words", [
    ("nnet_empty.nnet", 1, "unexpected end of file; expected numLayers"),
    ("nnet_bad_number.nnet", 9, "'abc' is not a number (row 0 of the weights of layer 0)"),
    ("nnet_expression.nnet", 9, "is not a number"),
    ("nnet_wrong_count.nnet", 9, "expected 2 values (row 0 of the weights of layer 0); got 3"),
    ("nnet_wrong_size_count.nnet", 3, "expected 3 values (the 3 layer sizes); got 2"),
    ("nnet_huge_sizes.nnet", 2, "declare 1000000006000000003 values but the file has only"),
    ("nnet_huge_layers.nnet", 2, "expected 100000000000 values"),
    ("nnet_nan.nnet", 9, "'nan' is not finite"),
    ("nnet_inf.nnet", 9, "'inf' is not finite"),
    ("nnet_overflow.nnet", 9, "'1e999' is not finite"),
    ("nnet_truncated.nnet", 12, "unexpected end of file; expected entry 1 of the biases of layer 0"),
    ("nnet_trailing.nnet", 15, "unexpected content after the last layer"),
    ("nnet_zero_range.nnet", 8, "normalisation ranges must be non-zero"),
    ("nnet_tiny_range.nnet", 8, "are too small (1/range overflows)"),
    ("nnet_min_gt_max.nnet", 6, "input minimums exceed maximums at inputs [0]"),
    ("nnet_negative_size.nnet", 3, "'-2' is not a non-negative integer"),
    ("nnet_fraction_size.nnet", 3, "'2.5' is not a non-negative integer"),
    ("nnet_zero_layers.nnet", 1, "numLayers must be at least 1"),
    ("nnet_comment_inside.nnet", 5, "comment line after the header"),
    ("nnet_binary.nnet", 1, "not a UTF-8 text file"),
    ("nnet_latin1.nnet", 1, "not a UTF-8 text file (byte 6 is b'\\xe9')"),
    ("nnet_nul.nnet", 9, "a NUL character"),
])
def test_corpus_nnet_errors(name, line, words):
    path = Path(corpus.HERE) / name
    with pytest.raises(ParseError) as e:
        load_network(path)
    assert str(e.value).startswith(f"{path}, line {line}: "), str(e.value)
    assert words in str(e.value)


def test_nnet_size_cap_and_valid_file(tmp_path, monkeypatch):
    p = tmp_path / "n.nnet"
    save_nnet(NET, p)
    assert load_nnet(p) == NET
    monkeypatch.setattr(_nnet, "MAX_NNET_BYTES", 100)
    with pytest.raises(ParseError, match=r"n.nnet: more than the limit of 100 bytes \(MAX_NNET_BYTES\)"):
        load_nnet(p)


def test_nnet_declared_sizes_are_checked_before_allocating(tmp_path):
    # a header declaring a 30000 x 30000 layer, and a few lines: refused from the header
    p = tmp_path / "big.nnet"
    p.write_text("1,30000,30000,30000,\n30000,30000,\n0,\n" + "0,\n" * 10)
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="big.nnet, line 2: the layer sizes .* declare 900150002 values"):
            load_nnet(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2 ** 20  # read in chunks of 1 MiB; the header declares 7.2 GB
