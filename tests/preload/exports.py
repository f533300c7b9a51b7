#!/usr/bin/env python3
"""libgreen.so exports every wrapper, unversioned (docs/design.md G2: a
versioned definition interposes nothing), and nothing else of libc's.

The wrappers the library says it has (GREEN_CHECK=1 lists them, each
"live" when the dynamic linker binds a program's calls to it) must be
exactly the non-green_ symbols `objdump -T` shows as defined, each with
the version column "Base". Prints TAP."""
import re
import subprocess
import sys

lib, probe = sys.argv[1], sys.argv[2]
tests = []


def check(ok, what):
    tests.append((ok, what))


dump = subprocess.run(["objdump", "-T", lib], capture_output=True, text=True,
                      check=True).stdout
exported = {}
for line in dump.splitlines():
    # 000000000000d010 g    DF .text  000000000000004b  Base        fcntl64
    # (w: weak, as <pthread.h> declares __pthread_unwind_next; ld.so
    # binds to a weak definition as to any other)
    m = re.match(r"^[0-9a-f]+ +[gw]\s+\S*\s+(\.text)\s+[0-9a-f]+\s+(\S+)\s+(\S+)$",
                 line)
    if m:
        exported[m.group(3)] = m.group(2)
# A sanitized build also exports the hook ASan reads its defaults from
# (src/fiber_san.c): no wrapper.
hooks = {"__asan_default_options"}
libc_names = {n: v for n, v in exported.items()
              if not n.startswith("green_") and n not in hooks}

run = subprocess.run([probe], capture_output=True, text=True,
                     env={"GREEN_CHECK": "1", "LD_PRELOAD": lib,
                          "PATH": "/usr/bin:/bin"})
listed = {}
for line in run.stderr.splitlines():
    m = re.match(r"^libgreen\[\d+\]: wrapper (\S+): (.*)$", line)
    if m:
        listed[m.group(1)] = m.group(2)
summary = re.search(r"(\d+) of (\d+) wrappers live", run.stderr)

check(len(listed) > 50, f"GREEN_CHECK lists the wrappers ({len(listed)})")
check(set(listed) == set(libc_names),
      "the list is exactly the exported libc names; differ: "
      + " ".join(sorted(set(listed) ^ set(libc_names))))
unversioned = [n for n, v in libc_names.items() if v != "Base"]
check(not unversioned, "every wrapper is unversioned; versioned: "
      + " ".join(sorted(unversioned)))
not_live = [n for n, s in listed.items() if s != "live"]
check(not not_live, "every wrapper is live under LD_PRELOAD; not: "
      + " ".join(sorted(not_live)))
check(bool(summary) and summary.group(1) == summary.group(2) == str(len(listed)),
      "the summary line counts them all")
green_api = [n for n in exported if n.startswith("green_")]
check(len(green_api) > 20 and all(exported[n] == "Base" for n in green_api),
      f"the green_ API is exported too ({len(green_api)})")

for i, (ok, what) in enumerate(tests, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {what}")
print(f"1..{len(tests)}")
sys.exit(0 if all(ok for ok, _ in tests) else 1)
