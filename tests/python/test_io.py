"""The file readers (icl_metrics.load) against numpy's own files; skipped in a build without them."""

import json
import struct
import tracemalloc

import numpy as np
import pytest

import icl_metrics as im

pytestmark = pytest.mark.skipif(not hasattr(im, "load"), reason="built without the io component")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int64, np.uint16, np.bool_])
def test_npy_every_dtype(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    np.save(tmp_path / "a.npy", a)
    b = im.load(str(tmp_path / "a.npy"))
    assert b.dtype == a.dtype and not b.flags.writeable
    np.testing.assert_array_equal(b, a)


def test_fortran_order_and_npz(tmp_path):
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "f.npy", a)
    np.testing.assert_array_equal(im.load("f.npy", base_dir=str(tmp_path)), a)
    np.savez_compressed(tmp_path / "z.npz", x=np.arange(5.0), y=np.eye(2))
    np.testing.assert_array_equal(im.load(f"{tmp_path}/z.npz:y"), np.eye(2))


def test_safetensors_bfloat16(tmp_path):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    values = np.array([[1.5, -2.0], [0.25, 3.0]], dtype=ml_dtypes.bfloat16)
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    (tmp_path / "t.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + values.tobytes())
    got = im.load(f"{tmp_path}/t.safetensors:w")
    assert got.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(got.astype(np.float32), values.astype(np.float32))


def test_loaded_arrays_are_not_copied(tmp_path, rng):
    X = rng.standard_normal((300, 20000)).astype(np.float32)   # 24 MB
    np.save(tmp_path / "X.npy", X)
    del X
    before = im.build_info()["copies"]
    tracemalloc.start()
    loaded = im.load(str(tmp_path / "X.npy"))
    dim = im.effective_dimension(loaded)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < loaded.nbytes / 8 and dim > 1
    assert im.build_info()["copies"] == before


def test_reader_errors(tmp_path):
    np.savez(tmp_path / "z.npz", x=np.arange(3))
    with pytest.raises(im.Error, match=r"z.npz: no member 'y' \(members: x\)"):
        im.load(f"{tmp_path}/z.npz:y")
    with pytest.raises(im.Error, match="missing.npy: cannot open"):
        im.load(f"{tmp_path}/missing.npy")
    (tmp_path / "bad.npy").write_bytes(b"not an npy file at all")
    with pytest.raises(im.Error, match="bad.npy"):
        im.load(f"{tmp_path}/bad.npy")
