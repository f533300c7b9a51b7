#!/usr/bin/env python3
"""TAP tests of scripts/compare on tiny commands and a tiny server.

  test_compare.py COMPARE GREENRUN SLEEPY_SERVER SLEEPY_CLIENT FETCH
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import done, ok, skip  # noqa: E402

COMPARE, GREENRUN, SERVER, CLIENT, FETCH = sys.argv[1:6]
tmp = tempfile.mkdtemp(prefix="test-compare-")


def compare(*args, timeout=60):
    """Runs compare; returns (exit status, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, COMPARE, "-q", "--greenrun", GREENRUN, *args],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def load_json(path):
    with open(path) as f:
        return json.load(f)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A tiny command: both sides run it, agree, and the table has every row.
rc, out, err, _ = compare("-r", "1", "--", "true")
ok(rc == 0 and all(row in out for row in ("wall time (s)", "user CPU (s)", "system CPU (s)",
                                           "peak RSS (MiB)", "peak OS threads", "exit status"))
   and "same" in out, "true: exit 0 and the whole table", out + err)

# --json: the documented schema, and the figures of sleep 0.1.
js = os.path.join(tmp, "sleep.json")
rc, out, err, _ = compare("-r", "2", "--json", js, "--", "sleep", "0.1")
d = load_json(js) if os.path.exists(js) else {}
r = (d.get("results") or [{}])[0]
runs = r.get("runs", {})
keys = {"wall_s", "user_s", "sys_s", "rss_mib", "threads", "exit"}
ok(rc == 0 and d.get("schema") == "libgreen-compare/1" and d.get("mode") == "command"
   and d.get("sides") == ["native", "greenrun"] and d.get("runs_per_side") == 2
   and all(len(runs.get(s, [])) == 2 and all(keys <= set(x) for x in runs[s])
           for s in ("native", "greenrun"))
   and r.get("output_match") is True and r.get("exit_match") is True
   and set(r.get("summary", {}).get("native", {}).get("wall_s", {})) == {"median", "min", "max"}
   and "wall_s" in r.get("ratio", {}), "--json: schema, runs, summary, ratio", out + err)
ok(all(0.1 <= x["wall_s"] < 2 and x["exit"] == 0 for s in ("native", "greenrun")
       for x in runs.get(s, [{"wall_s": 0}])), "sleep 0.1: wall time at least 0.1 s each run",
   json.dumps(runs))

# A command that does not exist: a clear error, at once, 127.
rc, out, err, dt = compare("--", "no-such-command-xyz")
ok(rc == 127 and "command not found: no-such-command-xyz" in err and dt < 5,
   "missing command: 127 and 'command not found'", f"rc={rc} {err}")

# Exit status differs: shown, and compare exits 1.
rc, out, err, _ = compare("-r", "1", "--", "sh", "-c", 'test -z "$LD_PRELOAD"')
ok(rc == 1 and "exit status differs" in out, "exit status mismatch reported", out + err)

# Output differs: the diff is shown, and compare exits 1.
rc, out, err, _ = compare("-r", "1", "--", "sh", "-c", "echo one; echo ${LD_PRELOAD:+green}")
ok(rc == 1 and "DIFFERENT" in out and "+green" in out and " one" in out
   and "--runs 2 or more" in out, "output mismatch shown as a diff", out + err)

# Deterministic natively (two native runs agree), different under greenrun: exit 1.
js = os.path.join(tmp, "det.json")
rc, out, err, _ = compare("-r", "2", "--json", js, "--", "sh", "-c",
                          "echo one; echo ${LD_PRELOAD:+green}")
r = load_json(js)["results"][0] if os.path.exists(js) else {}
ok(rc == 1 and "DIFFERENT" in out and "+green" in out and "native runs also differ" not in out
   and r.get("native_output_varies") is False and r.get("agreed") is False,
   "deterministic output that differs under greenrun only: exit 1", out + err)

# Nondeterministic natively (each run prints its own pid): reported, and exit 0.
js = os.path.join(tmp, "nondet.json")
rc, out, err, _ = compare("-r", "2", "--json", js, "--", "sh", "-c", "echo $$")
r = load_json(js)["results"][0] if os.path.exists(js) else {}
ok(rc == 0 and "DIFFERENT" in out and "stdout differs; first difference:" in out
   and "the native runs also differ from each other" in out
   and r.get("native_output_varies") is True and r.get("output_match") is False
   and r.get("agreed") is True,
   "native runs that differ from each other: difference reported, exit 0", out + err)

# ... but an exit status difference stays an error, nondeterministic output or not.
rc, out, err, _ = compare("-r", "2", "--", "sh", "-c", 'echo $$; test -z "$LD_PRELOAD"')
ok(rc == 1 and "exit status differs" in out and "native runs also differ" in out,
   "nondeterministic output with an exit status mismatch: exit 1", out + err)

# --env reaches the greenrun side only; --native-only has one column.
rc, out, err, _ = compare("-r", "1", "--env", "CMP_X=y", "--", "sh", "-c", "echo ${CMP_X:-}")
ok(rc == 1 and "+y" in out, "--env sets the variable on the greenrun side only", out + err)
rc, out, err, _ = compare("-r", "1", "--native-only", "--", "true")
ok(rc == 0 and "native" in out and "greenrun" not in out.split("\n", 3)[3],
   "--native-only: one side", out + err)

