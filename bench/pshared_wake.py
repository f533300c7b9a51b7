#!/usr/bin/env python3
"""Wakes between processes through process-shared objects: a parent and its
child pass a token back and forth (bench/pshared_pingpong.c) through two
semaphores, then a mutex and condition variable, natively and under the
preload, alternating A B B A. Each process has an idle thread, so that under
the preload every wait is a green one (on the offload pool, src/kept.c).
Goal: under the preload, at most 2x the native time per round trip.

usage: pshared_wake.py LIBGREEN PSHARED_PINGPONG [--runs N] [-n N] [--json FILE]"""
import argparse
import json
import os
import statistics
import subprocess

GOAL = 2.0
ap = argparse.ArgumentParser()
ap.add_argument("lib")
ap.add_argument("prog")
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("-n", type=int, default=20000, help="round trips per run")
ap.add_argument("--json")
args = ap.parse_args()

env_green = dict(os.environ, LD_PRELOAD=os.path.abspath(args.lib))
variants = {"native": dict(os.environ), "greenrun": env_green}
ns = {v: {"sem": [], "cond": []} for v in variants}
for i in range(args.runs):
    order = list(variants) if i % 2 == 0 else list(variants)[::-1]
    for name in order:
        out = subprocess.run([args.prog, str(args.n)], env=variants[name],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            what, val = line.split()
            ns[name][what].append(float(val))

print(f"pshared_wake: round trip between two processes, median of "
      f"{args.runs} runs of {args.n}")
print(f"  {'':28s} {'native ns':>10s} {'greenrun ns':>12s} {'ratio':>7s}")
result = {"bench": "pshared_wake", "n": args.n, "runs": args.runs,
          "goal": f"greenrun/native <= {GOAL}"}
met = True
for what, label in (("sem", "sem_post -> sem_wait"),
                    ("cond", "mutex + cond signal")):
    nat = statistics.median(ns["native"][what])
    grn = statistics.median(ns["greenrun"][what])
    ratio = grn / nat
    met &= ratio <= GOAL
    print(f"  {label:28s} {nat:10.0f} {grn:12.0f} {ratio:6.2f}x")
    result[what] = {"native_ns": nat, "greenrun_ns": grn, "ratio": ratio,
                    "native_all": ns["native"][what],
                    "greenrun_all": ns["greenrun"][what]}
result["met"] = met
print(f"  goal greenrun/native <= {GOAL:.0f}x: {'met' if met else 'MISSED'}")
if args.json:
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
