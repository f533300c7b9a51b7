#!/usr/bin/env python3
"""Server benchmarks: unmodified thread-per-connection servers under
greenrun against the same binaries on native threads and against their
anchors (a hand-written libev server, gevent, Go), in one run.

For each server it starts the command, waits until it listens on
127.0.0.1:PORT, runs the load, reads the server's /proc/PID/stat (utime +
stime) and /proc/PID/status (VmHWM, Threads), and stops it by its pid.
Server CPU per request is the CPU time the server used during the load,
divided by the requests served: echo_load samples it over its measured
window itself (-P PID); around wrk the driver samples before and after, so
connection set-up is included there. Sections:

  echo    echo_server (native, greenrun) vs libev_echo, echo_load, 10..5000 conns
  http    http_server (native, greenrun) vs libev_echo --http, wrk, 10..5000 conns
  gevent  gevent_http.py: native threads, gevent, greenrun; wrk, 100, 1000 and 5000 conns
  go      go_echo (GOMAXPROCS=1) vs echo_server under greenrun, echo_load
  scale   idle connections and sleeping threads: how many, RSS and kernel
          memory (Slab + KernelStack + PageTables from /proc/meminfo) per each
  compute compute_server (~50 us per request; native, greenrun with the
          default hubs, GREEN_HUBS=1, =2), echo_load, 100 and 1000 conns

Everything talks only to 127.0.0.1 and stops by itself. Native threads are
capped at --native-cap (default 10000), well below kernel.pid_max.

usage: servers.py BUILD_DIR [--only SECTIONS] [--quick] [--duration S]
                  [--reps N] [--json FILE]"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("build", help="meson build directory")
ap.add_argument("--only", default="echo,http,gevent,go,scale")
ap.add_argument("--quick", action="store_true", help="1 s runs, 1 rep, smaller scale")
ap.add_argument("--duration", type=float, default=2.0, help="measured seconds per run")
ap.add_argument("--reps", type=int, default=3, help="runs per point (median taken)")
ap.add_argument("--native-cap", type=int, default=10000)
ap.add_argument("--no-pin", action="store_true",
                help="do not pin the server to CPU 1 and the load to CPU 0")
ap.add_argument("--json")
args = ap.parse_args()
if args.quick:
    args.duration, args.reps = 1.0, 1

B = os.path.abspath(args.build)
W = os.path.join(B, "bench", "workloads")
SRC = os.path.dirname(os.path.abspath(__file__))
GREENRUN = os.path.join(B, "scripts", "greenrun")
PY = "/usr/bin/python3"  # Debian's python, where python3-gevent lives
TICK = os.sysconf("SC_CLK_TCK")
NOFILE = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)[1]
results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "duration_s": args.duration, "reps": args.reps}
port_seq = [23500]
# The server on one CPU and the load on the other: on 2 CPUs, a load woken
# on the server's CPU would preempt it (and be charged to it) at random.
PIN = not args.no_pin and shutil.which("taskset") and os.cpu_count() >= 2
SERVER_PIN = ["taskset", "-c", "1"] if PIN else []
LOAD_PIN = ["taskset", "-c", "0"] if PIN else []
results["pinned"] = bool(PIN)


def next_port():
    port_seq[0] += 1
    return port_seq[0]


# --- /proc -------------------------------------------------------------------

def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, v = line.split(":", 1)
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])  # KiB
            elif k == "Threads":
                out[k] = int(v)
    return out


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            if k in ("Slab", "KernelStack", "PageTables"):
                out[k] = int(v.split()[0])
    return out


def listening(port):
    want = f":{port:04X} "
    with open("/proc/net/tcp") as f:
        return any(want in l and l.split()[3] == "0A" for l in f)


# --- servers -----------------------------------------------------------------

class Server:
    """A server command started on a fresh port; stopped by its pid."""

    def __init__(self, cmd, env=None):
        self.port = next_port()
        self.cmd = SERVER_PIN + [c.replace("PORT", str(self.port)) for c in cmd]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=self.log,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.monotonic() + 15
        while not listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{' '.join(self.cmd)} did not listen: {self.errors()}")
            time.sleep(0.01)
        self.pid = self.proc.pid

    def errors(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[-500:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def echo_servers():
    return {"native": [f"{W}/echo_server", "PORT"],
            "greenrun": [GREENRUN, f"{W}/echo_server", "PORT"],
            "libev": [f"{W}/libev_echo", "PORT"]}


def go_binary():
    """Builds go_echo into the build dir when Go is installed."""
    go = shutil.which("go")
    if not go:
        return None
    out = os.path.join(W, "go_echo")
    src = os.path.join(SRC, "workloads", "go_echo.go")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.run([go, "build", "-o", out, src], check=True,
                       env=dict(os.environ, GOCACHE=os.path.join(B, "go-cache"),
                                GO111MODULE="off"))
    return out


# --- loads -------------------------------------------------------------------

def kv(text):
    return {m[1]: float(m[2]) for m in re.finditer(r"^(\w+): ([\d.]+)$", text, re.M)}


def run_sampled(cmd, pid):
    """Runs the load; samples the server's status in the middle of it, while
    every connection is open (the peak RSS, VmHWM, is read there too)."""
    load = subprocess.Popen(LOAD_PIN + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        load.wait(0.5 + args.duration / 2)
    except subprocess.TimeoutExpired:
        pass
    st = status(pid)
    out, err = load.communicate(timeout=120)
    st["VmHWM"] = status(pid)["VmHWM"]
    return subprocess.CompletedProcess(cmd, load.returncode, out, err), st


def echo_run(cmd, conns, env=None):
    """One server, echo_load against it; echo_load samples the server's CPU."""
    s = Server(cmd, env)
    try:
        r, st = run_sampled([f"{W}/echo_load", "-c", str(conns), "-d", str(args.duration),
                             "-w", "0.5", "-P", str(s.pid), str(s.port)], s.pid)
    finally:
        s.stop()
    out = kv(r.stdout)
    if r.returncode or out.get("connections") != conns:
        raise RuntimeError(f"echo_load failed against {cmd}: {r.stdout} {r.stderr} {s.errors()}")
    return {"rps": out["requests_per_sec"], "cpu_us": out["server_cpu_us_per_req"],
            "p50_us": out["latency_p50_us"], "p99_us": out["latency_p99_us"],
            "client_cpu_pct": out["client_cpu_pct"], "hwm_kib": st["VmHWM"],
            "threads": st["Threads"]}


