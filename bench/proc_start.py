#!/usr/bin/env python3
"""What the preload costs a process that starts, does little and ends, in
one run against its native anchor (issue 17, "Per process start"):

  true   /bin/true, natively and with LD_PRELOAD=libgreen.so: the median
         of many runs, in pairs ordered A B then B A. Goal: within 50 us.
         Beside them, /bin/true with an empty shared object preloaded
         (built here with cc): the floor of preloading anything.
  shell  a dash loop running 2000 short external commands, natively and
         under greenrun (so every command loads libgreen). Goal: <= 3 %.
  make   make -j2 compiling 200 small C files generated in a temporary
         directory, natively and under greenrun. Goal: <= 3 %.

Wall time is the figure of each goal; CPU time (user + system of the
children) is printed beside it, as it is steadier on a shared machine.
Interleaved A B B A, so that drift hits both sides alike.

usage: proc_start.py LIBGREEN GREENRUN [--true-runs N] [--runs N]
                     [--only true,shell,make] [--json FILE]"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("lib")
ap.add_argument("greenrun")
ap.add_argument("--true-runs", type=int, default=3000,
                help="/bin/true runs each way")
ap.add_argument("--runs", type=int, default=5,
                help="runs each way of the shell loop and of make")
ap.add_argument("--commands", type=int, default=2000)
ap.add_argument("--files", type=int, default=200)
ap.add_argument("--only", default="true,shell,make")
ap.add_argument("--json")
args = ap.parse_args()
only = set(args.only.split(","))
lib = os.path.abspath(args.lib)
greenrun = os.path.abspath(args.greenrun)

base_env = {k: v for k, v in os.environ.items()
            if k != "LD_PRELOAD" and not k.startswith("GREEN_")}
results = {}


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def alternate(variants, runs, one):
    """Runs one(name, spec) for each variant, runs times, A B then B A;
    returns {name: [(wall s, cpu s), ...]}."""
    out = {name: [] for name in variants}
    names = list(variants)
    for i in range(runs):
        for name in (names if i % 2 == 0 else names[::-1]):
            out[name].append(one(name, variants[name]))
    return out


def summary(samples):
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    return {"median_s": statistics.median(wall), "best_s": min(wall),
            "cpu_median_s": statistics.median(cpu), "runs": len(wall)}


# ---- /bin/true ------------------------------------------------------------
if "true" in only:
    exe = shutil.which("true") or "/bin/true"
    env_pre = dict(base_env, LD_PRELOAD=lib)

    def spawn_true(name, env):
        t0 = time.perf_counter()
        pid = os.posix_spawn(exe, [exe], env)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            sys.exit(f"{exe} failed under {name}: status {status}")
        return wall, ru.ru_utime + ru.ru_stime

    floor_dir = tempfile.mkdtemp(prefix="proc_start.")
    empty = os.path.join(floor_dir, "libempty.so")
    with open(os.path.join(floor_dir, "empty.c"), "w") as f:
        f.write("int proc_start_empty(void) { return 0; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", empty,
                    os.path.join(floor_dir, "empty.c")], check=True)
    env_empty = dict(base_env, LD_PRELOAD=empty)
    for warm in range(50):  # page cache, dentries
        spawn_true("warm-up", env_pre)
        spawn_true("warm-up", env_empty)
    s = alternate({"native": base_env, "preload": env_pre,
                   "empty": env_empty}, args.true_runs, spawn_true)
    shutil.rmtree(floor_dir)
    results["true"] = {k: summary(v) for k, v in s.items()}
    results["true"]["empty_extra_us"] = (
        results["true"]["empty"]["median_s"]
        - results["true"]["native"]["median_s"]) * 1e6
    d = (results["true"]["preload"]["median_s"]
         - results["true"]["native"]["median_s"]) * 1e6
    results["true"]["extra_us"] = d
    results["true"]["goal_us"] = 50
    results["true"]["met"] = d <= 50


# ---- a shell loop of short commands -----------------------------------------
def timed(cmd, env, cwd=None):
    c0, t0 = cpu_children(), time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, cpu_children() - c0


if "shell" in only:
    dash = shutil.which("dash") or "/bin/sh"
    # Four kinds of short external command, in turn.
    loop = (f"i=0; while [ $i -lt {args.commands // 4} ]; do "
            "/bin/true; /bin/echo x; /usr/bin/expr $i + 1; "
            "/bin/cat /dev/null; i=$((i+1)); done")
    s = alternate({"native": [dash, "-c", loop],
                   "greenrun": [greenrun, dash, "-c", loop]},
                  args.runs, lambda name, cmd: timed(cmd, base_env))
    results["shell"] = {k: summary(v) for k, v in s.items()}
    results["shell"]["commands"] = args.commands // 4 * 4


# ---- make -j2 of small C files ------------------------------------------------
if "make" in only:
    work = tempfile.mkdtemp(prefix="proc_start.")
    try:
        objs = []
        for i in range(args.files):
            with open(os.path.join(work, f"f{i}.c"), "w") as f:
                f.write(f"#include <stdio.h>\n#include <string.h>\n"
                        f"int f{i}(const char *s)\n{{\n"
                        f"    char b[64];\n    snprintf(b, sizeof b, \"%s{i}\", s);\n"
                        f"    return (int)strlen(b) + {i};\n}}\n")
            objs.append(f"f{i}.o")
        with open(os.path.join(work, "Makefile"), "w") as f:
            f.write("all: " + " ".join(objs) + "\n"
                    "%.o: %.c\n\t$(CC) -O2 -c $< -o $@\n"
                    "clean:\n\trm -f *.o\n")

        def make(name, cmd):
            subprocess.run(["make", "-s", "clean"], cwd=work, check=True,
                           env=base_env)
            c0, t0 = cpu_children(), time.perf_counter()
            subprocess.run(cmd, cwd=work, check=True, env=base_env,
                           stdout=subprocess.DEVNULL)
            return time.perf_counter() - t0, cpu_children() - c0

        make("warm-up", ["make", "-s", "-j2"])
        s = alternate({"native": ["make", "-s", "-j2"],
                       "greenrun": [greenrun, "make", "-s", "-j2"]},
                      args.runs, make)
        results["make"] = {k: summary(v) for k, v in s.items()}
        results["make"]["files"] = args.files
    finally:
        shutil.rmtree(work)

for name in ("shell", "make"):
    if name in results:
        r = results[name]
        r["ratio_median"] = r["greenrun"]["median_s"] / r["native"]["median_s"]
        r["ratio_cpu"] = (r["greenrun"]["cpu_median_s"]
                          / r["native"]["cpu_median_s"])
        r["goal"] = 1.03
        r["met"] = r["ratio_median"] <= 1.03

# ---- report ---------------------------------------------------------------
print("proc_start: short processes natively and under the preload, "
      "alternating A B B A")
if "true" in results:
    r = results["true"]
    print(f"  /bin/true, median of {r['native']['runs']} runs each"
          f"{'':10} {'wall us':>9} {'CPU us':>9}")
    for k, label in (("native", "native (anchor)"),
                     ("empty", "LD_PRELOAD=an empty shared object"),
                     ("preload", "LD_PRELOAD=libgreen.so")):
        print(f"    {label:44} {r[k]['median_s'] * 1e6:9.1f} "
              f"{r[k]['cpu_median_s'] * 1e6:9.1f}")
    cpu_d = (r["preload"]["cpu_median_s"] - r["native"]["cpu_median_s"]) * 1e6
    cpu_e = (r["empty"]["cpu_median_s"] - r["native"]["cpu_median_s"]) * 1e6
    print(f"    {'empty - native (the floor)':44} {r['empty_extra_us']:9.1f} "
          f"{cpu_e:9.1f}")
    print(f"    {'libgreen - native':44} {r['extra_us']:9.1f} {cpu_d:9.1f}")
    print(f"    goal within 50 us: {'met' if r['met'] else 'MISSED'}")
for name, what in (("shell", "dash loop of {commands} short commands"),
                   ("make", "make -j2 of {files} small C files")):
    if name not in results:
        continue
    r = results[name]
    print(f"  {what.format(**r)}, median of {r['native']['runs']} runs"
          f"{'':4} {'wall s':>9} {'CPU s':>9}")
    for k, label in (("native", "native (anchor)"), ("greenrun", "greenrun")):
        print(f"    {label:44} {r[k]['median_s']:9.3f} "
              f"{r[k]['cpu_median_s']:9.3f}")
    print(f"    {'ratio greenrun/native':44} {r['ratio_median']:8.3f}x "
          f"{r['ratio_cpu']:8.3f}x")
    print(f"    goal <= 1.03x: {'met' if r['met'] else 'MISSED'}")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"bench": "proc_start", **results}, f, indent=2)
