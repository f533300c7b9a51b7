#!/usr/bin/env python3
"""TAP test of scripts/demo --quick: one run each way and a sweep of 10 and
100 connections (about 12 s), into a temporary directory.

  test_demo.py DEMO BUILD_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import done, ok, skip  # noqa: E402

DEMO, BUILD = sys.argv[1:3]
tmp = tempfile.mkdtemp(prefix="test-demo-")

p = subprocess.run([DEMO, "--quick", "--no-setup", "--out", tmp], capture_output=True,
                   text=True, timeout=50, env=dict(os.environ, BUILD=BUILD))
out = p.stdout + p.stderr
ok(p.returncode == 0, "demo --quick: exit 0", out)
ok(re.search(r"^== sweep of connections", p.stdout, re.M)
   and re.search(r"^\s+10\s.*\n\s+100\s", p.stdout, re.M),
   "the sweep table has a line for 10 and for 100 connections", out)
ok(re.search(r"^Demo took [0-9.]+ s", p.stdout, re.M), "it prints the time it took", out)
try:
    with open(os.path.join(tmp, "sleepy_server.json")) as f:
        d = json.load(f)
    points = [(r["sweep_value"], r["summary"]["greenrun"]["requests_per_sec"]["median"] > 0)
              for r in d["results"]]
except (OSError, ValueError, KeyError) as e:
    points = repr(e)
ok(points == [("10", True), ("100", True)], "sleepy_server.json: both points", points)
if shutil.which("gnuplot"):
    for png in ("sleepers.png", "sleepy_server.png"):
        try:
            with open(os.path.join(tmp, png), "rb") as f:
                head = f.read(8)
        except OSError:
            head = b""
        ok(head == b"\x89PNG\r\n\x1a\n", f"{png}: a PNG")
else:
    for png in ("sleepers.png", "sleepy_server.png"):
        skip(f"{png}: no gnuplot")

shutil.rmtree(tmp, ignore_errors=True)
done()