def wrk_time_us(text, pct):
    m = re.search(pct + r"%\s+([\d.]+)(us|ms|s|m|h)\b", text)
    return float(m[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7, "h": 3.6e9}[m[2]] if m else -1


def http_run(cmd, conns, env=None):
    """One server, wrk against it; CPU sampled around the whole wrk run."""
    s = Server(cmd, env)
    try:
        c0, t0 = cpu_s(s.pid), time.monotonic()
        r, st = run_sampled(["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(args.duration))}s", "--latency",
                             f"http://127.0.0.1:{s.port}/"], s.pid)
        c1 = cpu_s(s.pid)
    finally:
        s.stop()
    m = re.search(r"(\d+) requests in", r.stdout)
    if r.returncode or not m:
        raise RuntimeError(f"wrk failed against {cmd}: {r.stdout} {r.stderr}")
    n = int(m[1])
    bad = re.search(r"Socket errors: (.*)", r.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)[1]),
            "cpu_us": (c1 - c0) * 1e6 / max(n, 1), "requests": n,
            "p50_us": wrk_time_us(r.stdout, "50"), "p99_us": wrk_time_us(r.stdout, "99"),
            "hwm_kib": st["VmHWM"], "threads": st["Threads"],
            "socket_errors": bad[1] if bad else "", "non2xx": int(non2xx[1]) if non2xx else 0}


