#!/usr/bin/env python3
"""Checks insn_count's output for selftest.c: interval 1 (between the markers) must hold the first
marker and the loop's 8 x 100000 instructions (and at most a few more: the set-up before the marker
in its block), each of the classes fmla_f32_elem, sdot, smmla, fmla_f16 exactly 100000 times, ldst_simd
100000 (+ a set-up store), and branch_sys 100000 plus the marker."""
import sys

ITER = 100000
classes, interval, per = None, -1, {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "classes":
        classes = f[1:]
    elif f[0] == "interval":
        interval = int(f[1])
    elif f[0] != "start_code" and interval == 1:
        n, e = int(f[1]), int(f[2])
        per["total"] = per.get("total", 0) + n * e
        for c, k in zip(classes, map(int, f[3 : 3 + len(classes)])):
            per[c] = per.get(c, 0) + k * e
ok = 8 * ITER + 1 <= per.get("total", 0) <= 8 * ITER + 8
for c in ("fmla_f32_elem", "sdot", "smmla", "fmla_f16"):
    ok &= per.get(c) == ITER
ok &= ITER <= per.get("ldst_simd", 0) <= ITER + 2
ok &= per.get("branch_sys") == ITER + 1
print(("insn_count self-test passed: " if ok else "insn_count self-test FAILED: ") + str(per))
sys.exit(0 if ok else 1)
