"""Fixture files for the activation readers (tests/io/*.cpp).

Writes, under tests/data/io/:
  - .npy files written by numpy: float32 C order, float64 Fortran order, float16, format
    versions 2.0 and 3.0 (numpy.lib.format.write_array), every integer dtype and bool, an empty
    array (a 0 in the shape), a scalar, a uint64 above the int64 range;
  - acts.npz (numpy.savez: stored members) and acts_compressed.npz (numpy.savez_compressed:
    deflate members), with their zip timestamps set to 1980-01-01 so that they regenerate byte
    for byte;
  - zip64.npz, assembled here: zip64 extra fields in the local and central headers, zip64
    end-of-central-directory record and locator, a stored member whose data is 64-byte aligned
    (read in place) and a deflate member;
  - acts.safetensors (header padded to 8 bytes, tensors aligned: read in place) with every
    dtype, an empty tensor and __metadata__; misaligned.safetensors (header not padded: the
    readers copy);
  - io_values.txt: every value the tests compare against, and the correlation-distance RDM
    (scipy pdist) of the matrix in rdm_x.npy.
The files are small (< 200 KB together).

Run from the repository root:  .venv/bin/python tests/data/make_io_fixtures.py
"""

import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np
import scipy
from scipy.spatial.distance import pdist

from fixture_writer import DATA_DIR, FixtureWriter

OUT = os.path.join(DATA_DIR, "io")
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
DOS_TIME = 0


def path(name):
    return os.path.join(OUT, name)


def save_npy(name, array, version=None):
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


def npy_bytes(array, version=(1, 0)):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def fix_zip_times(file_name):
    """Sets the modification time of every member (local and central headers) to 1980-01-01."""
    with zipfile.ZipFile(path(file_name)) as z:
        offsets = [info.header_offset for info in z.infolist()]
    data = bytearray(open(path(file_name), "rb").read())
    for offset in offsets:
        assert data[offset:offset + 4] == b"PK\x03\x04"
        struct.pack_into("<HH", data, offset + 10, DOS_TIME, DOS_DATE)
    eocd = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    p = cd_offset
    for _ in range(count):
        assert data[p:p + 4] == b"PK\x01\x02"
        struct.pack_into("<HH", data, p + 12, DOS_TIME, DOS_DATE)
        n, m, k = struct.unpack_from("<HHH", data, p + 28)
        p += 46 + n + m + k
    with open(path(file_name), "wb") as f:
        f.write(bytes(data))


def zip64_archive(members):
    """A zip archive with zip64 records throughout. members: (name, payload, method)."""
    out = bytearray()
    central = bytearray()
    for name, payload, method in members:
        raw = name.encode()
        data = payload
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = c.compress(payload) + c.flush()
        crc = zlib.crc32(payload) & 0xFFFFFFFF
        offset = len(out)
        zip64_local = struct.pack("<HHQQ", 1, 16, len(payload), len(data))
        # Pad the local header (an unknown extra field, ignored by readers) so that the member's
        # data starts on a 64-byte boundary.
        base = offset + 30 + len(raw) + len(zip64_local) + 4
        pad = (-base) % 64
        extra = zip64_local + struct.pack("<HH", 0xCAFE, pad) + b"\0" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, DOS_TIME, DOS_DATE, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(raw), len(extra))
        out += raw + extra
        assert method != 0 or len(out) % 64 == 0
        out += data
        zip64_central = struct.pack("<HHQQQ", 1, 24, len(payload), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, DOS_TIME, DOS_DATE,
                               crc, 0xFFFFFFFF, 0xFFFFFFFF, len(raw), len(zip64_central), 0, 0, 0, 0,
                               0xFFFFFFFF)
        central += raw + zip64_central
    cd_offset = len(out)
    out += central
    eocd64 = len(out)
    n = len(members)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


SAFETENSORS_DTYPES = {
    "F16": np.float16, "F32": np.float32, "F64": np.float64,
    "I8": np.int8, "I16": np.int16, "I32": np.int32, "I64": np.int64,
    "U8": np.uint8, "U16": np.uint16, "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_,
}
ITEMSIZE = {"BF16": 2, **{k: np.dtype(v).itemsize for k, v in SAFETENSORS_DTYPES.items()}}


