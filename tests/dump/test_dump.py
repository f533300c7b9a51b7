#!/usr/bin/env python3
"""green_dump and GREEN_DUMP_SIGNAL, on tests/dump/waits.c under the
preload: a dump names every wait the program's threads are in and walks
their stacks down to the program's own functions; the JSON parses; a
handler or disposition the program has is kept; greenrun --dump signals
a process that asked for dumps and refuses one that did not.

Usage: test_dump.py LIBRARY WAITS GREENRUN. Prints TAP."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import tap  # noqa: E402

lib, waits, greenrun = sys.argv[1:4]
USR2 = str(int(signal.SIGUSR2))


def run(*args, env=None, **kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
    e["GREEN_HUBS"] = "1"  # one hub: the counts below are its own
    e.update({"LD_PRELOAD": lib}, **(env or {}))
    return subprocess.run([waits, *args], env=e, capture_output=True,
                          text=True, timeout=20, **kw)


# What each wait looks like in the text dump.
REASONS = {
    "sleep": r"sleep until \+\d",
    "socket read": r"read fd \d+ \(socket 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+\)",
    "mutex": r"mutex 0x[0-9a-f]+",
    "cond": r"cond 0x[0-9a-f]+",
    "sem": r"sem 0x[0-9a-f]+",
    "join": r"join thread \d+",
    "waitpid": r"waitpid \d+",
}

r = run("signal", USR2, env={"GREEN_DUMP_SIGNAL": "USR2"})
tap.ok(r.returncode == 0 and "libgreen dump of pid" in r.stderr,
       "GREEN_DUMP_SIGNAL=USR2: raise(SIGUSR2) dumps to stderr",
       r.stderr)
for what, pattern in REASONS.items():
    tap.ok(re.search(pattern, r.stderr), f"the dump shows the {what} wait",
           r.stderr)
tap.ok(re.search(r"#\d+ +0x[0-9a-f]+ dump_sleeper\+0x[0-9a-f]+ \(.*waits\)",
                 r.stderr),
       "a backtrace names the program's own function and module", r.stderr)
tap.ok(re.search(r"hub: OS thread \d+ \(main\), \d+ ready, last poll", r.stderr),
       "the hub's block: OS thread, run queue, last poll", r.stderr)
tap.ok(len(re.findall(r"created by thread 1, starting at \S+ \(.*waits\)",
                      r.stderr)) == 7,
       "each of the 7 threads: created by thread 1, in the program", r.stderr)

r = run("text")
tap.ok(r.returncode == 0 and all(re.search(p, r.stdout)
                                 for p in REASONS.values()),
       "green_dump(1, GREEN_DUMP_TEXT) from the program", r.stdout + r.stderr)

r = run("text", env={"GREEN_THREADS": "native"})
hubs = re.findall(r"^hub: OS thread \d+", r.stdout, re.M)
tap.ok(r.returncode == 0 and len(hubs) >= 3
       and all(re.search(REASONS[k], r.stdout) for k in ("mutex", "cond", "sem"))
       and "(no backtrace: on another OS thread)" in r.stdout,
       "GREEN_THREADS=native: a block per hub, other hubs' threads listed "
       "without backtraces", r.stdout + r.stderr)

r = run("json")
try:
    doc = json.loads(r.stdout)
    threads = [t for h in doc["hubs"] for t in h["threads"]]
    kinds = {t["wait"]["kind"] for t in threads if t["wait"]}
    funcs = {f["function"] for t in threads for f in t["backtrace"] or []}
    good = ({"fd", "sleep", "mutex", "cond", "sem", "join", "child"} <= kinds
            and "dump_sleeper" in funcs and doc["pid"] > 0
            and sorted(t["creator"] for t in threads) == [0] + [1] * 7
            and all(t["state"] in ("running", "ready", "parked", "ended")
                    for t in threads))
    detail = f"kinds {sorted(kinds)}"
except (ValueError, KeyError, TypeError) as e:
    good, detail = False, f"{e}\n{r.stdout}\n{r.stderr}"
tap.ok(good, "green_dump(1, GREEN_DUMP_JSON) parses, with every wait kind",
       detail)

r = run("handler", USR2, env={"GREEN_DUMP_SIGNAL": "USR2"})
tap.ok(r.returncode == 0 and "handled" in r.stdout
       and "libgreen dump" not in r.stderr,
       "the program's own handler for the dump signal is kept",
       r.stdout + r.stderr)


def ignore_usr2():
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)


r = run("signal", USR2, env={"GREEN_DUMP_SIGNAL": "USR2"},
        preexec_fn=ignore_usr2)
tap.ok(r.returncode == 0 and "libgreen dump" not in r.stderr
       and len(re.findall(r"GREEN_DUMP_SIGNAL=USR2", r.stderr)) == 1,
       "an inherited SIG_IGN is kept, with one warning naming the variable",
       r.stderr)

r = run("text", env={"GREEN_DUMP_SIGNAL": "NOSUCH"})
tap.ok(len(re.findall("GREEN_DUMP_SIGNAL=NOSUCH", r.stderr)) == 1
       and r.returncode == 0,
       "a bad GREEN_DUMP_SIGNAL gets one warning naming it", r.stderr)


def dump_running(env):
    """greenrun --dump on waits in mode wait; its result and the
    program's stderr."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
    e["GREEN_HUBS"] = "1"  # one hub: the counts below are its own
    e.update({"LD_PRELOAD": lib}, **env)
    p = subprocess.Popen([waits, "wait"], env=e, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    p.stdout.readline()  # "ready"
    g = subprocess.run([greenrun, "--dump", str(p.pid)], capture_output=True,
                       text=True, timeout=10)
    time.sleep(0.5)  # the dump comes at the hub's next poll
    out, err = p.communicate(timeout=20)  # closes stdin: it exits
    return g, err


g, err = dump_running({"GREEN_DUMP_SIGNAL": "USR1"})
tap.ok(g.returncode == 0 and "libgreen dump of pid" in err,
       "greenrun --dump PID signals a process with GREEN_DUMP_SIGNAL",
       g.stderr + err)
g, err = dump_running({})
tap.ok(g.returncode == 1 and "GREEN_DUMP_SIGNAL" in g.stderr
       and "libgreen dump" not in err,
       "greenrun --dump PID refuses a process without it, saying why",
       g.stderr + err)
tap.done()
