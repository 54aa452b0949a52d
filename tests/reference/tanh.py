#!/usr/bin/env python3
"""Writes tests/reference/tanh.txt: points x and tanh(x) correctly rounded to
f64, computed with mpmath at 200 bits. src/builtins/tanh.rs's test holds rwd's
tanh within 2 ulp of these. Re-run only to change the points:
    python3 tests/reference/tanh.py > tests/reference/tanh.txt
"""
import random
import struct

import mpmath

mpmath.mp.prec = 200


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


random.seed(20261204)
xs = [random.uniform(0, 1) for _ in range(700)]
xs += [random.uniform(1, 25) for _ in range(600)]
xs += [10 ** random.uniform(-300, 0) for _ in range(200)]
print("# x_bits tanh_bits (hex); tanh correctly rounded, mpmath 200 bits")
for x in xs:
    print(f"{bits(x):016x} {bits(float(mpmath.tanh(mpmath.mpf(x)))):016x}")
