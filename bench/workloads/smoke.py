#!/usr/bin/env python3
"""Smoke test of the benchmark workloads (not a benchmark): each echo server
(echo_server natively and under greenrun, libev_echo, go_echo if built)
echoes byte-exactly to echo_load, and each HTTP server (http_server both
ways, libev_echo --http) answers three keep-alive requests, two of them
pipelined, then closes on "Connection: close". About a second in all.

usage: smoke.py WORKLOADS_DIR GREENRUN"""
import os
import socket
import subprocess
import sys
import time

W, GREENRUN = sys.argv[1], sys.argv[2]
port = [24500 + os.getpid() % 1000]
failures = 0


def start(cmd):
    port[0] += 1
    p = subprocess.Popen([str(port[0]) if a == "PORT" else a for a in cmd])
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port[0]), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.01)
    p.kill()
    raise RuntimeError(f"{cmd} did not listen")


def check(name, ok, detail=""):
    global failures
    failures += not ok
    print(f"{'ok' if ok else 'FAIL'} {name} {detail}")


def echo(name, cmd):
    p = start(cmd)
    try:
        r = subprocess.run([f"{W}/echo_load", "-c", "50", "-d", "0.2", "-w", "0.05",
                            "-P", str(p.pid), str(port[0])],
                           capture_output=True, text=True, timeout=20)
        out = dict(l.split(": ") for l in r.stdout.splitlines())
        check(f"echo {name}", r.returncode == 0 and int(out["requests"]) > 100,
              f"requests {out.get('requests')} errors {out.get('errors')}")
        r = subprocess.run([f"{W}/echo_load", "-c", "20", "-H", "0", str(port[0])],
                           capture_output=True, text=True, timeout=20)
        check(f"echo {name} idle hold", r.returncode == 0 and "echoed: 20" in r.stdout)
    finally:
        p.kill()
        p.wait()


def http(name, cmd):
    p = start(cmd)
    try:
        s = socket.create_connection(("127.0.0.1", port[0]), timeout=5)
        get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        s.sendall(get)
        s.sendall(get + get.replace(b"Host: x", b"Host: x\r\nConnection: close"))
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        s.close()
        check(f"http {name}", data.count(b"HTTP/1.1 200 OK") == 3 and
              data.endswith(b"Hello, world\n"), f"{len(data)} bytes, closed")
    finally:
        p.kill()
        p.wait()


echo("native", [f"{W}/echo_server", "PORT"])
echo("greenrun", [GREENRUN, f"{W}/echo_server", "PORT"])
echo("libev", [f"{W}/libev_echo", "PORT"])
if os.path.exists(f"{W}/go_echo"):
    echo("go", [f"{W}/go_echo", "PORT"])
http("native", [f"{W}/http_server", "PORT"])
http("greenrun", [GREENRUN, f"{W}/http_server", "PORT"])
http("libev", [f"{W}/libev_echo", "PORT", "--http"])
sys.exit(1 if failures else 0)
