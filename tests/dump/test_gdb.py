#!/usr/bin/env python3
"""scripts/libgreen-gdb.py on a live process and on its core file: `info
green-threads` lists the green threads of tests/dump/waits.c with their
waits, and `green-bt ID` walks a parked thread's saved context down to
the program's own function. Skipped without gdb, where gdb may not
attach (ptrace), or without libgreen's debug information.

Usage: test_gdb.py LIBRARY WAITS SCRIPT. Prints TAP."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import tap  # noqa: E402

lib, waits, script = sys.argv[1:4]
gdb = shutil.which("gdb")
if not gdb:
    tap.skip("gdb is not installed")
    tap.done()

e = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
e["GREEN_HUBS"] = "1"  # one hub: the counts below are its own
e["LD_PRELOAD"] = lib
p = subprocess.Popen([waits, "wait"], env=e, stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    p.stdout.readline()  # "ready": every thread waits
    info = subprocess.run([gdb, "-nx", "-batch", "-p", str(p.pid), "-x", script,
                           "-ex", "info green-threads"],
                          capture_output=True, text=True, timeout=60)
    if "hub: OS thread" not in info.stdout and (
            "ptrace" in info.stderr or "Operation not permitted" in info.stderr):
        tap.skip("gdb may not attach here: " + info.stderr.strip()[-100:])
        tap.done()
    if "no libgreen hub list" in info.stderr:
        tap.skip("libgreen was built without debug information")
        tap.done()
    out = info.stdout
    tap.ok(re.search(rf"hub: OS thread {p.pid} \(main\)", out),
           "info green-threads: the main hub", out + info.stderr)
    for what in (r"parked: sleep", r"parked: read fd \d+",
                 r"parked: mutex 0x", r"parked: cond 0x", r"parked: sem 0x",
                 r"parked: join thread \d+", r"parked: waitpid \d+"):
        tap.ok(re.search(what, out), f"info green-threads: {what}", out)
    m = re.search(r"^\s+(\d+) .* parked: sleep$", out, re.M)
    bt = subprocess.run([gdb, "-nx", "-batch", "-p", str(p.pid), "-x", script,
                         "-ex", f"green-bt {m.group(1) if m else 0}"],
                        capture_output=True, text=True, timeout=60)
    tap.ok(re.search(r"#\d+ .*dump_sleeper", bt.stdout),
           "green-bt ID: the saved stack down to the program's function",
           bt.stdout + bt.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        core = os.path.join(tmp, "core")
        subprocess.run([gdb, "-nx", "-batch", "-p", str(p.pid), "-ex",
                        f"generate-core-file {core}"], capture_output=True,
                       timeout=60)
        c = subprocess.run([gdb, "-nx", "-batch", waits, core, "-x", script,
                            "-ex", "info green-threads",
                            "-ex", f"green-bt {m.group(1) if m else 0}"],
                           capture_output=True, text=True, timeout=60)
        tap.ok(os.path.exists(core) and re.search(r"parked: join thread \d+",
                                                  c.stdout)
               and re.search(r"#\d+ .*dump_sleeper", c.stdout),
               "on a core file: info green-threads and green-bt",
               c.stdout + c.stderr)
finally:
    p.stdin.close()
    p.wait(timeout=20)
tap.ok(p.returncode == 0, "the process goes on after gdb detached")
tap.done()
