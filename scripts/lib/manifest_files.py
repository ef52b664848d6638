"""Writers for activation dumps in the manifest format of docs/manifest.md, shared by the scripts
that make them (examples/toy_icl/dump.py, validation/run.py). numpy only.

    sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
    from manifest_files import write_safetensors, padded
"""

import json
import struct

import numpy as np

_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f2"): "F16", np.dtype("<f8"): "F64",
           np.dtype("<i8"): "I64", np.dtype("<i4"): "I32"}


def write_safetensors(path, tensors, metadata=None):
    """Writes a .safetensors file: an 8-byte little-endian header length, a JSON header
    {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} padded with
    spaces to a multiple of 8 bytes, then the raw little-endian C-order data; offsets count from
    the end of the header."""
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype not in _DTYPES:
            raise ValueError(f"write_safetensors: unsupported dtype {array.dtype} of '{name}'")
        data = array.astype(dtype, copy=False).tobytes(order="C")
        header[name] = {"dtype": _DTYPES[dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def padded(rows):
    """Stacks ragged int lists into an int64 array padded with -1 (the manifest's position arrays)."""
    width = max(1, max(len(r) for r in rows))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out
