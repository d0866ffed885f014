"""Regenerates the .npy test files read by NpyTest (run from this folder: python3 make_npy.py).

Written with Debian's python3-numpy. Every value here is asserted exactly by the Java test, so keep
the two in step when changing anything.
"""
import numpy as np
from numpy.lib import format as npf

# float32 [2, 3] (v1.0): values that are not exact in binary, rounded to float32 by NumPy
np.save("f4_2x3.npy", np.array([[0.1, -1.5, 2.0], [1 / 3, 1e-7, 65504.0]], dtype=np.float32))
# float64 [4] (v1.0)
np.save("f8_4.npy", np.array([0.1, -2.5, 1 / 3, 1e300], dtype=np.float64))
# int32 [3] and int64 [2, 2] labels
np.save("i4_3.npy", np.array([7, -3, 2147483647], dtype=np.int32))
np.save("i8_2x2.npy", np.array([[1, -2], [3, 4]], dtype=np.int64))
# int64 value outside the int32 range
np.save("i8_big.npy", np.array([1, 2**40], dtype=np.int64))
# bool [3]
np.save("b1_3.npy", np.array([True, False, True]))
# big-endian float64 [3]
np.save("f8be_3.npy", np.array([1.25, -0.1, 3.0], dtype=">f8"))
# a float32 scalar (shape ()) and an empty [0, 3] array
np.save("f4_scalar.npy", np.float32(2.5))
np.save("f4_0x3.npy", np.zeros((0, 3), dtype=np.float32))
# the same [2, 3] float32 array in format versions 2.0 and 3.0
arr = np.arange(6, dtype=np.float32).reshape(2, 3) / 8
for version in [(2, 0), (3, 0)]:
    with open("f4_2x3_v%d.npy" % version[0], "wb") as f:
        npf.write_array(f, arr, version=version)
# [2, 3] float64 in Fortran order (rejected) and a 1-d float64 array flagged Fortran (accepted)
np.save("f8_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
with open("f8_fortran_1d.npy", "wb") as f:
    header = {"descr": "<f8", "fortran_order": True, "shape": (3,)}
    npf.write_array_header_1_0(f, header)
    f.write(np.array([1.0, 2.0, 3.0]).tobytes())
# unsupported dtypes: complex64 and float16
np.save("c8_2.npy", np.array([1 + 2j, 3 - 4j], dtype=np.complex64))
np.save("f2_2.npy", np.array([1.0, 2.0], dtype=np.float16))
# truncated: a float64 [10] file missing its last 5 bytes
np.save("f8_10.npy", np.arange(10, dtype=np.float64))
with open("f8_10.npy", "rb") as f:
    data = f.read()
with open("f8_truncated.npy", "wb") as f:
    f.write(data[:-5])
import os
os.remove("f8_10.npy")
