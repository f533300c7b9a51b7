#!/usr/bin/env python3
"""The man pages in man/ stay readable and true to the code.

  man.py render TOP           man --warnings renders every page without a
                              word on stderr (skips, 77, without man)
  man.py greenrun TOP GREENRUN
                              greenrun.1 lists exactly the options of
                              `greenrun --help`, every GREEN_* variable that
                              src/config.c names, and greenrun's version
  man.py header TOP           green.h.3 names every function green.h
                              declares, and no other

The lists are parsed from the sources rather than written here, so a new
option, variable or function without docs fails."""
import os, pathlib, re, shutil, subprocess, sys

mode, top = sys.argv[1], pathlib.Path(sys.argv[2])
pages = sorted(p for p in (top / "man").iterdir() if re.search(r"\.\d$", p.name))
problems = []


def section(roff, name):
    """The lines of one .SH section, with roff's \\- read as -."""
    m = re.search(rf"^\.SH {name}\n(.*?)(?=^\.SH |\Z)", roff, re.M | re.S)
    return m.group(1).replace("\\-", "-") if m else ""


def tags(text):
    """The first line of each .TP item (its tag)."""
    return re.findall(r"^\.TP\n(.*)$", text, re.M)


def compare(what, documented, actual):
    for name in sorted(actual - documented):
        problems.append(f"{what}: {name} is not documented")
    for name in sorted(documented - actual):
        problems.append(f"{what}: {name} is documented but does not exist")


def render():
    if not shutil.which("man"):
        print("man is not installed (package man-db)")
        sys.exit(77)
    # A fixed width, so that line-breaking warnings do not depend on the
    # terminal the tests run in.
    env = dict(os.environ, MANWIDTH="80")
    for page in pages:
        r = subprocess.run(["man", "--warnings", "-l", str(page)], env=env,
                           capture_output=True, text=True)
        if r.returncode or r.stderr or not r.stdout:
            problems.append(f"{page.name}: status {r.returncode}\n{r.stderr}")


def greenrun(script):
    roff = (top / "man" / "greenrun.1").read_text()
    helptext = subprocess.run([script, "--help"], capture_output=True,
                              text=True, check=True).stdout
    # Option lines are indented and start with a dash; the options are the
    # words of the first column, before the gap.
    opt = re.compile(r"(?<![\w-])--?[a-z][a-z-]*")
    listed = set()
    for line in helptext.splitlines():
        if re.match(r"\s+-", line):
            listed |= set(opt.findall(re.split(r"\s{2,}", line.strip())[0]))
    man_opts = set(opt.findall("\n".join(tags(section(roff, "OPTIONS")))))
    compare("greenrun option", man_opts, listed)

    read = set(re.findall(r'"(GREEN_[A-Z0-9_]+)"',
                          (top / "src" / "config.c").read_text()))
    man_vars = {t.split()[1] for t in tags(section(roff, "ENVIRONMENT"))
                if re.match(r"\.B GREEN_", t)}
    compare("GREEN_* variable", man_vars, read)

    version = subprocess.run([script, "--version"], capture_output=True,
                             text=True, check=True).stdout.split()[-1]
    for page in pages:
        th = re.search(r"^\.TH .*$", page.read_text(), re.M)
        if not th or f'"libgreen {version}"' not in th.group(0):
            problems.append(f"{page.name}: .TH does not name libgreen {version}")


def header():
    decl = (top / "include" / "green.h").read_text()
    declared = set(re.findall(r"GREEN_API[^;(]*\b(green_\w+)\s*\(", decl))
    roff = (top / "man" / "green.h.3").read_text()
    synopsis = set(re.findall(r"\b(green_\w+)\(", section(roff, "SYNOPSIS")))
    compare("green.h.3 SYNOPSIS", synopsis, declared)
    described = set(re.findall(r"\b(green_\w+) \"?\(\)",
                               "\n".join(tags(section(roff, "DESCRIPTION")))))
    compare("green.h.3 DESCRIPTION", described, declared)


if mode == "render":
    render()
elif mode == "greenrun":
    greenrun(sys.argv[3])
elif mode == "header":
    header()
else:
    sys.exit(f"unknown mode {mode}")
for p in problems:
    print(p)
print(f"{mode}: {len(problems)} problems")
sys.exit(1 if problems else 0)
