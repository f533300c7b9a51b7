#!/usr/bin/env python3
"""The wrapper matrix (after libfaketime's): the snippet of every wrapper
family called from another library's constructor, from main, from an OS
thread of the program's own and after fork, run natively and then with
libgreen preloaded, with jemalloc preloaded before and after libgreen
(its start-up calls our wrappers), and linked with -lgreen. Every run's
output must equal the native one. Prints TAP.

usage: matrix.py LIBGREEN MATRIX MATRIX_LINKED"""
import glob
import os
import subprocess
import sys

lib, prog, linked = sys.argv[1:4]
jemalloc = sorted(glob.glob("/usr/lib/*/libjemalloc.so.2") +
                  glob.glob("/usr/lib/libjemalloc.so.2"))


def run(cmd, preload=None):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    r = subprocess.run([cmd], capture_output=True, text=True, timeout=30,
                       env=env)
    return r.returncode, r.stdout, r.stderr


native = run(prog)
variants = [("preloaded", prog, lib), ("linked with -lgreen", linked, None)]
if jemalloc:
    variants += [("jemalloc preloaded before libgreen", prog,
                  f"{jemalloc[0]} {lib}"),
                 ("jemalloc preloaded after libgreen", prog,
                  f"{lib} {jemalloc[0]}")]
n = 0
n += 1
ok = native[0] == 0 and native[1].count("\n") == 5 * 13
print(f"{'ok' if ok else 'not ok'} {n} - native run: exit {native[0]}, "
      f"{native[1].count(chr(10))} lines")
for what, cmd, preload in variants:
    got = run(cmd, preload)
    n += 1
    same = got[:2] == native[:2] and not got[2]
    print(f"{'ok' if same else 'not ok'} {n} - {what}: same output as native")
    if not same:
        print(f"# exit {got[0]}\n# stderr: {got[2]!r}")
        for a, b in zip(native[1].splitlines(), got[1].splitlines()):
            if a != b:
                print(f"# native: {a}\n# got:    {b}")
if not jemalloc:
    n += 1
    print(f"ok {n} # SKIP libjemalloc2 is not installed")
print(f"1..{n}")
