#!/usr/bin/env python3
"""Spawn + join latency of one thread at a time: Go's goroutine (the
anchor, GOMAXPROCS=1, Debian's golang-go) against green_spawn +
green_join linked (bench_spawn's green figure, own TLS) and an unmodified
program's pthread_create + pthread_join under the preload
(pthread_cycle), all in one run, each the best and median of its runs.
Builds bench/go_spawn.go into the build directory.

usage: spawn_go.py BUILD [--runs N] [--json FILE]"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("-n", type=int, default=200000)
ap.add_argument("--json")
args = ap.parse_args()
B = os.path.abspath(args.build)
here = os.path.dirname(os.path.abspath(__file__))
go = shutil.which("go")
if not go:
    sys.exit("spawn_go: no go on PATH (apt-get install golang-go)")
exe = os.path.join(B, "bench", "go_spawn")
src = os.path.join(here, "go_spawn.go")
if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
    subprocess.run([go, "build", "-o", exe, src], check=True,
                   env=dict(os.environ, GOCACHE=os.path.join(B, "go-cache"),
                            GO111MODULE="off"))

lib = os.path.join(B, "preload", "libgreen.so")
ns = {"go": [], "green": [], "preload": []}
for i in range(args.runs):
    out = subprocess.run([exe, "-n", str(args.n), "-r", "1"], check=True,
                         capture_output=True, text=True,
                         env=dict(os.environ, GOMAXPROCS="1")).stdout
    ns["go"].append(float(out.split()[0]))
    out = subprocess.run([os.path.join(B, "bench", "bench_spawn"), "-n",
                          str(args.n // 100), "-m", str(args.n), "-r", "1"],
                         check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if "green_spawn + green_join" in l)
    ns["green"].append(float(line.split()[-2]))
    out = subprocess.run([os.path.join(B, "bench", "pthread_cycle"),
                          str(args.n)], check=True, capture_output=True,
                         text=True, env=dict(os.environ, LD_PRELOAD=lib)).stdout
    ns["preload"].append(float(out.split()[0]))

best = {k: min(v) for k, v in ns.items()}
med = {k: statistics.median(v) for k, v in ns.items()}
print(f"spawn_go: spawn + join of one thread at a time, best and median of "
      f"{args.runs} runs of {args.n}")
print(f"  {'':44s} {'best ns':>9s} {'median ns':>9s} {'/ go':>7s}")
for k, label in (("go", "goroutine + channel, GOMAXPROCS=1 (anchor)"),
                 ("green", "green_spawn + green_join (own TLS)"),
                 ("preload", "pthread_create + join under the preload")):
    print(f"  {label:44s} {best[k]:9.0f} {med[k]:9.0f} "
          f"{best[k] / best['go']:6.2f}x")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"bench": "spawn_go", "n": args.n, "runs": ns,
                   "best_ns": best, "median_ns": med}, f, indent=2)
