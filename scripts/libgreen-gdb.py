# libgreen-gdb.py: gdb commands for programs running on libgreen.
#
#   (gdb) source /path/to/libgreen-gdb.py
#   (gdb) info green-threads     every hub and green thread: id, name,
#                                state, what it waits on
#   (gdb) green-bt ID            the backtrace of green thread ID, from
#                                its saved context, numbered from #1
#
# Both read libgreen's own structures through its debug information (the
# hub list in src/hub.c, struct green_thread in src/thread.h, the wait
# reasons of src/why.h), so they work on a live process and on a core
# file alike. green-bt installs, for one `bt`, an unwinder that makes the
# saved context the caller of frame #0, so gdb walks the green thread's
# stack with its own CFI; no register is written, so it works on a core
# file too. The x86_64 frame layout is that of
# src/arch/x86_64/switch.S: mxcsr and fpucw, then r15, r14, r13, r12, rbx,
# rbp and the return address, 64 bytes.
import gdb
import gdb.unwinder
from gdb.unwinder import Unwinder

STATES = {0: "ready", 1: "running", 2: "parked", 3: "ended"}
FRAME = ["fp", "r15", "r14", "r13", "r12", "rbx", "rbp", "rip"]


def why_names():
    """enum green__why's names, lowercased without the prefix."""
    try:
        t = gdb.lookup_type("enum green__why")
    except gdb.error:
        return {}
    return {int(f.enumval): f.name.replace("GREEN__WHY_", "").lower()
            for f in t.fields()}


def hubs():
    sym = gdb.lookup_static_symbol("hubs")
    if sym is None:
        raise gdb.GdbError("no libgreen hub list here (not a libgreen "
                           "program, or no debug information for it)")
    h = sym.value()
    while int(h) != 0:
        yield h
        h = h["all_next"]


def threads(h):
    """The hub's threads, oldest first."""
    t, out = h["threads"], []
    while int(t) != 0:
        out.append(t)
        t = t["all_next"]
    return reversed(out)


def words(t, names):
    w = t["wait"]
    why = names.get(int(w["why"]), str(int(w["why"])))
    num, obj = int(w["num"]), int(w["obj"])
    if why == "fd":
        ev = {1: "read", 2: "write", 3: "read/write"}.get(int(w["events"]),
                                                         "wait on")
        return f"{ev} fd {num}"
    if why == "join":
        return f"join thread {num}"
    if why == "child":
        return "waitpid any child" if num < 0 else f"waitpid {num}"
    if why == "poll":
        return f"poll on {num} fds"
    if why == "offload":
        call = w["call"].string() if int(w["call"]) else "call"
        arg = f'"{w["arg"].string(length=200)}"' if int(w["arg"]) else ""
        return f"offload: {call}({arg})"
    if why in ("sleep", "signal", "none"):
        return why
    return f"{why} {obj:#x}"


class InfoGreenThreads(gdb.Command):
    """List libgreen's hubs and green threads: id, name, state, wait."""

    def __init__(self):
        super().__init__("info green-threads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        names = why_names()
        for h in hubs():
            cur = int(h["current"])
            print(f"hub: OS thread {int(h['tid'])}"
                  f"{' (main)' if h['is_main'] else ''}, "
                  f"{int(h['nready'])} ready")
            for t in threads(h):
                state = STATES.get(int(t["state"]), "?")
                if int(t) == cur:
                    state = "running"
                name = t["name"].string()
                line = f"  {int(t['id']):>6} {name!r:18} {state}"
                if state == "parked":
                    line += ": " + words(t, names)
                print(line)


def find(ident):
    for h in hubs():
        for t in threads(h):
            if int(t["id"]) == ident:
                return h, t
    raise gdb.GdbError(f"no green thread {ident}")


class GreenUnwinder(Unwinder):
    """While green-bt runs, makes the caller of frame #0 the saved
    context of a green thread: gdb then unwinds that thread's stack with
    its own CFI, on a live process or a core file, without writing a
    register."""

    def __init__(self):
        super().__init__("libgreen green-bt")
        self.regs = None

    def __call__(self, pending):
        if self.regs is None or pending.level() != 0:
            return None
        # Frame #0's id takes the green stack's address, below its
        # caller's: gdb stops a walk whose frames go back up the stack.
        pc, sp = pending.read_register("rip"), pending.read_register("rsp")
        low = gdb.Value(self.regs["rsp"] - 64).cast(sp.type)
        info = pending.create_unwind_info(FrameId(low, pc))
        for r, v in self.regs.items():
            info.add_saved_register(
                r, gdb.Value(v).cast(pending.read_register(r).type))
        return info


class FrameId:
    def __init__(self, sp, pc):
        self.sp, self.pc = sp, pc


unwinder = GreenUnwinder()
gdb.unwinder.register_unwinder(None, unwinder, replace=True)


class GreenBt(gdb.Command):
    """green-bt ID: backtrace of green thread ID from its saved context,
numbered from #1 (the walk starts from the selected OS thread's frame
#0, which is left out)."""

    def __init__(self):
        super().__init__("green-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        try:
            ident = int(arg.split()[0])
        except (IndexError, ValueError):
            raise gdb.GdbError("usage: green-bt ID")
        h, t = find(ident)
        if int(t) == int(h["current"]):
            raise gdb.GdbError(f"green thread {ident} is running: use bt on "
                               f"OS thread (LWP) {int(h['tid'])}")
        u64 = gdb.lookup_type("unsigned long").pointer()
        sp = t["sp"].cast(u64)
        saved = {n: int(sp[i]) for i, n in enumerate(FRAME) if n != "fp"}
        saved["rsp"] = int(t["sp"]) + 8 * len(FRAME)
        unwinder.regs = saved
        gdb.invalidate_cached_frames()
        try:
            out = gdb.execute("bt", to_string=True)
            # Frame #0 is the OS thread's own: show the green thread's.
            print(out.split("\n#1 ", 1)[-1].join(["#1 ", ""])
                  if "\n#1 " in out else out, end="")
        finally:
            unwinder.regs = None
            gdb.invalidate_cached_frames()


InfoGreenThreads()
GreenBt()
