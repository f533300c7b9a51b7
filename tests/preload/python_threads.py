#!/usr/bin/env python3
"""Python's own threads under LD_PRELOAD=<libgreen.so>: the system python3
(/usr/bin/python3 if there is one, else the one running this) runs two
small scripts, with LD_PRELOAD set only in the child's environment. Each
script prints "tasks N", the most entries of /proc/self/task it saw while
its threads were alive, and "elapsed S".

  sleepers: 20 threading.Thread each time.sleep(1). Natively it checks the
    script itself (21 OS threads there); under the preload all 20 must be
    done within 3 s, on 1 OS thread.
  http: a ThreadingHTTPServer on 127.0.0.1 (an ephemeral port) whose
    handler sleeps 0.5 s, and 50 concurrent requests from threads of the
    same script; every body must be right, within 3 s, on 1 OS thread.

  faulthandler: 10 sleeping threads and faulthandler's watchdog thread
    (dump_traceback_later), which blocks every signal; signal.alarm(1)
    must still interrupt main's time.sleep(5) with the handler's
    exception, within 1.5 s, natively and under the preload.

Usage: python_threads.py LIBRARY. Prints TAP.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import Run, diag, labelled  # noqa: E402

TIMEOUT = 60
MAX_SECONDS = 3.0

SLEEPERS = r'''
import os, threading, time
t0 = time.monotonic()
threads = [threading.Thread(target=time.sleep, args=(1,)) for _ in range(20)]
for t in threads:
    t.start()
tasks = len(os.listdir("/proc/self/task"))  # all 20 are asleep
for t in threads:
    t.join()
print("done", sum(not t.is_alive() for t in threads), "of", len(threads))
print("tasks", tasks)
print("elapsed %.3f" % (time.monotonic() - t0))
'''

HTTP = r'''
import http.server, os, threading, time, urllib.request
N = 50
most = 0
lock = threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global most
        time.sleep(0.5)
        with lock:  # counted while the other handlers sleep too
            most = max(most, len(os.listdir("/proc/self/task")))
        body = ("hello " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # 50 connects at once: no SYN left to retry

server = Server(("127.0.0.1", 0), Handler)
port = server.server_address[1]
threading.Thread(target=server.serve_forever, daemon=True).start()
bodies = [None] * N

def get(i):
    with urllib.request.urlopen("http://127.0.0.1:%d/%d" % (port, i), timeout=20) as r:
        bodies[i] = r.read().decode()

t0 = time.monotonic()
clients = [threading.Thread(target=get, args=(i,)) for i in range(N)]
for c in clients:
    c.start()
for c in clients:
    c.join()
elapsed = time.monotonic() - t0
server.shutdown()
right = sum(bodies[i] == "hello /%d" % i for i in range(N))
print("bodies right", right, "of", N)
print("tasks", most)
print("elapsed %.3f" % elapsed)
'''

FAULTHANDLER = r'''
import faulthandler, signal, threading, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
faulthandler.dump_traceback_later(30)
threads = [threading.Thread(target=time.sleep, args=(2,), daemon=True) for _ in range(10)]
for t in threads:
    t.start()
t0 = time.monotonic()
signal.alarm(1)
try:
    time.sleep(5)
    print("not interrupted")
except Alarm:
    print("interrupted by the alarm's handler")
print("elapsed %.3f" % (time.monotonic() - t0))
faulthandler.cancel_dump_traceback_later()
'''


class Script:
    """One run of a script, and what it printed."""

    def __init__(self, python, source, env):
        self.run = Run([python, "-I", "-c", source], env, TIMEOUT)
        self.out = self.run.out.decode(errors="replace")
        self.tasks = self.number(r"^tasks (\d+)$", int)
        self.elapsed = self.number(r"^elapsed ([\d.]+)$", float)

    def number(self, pattern, kind):
        m = re.search(pattern, self.out, re.M)
        return kind(m.group(1)) if m else None

    def printed(self, line):
        return self.run.status == 0 and re.search("^" + re.escape(line) + "$", self.out, re.M) is not None

    def show(self):
        diag(self.run.describe())
        diag(labelled("stdout", self.run.out))
        diag(labelled("stderr", self.run.err))


class Tap:
    def __init__(self):
        self.number = 0
        self.failed = 0

    def check(self, ok, what, script):
        self.number += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.number, what))
        if not ok:
            self.failed += 1
            script.show()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    lib = sys.argv[1]
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    print("TAP version 13")
    print("1..11")
    if not os.path.isfile(lib):
        print("Bail out! no preload library at %s" % lib)
        return 1
    native_env = dict(os.environ)
    native_env.pop("LD_PRELOAD", None)
    preload_env = dict(native_env, LD_PRELOAD=os.path.abspath(lib))
    tap = Tap()

    native = Script(python, SLEEPERS, native_env)
    tap.check(native.printed("done 20 of 20"),
              "sleepers natively: 20 threads slept 1 s and were joined (%s OS threads)" % native.tasks, native)
    green = Script(python, SLEEPERS, preload_env)
    tap.check(green.printed("done 20 of 20"), "sleepers under LD_PRELOAD: 20 threads slept 1 s and were joined",
              green)
    tap.check(green.elapsed is not None and green.elapsed < MAX_SECONDS,
              "sleepers under LD_PRELOAD: within %g s (%s s; native %s s)"
              % (MAX_SECONDS, green.elapsed, native.elapsed), green)
    tap.check(green.tasks == 1, "sleepers under LD_PRELOAD: 1 OS thread while they slept (%s)" % green.tasks, green)

    native = Script(python, HTTP, native_env)
    tap.check(native.printed("bodies right 50 of 50"),
              "http natively: 50 concurrent requests, every body right (%s OS threads)" % native.tasks, native)
    green = Script(python, HTTP, preload_env)
    tap.check(green.printed("bodies right 50 of 50"),
              "http under LD_PRELOAD: 50 concurrent requests, every body right", green)
    tap.check(green.elapsed is not None and green.elapsed < MAX_SECONDS,
              "http under LD_PRELOAD: within %g s (%s s; native %s s)" % (MAX_SECONDS, green.elapsed, native.elapsed),
              green)
    tap.check(green.tasks == 1, "http under LD_PRELOAD: 1 OS thread while the handlers slept (%s)" % green.tasks,
              green)

    native = Script(python, FAULTHANDLER, native_env)
    tap.check(native.printed("interrupted by the alarm's handler"),
              "faulthandler natively: the alarm interrupts main's sleep (%s s)" % native.elapsed, native)
    green = Script(python, FAULTHANDLER, preload_env)
    tap.check(green.printed("interrupted by the alarm's handler"),
              "faulthandler under LD_PRELOAD: the alarm interrupts main's sleep although the watchdog "
              "blocks every signal", green)
    tap.check(green.elapsed is not None and green.elapsed < 1.5,
              "faulthandler under LD_PRELOAD: within 1.5 s (%s s; native %s s)" % (green.elapsed, native.elapsed),
              green)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
