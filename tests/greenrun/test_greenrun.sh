#!/bin/sh
# TAP tests of the greenrun launcher (scripts/greenrun), run by meson with
# name=value arguments (see tests/greenrun/meson.build):
#   greenrun=  the build-tree copy (names the built libgreen.so)
#   installed= the copy meson installs (names prefix/libdir/libgreen.so.0)
#   source=    scripts/greenrun itself, unconfigured
#   lib=, install_lib=, version=, probe= (a dynamic program that prints
#   "probe ran"), static=, static-pie= (the same program linked so; empty
#   when the toolchain cannot link it)
# Conditions are single-quoted strings that t evaluates, and a few lists are
# split on purpose:
# shellcheck disable=SC2016,SC2034,SC2086,SC1007
set -u

# Tests of what the library prints (-v, --check, GREEN_INHERIT=0, warnings
# about bad variables) are TODO until the preload side lands. Once it has,
# empty this and those tests count like the others.
pending=''

G= installed= source= lib= install_lib= version= probe= static= static_pie=
for a; do
    case $a in
    greenrun=*) G=${a#*=} ;;
    installed=*) installed=${a#*=} ;;
    source=*) source=${a#*=} ;;
    lib=*) lib=${a#*=} ;;
    install_lib=*) install_lib=${a#*=} ;;
    version=*) version=${a#*=} ;;
    probe=*) probe=${a#*=} ;;
    static=*) static=${a#*=} ;;
    static-pie=*) static_pie=${a#*=} ;;
    *) echo "Bail out! unknown argument $a"; exit 1 ;;
    esac
done
for v in G installed source lib install_lib version probe; do
    eval "[ -n \"\$$v\" ]" || { echo "Bail out! missing argument $v"; exit 1; }
done

