#!/usr/bin/env python3
"""The core builds bottom-up: every quoted include in src/ names a header
in src/ (beside the file), include/ or the build root (green-build.h),
never one in preload/. The include path already refuses such a header at
compile time; this says which line would bring one back."""
import pathlib, re, sys

top = pathlib.Path(sys.argv[1])
src, pub = top / "src", top / "include"
bad = []
for f in sorted(src.rglob("*.[chS]")):
    for n, line in enumerate(f.read_text().splitlines(), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        name = m.group(1)
        if name == "green-build.h":
            continue
        if not ((f.parent / name).is_file() or (src / name).is_file()
                or (pub / name).is_file()) or "preload" in name:
            bad.append(f"{f.relative_to(top)}:{n}: {line.strip()}")
for b in bad:
    print(b)
print(f"{len(bad)} includes from outside the core")
sys.exit(1 if bad else 0)
