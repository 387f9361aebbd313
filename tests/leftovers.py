#!/usr/bin/env python3
"""Lists what a test run left behind and exits 1 if it left anything.

    leftovers.py RUN-DIR SHM-BEFORE

tests/run-checks.sh gives every test binary RUN-DIR as TMPDIR, so the
scratch trees (tests/lib/scratch.h) and whatever else honours TMPDIR are
made there, and every process the run starts has it in its environment.
Left behind are: any live process whose command line or environment
names RUN-DIR (given 10 s to finish exiting; killed once listed),
anything still in RUN-DIR (but the reapers' lock), and any
entry of /dev/shm not listed in SHM-BEFORE (a file naming what was there
when the run began) that names RUN-DIR in one of its files: the state
folder of a `splitbed run` that was not given --dir.
"""
import os
import select
import signal
import sys
import time

LOCK = ".reapers"


def names(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read(1 << 20)
    except OSError:
        return False


def naming(run):
    """Pids of the live processes whose command line or environment names run."""
    needle = run.encode()
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        base = "/proc/%s/" % pid
        if names(base + "cmdline", needle) or names(base + "environ", needle):
            pids.append(int(pid))
    return pids


def wait_gone(pids, seconds):
    """Waits up to `seconds` for the processes to end (one that is still
    exiting is not a stray); returns those still there."""
    deadline = time.monotonic() + seconds
    left = []
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue
        try:
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                left.append(pid)
        finally:
            os.close(fd)
    return left


def stray_processes(run):
    found = []
    for pid in wait_gone(naming(run), 10):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found.append("process %d: %s" % (pid, cmd[:200]))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return found


def shm_leftovers(run, before):
    needle = run.encode()
    found = []
    try:
        entries = os.listdir("/dev/shm")
    except OSError:
        return found
    for name in sorted(set(entries) - before):
        path = os.path.join("/dev/shm", name)
        paths = [path]
        if os.path.isdir(path) and not os.path.islink(path):
            paths = [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
        if any(os.path.isfile(p) and names(p, needle) for p in paths):
            found.append("left in /dev/shm: %s" % path)
    return found


def main():
    run, before_file = sys.argv[1:3]
    with open(before_file) as f:
        before = set(line.strip() for line in f if line.strip())
    found = stray_processes(run)
    found += ["left in %s: %s" % (run, name)
              for name in sorted(os.listdir(run)) if name != LOCK]
    found += shm_leftovers(run, before)
    for line in found:
        print("leftovers: " + line)
    print("leftovers: %d" % len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