# A clean environment: no preload and no GREEN_* settings from the caller.
unset LD_PRELOAD
for v in $(env | sed -n 's/^\(GREEN_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$v"
done

tmp=$(mktemp -d) || { echo "Bail out! mktemp"; exit 1; }
tmp=$(cd "$tmp" && pwd -P)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

n=0
nl='
'

# run COMMAND...: sets out, err and rc (stdin is /dev/null).
run() {
    out=$("$@" </dev/null 2>"$tmp/stderr")
    rc=$?
    err=$(cat "$tmp/stderr")
}

# t DESCRIPTION SHELL-CONDITION [DIRECTIVE]: one TAP line; on failure, the
# last run's status and output as diagnostics.
t() {
    n=$((n + 1))
    if eval "$2"; then
        echo "ok $n - $1${3:+ $3}"
    else
        echo "not ok $n - $1${3:+ $3}"
        printf '%s\n' "condition: $2" "status: $rc" "stdout: $out" \
            "stderr: $err" | sed 's/^/#   /'
    fi
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}

has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
lines() {  # the number of lines in $1 (0 if empty)
    if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi
}

# --- usage -------------------------------------------------------------------

run "$G" --help
t "--help exits 0 and prints the usage on stdout" \
  '[ $rc = 0 ] && has "$out" "Usage: greenrun [options] [--] command" && [ -z "$err" ]'
ok=1
for word in -v --verbose -q --quiet --log-level --stack-size --threads --hubs \
            --no-inherit --disable --check --help --version \
            GREEN_LOG_LEVEL=3 GREEN_LOG_LEVEL=0 GREEN_LOG_LEVEL=N \
            GREEN_STACK_SIZE GREEN_THREADS GREEN_INHERIT=0 GREEN_DISABLE=1 \
            GREEN_CHECK=1 "LD_PRELOAD=$lib"; do
    has "$out" "$word" || { ok=0; err="missing: $word"; }
done
t "--help lists every option, its variable and the library path" '[ $ok = 1 ]'

run "$G" -h
t "-h is --help" '[ $rc = 0 ] && has "$out" "Usage: greenrun"'

run "$G" --version
t "--version prints the meson project version" \
  '[ $rc = 0 ] && [ "$out" = "greenrun (libgreen) $version" ]'

# $(...) strips trailing newlines, so compare the exact bytes in files.
"$G" --version >"$tmp/version" 2>&1
printf 'greenrun (libgreen) %s\n' "$version" >"$tmp/version.want"
t "--version prints exactly one line, its newline included" \
  'cmp -s "$tmp/version" "$tmp/version.want"'

run "$G" --bogus sh -c 'echo ran'
t "an unknown option is named, exit 2, nothing runs" \
  '[ $rc = 2 ] && has "$err" "unknown option '\''--bogus'\''" && [ -z "$out" ]'

run "$G" -v -x true
t "an unknown short option after a valid one, exit 2" \
  '[ $rc = 2 ] && has "$err" "'\''-x'\''"'

run "$G"
t "no command: usage on stderr, exit 2" \
  '[ $rc = 2 ] && has "$err" "missing command" && has "$err" "Usage:" && [ -z "$out" ]'

run "$G" -v --
t "options and -- but no command: exit 2" '[ $rc = 2 ] && has "$err" "Usage:"'

for opt in --stack-size --threads --hubs --log-level; do
    run "$G" $opt
    t "$opt without its argument: usage error, exit 2" \
      '[ $rc = 2 ] && has "$err" "'\''$opt'\'' needs an argument"'
done

for args in "--threads bogus" "--threads=" "--stack-size 12X" \
            "--stack-size=-1" "--stack-size K" "--stack-size 6K4" \
            "--log-level 9" "--log-level=abc" "--log-level -1" \
            "--hubs 0" "--hubs=two" "--hubs -2"; do
    run "$G" $args sh -c 'echo ran'
    t "invalid argument ($args): exit 2, nothing runs" \
      '[ $rc = 2 ] && has "$err" "invalid argument" && [ -z "$out" ]'
done

# --- the command -------------------------------------------------------------

run "$G" no-such-command-for-greenrun arg
t "command not found: exit 127 and one line" \
  '[ $rc = 127 ] && [ "$err" = "greenrun: no-such-command-for-greenrun: command not found" ]'

run "$G" "$tmp/nowhere/cmd"
t "a missing path: exit 127" '[ $rc = 127 ] && has "$err" "$tmp/nowhere/cmd"'

printf 'echo ran\n' >"$tmp/noexec"
run "$G" "$tmp/noexec"
t "a file that is not executable: exit 126" '[ $rc = 126 ] && [ -z "$out" ]'

run "$G" sh -c 'exit 7'
t "the exit status is the command's (7)" '[ $rc = 7 ] && [ -z "$err" ]'

run "$G" sh -c 'kill -TERM $$'
t "a command killed by SIGTERM: status 143" '[ $rc = 143 ]'

run "$G" printf '[%s]' 'a b' '' '*' -x '$HOME'
t "arguments are passed verbatim" \
  '[ $rc = 0 ] && [ "$out" = "[a b][][*][-x][\$HOME]" ]'

run "$G" -- sh -c 'echo "$1"' sh --help
t "-- ends the options" '[ $rc = 0 ] && [ "$out" = --help ]'

run "$G" sh -c 'echo "$1 ${GREEN_LOG_LEVEL-unset}"' sh -v
t "options after the command are the command's" \
  '[ $rc = 0 ] && [ "$out" = "-v unset" ]'

run "$G" true
t "true runs (as /usr/bin/true, not a shell builtin)" '[ $rc = 0 ] && [ -z "$err" ]'

run "$G" "$probe"
t "a dynamic ELF program is not taken for static" \
  '[ $rc = 0 ] && [ "$out" = "probe ran" ]'

mkdir "$tmp/bin"
printf '#!/bin/sh\necho "script $LD_PRELOAD"\n' >"$tmp/bin/script"
chmod +x "$tmp/bin/script"
run env PATH="$tmp/bin:$PATH" "$G" script
t "a #! script found through PATH runs with the preload" \
  '[ $rc = 0 ] && [ "$out" = "script $lib" ]'

# --- LD_PRELOAD --------------------------------------------------------------

run "$G" sh -c 'echo "$LD_PRELOAD"'
t "LD_PRELOAD is exactly the library" '[ $rc = 0 ] && [ "$out" = "$lib" ]'
t "the library path is absolute" 'case $out in /*) true ;; *) false ;; esac'
t "the library path names the built libgreen.so" \
  '[ "$(readlink -f "$out")" = "$(readlink -f "$lib")" ] && [ -f "$out" ]'

run env LD_PRELOAD= "$G" sh -c 'echo "$LD_PRELOAD"'
t "an empty LD_PRELOAD becomes the library" '[ "$out" = "$lib" ]'

other=/nonexistent/libother.so  # ld.so warns on stderr and goes on
run env LD_PRELOAD="$other" "$G" sh -c 'echo "$LD_PRELOAD"'
t "the library is prepended to another entry" \
  'case $out in "$lib"[\ :]"$other") true ;; *) false ;; esac'

run env LD_PRELOAD="$lib" "$G" sh -c 'echo "$LD_PRELOAD"'
t "LD_PRELOAD already naming the library is unchanged" '[ "$out" = "$lib" ]'

run env LD_PRELOAD="$other:$lib" "$G" sh -c 'echo "$LD_PRELOAD"'
t "the library after another entry (colon) is not added again" \
  '[ "$out" = "$other:$lib" ]'

run env LD_PRELOAD="$other $lib $other" "$G" sh -c 'echo "$LD_PRELOAD"'
t "the library between entries (spaces) is not added again" \
  '[ "$out" = "$other $lib $other" ]'

real=$(readlink -f "$lib")
run env LD_PRELOAD="$real" "$G" sh -c 'echo "$LD_PRELOAD"'
t "the same file under another name is not added again" '[ "$out" = "$real" ]'

run "$G" sh -c 'grep -q libgreen /proc/$$/maps && echo mapped'
t "the library is mapped in the command" '[ "$out" = mapped ]'

run "$G" sh -c 'sh -c "grep -q libgreen /proc/\$\$/maps && echo mapped"'
t "children inherit the preload by default" '[ "$out" = mapped ]'

# --- options map to variables --------------------------------------------------

for case in "--stack-size 64K|GREEN_STACK_SIZE|64K" \
            "--stack-size=1M|GREEN_STACK_SIZE|1M" \
            "--stack-size 131072|GREEN_STACK_SIZE|131072" \
            "--threads native|GREEN_THREADS|native" \
            "--threads=green|GREEN_THREADS|green" \
            "--hubs 2|GREEN_HUBS|2" "--hubs=1|GREEN_HUBS|1" \
            "-v|GREEN_LOG_LEVEL|3" "--verbose|GREEN_LOG_LEVEL|3" \
            "-q|GREEN_LOG_LEVEL|0" "--quiet|GREEN_LOG_LEVEL|0" \
            "--log-level 4|GREEN_LOG_LEVEL|4" "--log-level=5|GREEN_LOG_LEVEL|5" \
            "-v -q|GREEN_LOG_LEVEL|0" "-q --log-level 1|GREEN_LOG_LEVEL|1" \
            "--no-inherit|GREEN_INHERIT|0" "--disable|GREEN_DISABLE|1"; do
    opts=${case%%|*}
    rest=${case#*|}
    var=${rest%|*}
    want=${rest#*|}
    run "$G" $opts sh -c "echo \"\${$var-unset}\""
    t "$opts sets $var=$want" '[ $rc = 0 ] && [ "$out" = "$want" ]'
done

run "$G" sh -c 'env | grep "^GREEN_" || echo none'
t "without options no GREEN_ variable is set" '[ "$out" = none ]'

run env GREEN_POLL_EVERY=7 "$G" -v sh -c 'echo "$GREEN_POLL_EVERY"'
t "GREEN_ variables from the environment are passed on" '[ "$out" = 7 ]'

# --- targets that cannot be preloaded ---------------------------------------------

refused() {  # refused WHAT: the last run refused it with one warning line
    [ $rc = 126 ] && [ -z "$out" ] && [ "$(lines "$err")" = 1 ] &&
        has "$err" "cannot be preloaded" && has "$err" "$1"
}

if [ -n "$static" ]; then
    run "$G" "$static"
    t "a static program is refused (126, one line, not run)" \
      'refused "statically linked"'
    sdir=${static%/*}
    run env PATH="$sdir:$PATH" "$G" "${static##*/}"
    t "a static program found through PATH is refused" 'refused "statically linked"'
    printf '#!%s\n' "$static" >"$tmp/static-interp"
    chmod +x "$tmp/static-interp"
    run "$G" "$tmp/static-interp"
    t "a script whose interpreter is static is refused" \
      'refused "interpreter $static: it is statically linked"'
    printf '#! \t%s -x arg\n' "$static" >"$tmp/static-interp-args"
    chmod +x "$tmp/static-interp-args"
    run "$G" "$tmp/static-interp-args"
    t "#! with blanks before the interpreter and arguments after it" \
      'refused "interpreter $static: it is statically linked"'
else
    for d in "static program" "static program through PATH" "static interpreter" \
             "static interpreter after blanks"; do
        skip "$d is refused" "cannot link -static"
    done
fi

# far_phdrs SRC DST: copies the ELF program SRC to DST, with its program
# header table copied again to the end of the file (page-aligned) and
# e_phoff pointing there, beyond the first bytes greenrun reads.
far_phdrs() {
    # shellcheck disable=SC2046 # one positional parameter per byte
    set -- "$1" "$2" $(od -An -v -t u1 -j 32 -N 26 -- "$1")  # bytes 32-57
    phoff=$(($3 + $4 * 256 + $5 * 65536 + $6 * 16777216))
    size=$(((${25} + ${26} * 256) * (${27} + ${28} * 256)))
    fsize=$(wc -c <"$1")
    far=$(((fsize + 4095) / 4096 * 4096))
    cp "$1" "$2" &&
    dd if=/dev/zero bs=1 count=$((far - fsize)) 2>/dev/null >>"$2" &&
    dd if="$1" bs=1 skip="$phoff" count="$size" 2>/dev/null >>"$2" &&
    esc= && for i in 0 1 2 3 4 5 6 7; do
        b=$((far >> (8 * i) & 255))
        esc="$esc\\0$((b / 64))$((b / 8 % 8))$((b % 8))"
    done &&
    printf '%b' "$esc" | dd of="$2" bs=1 seek=32 conv=notrunc 2>/dev/null &&
    [ "$(od -An -t u8 -j 32 -N 8 -- "$2" | tr -d ' ')" = "$far" ] && [ $far -ge 8192 ]
}

if [ -n "$static" ] && far_phdrs "$static" "$tmp/static-far"; then
    run "$G" "$tmp/static-far"
    t "a static program with its program headers far in the file is refused" \
      'refused "statically linked"'
else
    skip "a static program with its program headers far in the file is refused" \
      "no static program or cannot patch it"
fi
if far_phdrs "$probe" "$tmp/dynamic-far"; then
    # Only greenrun's verdict counts: the copy need not run (the kernel
    # derives AT_PHDR from the segment that holds e_phoff, and none does).
    run "$G" "$tmp/dynamic-far"
    t "a dynamic program with its program headers far in the file is not refused" \
      '[ $rc != 126 ] && ! has "$err" "cannot be preloaded"'
else
    skip "a dynamic program with its program headers far in the file is not refused" \
      "cannot patch it"
fi

if [ -n "$static_pie" ]; then
    run "$G" "$static_pie"
    t "a static-pie program is refused" 'refused "statically linked"'
else
    skip "a static-pie program is refused" "cannot link -static-pie"
fi

cp "$probe" "$tmp/suid"
chmod u+s "$tmp/suid"
run "$G" "$tmp/suid"
t "a setuid program is refused (126, one line, not run)" 'refused setuid'

cp "$probe" "$tmp/sgid"
chmod g+s,g+x "$tmp/sgid"
if [ -g "$tmp/sgid" ]; then
    run "$G" "$tmp/sgid"
    t "a setgid program is refused" 'refused setgid'
else
    skip "a setgid program is refused" "cannot set the setgid bit here"
fi

setcap=$(command -v setcap || { [ -x /usr/sbin/setcap ] && echo /usr/sbin/setcap; } || true)
getcap=$(command -v getcap || { [ -x /usr/sbin/getcap ] && echo /usr/sbin/getcap; } || true)
cp "$probe" "$tmp/caps"
if [ -n "$setcap" ] && [ -n "$getcap" ] &&
   "$setcap" cap_net_raw+ep "$tmp/caps" 2>/dev/null; then
    run "$G" "$tmp/caps"
    t "a program with file capabilities is refused" 'refused capabilities'
    mkdir "$tmp/-d"
    cp "$tmp/caps" "$tmp/-d/caps"
    "$setcap" cap_net_raw+ep "$tmp/-d/caps"
    run "$G" -- -d/caps     # in $tmp; getcap must not take it for an option
    t "a path starting with - is checked for capabilities too" 'refused capabilities'
else
    for d in "a program with file capabilities" "a path starting with - with capabilities"; do
        skip "$d is refused" "no setcap/getcap or no permission"
    done
fi

# --- what the library prints ------------------------------------------------------

# The process's pid is greenrun's: it execs.
run sh -c 'echo $$; exec "$@"' sh "$G" -v "$probe"
pid=${out%%"$nl"*}
active=$(printf '%s\n' "$err" | grep -E "^libgreen\[$pid\]: active $version \(libev [0-9.]+ [a-z0-9]+; [0-9]+ wrappers live\)\$")
t "-v: exactly one active line for one process" \
  '[ "$(lines "$active")" = 1 ] && [ "$(lines "$err")" = 1 ]' "$pending"

run "$G" -v sh -c "\"$probe\"; exit 0"
t "-v: one active line per process (two processes)" \
  '[ "$(printf "%s\n" "$err" | grep -c "^libgreen\[[0-9]*\]: active ")" = 2 ]' "$pending"

run "$G" "$probe"
t "silent by default" '[ -z "$err" ] && [ "$out" = "probe ran" ]'

run env GREEN_STACK_SIZE=bogus "$G" "$probe"
t "a bad GREEN_ variable gets one warning line naming it (library)" \
  '[ "$(lines "$err")" = 1 ] && has "$err" GREEN_STACK_SIZE' "$pending"

run env GREEN_STACK_SIZE=bogus "$G" -q "$probe"
t "-q silences even that warning" '[ -z "$err" ] && [ "$out" = "probe ran" ]'

run "$G" --no-inherit sh -c 'grep -q libgreen /proc/$$/maps && echo mapped'
t "--no-inherit: the command itself still has the library" '[ "$out" = mapped ]'

run "$G" --no-inherit sh -c 'sh -c "grep -q libgreen /proc/\$\$/maps && echo mapped || echo clean"'
t "--no-inherit: its children do not" '[ "$out" = clean ]' "$pending"

wrapper_re='^libgreen\[[0-9]+\]: wrapper [A-Za-z0-9_]+: (live|shadowed by .+)$'
summary_re='^libgreen\[[0-9]+\]: [0-9]+ of [0-9]+ wrappers live$'
run "$G" --check
bad_lines=$(printf '%s\n' "$out" | grep -Ev "$wrapper_re|$summary_re")
last=$(printf '%s\n' "$out" | tail -n 1)
t "--check: exit 0, a line per wrapper, all live, N of N last" \
  '[ $rc = 0 ] && [ -z "$bad_lines" ] &&
   [ "$(printf "%s\n" "$out" | grep -Ec "^libgreen\[[0-9]+\]: wrapper [A-Za-z0-9_]+: live\$")" -gt 0 ] &&
   ! has "$out" shadowed &&
   printf "%s\n" "$last" | grep -Eq "^libgreen\[[0-9]+\]: ([0-9]+) of \1 wrappers live\$"' "$pending"

run "$G" --check "$probe"
t "--check with a probe command: its stdout passes, exit 0" \
  '[ $rc = 0 ] && [ "$(printf "%s\n" "$out" | head -n 1)" = "probe ran" ] &&
   printf "%s\n" "$out" | grep -Eq "$summary_re"' "$pending"

# greenrun's verdict on a report, whatever the library: a probe script that
# prints a report of its own.
fake() {  # fake NAME LIVE OF: writes a probe reporting LIVE of OF wrappers
    {
        echo '#!/bin/sh'
        echo 'echo "probe output"'
        echo 'echo "libgreen[$$]: wrapper read: live" >&2'
        [ "$2" = "$3" ] ||
            echo 'echo "libgreen[$$]: wrapper write: shadowed by /lib/libx.so" >&2'
        echo "echo \"libgreen[\$\$]: $2 of $3 wrappers live\" >&2"
        echo 'exit ${FAKE_STATUS:-0}'
    } >"$tmp/$1"
    chmod +x "$tmp/$1"
}
fake all-live 2 2
fake one-shadowed 1 2
run "$G" --check "$tmp/all-live"
t "--check: a report with all wrappers live exits 0 and is printed" \
  '[ $rc = 0 ] && has "$out" "probe output" &&
   printf "%s\n" "$out" | grep -Eq "^libgreen\[[0-9]+\]: 2 of 2 wrappers live\$"'
run "$G" --check "$tmp/one-shadowed"
t "--check: a shadowed wrapper exits 1" \
  '[ $rc = 1 ] && has "$out" "shadowed by /lib/libx.so" && has "$err" "not live"'
run env FAKE_STATUS=3 "$G" --check "$tmp/all-live"
t "--check: a probe that fails exits 1" '[ $rc = 1 ] && has "$err" "status 3"'

if [ -n "$static" ]; then
    run "$G" --check "$static"
    t "--check refuses a static probe too" 'refused "statically linked"'
else
    skip "--check refuses a static probe too" "cannot link -static"
fi

run "$G" --check no-such-command-for-greenrun
t "--check with a missing probe: exit 127" '[ $rc = 127 ]'

# --- where the library path comes from ----------------------------------------------

t "the build-tree copy is executable" '[ -x "$G" ]'
t "the build-tree copy carries the built library's absolute path" \
  'grep -qF "lib='\''$lib'\''" "$G" && case $lib in /*) true ;; *) false ;; esac'
t "the installed copy carries prefix/libdir/libgreen.so.0, absolute" \
  'grep -qF "lib='\''$install_lib'\''" "$installed" &&
   case $install_lib in /*/libgreen.so.0) true ;; *) false ;; esac'
run sh "$installed" --version
t "the installed copy knows the version" '[ "$out" = "greenrun (libgreen) $version" ]'
if [ ! -e "$install_lib" ]; then
    run sh "$installed" true
    t "the installed copy, library not installed: 127, one line" \
      '[ $rc = 127 ] && [ "$err" = "greenrun: $install_lib: library not found" ]'
else
    skip "the installed copy, library not installed" "$install_lib exists"
fi

# Unconfigured: the source file finds ../build/preload/libgreen.so from its real
# location, whatever the working directory and however it is invoked.
mkdir -p "$tmp/tree/scripts" "$tmp/tree/build/preload" "$tmp/lonely/scripts" \
         "$tmp/build/preload" "$tmp/link"
cp "$source" "$tmp/tree/scripts/greenrun"
cp "$source" "$tmp/lonely/scripts/greenrun"
chmod +x "$tmp/tree/scripts/greenrun" "$tmp/lonely/scripts/greenrun"
ln -s "$lib" "$tmp/tree/build/preload/libgreen.so"
ln -s "$lib" "$tmp/build/preload/libgreen.so"    # decoy for the symlinked launcher
ln -s "$tmp/tree/scripts/greenrun" "$tmp/link/greenrun"
want="$tmp/tree/build/preload/libgreen.so"

run "$tmp/tree/scripts/greenrun" sh -c 'echo "$LD_PRELOAD"'
t "unconfigured: ../build/preload/libgreen.so from the script's directory" \
  '[ $rc = 0 ] && [ "$out" = "$want" ]'

run sh -c 'cd "$1/tree/scripts" && sh greenrun sh -c "echo \"\$LD_PRELOAD\""' sh "$tmp"
t "unconfigured, run as 'sh greenrun': still an absolute path" \
  '[ $rc = 0 ] && [ "$out" = "$want" ]'

run env PATH="$tmp/tree/scripts:$PATH" greenrun sh -c 'echo "$LD_PRELOAD"'
t "unconfigured, found through PATH" '[ $rc = 0 ] && [ "$out" = "$want" ]'

run "$tmp/link/greenrun" sh -c 'echo "$LD_PRELOAD"'
t "unconfigured, through a symlink: the real location counts" \
  '[ $rc = 0 ] && [ "$out" = "$want" ]'

run sh -c 'cd "$1/tree/build/preload" && "$1/lonely/scripts/greenrun" sh -c "echo ran"' sh "$tmp"
t "unconfigured, no library next to it: 127, one line, never ./ or the cwd" \
  '[ $rc = 127 ] && [ -z "$out" ] &&
   [ "$err" = "greenrun: $tmp/lonely/build/preload/libgreen.so: library not found" ]'

run "$tmp/tree/scripts/greenrun" --version
t "unconfigured --version says unknown" '[ "$out" = "greenrun (libgreen) unknown" ]'

mkdir -p "$tmp/sp ace/scripts" "$tmp/sp ace/build/preload"
cp "$source" "$tmp/sp ace/scripts/greenrun"
ln -s "$lib" "$tmp/sp ace/build/preload/libgreen.so"
run sh "$tmp/sp ace/scripts/greenrun" sh -c 'echo ran'
t "a library path with a space is refused (127), not split" \
  '[ $rc = 127 ] && [ -z "$out" ] && has "$err" "space or colon"'

run env GREEN_LIBRARY="$tmp/evil.so" "$G" sh -c 'echo "$LD_PRELOAD"'
t "no variable overrides the library path (GREEN_LIBRARY is ignored)" \
  '[ "$out" = "$lib" ]'

echo "1..$n"
