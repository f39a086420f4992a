#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# mkhostile.py N: a forged .htrace stream (format version 4, no checks) of a
# HEADER, one STACK and N ALLOC records of live blocks in one run, on stdout.
# Compressed with `zstd -3`, N = 100000000 is the 27 KB log of issue 13
# (tests/fuzz/hostile-alloc-100M.htrace) and N = 20000000 the corpus's
# hostile-alloc-20M.htrace: the reader refuses both once they hold more
# blocks than a recorder can have written by their time (0).
import sys
def uv(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def rec(tag, payload): return bytes([tag]) + uv(len(payload)) + payload
def s(x): return uv(len(x)) + x
n = int(sys.argv[1])
w = sys.stdout.buffer
hdr = uv(1) + uv(0) + uv(0) + uv(8) + uv(4096) + uv(64) + uv(0) + s(b"/bin/hostile") + uv(0) + s(b"hostile.htrace") + s(b"")
w.write(b"\x89HTRACE\n" + uv(4) + rec(0x01, hdr) + rec(0x03, uv(1) + uv(0x401000)))
chunk = b"\x10\x01\x01" * 1000000
while n >= 1000000:
    w.write(chunk); n -= 1000000
w.write(b"\x10\x01\x01" * n)
w.write(rec(0x7f, uv(0) + uv(0)))
