#!/usr/bin/env python3
"""Parity test: runs one program from tests/progs natively (twice) and once
with LD_PRELOAD=<libgreen.so>, and compares stdout and the exit status (or
terminating signal) byte for byte. LD_PRELOAD is set only in the child's
environment, never in ours. Prints TAP with four subtests:

  1  the native run exits 0 (so a broken program cannot pass by failing
     the same way twice)
  2  the native output is the same in a second native run (the program is
     deterministic; otherwise a mismatch under LD_PRELOAD means nothing)
  3  the LD_PRELOAD run has the native exit status, ld.so did not refuse
     the library, and it did not time out
  4  the LD_PRELOAD run has the native stdout; on a mismatch, a unified diff

Optional subtests, for the threaded programs, which print to stderr (not
compared) "tasks: N", the entries of /proc/self/task while all their
threads are alive, and may print "elapsed: S", in seconds:

  5  PARITY_TASKS=N: the LD_PRELOAD run printed "tasks: N" (1: the
     program's threads were green threads on its one OS thread)
  6  PARITY_MAX_ELAPSED=S: the LD_PRELOAD run printed "elapsed:" below S

Usage: parity.py LIBRARY PROGRAM [ARGS...]
Environment: PARITY_TIMEOUT, seconds per run (default 30; each program
also arms alarm(10) itself). PARITY_EXTRA_PRELOAD, more libraries to put
after LIBRARY in LD_PRELOAD (for instance one whose constructor spawns an
idle green thread, so that the wrappers take their green paths in these
single-threaded programs). PARITY_NATIVE_RUNS=1: one native run only, for
slow programs; subtest 2 is then skipped. PARITY_SKIP=REASON: run
nothing, and report the whole test skipped for that reason.
"""
import difflib
import os
import re
import signal
import subprocess
import sys

MAX_DIAG_LINES = 200


class Run:
    """One finished run of the program."""

    def __init__(self, argv, env, timeout):
        self.timed_out = False
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
        try:
            self.out, self.err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            kill_group(proc.pid)
            self.out, self.err = proc.communicate()
        # Forked children left behind (there should be none) go too.
        kill_group(proc.pid)
        self.status = proc.returncode

    def describe(self):
        if self.timed_out:
            return "timed out"
        if self.status < 0:
            try:
                name = signal.Signals(-self.status).name
            except ValueError:
                name = "signal %d" % -self.status
            return "killed by %s" % name
        return "exited %d" % self.status


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def diag(text):
    """Prints text as TAP diagnostics (comment lines), truncated."""
    lines = text.splitlines()
    if not lines:
        return
    for line in lines[:MAX_DIAG_LINES]:
        print("# " + line)
    if len(lines) > MAX_DIAG_LINES:
        print("# ... %d more lines" % (len(lines) - MAX_DIAG_LINES))


def labelled(label, data):
    """label: followed by data, or "" when there is no data."""
    return label + ":\n" + data.decode(errors="replace") if data else ""


def diff(a, b, name_a, name_b):
    return "".join(difflib.unified_diff(
        a.decode(errors="replace").splitlines(True),
        b.decode(errors="replace").splitlines(True), name_a, name_b))


def stderr_values(run, key):
    """The values of the stderr lines "key: value" of a run."""
    pattern = re.compile(rb"^" + key.encode() + rb": (\S+)$", re.M)
    return [v.decode(errors="replace") for v in pattern.findall(run.err)]


def stderr_seconds(run):
    """The run's "elapsed: S" as a float, or None."""
    try:
        return float(stderr_values(run, "elapsed")[-1])
    except (IndexError, ValueError):
        return None


def tasks_text(values):
    return "tasks: " + ", ".join(values) if values else "no tasks line"


def seconds_text(secs):
    return "no elapsed line" if secs is None else "%.3f s" % secs


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    lib, argv = sys.argv[1], sys.argv[2:]
    name = os.path.basename(argv[0])
    timeout = float(os.environ.get("PARITY_TIMEOUT", "30"))
    tasks = os.environ.get("PARITY_TASKS") or None  # "" is none
    max_elapsed = os.environ.get("PARITY_MAX_ELAPSED")
    native_runs = int(os.environ.get("PARITY_NATIVE_RUNS", "2"))

    print("TAP version 13")
    skip = os.environ.get("PARITY_SKIP")
    if skip:  # the build cannot run this program (tests/preload/meson.build)
        print("1..0 # SKIP %s" % skip)
        return 0
    print("1..%d" % (4 + (tasks is not None) + (max_elapsed is not None)))
    if not os.path.isfile(lib):
        print("Bail out! no preload library at %s" % lib)
        return 1

    native_env = dict(os.environ)
    native_env.pop("LD_PRELOAD", None)
    preload_env = dict(native_env)
    preload_env["LD_PRELOAD"] = " ".join(
        [os.path.abspath(lib)] + os.environ.get("PARITY_EXTRA_PRELOAD", "").split())

    native = Run(argv, native_env, timeout)
    again = Run(argv, native_env, timeout) if native_runs > 1 else None
    preload = Run(argv, preload_env, timeout)
    failed = 0

    ok = native.status == 0 and not native.timed_out
    print("%s 1 - %s: native run exits 0 (%s)" % ("ok" if ok else "not ok", name, native.describe()))
    if not ok:
        failed += 1
        diag(labelled("native stdout", native.out))
        diag(labelled("native stderr", native.err))

    if again is None:
        print("ok 2 - %s: native output is the same in a second run # SKIP PARITY_NATIVE_RUNS=1" % name)
        ok = True
    else:
        ok = again.out == native.out and again.status == native.status
        print("%s 2 - %s: native output is the same in a second run" % ("ok" if ok else "not ok", name))
    if not ok:
        failed += 1
        diag("second native run %s" % again.describe())
        diag(diff(native.out, again.out, "native", "native again"))

    refused = b"cannot be preloaded" in preload.err
    ok = preload.status == native.status and not preload.timed_out and not refused
    print("%s 3 - %s: LD_PRELOAD run has the native exit status (native %s, preload %s)"
          % ("ok" if ok else "not ok", name, native.describe(), preload.describe()))
    if not ok:
        failed += 1
        if refused:
            diag("ld.so refused the library")
        diag(labelled("preload stderr", preload.err))

    ok = preload.out == native.out
    lines = len(native.out.splitlines())
    print("%s 4 - %s: LD_PRELOAD run has the native stdout (%d lines)"
          % ("ok" if ok else "not ok", name, lines))
    if not ok:
        failed += 1
        diag(diff(native.out, preload.out, "native", "LD_PRELOAD"))
        if preload.status == native.status:  # else test 3 showed it
            diag(labelled("preload stderr", preload.err))

    number = 4
    if tasks is not None:
        number += 1
        seen = stderr_values(preload, "tasks")
        ok = seen == [tasks]
        print("%s %d - %s: LD_PRELOAD run has %s OS thread(s) while its threads live (%s; native %s)"
              % ("ok" if ok else "not ok", number, name, tasks, tasks_text(seen),
                 tasks_text(stderr_values(native, "tasks"))))
        failed += not ok

    if max_elapsed is not None:
        number += 1
        secs = stderr_seconds(preload)
        ok = secs is not None and secs < float(max_elapsed)
        print("%s %d - %s: LD_PRELOAD run took less than %s s (%s; native %s)"
              % ("ok" if ok else "not ok", number, name, max_elapsed,
                 seconds_text(secs), seconds_text(stderr_seconds(native))))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
