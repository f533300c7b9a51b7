#!/usr/bin/env python3
"""Concurrent DNS lookups against a slow resolver: a DNS server on
127.0.0.77:53 (UDP) that answers every A query after DELAY seconds, and
tests/progs/dns_slow, whose N threads each resolve h<i>.slow.test. The
client runs in a private mount namespace (unshare -m) where a resolv.conf
naming that server is bind-mounted over /etc/resolv.conf, so the system's
own file is untouched. Needs root; otherwise every subtest is skipped with
the reason.

Subtests (TAP):
  1  natively, every lookup gets its own address
  2  with LD_PRELOAD, every lookup gets its own address, on one OS thread
     of the program's (tasks: 1)
  3  with LD_PRELOAD, the lookups overlap: elapsed under MAX (about one
     DELAY, not N of them)
  4  GREEN_OFFLOAD_THREADS=10 bounds the overlap: N/10 rounds of DELAY

Usage: dns_slow.py LIBRARY CLIENT [N]
Prints "# native: S s, preload: S s, 10 threads: S s" for the record.
"""
import heapq
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ADDR = ("127.0.0.77", 53)
DELAY = 0.2


def answer(query):
    """The reply to one query: an A record 10.0.i/256.i%256 for h<i>.*,
    NXDOMAIN for other names, no data for other types."""
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    pos, labels = 12, []
    while query[pos]:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    qtype, _ = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    m = re.fullmatch(r"h(\d+)", labels[0]) if labels else None
    rd = flags & 0x0100
    if not m or labels[1:] != ["slow", "test"]:
        return struct.pack("!HHHHHH", qid, 0x8083 | rd, 1, 0, 0, 0) + question
    i = int(m.group(1))
    if qtype != 1:
        return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 0, 0, 0) + question
    rr = struct.pack("!HHHIH4B", 0xC00C, 1, 1, 60, 4, 10, 0, i // 256, i % 256)
    return struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + rr


def serve(sock, stop):
    """Answers each query DELAY seconds after it came, all in one loop."""
    due = []
    while not stop.is_set():
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else 0.05
        ready, _, _ = select.select([sock], [], [], min(timeout, 0.05))
        if ready:
            data, peer = sock.recvfrom(4096)
            try:
                reply = answer(data)
            except (IndexError, struct.error):
                continue
            heapq.heappush(due, (time.monotonic() + DELAY, id(reply), reply, peer))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, reply, peer = heapq.heappop(due)
            sock.sendto(reply, peer)


def run(client, n, resolv, env):
    """One run of the client in its own mount namespace. Returns (exit
    status, stdout, stderr, elapsed from its stderr)."""
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", resolv,
                           client, str(n)],
                          env=env, capture_output=True, text=True, timeout=60)
    m = re.search(r"elapsed: ([0-9.]+)", proc.stderr)
    return proc.returncode, proc.stdout, proc.stderr, float(m.group(1)) if m else None


def main():
    library, client = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    print("1..4")
    reason = None
    if os.geteuid() != 0:
        reason = "needs root (unshare -m, mount --bind)"
    elif not shutil.which("unshare"):
        reason = "no unshare(1)"
    else:
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
        if probe.returncode != 0:
            reason = "unshare -m fails: " + probe.stderr.decode().strip()
    sock = None
    if not reason:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(ADDR)
        except OSError as e:
            reason = "cannot bind %s:%d: %s" % (ADDR[0], ADDR[1], e)
    if reason:
        for i in range(1, 5):
            print("ok %d # SKIP %s" % (i, reason))
        return 0
    stop = threading.Event()
    server = threading.Thread(target=serve, args=(sock, stop), daemon=True)
    server.start()
    tmp = tempfile.mkdtemp(prefix="dns_slow.")
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\noptions timeout:5 attempts:1\n" % ADDR[0])
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    green = dict(env, LD_PRELOAD=library)
    failed = 0
    try:
        st, out, err, native = run(client, n, resolv, env)
        ok = st == 0 and out.strip() == "%d of %d lookups right" % (n, n)
        failed += not ok
        print("%s 1 - natively %s (%s s)" % ("ok" if ok else "not ok", out.strip(), native))
        if not ok:
            print("# " + err.replace("\n", "\n# "))
        st, out, err, pre = run(client, n, resolv, green)
        ok = st == 0 and "%d of %d lookups right" % (n, n) in out and \
            re.search(r"^tasks: 1$", err, re.M) is not None
        failed += not ok
        print("%s 2 - with LD_PRELOAD %s, %s" % ("ok" if ok else "not ok", out.strip(),
              (re.search(r"tasks: \d+", err) or [""])[0]))
        if not ok:
            print("# " + err.replace("\n", "\n# "))
        limit = 0.2 + n * 0.01 + DELAY
        ok = pre is not None and pre < limit
        failed += not ok
        print("%s 3 - with LD_PRELOAD %d lookups of %.1f s took %s s (under %.1f)" %
              ("ok" if ok else "not ok", n, DELAY, pre, limit))
        st, out, err, ten = run(client, n, resolv, dict(green, GREEN_OFFLOAD_THREADS="10"))
        rounds = (n + 9) // 10
        ok = st == 0 and ten is not None and ten >= rounds * DELAY * 0.9
        failed += not ok
        print("%s 4 - GREEN_OFFLOAD_THREADS=10: %s s (%d rounds of %.1f s)" %
              ("ok" if ok else "not ok", ten, rounds, DELAY))
        print("# native: %s s, preload: %s s, 10 threads: %s s" % (native, pre, ten))
    finally:
        stop.set()
        server.join()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
