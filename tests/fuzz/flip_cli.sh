#!/bin/sh
# SPDX-License-Identifier: MIT
# flip_cli.sh HEAPTRACE-REPORT LOG
# heaptrace-report on LOG with one bit flipped in each byte in turn (bit
# i mod 8 of byte i; issue 14 item 6): every copy must exit 2 with a message
# naming a byte offset, or exit 0 with a warning naming the damage; no
# other status, no signal. test_framecheck flips all 8 bits of every byte
# through the reader alone; this runs the whole analyzer.
set -u
report=$1 log=$2
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
python3 - "$report" "$log" <<'PY'
import os, subprocess, sys, tempfile
report, log = sys.argv[1], sys.argv[2]
data = open(log, "rb").read()
refused = warned = 0
bad = []
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "flip.htrace")
    for i in range(len(data)):
        copy = bytearray(data)
        copy[i] ^= 1 << (i % 8)
        with open(path, "wb") as f:
            f.write(copy)
        p = subprocess.run([report, "--no-children", "--no-symbols", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode(errors="replace")
        if p.returncode == 2 and ("byte" in err or "version" in err):
            refused += 1
        elif p.returncode == 0 and "warning:" in err:
            warned += 1
        else:
            bad.append("byte %d bit %d: exit %d: %s" % (i, i % 8, p.returncode, err.strip()[:300]))
print("%d bytes flipped: %d refused (exit 2), %d read with a warning, %d unnoticed or wrong"
      % (len(data), refused, warned, len(bad)))
for b in bad[:20]:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
