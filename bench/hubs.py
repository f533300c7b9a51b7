#!/usr/bin/env python3
"""Many cores (GREEN_HUBS), each figure against its native anchor in the
same run:
  - a cross-hub hand-off (bench/handoff.c: mutex+condvar, semaphores)
    between two green threads on two hubs, against two native threads
    (goal: at most 1.0x);
  - CPU-parallel unmodified programs, pigz -p2 and xz -T2 on a 64 MiB
    file, under greenrun with the default hubs against native wall time
    (goal: at most 1.10x), and with GREEN_HUBS=1 for reference.
Prints a table; --json FILE writes the figures; --quick leaves out xz,
which takes minutes on 64 MiB.
Usage: hubs.py GREENRUN HANDOFF [--quick] [--json FILE]"""
import json, os, shutil, subprocess, sys, tempfile, time

greenrun, handoff = sys.argv[1], sys.argv[2]
jfile = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
env = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
rows = []


def run(argv, extra=None, green=False):
    e = dict(env, **(extra or {}))
    t0 = time.monotonic()
    p = subprocess.run(([greenrun] if green else []) + argv, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       check=True)
    return time.monotonic() - t0, p.stdout


def best(n, f):
    return min(f() for _ in range(n))


for mode, rounds in (("condvar", "200000"), ("sem", "200000")):
    nat = best(3, lambda: float(run([handoff, mode, rounds])[1]))
    grn = best(3, lambda: float(run([handoff, mode, rounds],
                                    {"GREEN_HUBS": "2"}, True)[1]))
    rows.append(("hand-off %s, 2 hubs" % mode, "ns", nat, grn, 1.0))

data = tempfile.NamedTemporaryFile(delete=False)
try:
    # 64 MiB that compresses like text: words from a fixed seed.
    import random
    rnd = random.Random(1)
    words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz")
                   for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
    size = 0
    while size < 64 << 20:
        chunk = b" ".join(rnd.choice(words) for _ in range(20000)) + b"\n"
        data.write(chunk)
        size += len(chunk)
    data.close()
    for name, argv in (("pigz -p2", ["pigz", "-p2", "-c", data.name]),
                       ("xz -T2 -1", ["xz", "-T2", "-1", "-c", data.name])):
        if "--quick" in sys.argv and argv[0] == "xz":
            continue
        if not shutil.which(argv[0]):
            print("(%s not installed: skipped)" % argv[0])
            continue
        # Interleaved, best of three each: this VM's wall times vary by
        # a third from one run to the next.
        nat = grn = one = float("inf")
        for _ in range(3):
            nat = min(nat, run(argv)[0])
            grn = min(grn, run(argv, green=True)[0])
            one = min(one, run(argv, {"GREEN_HUBS": "1"}, True)[0])
        rows.append((name + ", default hubs", "s", nat, grn, 1.10))
        rows.append((name + ", GREEN_HUBS=1", "s", nat, one, None))
finally:
    os.unlink(data.name)

print("%-32s %12s %12s %8s %6s" % ("benchmark", "native", "greenrun", "ratio", "goal"))
out = []
for name, unit, nat, grn, goal in rows:
    print("%-32s %10.3f %s %10.3f %s %8.2f %6s" % (
        name, nat, unit, grn, unit, grn / nat, "%.2f" % goal if goal else "-"))
    out.append({"name": name, "unit": unit, "native": nat, "green": grn,
                "ratio": grn / nat, "goal": goal})
if jfile:
    with open(jfile, "w") as f:
        json.dump(out, f, indent=1)