def safetensors_bytes(tensors, metadata, pad_header=True):
    """tensors: (name, dtype name, raw little-endian bytes, shape). The header is padded with
    spaces to a multiple of 8 bytes (pad_header) or to 1 more than one (misaligned data)."""
    header = {}
    data = bytearray()
    # Larger items first: every tensor starts aligned to its item size.
    for name, dtype, raw, shape in sorted(tensors, key=lambda t: (-ITEMSIZE[t[1]], t[0])):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    if pad_header:
        text += b" " * ((-len(text)) % 8)
    else:
        text += b" " * ((1 - len(text)) % 8)   # the data starts 1 byte past an 8-byte boundary
    return struct.pack("<Q", len(text)) + text + bytes(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    w = FixtureWriter("io/io_values.txt",
                      "Values of the arrays in tests/data/io (C order), for the reader tests,\n"
                      "and the correlation-distance RDM (scipy pdist) of rdm_x.npy.",
                      "make_io_fixtures.py",
                      versions="numpy %s scipy %s" % (np.__version__, scipy.__version__))

    f32 = rng.normal(size=(5, 4)).astype(np.float32)
    save_npy("f32_c.npy", f32)
    w.f8("f32_c", f32)
    f64 = np.asfortranarray(rng.normal(size=(3, 5)))
    save_npy("f64_fortran.npy", f64)
    w.f8("f64_fortran", f64)
    f16 = rng.normal(size=(2, 3)).astype(np.float16)
    save_npy("f16.npy", f16)
    w.f8("f16", f16.astype(np.float64))
    v2 = rng.normal(size=(2, 2)).astype(np.float32)
    save_npy("v2.npy", v2, version=(2, 0))
    w.f8("v2", v2)
    v3 = np.asfortranarray(rng.normal(size=(2, 3, 2)))
    save_npy("v3_fortran.npy", v3, version=(3, 0))
    w.f8("v3_fortran", v3)
    ints = {
        "i1": np.array([-128, -1, 0, 127], dtype="<i1"),
        "i2": np.array([-32768, -2, 3, 32767], dtype="<i2"),
        "i4": np.array([[-2147483648, 5], [6, 2147483647]], dtype="<i4"),
        "i8": np.array([-(2 ** 63), -3, 4, 2 ** 63 - 1], dtype="<i8"),
        "u1": np.array([0, 1, 200, 255], dtype="<u1"),
        "u2": np.array([0, 7, 65535], dtype="<u2"),
        "u4": np.array([0, 8, 4294967295], dtype="<u4"),
        "u8": np.array([0, 9, 2 ** 63 - 1], dtype="<u8"),
        "b1": np.array([[True, False, True], [False, False, True]]),
    }
    for code, array in ints.items():
        save_npy("int_%s.npy" % code, array)
        w.i8("int_" + code, array.astype(np.int64))
    save_npy("u8_big.npy", np.array([1, 2 ** 63], dtype="<u8"))
    labels = np.array([0, 2, 1, 1, 0, 2], dtype=np.int64)
    save_npy("labels.npy", labels)
    w.i8("labels", labels)
    save_npy("empty.npy", np.zeros((0, 4), dtype=np.float32))
    save_npy("scalar.npy", np.float64(2.5))
    w.f8("scalar", np.float64(2.5))

    # The matrix of the metric test and its RDM; read as C order and as Fortran order.
    x = rng.normal(size=(6, 5))
    save_npy("rdm_x.npy", x)
    save_npy("rdm_x_fortran.npy", np.asfortranarray(x))
    w.f8("rdm_x_correlation", pdist(x, "correlation"))

    # .npz archives: stored and deflate.
    hidden = rng.normal(size=(3, 4, 5)).astype(np.float32)
    w.f8("hidden", hidden)
    np.savez(path("acts.npz"), hidden=hidden, labels=labels, f16=f16, fortran=f64)
    fix_zip_times("acts.npz")
    np.savez_compressed(path("acts_compressed.npz"), hidden=hidden, labels=labels, empty=np.zeros((2, 0)))
    fix_zip_times("acts_compressed.npz")
    with open(path("zip64.npz"), "wb") as f:
        f.write(zip64_archive([("stored.npy", npy_bytes(f32), 0), ("deflated.npy", npy_bytes(v3), 8)]))
    with zipfile.ZipFile(path("zip64.npz")) as z:  # the standard library reads it back
        assert z.testzip() is None
    with np.load(path("zip64.npz")) as z:
        assert np.array_equal(z["stored"], f32) and np.array_equal(z["deflated"], v3)

    # .safetensors: every dtype. BF16 is float32 with the low 16 bits dropped (exact values).
    values = {}
    tensors = []
    for dtype, np_type in SAFETENSORS_DTYPES.items():
        if dtype == "BOOL":
            array = rng.integers(0, 2, size=(2, 3)).astype(np.bool_)
        elif np.issubdtype(np_type, np.floating):
            array = rng.normal(size=(2, 3)).astype(np_type)
        else:
            info = np.iinfo(np_type)
            array = np.array([[info.min, 0, info.max], [1, 2, 3]], dtype=np_type)
        tensors.append(("t_" + dtype, dtype, array.astype(array.dtype.newbyteorder("<")).tobytes(), array.shape))
        values["t_" + dtype] = array
    bf = rng.normal(size=(4, 3)).astype(np.float32)
    bf_bits = (bf.view(np.uint32) >> 16).astype("<u2")
    bf_exact = (bf_bits.astype(np.uint32) << 16).view(np.float32)
    tensors.append(("t_BF16", "BF16", bf_bits.tobytes(), bf.shape))
    values["t_BF16"] = bf_exact
    tensors.append(("hidden", "F32", hidden.astype("<f4").tobytes(), hidden.shape))
    tensors.append(("empty", "F32", b"", (0, 3)))
    metadata = {"format": "pt", "model": "toy"}
    with open(path("acts.safetensors"), "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))
    small = [("a", "F32", v2.astype("<f4").tobytes(), v2.shape), ("b", "F64", x.tobytes(), x.shape)]
    with open(path("misaligned.safetensors"), "wb") as f:
        f.write(safetensors_bytes(small, None, pad_header=False))
    for name, array in sorted(values.items()):
        if array.dtype.kind == "f":
            w.f8(name, array.astype(np.float64))
        elif array.dtype == np.uint64:
            w.f8(name, array.astype(np.float64))   # above int64: compared as doubles
        else:
            w.i8(name, array.astype(np.int64))
    w.write()
    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
    print("tests/data/io: %d files, %d bytes" % (len(os.listdir(OUT)), total))


if __name__ == "__main__":
    main()
