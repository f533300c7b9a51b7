"""TAP output for the Python tests (tests/compare, tests/demo): ok() and
skip() print one numbered line each, done() the plan and the exit status."""
import sys

count = failed = 0


def ok(cond, what, detail=""):
    """One test; on failure, the last 15 lines of detail as comments."""
    global count, failed
    count += 1
    print(("ok" if cond else "not ok") + f" {count} - {what}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[-15:]:
            print(f"#   {line}")


def skip(what):
    global count
    count += 1
    print(f"ok {count} # SKIP {what}")


def done():
    print(f"1..{count}")
    sys.exit(1 if failed else 0)
