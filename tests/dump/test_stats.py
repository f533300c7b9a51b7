#!/usr/bin/env python3
"""GREEN_STATS and GREEN_MAX_BLOCKING_MS on tests/dump/busy.c under the
preload: the report at exit has plausible counts, a period prints lines,
a bad value is named; the monitor reports a thread that computes 300 ms
while another is due, once (in a fork's child too), and stays silent when
off.

Usage: test_stats.py LIBRARY BUSY. Prints TAP."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import tap  # noqa: E402

lib, busy = sys.argv[1:3]


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
    e["GREEN_HUBS"] = "1"  # one hub: the counts below are its own
    e.update({"LD_PRELOAD": lib}, **(env or {}))
    return subprocess.run([busy, *args], env=e, capture_output=True,
                          text=True, timeout=20)


def number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else -1


r = run("stats", env={"GREEN_STATS": "1"})
err = r.stderr
tap.ok(r.returncode == 0 and r.stdout == "counter 40\n",
       "the program runs as without GREEN_STATS", r.stdout + err)
tap.ok(number(r"stats total: (\d+) threads created", err) == 5
       and number(r"stats total: \d+ threads created, peak (\d+)", err) == 5,
       "5 threads created, 5 live at the peak (main's included)", err)
tap.ok(number(r"stats total: offloaded:.*blocked the OS thread: pread (\d+)",
              err) == 3,
       "3 preads of a file that blocked the OS thread while one was ready",
       err)
tap.ok(number(r"stats total: \d+ parks:.* sleep (\d+)", err) == 40,
       "40 parks in sleep", err)
tap.ok(number(r"stats total: \d+ parks:.* join (\d+)", err) >= 1,
       "joins parked", err)
tap.ok(number(r"(\d+) switches", err) >= 40, "at least 40 switches", err)
tap.ok(re.search(r"stats hub OS thread \d+ \(main\): ", err),
       "a block for the main hub", err)
tap.ok(re.search(r"stats total: 1 hubs; offload pool peak \d+ threads; "
                 r"peak RSS [1-9]\d* KiB", err),
       "hubs, pool peak and peak RSS", err)
tap.ok(re.search(r"longest run [\d.]+ ms \(thread \d+", err),
       "the longest run names its thread", err)

r = run("compute", "120", env={"GREEN_STATS": "30"})
lines = re.findall(r"stats \+[\d.]+ s: 1 hubs, \d+ threads live", r.stderr)
tap.ok(r.returncode == 0 and 1 <= len(lines),
       "GREEN_STATS=30 prints lines per period", r.stderr)
m = re.search(r"stats total: .*longest run ([\d.]+) ms \(thread \d+",
              r.stderr)
tap.ok(m and 110 <= float(m.group(1)) < 5000,
       "a 120 ms computation is the longest run", r.stderr)

r = run("stats")
tap.ok("stats" not in r.stderr and r.stdout == "counter 40\n",
       "no report without GREEN_STATS", r.stderr)
r = run("stats", env={"GREEN_STATS": "often"})
tap.ok(len(re.findall("GREEN_STATS=often", r.stderr)) == 1
       and "stats total" not in r.stderr,
       "a bad GREEN_STATS gets one warning naming it", r.stderr)
r = run("compute", "300", env={"GREEN_MAX_BLOCKING_MS": "100"})
reports = re.findall(r"monitor: green thread \d+ on OS thread \d+ has run "
                     r"(\d+) ms without a switch while (?:other green threads "
                     r"are ready|a deadline has passed); computing", r.stderr)
tap.ok(r.returncode == 0 and len(reports) == 1 and int(reports[0]) >= 100,
       "GREEN_MAX_BLOCKING_MS=100: one report of the 300 ms computation",
       r.stderr)
tap.ok(re.search(r"  #\d+ 0x[0-9a-f]+ busy_compute\+0x[0-9a-f]+ ", r.stderr),
       "the report names the computing function (a sample of its stack)",
       r.stderr)
r = run("forkcompute", "300", env={"GREEN_MAX_BLOCKING_MS": "100"})
tap.ok(r.returncode == 0 and r.stdout == "computed\nchild exited 0\n" and
       len(re.findall(r"monitor: green thread \d+ on OS thread \d+ has run "
                      r"\d+ ms without a switch", r.stderr)) == 1,
       "a fork's child has a monitor too: one report of its computation",
       r.stdout + r.stderr)
r = run("compute", "300", "yield", env={"GREEN_MAX_BLOCKING_MS": "100"})
tap.ok(r.returncode == 0 and len(re.findall(
           r"monitor: green thread \d+ on OS thread \d+ has run \d+ ms "
           r"without a switch while other green threads are ready; "
           r"computing", r.stderr)) == 1,
       "the same while another thread is ready (sched_yield)", r.stderr)
r = run("compute", "300")
tap.ok(r.returncode == 0 and "monitor" not in r.stderr,
       "no report when the monitor is off", r.stderr)
r = run("compute", "50", env={"GREEN_MAX_BLOCKING_MS": "200"})
tap.ok(r.returncode == 0 and "monitor" not in r.stderr,
       "no report for a run shorter than the threshold", r.stderr)
e = {k: v for k, v in os.environ.items() if not k.startswith("GREEN_")}
e["GREEN_HUBS"] = "1"  # one hub: the counts below are its own
e.update(LD_PRELOAD=lib, GREEN_MAX_BLOCKING_MS="100")
p = subprocess.Popen([busy, "stdio"], env=e, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
time.sleep(0.4)  # the pipe fills: stdio's write(2) blocks the OS thread
out, err = p.communicate(timeout=20)
err = err.decode(errors="replace")
tap.ok(len(out) == 1 << 20 and re.search(
           r"monitor: green thread \d+ .* has run \d+ ms without a switch .*; "
           r"in write\(2\) on fd 1, a pipe: stdio's internal writes block "
           r"the OS thread", err),
       "the monitor's hint names stdio's blocking write on a pipe", err)
tap.done()
