#!/usr/bin/env python3
"""Runs a program and compares its stdout, byte for byte, with a file of
expected output; prints a unified diff and fails on any difference or a
non-zero exit. Usage: check_output.py EXPECTED PROGRAM [ARGS...]"""
import difflib
import subprocess
import sys

expected = open(sys.argv[1], "rb").read()
run = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, timeout=60)
if run.stdout != expected or run.returncode != 0:
    sys.stdout.writelines(difflib.unified_diff(
        expected.decode(errors="replace").splitlines(True),
        run.stdout.decode(errors="replace").splitlines(True),
        "expected", "got"))
    print(f"exit status {run.returncode}")
    sys.exit(1)
