#!/usr/bin/env python3
"""Writes the .npy fixtures of Tests/ParallelTests with NumPy, and expected.json with what NumPy
computes from them (values, reductions), a matrix product computed by NumPy (`matmul`: the two
operands and A @ B), and SplitMix64 values computed here with Python integers (an oracle for
Verdant's counter-based random arrays).

Run from this folder:  python3 make_fixtures.py   (NumPy 2.x; the files are committed)
"""
import json
import os

import numpy as np

OUT = "npy"
os.makedirs(OUT, exist_ok=True)
expected = {"numpy": np.__version__, "files": {}, "errors": {}}

rng = np.random.default_rng(2026)
good = {
    "f8_1d": np.linspace(-3.5, 7.25, 23),
    "f8_2d": rng.standard_normal((7, 5)),
    "f8_2d_fortran": np.asfortranarray(rng.standard_normal((4, 6))),
    "f8_big_endian": np.arange(9, dtype=">f8") * 1.5 - 2,
    "f4_1d": (np.arange(13, dtype=np.float32) / 7).astype(np.float32),
    "i8_2d": rng.integers(-1000, 1000, size=(5, 8), dtype=np.int64),
    "i4_1d": np.arange(-6, 11, dtype=np.int32) * 3,
    "i2_1d": np.array([-32768, -1, 0, 1, 32767], dtype=np.int16),
    "u1_1d": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
    "bool_1d": np.array([True, False, True, True]),
    "empty_f8": np.zeros(0),
    "empty_rows_f8": np.zeros((0, 3)),
}
for name, array in good.items():
    path = f"{OUT}/{name}.npy"
    np.save(path, array)
    values = np.ascontiguousarray(array).astype(np.float64 if array.dtype.kind == "f" else np.int64)
    entry = {"shape": list(array.shape), "dtype": str(array.dtype), "values": values.ravel().tolist()}
    if array.size and array.dtype.kind in "fiu":
        a = values
        entry.update({"sum": float(a.sum()) if a.dtype.kind == "f" else int(a.sum()),
                      "mean": float(a.mean()), "var": float(a.var()), "std": float(a.std()), "var_ddof1": float(a.var(ddof=1)),
                      "min": a.min().item(), "max": a.max().item(), "argmax": int(a.argmax()), "argmin": int(a.argmin())})
        if a.ndim == 2:
            entry.update({"sum_axis0": a.sum(axis=0).tolist(), "sum_axis1": a.sum(axis=1).tolist(),
                          "mean_axis0": a.mean(axis=0).tolist(), "std_axis1": a.std(axis=1).tolist(),
                          "argmax_axis0": a.argmax(axis=0).tolist(), "argmin_axis1": a.argmin(axis=1).tolist()})
    expected["files"][name] = entry

# Version 2.0 and 3.0 headers (NumPy picks 1.0 unless told).
v2 = np.arange(6, dtype=np.float64).reshape(2, 3) / 4
with open(f"{OUT}/f8_version2.npy", "wb") as f:
    np.lib.format.write_array(f, v2, version=(2, 0))
expected["files"]["f8_version2"] = {"shape": [2, 3], "dtype": "float64", "values": v2.ravel().tolist()}
with open(f"{OUT}/f8_version3.npy", "wb") as f:
    np.lib.format.write_array(f, v2, version=(3, 0))
expected["files"]["f8_version3"] = {"shape": [2, 3], "dtype": "float64", "values": v2.ravel().tolist()}

# Files Verdant writes must equal these byte for byte.
written = {
    "write_f8_1d": np.arange(10, dtype=np.float64) * 0.5,
    "write_f8_2d": (np.arange(12, dtype=np.float64).reshape(3, 4) - 5) / 3,
    "write_f4_1d": np.arange(5, dtype=np.float32) * np.float32(0.25),
    "write_i8_2d": np.arange(-6, 6, dtype=np.int64).reshape(4, 3),
    "write_i8_long": np.arange(12345, dtype=np.int64),
    "write_empty": np.zeros(0),
}
for name, array in written.items():
    np.save(f"{OUT}/{name}.npy", array)
    expected["files"][name] = {"shape": list(array.shape), "dtype": str(array.dtype),
                               "values": array.ravel().tolist() if array.size < 1000 else None}

# Files Verdant must refuse (and why).
np.save(f"{OUT}/bad_3d.npy", np.zeros((2, 2, 2)))
np.save(f"{OUT}/bad_complex.npy", np.zeros(3, dtype=np.complex128))
np.save(f"{OUT}/bad_scalar.npy", np.float64(3.0))
np.save(f"{OUT}/bad_object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
with open(f"{OUT}/f8_1d.npy", "rb") as f:
    data = f.read()
with open(f"{OUT}/bad_truncated.npy", "wb") as f:
    f.write(data[:-5])
with open(f"{OUT}/bad_magic.npy", "wb") as f:
    f.write(b"\x93NUMPZ" + data[6:])
with open(f"{OUT}/bad_version.npy", "wb") as f:
    f.write(data[:6] + bytes([9, 0]) + data[8:])
header_end = data.index(b"\n") + 1
with open(f"{OUT}/bad_header.npy", "wb") as f:
    broken = data[:10] + data[10:header_end].replace(b"'shape'", b"'shapes'")
    f.write(broken + data[header_end:])
expected["errors"] = {
    "bad_3d": "holds a 3-D array of shape [2, 2, 2]; Verdant reads 1-D and 2-D arrays",
    "bad_complex": "header: unsupported dtype '<c16' (complex of 16 bytes)",
    "bad_scalar": "holds a 0-D array of shape []; Verdant reads 1-D and 2-D arrays",
    "bad_object": "header: unsupported dtype '|O'",
    "bad_truncated": "truncated: shape [23] of float64 needs 184 bytes of data, the file has 179",
    "bad_magic": "not a .npy file: it does not start with the magic string \\x93NUMPY",
    "bad_version": "unsupported .npy version 9.0; Verdant reads versions 1.0, 2.0 and 3.0",
    "bad_header": "header: 'shape' is missing or not a tuple of integers",
}

# A matrix product computed by NumPy (BLAS), for Verdant's blocked matmul: its own generator, so
# the values above do not change when this part does.
mm = np.random.default_rng(7)
a_mat, b_mat = mm.standard_normal((9, 7)), mm.standard_normal((7, 5))
expected["matmul"] = {"a": a_mat.ravel().tolist(), "a_shape": list(a_mat.shape),
                      "b": b_mat.ravel().tolist(), "b_shape": list(b_mat.shape),
                      "product": (a_mat @ b_mat).ravel().tolist()}

# SplitMix64 by position: element k = output k + 1 of SplitMix64(seed).
M = (1 << 64) - 1
def splitmix(seed, k):
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
def uniform(seed, k):
    return (splitmix(seed, k) >> 11) * 2.0**-53
import math
expected["random"] = {
    "seed": 42,
    "bits": [str(splitmix(42, k)) for k in range(8)],
    "uniform": [uniform(42, k) for k in range(8)],
    "normal": [math.sqrt(-2 * math.log(1 - uniform(42, 2 * k))) * math.cos(2 * math.pi * uniform(42, 2 * k + 1)) for k in range(8)],
    "integers_0_10": [(splitmix(42, k) * 10) >> 64 for k in range(8)],
}

def exact(value):
    """Floats as repr strings (JSON readers may round the last digit; Double(String) does not)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return [exact(v) for v in value]
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    return value

expected = exact(expected)
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", len(os.listdir(OUT)), "files")