def compare(title, runner, servers, counts, envs=None):
    """Every server at every count, reps times in alternating order; the
    median run (by CPU per request) of each is kept."""
    print(f"\n{title}: {args.duration:g} s per run, median of {args.reps}", flush=True)
    print(f"  {'conns':>5} {'server':10} {'req/s':>9} {'CPU us/req':>10} {'p50 us':>8} "
          f"{'p99 us':>8} {'peak RSS':>9} {'threads':>7}")
    table = {}
    for conns in counts:
        runs = {name: [] for name in servers}
        order = list(servers.items())
        for rep in range(args.reps):
            for name, cmd in (order if rep % 2 == 0 else order[::-1]):
                runs[name].append(runner(cmd, conns, (envs or {}).get(name)))
        table[conns] = {}
        for name in servers:
            rs = sorted(runs[name], key=lambda r: r["cpu_us"])
            best = dict(rs[len(rs) // 2])
            best["cpu_us_runs"] = [round(r["cpu_us"], 2) for r in runs[name]]
            best["rps_median"] = statistics.median(r["rps"] for r in runs[name])
            table[conns][name] = best
            print(f"  {conns:5} {name:10} {best['rps_median']:9.0f} {best['cpu_us']:10.2f} "
                  f"{best['p50_us']:8.0f} {best['p99_us']:8.0f} "
                  f"{best['hwm_kib'] / 1024:7.1f}Mi {best['threads']:7}", flush=True)
    return table


def ratios(table, a, b):
    return {c: row[a]["cpu_us"] / row[b]["cpu_us"] for c, row in table.items()}


# --- sections ----------------------------------------------------------------

def section_echo():
    counts = [10, 100, 1000] if args.quick else [10, 100, 1000, 5000]
    servers = dict(echo_servers())
    # The same run with GREEN_POLL_EVERY at its maximum: the hub then polls
    # I/O only when its run queue is empty. It shows what the watcher churn
    # (docs/BENCHMARKS.md) costs at 1000 connections and more.
    servers["green-pe"] = servers["greenrun"]
    t = compare("echo: echo_load, 64-byte ping-pong per connection", echo_run,
                servers, counts, envs={"green-pe": {"GREEN_POLL_EVERY": "1048576"}})
    g_ev, g_nat = ratios(t, "greenrun", "libev"), ratios(t, "greenrun", "native")
    print("  CPU/req greenrun/libev:  " + "  ".join(f"{c}: {r:.2f}x" for c, r in g_ev.items()))
    print("  CPU/req greenrun/native: " + "  ".join(f"{c}: {r:.2f}x" for c, r in g_nat.items()))
    goal = {c: g_ev[c] <= 1.10 and g_nat[c] <= 0.55 for c in (1000, 5000) if c in t}
    for c, met in goal.items():
        print(f"  goal at {c}: greenrun/libev <= 1.10x and greenrun/native <= 0.55x: "
              f"{'met' if met else 'missed'}")
    results["echo"] = {"table": t, "greenrun_over_libev": g_ev,
                       "greenrun_over_native": g_nat, "goal_met": goal}


def section_http():
    counts = [10, 100, 1000] if args.quick else [10, 100, 1000, 5000]
    servers = {"native": [f"{W}/http_server", "PORT"],
               "greenrun": [GREENRUN, f"{W}/http_server", "PORT"],
               "libev": [f"{W}/libev_echo", "PORT", "--http"]}
    t = compare("http: wrk -t1, keep-alive GET, 13-byte page", http_run, servers, counts)
    g_ev, g_nat = ratios(t, "greenrun", "libev"), ratios(t, "greenrun", "native")
    print("  CPU/req greenrun/libev:  " + "  ".join(f"{c}: {r:.2f}x" for c, r in g_ev.items()))
    print("  CPU/req greenrun/native: " + "  ".join(f"{c}: {r:.2f}x" for c, r in g_nat.items()))
    goal = {c: g_ev[c] <= 1.10 and g_nat[c] <= 0.55 for c in (1000, 5000) if c in t}
    for c, met in goal.items():
        print(f"  goal at {c}: greenrun/libev <= 1.10x and greenrun/native <= 0.55x: "
              f"{'met' if met else 'missed'}")
    results["http"] = {"table": t, "greenrun_over_libev": g_ev, "greenrun_over_native": g_nat}


def section_gevent():
    script = os.path.join(SRC, "workloads", "gevent_http.py")
    if subprocess.run([PY, "-c", "import gevent"], capture_output=True).returncode:
        print("\ngevent: skipped (python3-gevent is not installed)")
        return
    servers = {"threads": [PY, script, "PORT"],
               "gevent": [PY, script, "PORT", "--gevent"],
               "greenrun": [GREENRUN, PY, script, "PORT"]}
    t = compare("gevent: ThreadingHTTPServer three ways, wrk -t1", http_run, servers,
                [100, 1000] if args.quick else [100, 1000, 5000])
    # Issue 17's goal: at least 1.2x gevent's requests/s with at most 0.7x
    # its peak RSS.
    goal = {c: row["greenrun"]["rps_median"] >= 1.2 * row["gevent"]["rps_median"] and
            row["greenrun"]["hwm_kib"] <= 0.7 * row["gevent"]["hwm_kib"] for c, row in t.items()}
    for c, row in t.items():
        print(f"  {c} conns: greenrun/gevent req/s "
              f"{row['greenrun']['rps_median'] / row['gevent']['rps_median']:.2f}x, "
              f"peak RSS {row['greenrun']['hwm_kib'] / row['gevent']['hwm_kib']:.2f}x; "
              f"goal (>= 1.2x req/s, <= 0.7x RSS): {'met' if goal[c] else 'missed'}")
    results["gevent"] = {"table": t, "goal_met": goal}


def section_go():
    go = go_binary()
    if not go:
        print("\ngo: skipped (golang-go is not installed)")
        return
    servers = {"go": [go, "PORT"], "greenrun": [GREENRUN, f"{W}/echo_server", "PORT"]}
    t = compare("go: goroutine per connection (GOMAXPROCS=1) vs echo_server under greenrun",
                echo_run, servers, [100, 1000] if args.quick else [100, 1000, 5000],
                envs={"go": {"GOMAXPROCS": "1"}})
    r = ratios(t, "greenrun", "go")
    print("  CPU/req greenrun/go: " + "  ".join(f"{c}: {x:.2f}x" for c, x in r.items()) +
          "  (goal <= 1.0x at 1000 and 5000: " +
          ("met" if all(x <= 1.0 for c, x in r.items() if c >= 1000) else "missed") + ")")
    results["go"] = {"table": t, "greenrun_over_go": r}


def hold(server_cmd, load_cmd, env=None):
    """Starts the server, runs load_cmd (which prints "ready" when its state
    is up), samples the server and /proc/meminfo then, and stops both."""
    base = meminfo()
    s = Server(server_cmd, env) if server_cmd else None
    pid0 = s.pid if s else None
    st0 = status(pid0) if s else None
    load = subprocess.Popen([c.replace("PORT", str(s.port if s else 0)) for c in load_cmd],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    out = ""
    try:
        for line in load.stdout:
            out += line
            if line.strip() == "ready":
                break
        ready_s = time.monotonic() - t0
        pid = pid0 if s else load.pid
        st, mem = status(pid), meminfo()
    finally:
        load.kill()
        load.wait()
        if s:
            s.stop()
    r = kv(out)
    r.update(ready_s=ready_s, rss_kib=st["VmRSS"], os_threads=st["Threads"],
             rss0_kib=st0["VmRSS"] if st0 else 0,
             kernel_kib={k: mem[k] - base[k] for k in mem})
    return r


def scale_row(name, asked, r, count, rss_kib):
    """Adds the per-connection (or per-thread) figures to r and prints them."""
    k = r["kernel_kib"]
    per = lambda kib: kib * 1024 / max(count, 1)  # bytes each
    r["rss_per_each_b"] = per(rss_kib)
    r["kernel_per_each_b"] = per(sum(k.values()))
    print(f"  {name:10} {asked:6} {count:6.0f} {r['os_threads']:7} "
          f"{r['rss_per_each_b'] / 1024:7.1f}Ki {r['kernel_per_each_b'] / 1024:9.1f}Ki "
          f"{per(k['Slab']) / 1024:6.1f} {per(k['KernelStack']) / 1024:6.1f} "
          f"{per(k['PageTables']) / 1024:6.1f} {r['ready_s']:8.2f}", flush=True)
    return r


def section_scale():
    cap = min(args.native_cap, NOFILE - 100)
    idle = min(19000, NOFILE - 100)  # both ends need a fd per connection
    if args.quick:
        cap, idle = min(cap, 2000), min(idle, 4000)
    print(f"\nscale: idle connections (one echo each, then held); RLIMIT_NOFILE {NOFILE} "
          f"per process, native threads capped at {cap}")
    print(f"  {'server':10} {'asked':>6} {'echoed':>6} {'threads':>7} {'RSS/conn':>9} "
          f"{'kernel/conn':>11} {'(slab':>6} {'kstack':>6} {'ptes)':>6} {'set-up s':>8}")
    servers = dict(echo_servers())
    go = go_binary()
    if go:
        servers["go"] = [go, "PORT"]
    out = {"idle": {}, "sleep": {}}
    for name, cmd in servers.items():
        n = cap if name == "native" else idle
        r = hold(cmd, [f"{W}/echo_load", "-c", str(n), "-H", "30", "PORT"],
                 {"GOMAXPROCS": "1"} if name == "go" else None)
        out["idle"][name] = scale_row(name, n, r, r.get("echoed", 0),
                                      r["rss_kib"] - r["rss0_kib"])
    sleep_n = {"native": cap, "greenrun": 20000 if args.quick else 100000}
    print(f"\nscale: sleeping threads (sleep_threads N 60, sampled once all are asleep)")
    print(f"  {'way':10} {'asked':>6} {'asleep':>6} {'OS thr':>7} {'RSS/thr':>9} "
          f"{'kernel/thr':>11} {'(slab':>6} {'kstack':>6} {'ptes)':>6} {'set-up s':>8}")
    for name, n in sleep_n.items():
        cmd = [f"{W}/sleep_threads", str(n), "60"]
        r = hold(None, [GREENRUN] + cmd if name == "greenrun" else cmd)
        out["sleep"][name] = scale_row(name, n, r, r.get("threads", 0), r["rss_kib"])
    results["scale"] = out


def section_compute():
    """compute_server (about 50 us of work per request) natively and under
    greenrun with the default hubs, GREEN_HUBS=1 and =2; nothing pinned, so
    that both sides may use every CPU (the load shares them)."""
    global SERVER_PIN, LOAD_PIN
    pins = SERVER_PIN, LOAD_PIN
    SERVER_PIN = LOAD_PIN = []
    cmd = [f"{W}/compute_server", "PORT"]
    servers = {"native": cmd, "greenrun": [GREENRUN] + cmd,
               "hubs=1": [GREENRUN] + cmd, "hubs=2": [GREENRUN] + cmd}
    try:
        t = compare("compute: echo_load against compute_server (~50 us per request), "
                    "not pinned", echo_run, servers, [100, 1000],
                    envs={"hubs=1": {"GREEN_HUBS": "1"}, "hubs=2": {"GREEN_HUBS": "2"}})
    finally:
        SERVER_PIN, LOAD_PIN = pins
    rps = {c: row["greenrun"]["rps_median"] / row["native"]["rps_median"]
           for c, row in t.items()}
    print("  req/s greenrun/native: " + "  ".join(f"{c}: {r:.2f}x" for c, r in rps.items())
          + "  (goal >= 0.9x)")
    results["compute"] = {"table": t, "rps_greenrun_over_native": rps}


sections = {"echo": section_echo, "http": section_http, "gevent": section_gevent,
            "go": section_go, "scale": section_scale, "compute": section_compute}
print(f"servers: {results['date']}, {os.cpu_count()} CPUs, build {B}, "
      f"{'server on CPU 1, load on CPU 0' if PIN else 'not pinned'}")
for name in args.only.split(","):
    sections[name]()
if args.json:
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