# Threads: fetch's one thread per URL, natively 1 + 3, against a --with server.
js = os.path.join(tmp, "fetch.json")
rc, out, err, _ = compare("-r", "1", "--json", js, "--with", f"{SERVER} {{port}} 300", "--",
                          FETCH, *[f"http://127.0.0.1:{{port}}/{p}" for p in "abc"])
r = load_json(js)["results"][0] if os.path.exists(js) else {"runs": {}}
nat, green = r["runs"].get("native", [{}])[0], r["runs"].get("greenrun", [{}])[0]
ok(rc == 0 and "same" in out and (nat.get("threads") or 0) >= 4
   and (green.get("threads") or 0) >= 1,
   "fetch with --with: same output; natively main + 3 OS threads counted",
   out + err)

# A server that never listens: a clear error within the listen timeout.
rc, out, err, dt = compare("-r", "1", "--port", str(free_port()), "--listen-timeout", "1",
                           "--server", "sleep 30", "--load", "true")
ok(rc == 3 and "did not listen on 127.0.0.1:" in err and dt < 6,
   f"server that never listens: error after {dt:.1f} s", f"rc={rc} {err}")
rc, out, err, dt = compare("-r", "1", "--server", "sh -c 'echo bye; exit 4'", "--load", "true")
ok(rc == 3 and "exited (4) before it listened" in err and "bye" in err and dt < 6,
   "server that exits early: its status and output", f"rc={rc} {err}")

# A tiny server and load: the convention lines, server threads and CPU.
js = os.path.join(tmp, "server.json")
rc, out, err, _ = compare("-r", "1", "--json", js, "--server", f"{SERVER} {{port}} 200",
                          "--load", f"{CLIENT} 127.0.0.1:{{port}} 50")
d = load_json(js) if os.path.exists(js) else {"results": [{"runs": {}}]}
runs = d["results"][0]["runs"]
nat, green = runs.get("native", [{}])[0], runs.get("greenrun", [{}])[0]
ok(rc == 0 and d.get("mode") == "server" and nat.get("requests") == 50
   and green.get("requests") == 50 and nat.get("errors") == 0
   and nat.get("requests_per_sec", 0) > 0 and nat.get("latency_p50_us", 0) >= 200000
   and "cpu_per_request_us" in nat and nat.get("server_rss_mib", 0) > 0,
   "--server/--load: requests, throughput, latency, CPU per request, RSS", out + err)
ok((nat.get("server_threads") or 0) > 40 and 0 < (green.get("server_threads") or 99) <= 2,
   "server threads: one per connection natively, one or two under greenrun",
   json.dumps({"native": nat.get("server_threads"), "greenrun": green.get("server_threads")}))

# wrk's report is understood (a load that prints one).
wrk = os.path.join(tmp, "wrk.txt")
with open(wrk, "w") as f:
    f.write("Running 1s test @ http://127.0.0.1:8080/\n  2 threads and 10 connections\n"
            "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
            "    Latency   635.19us  1.02ms  20.01ms   94.27%\n  Latency Distribution\n"
            "     50%  512.00us\n     75%  700.00us\n     90%    1.10ms\n     99%    2.50ms\n"
            "  12345 requests in 1.00s, 1.50MB read\n  Socket errors: connect 0, read 2, "
            "write 0, timeout 1\nRequests/sec:  12345.67\nTransfer/sec:      1.50MB\n")
js = os.path.join(tmp, "wrk.json")
rc, out, err, _ = compare("-r", "1", "--native-only", "--json", js, "--server",
                          f"{SERVER} {{port}} 0", "--load", f"cat {wrk}")
fig = load_json(js)["results"][0]["runs"]["native"][0] if os.path.exists(js) else {}
ok(rc == 0 and fig.get("requests_per_sec") == 12345.67 and fig.get("requests") == 12345
   and fig.get("latency_p50_us") == 512 and fig.get("latency_p99_us") == 2500
   and fig.get("errors") == 3, "wrk's output parsed", json.dumps(fig) + err)

# A load that fails: a clear error naming it.
rc, out, err, _ = compare("-r", "1", "--server", f"{SERVER} {{port}} 0", "--load", "false")
ok(rc == 3 and "load failed (exit 1): false" in err, "failing load: error", f"rc={rc} {err}")

# --sweep substitutes each value; --plot draws a PNG.
png = os.path.join(tmp, "sweep.png")
args = ["-r", "1", "--sweep", "N=5,50", "--server", f"{SERVER} {{port}} 50",
        "--load", f"{CLIENT} 127.0.0.1:{{port}} {{N}}"]
have_gnuplot = shutil.which("gnuplot") is not None
rc, out, err, _ = compare(*args, *(["--plot", png] if have_gnuplot else []))
ok(rc == 0 and "== N=5" in out and "== N=50" in out and "sweep of N" in out,
   "--sweep: one table per value and a summary", out + err)
if have_gnuplot:
    with open(png, "rb") as f:
        ok(f.read(8) == b"\x89PNG\r\n\x1a\n", "--plot: a PNG")
else:
    skip("--plot: no gnuplot")

shutil.rmtree(tmp, ignore_errors=True)
done()
