// The Python program that runs one HumanEval check program
// (python3 -I -B -X utf8 -c GUARD <timeout> <memory> <fd> <parent pid>), written for this project to behave as
// human-eval's check_correctness does (open-instruct eval/codex_humaneval/execution.py @
// 469cf2ded780e4202a9fcf217ee3eb8f91a3980e): exec(program, {}) with its output discarded and no input (L101-107,
// L121-139), a SIGALRM time limit (L89-98), and the result "passed", "timed out" or "failed: <exception>"
// (L43-62). Before it runs:
// - as human-eval's reliability_guard (L157-229) does: faulthandler off, and the functions that delete, move or
//   re-own files, change directory, start processes or send signals set to None; and a memory limit (RLIMIT_AS,
//   RLIMIT_DATA and, except on macOS, RLIMIT_STACK; human-eval passes none, here there is one, capped at the
//   existing hard limits, which an unprivileged process cannot raise).
// - an audit hook (PEP 578), added here: writes outside the scratch folder (the working directory), hard and symbolic
//   links, sockets, new processes, signals to other processes and ctypes are refused with a PermissionError. Hooks
//   cannot be removed from Python code, and the events are raised inside the C functions, so restoring os.fork and
//   the like does not get around it. Like reliability_guard, this keeps careless model code from harming the machine
//   or the test; it is not a security sandbox (native extension modules can still do anything).
// - a CPU-time limit a little above the time limit and, on Linux, death with the parent process (PR_SET_PDEATHSIG),
//   so that nothing outlives an aborted run.
// The outcome is written as one JSON object to the file descriptor <fd>, which the program under test never needs;
// the process then ends with os._exit so that threads the program started cannot keep it alive. A MemoryError first
// releases a reserve of 1 MiB so that the report can still be written.
export const GUARD_SOURCE = String.raw`
import faulthandler, io, json, os, platform, resource, signal, sys

MAX_TEXT = 2000


class OutOfTime(Exception):
    """Raised by the interval timer when the program runs past its time."""


class Sink(io.TextIOBase):
    """Takes whatever the program prints; refuses to be read (the program gets no input)."""

    def writable(self):
        return True

    def write(self, text):
        return len(text)

    def readable(self):
        return False

    def read(self, *args):
        raise OSError("this program gets no input")

    readline = read


def run_quietly_with_deadline(program, seconds):
    """exec(program) with its output discarded, no input and an interval timer that raises OutOfTime."""
    def on_alarm(signum, frame):
        raise OutOfTime()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = sys.stdout = sys.stderr = Sink()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        exec(program, {})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdin, sys.stdout, sys.stderr = saved


def limit_memory(limit, notes):
    names = ["RLIMIT_AS", "RLIMIT_DATA"]
    if platform.uname().system != "Darwin":
        names.append("RLIMIT_STACK")
    for name in names:
        which = getattr(resource, name)
        try:
            hard = resource.getrlimit(which)[1]
            value = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError) as e:
            notes.append("%s not set: %s" % (name, e))


def limit_cpu(timeout, notes):
    # A backstop for when nobody is left to kill this process: CPU seconds a little above the wall-clock limit.
    seconds = int(timeout) + 3
    try:
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard == resource.RLIM_INFINITY or hard > seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    except (ValueError, OSError) as e:
        notes.append("RLIMIT_CPU not set: %s" % e)


def end_with_parent(parent):
    # Linux: SIGKILL when the process that started this one ends (PR_SET_PDEATHSIG), so that an aborted run leaves
    # nothing behind; if it has already ended, stop now.
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))
        except Exception:
            pass
    if os.getppid() != parent:
        os._exit(1)


# What the guard takes away before the program runs (human-eval's reliability_guard disables the same kinds of
# thing): functions that delete, move, re-own or re-permission files, change directory, start processes or send
# signals, and interactive helpers.
DISABLED = {
    "os": ("kill", "killpg", "system", "putenv", "remove", "removedirs", "rmdir", "unlink", "rename", "renames",
           "replace", "truncate", "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown", "lchflags", "chroot",
           "setuid", "fork", "forkpty", "fchdir", "chdir", "getcwd"),
    "shutil": ("rmtree", "move", "chown"),
    "subprocess": ("Popen",),
    "builtins": ("exit", "quit", "help"),
}
HIDDEN_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")


def disable_dangerous_functions():
    faulthandler.disable()
    os.environ["OMP_NUM_THREADS"] = "1"
    for module_name, names in DISABLED.items():
        module = __import__(module_name)
        for name in names:
            if hasattr(module, name):
                setattr(module, name, None)
    for name in HIDDEN_MODULES:
        sys.modules[name] = None


def install_audit_hook(scratch):
    getcwd, realpath, join, isabs = os.getcwd, os.path.realpath, os.path.join, os.path.isabs
    fspath, fsdecode, sep = os.fspath, os.fsdecode, os.sep
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    # event -> positions of its path arguments (audit events table of the Python documentation)
    path_events = {"os.mkdir": (0,), "os.rmdir": (0,), "os.remove": (0,), "os.rename": (0, 1), "os.truncate": (0,),
                   "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "os.chflags": (0,), "os.setxattr": (0,),
                   "os.removexattr": (0,), "shutil.rmtree": (0,), "shutil.chown": (0,), "shutil.move": (0, 1)}
    blocked = {"os.link": "hard links", "os.symlink": "symbolic links", "os.system": "new processes",
               "os.fork": "new processes", "os.forkpty": "new processes", "os.kill": "signals to processes",
               "os.killpg": "signals to processes", "signal.pthread_kill": "signals to processes",
               "pty.spawn": "new processes", "os.startfile": "new processes"}
    blocked_prefixes = (("socket.", "network access"), ("ctypes.", "ctypes"), ("subprocess.", "new processes"),
                        ("os.exec", "new processes"), ("os.spawn", "new processes"), ("os.posix_spawn", "new processes"),
                        ("_posixsubprocess.", "new processes"))

    def outside(path):
        if isinstance(path, int):
            return False
        try:
            text = fsdecode(fspath(path))
            full = realpath(text if isabs(text) else join(getcwd(), text))
        except Exception:
            return True
        return not (full == scratch or full.startswith(scratch + sep) or full == "/dev/null")

    def refuse(what):
        raise PermissionError("blocked by the HumanEval execution guard: " + what)

    def hook(event, args):
        if event == "open":
            path = args[0] if len(args) > 0 else None
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else 0
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if writes and outside(path):
                refuse("writing outside the scratch folder (%s)" % (path,))
        elif event in path_events:
            for i in path_events[event]:
                if i < len(args) and outside(args[i]):
                    refuse("%s outside the scratch folder (%s)" % (event, args[i]))
        elif event in blocked:
            refuse("%s (%s)" % (blocked[event], event))
        else:
            for prefix, what in blocked_prefixes:
                if event.startswith(prefix):
                    refuse("%s (%s)" % (what, event))

    sys.addaudithook(hook)


def text_of(e):
    try:
        return str(e)
    except BaseException:
        return "<unprintable %s>" % type(e).__name__


def describe(e):
    text = text_of(e)
    return (type(e).__name__ + (": " + text if text else "")).replace("\n", " ")[:MAX_TEXT]


def main():
    timeout, memory, report_fd, parent = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    end_with_parent(parent)
    program = sys.stdin.buffer.read().decode("utf-8")
    report = os.fdopen(report_fd, "w", encoding="utf-8")
    exit_now = os._exit
    notes = []
    scratch = os.path.realpath(os.getcwd())
    limit_cpu(timeout, notes)
    if memory > 0:
        limit_memory(memory, notes)
    reserve = bytearray(1 << 20)
    install_audit_hook(scratch)
    disable_dangerous_functions()
    try:
        run_quietly_with_deadline(program, timeout)
        outcome = {"status": "passed", "result": "passed"}
    except OutOfTime:
        outcome = {"status": "timed out", "result": "timed out"}
    except MemoryError as e:
        reserve = None
        outcome = {"status": "out of memory", "result": ("failed: " + text_of(e))[:MAX_TEXT], "error": describe(e)}
    except BaseException as e:
        outcome = {"status": "failed", "result": ("failed: " + text_of(e))[:MAX_TEXT], "error": describe(e)}
    reserve = None
    outcome["notes"] = notes
    report.write(json.dumps(outcome))
    report.flush()
    exit_now(0)


main()
`;
