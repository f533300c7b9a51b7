#!/usr/bin/env python3
"""The cost of the shim for a program that has nothing to overlap: a
single-threaded, I/O-heavy pipeline (dd writing 1 GiB into a pipe, cat
reading it), run natively and under greenrun, alternating A B B A so that
drift on this noisy machine hits both alike. Reports the median and best
wall time of each, the median CPU time (user + system, steadier here than
wall time), and their ratios. Goal: greenrun within 3 % of native.

usage: passthrough.py GREENRUN [--runs N] [--mib N] [--json FILE]"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("greenrun")
ap.add_argument("--runs", type=int, default=20)
ap.add_argument("--mib", type=int, default=1024)
ap.add_argument("--json")
args = ap.parse_args()

pipeline = (f"dd if=/dev/zero bs=64K count={args.mib * 16} status=none"
            " | cat > /dev/null")
variants = {"native": ["sh", "-c", pipeline],
            "greenrun": [args.greenrun, "sh", "-c", pipeline]}
times = {name: [] for name in variants}
cpu = {name: [] for name in variants}


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


for i in range(args.runs):
    # Each pair in turn order A B, then B A: neither always goes first.
    order = list(variants.items())
    for name, cmd in (order if i % 2 == 0 else order[::-1]):
        c0, t0 = children_cpu(), time.monotonic()
        subprocess.run(cmd, check=True)
        times[name].append(time.monotonic() - t0)
        cpu[name].append(children_cpu() - c0)

stats = {name: {"median_s": statistics.median(v), "best_s": min(v),
                "cpu_median_s": statistics.median(cpu[name]), "runs": v}
         for name, v in times.items()}
ratio_med = stats["greenrun"]["median_s"] / stats["native"]["median_s"]
ratio_best = stats["greenrun"]["best_s"] / stats["native"]["best_s"]
print(f"passthrough: {args.mib} MiB through dd | cat, {args.runs} runs each, "
      "alternating A B B A")
ratio_cpu = stats["greenrun"]["cpu_median_s"] / stats["native"]["cpu_median_s"]
print(f"  {'':28} {'median s':>9} {'best s':>9} {'CPU s':>9}")
for name in variants:
    print(f"  {name + (' (anchor)' if name == 'native' else ''):28} "
          f"{stats[name]['median_s']:9.3f} {stats[name]['best_s']:9.3f} "
          f"{stats[name]['cpu_median_s']:9.3f}")
print(f"  {'ratio greenrun/native':28} {ratio_med:8.3f}x {ratio_best:8.3f}x "
      f"{ratio_cpu:8.3f}x")
met = ratio_med <= 1.03
print(f"  goal greenrun/native <= 1.03x: {'met' if met else 'missed'}")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"benchmark": "passthrough", "pipeline": pipeline,
                   "variants": stats, "ratio_median": ratio_med,
                   "ratio_best": ratio_best, "ratio_cpu": ratio_cpu, "goal": 1.03, "met": met}, f,
                  indent=2)
