#!/usr/bin/env python3
"""pthread_create + pthread_join in an unmodified program (pthread_cycle),
natively and under the preload, where each thread is a green thread with
TLS of its own, alternating A B B A. Goal: native/greenrun >= 30.

usage: spawn_preload.py LIBGREEN PTHREAD_CYCLE [--runs N] [-n N] [--json FILE]"""
import argparse
import json
import os
import statistics
import subprocess

GOAL = 30.0
ap = argparse.ArgumentParser()
ap.add_argument("lib")
ap.add_argument("prog")
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("-n", type=int, default=20000, help="native cycles per run")
ap.add_argument("--json")
args = ap.parse_args()

env_green = dict(os.environ, LD_PRELOAD=os.path.abspath(args.lib))
# The green side runs 10 times as many cycles: each is far shorter.
variants = {"native": ([args.prog, str(args.n)], dict(os.environ)),
            "greenrun": ([args.prog, str(args.n * 10)], env_green)}
ns = {name: [] for name in variants}
for i in range(args.runs):
    order = list(variants) if i % 2 == 0 else list(variants)[::-1]
    for name in order:
        argv, env = variants[name]
        out = subprocess.run(argv, env=env, check=True, capture_output=True,
                             text=True).stdout
        ns[name].append(float(out.split()[0]))

best = {k: min(v) for k, v in ns.items()}
med = {k: statistics.median(v) for k, v in ns.items()}
ratio = best["native"] / best["greenrun"]
ratio_med = med["native"] / med["greenrun"]
print(f"spawn_preload: pthread_create + join in an unmodified program, "
      f"best and median of {args.runs} runs")
print(f"  {'':40s} {'best ns':>10s} {'median ns':>10s}")
print(f"  {'natively (anchor)':40s} {best['native']:10.0f} {med['native']:10.0f}")
print(f"  {'under the preload (own TLS)':40s} {best['greenrun']:10.0f} "
      f"{med['greenrun']:10.0f}")
print(f"  {'ratio native/greenrun':40s} {ratio:9.1f}x {ratio_med:9.1f}x")
print(f"  goal native/greenrun >= {GOAL:.0f}x: "
      f"{'met' if ratio >= GOAL else 'MISSED'}")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"bench": "spawn_preload", "n_native": args.n,
                   "n_green": args.n * 10, "runs": args.runs,
                   "native_ns": {"min": best["native"], "median": med["native"]},
                   "greenrun_ns": {"min": best["greenrun"],
                                   "median": med["greenrun"]},
                   "ratio": ratio, "ratio_median": ratio_med,
                   "goal": f"native/greenrun >= {GOAL:.0f}",
                   "met": ratio >= GOAL}, f, indent=1)
        f.write("\n")
