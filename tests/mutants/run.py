#!/usr/bin/env python3
"""Mutation testing over the curated mutants in tests/mutants/*.mut.

Each mutant names one source file, a snippet that must occur in it
exactly once, its replacement, and the test binaries that should notice.
The runner copies the tree (tracked files plus the build directory, with
their times) to a scratch directory, and for each mutant: plants it
there, rebuilds incrementally, runs the named test binaries, and puts
the original back.  The working tree is never written.  A mutant whose
snippet no longer occurs exactly once is "stale" and not counted; one
that does not compile is reported and not counted either.  Survivors of
their own tests are run against every test binary (unless --quick).

Usage: run.py --build DIR --all-tests "t1 t2 …" [--quick] [--min PCT]
              [--scratch DIR] [--jobs N] [MUTANT …]
The last line is "mutants: K of N killed (score S%)".
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUMMARY = re.compile(r"^\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)", re.M)


class Mutant:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)[: -len(".mut")]
        self.what = None
        self.file = None
        self.tests = []
        self.old = None
        self.new = None
        self.problem = None
        self.parse()

    def parse(self):
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        block, old, new = None, [], []
        for ln in lines:
            if ln == "--- from":
                block = old
                continue
            if ln == "--- to":
                block = new
                continue
            if block is not None:
                block.append(ln)
            elif ln.startswith("# ") and self.what is None:
                self.what = ln[2:].strip()
            elif ln.startswith("file:"):
                self.file = ln[5:].strip()
            elif ln.startswith("tests:"):
                self.tests = ln[6:].split()
            elif ln.strip():
                self.problem = "unexpected line %r" % ln
        self.old, self.new = "\n".join(old), "\n".join(new)
        if self.problem:
            return
        if not self.what:
            self.problem = "no '# what bug it models' line"
        elif not self.file or not self.tests:
            self.problem = "needs 'file:' and 'tests:' lines"
        elif not self.old or self.old == self.new:
            self.problem = "needs a '--- from' snippet and a different '--- to'"

    def area(self):
        return self.name.split("-", 1)[0]


def strays(scratch, sid):
    """Processes of session sid, or running a program of the scratch tree."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            session = int(st[st.rindex(")") + 2:].split()[3])
            exe = os.readlink("/proc/%s/exe" % d) if session != sid else ""
        except (OSError, ValueError):
            continue
        if session == sid or exe.startswith(scratch + os.sep):
            found.append(int(d))
    return found


def first_failure(log):
    try:
        with open(log, errors="replace") as f:
            return next((ln for ln in f if ":F:" in ln or ":E:" in ln), None)
    except OSError:
        return None


def sh(cmd, cwd, timeout=None, env=None, check_log=None):
    """Runs cmd in a session of its own, output to a file; returns
    (rc, output, timed_out).  With check_log (Check's CK_LOG_FILE_NAME,
    written as each test ends) it stops at the first failed test: one is
    enough to kill a mutant, and the tests after it may each wait out
    their timeout.  Whatever it left running (a test's daemon, a hung
    forked test) is killed: it would skew the next mutant."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = False
        deadline = time.time() + (timeout or 1e9)
        while p.poll() is None:
            if time.time() > deadline:
                timed_out = True
                break
            if check_log and first_failure(check_log):
                break
            try:
                p.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        for _ in range(3):
            left = strays(os.path.realpath(cwd), p.pid)
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.2)
        rc = p.wait()
        out.seek(0)
        return (-1 if timed_out else rc), out.read().decode(errors="replace"), timed_out


def tracked_files():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode()
        return [f for f in out.split("\0") if f and os.path.exists(os.path.join(ROOT, f))]
    except (OSError, subprocess.CalledProcessError):
        skip = ("build", ".git")
        files = []
        for d, dirs, names in os.walk(ROOT):
            rel = os.path.relpath(d, ROOT)
            dirs[:] = [x for x in dirs if not (rel == "." and (x in skip or x.startswith("build-")))]
            files += [os.path.normpath(os.path.join(rel, n)) for n in names]
        return files


def make_scratch(scratch, build):
    if os.path.exists(scratch):
        shutil.rmtree(scratch)
    os.makedirs(scratch)
    for f in tracked_files():
        dst = os.path.join(scratch, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), dst)
    src_build = os.path.join(ROOT, build)
    if os.path.isdir(src_build):
        shutil.copytree(src_build, os.path.join(scratch, build), symlinks=True,
                        ignore=shutil.ignore_patterns("mutants"))


def run_tests(scratch, build, tests, timeout):
    """Returns None if every test passed, else a short reason."""
    log = os.path.join(scratch, "..", "check.log")
    env = dict(os.environ, SPLITBED_BUILD=build, CK_LOG_FILE_NAME=log)
    for t in tests:
        exe = os.path.join(build, "tests", t)
        if not os.path.exists(os.path.join(scratch, exe)):
            return "no test binary %s" % t
        if os.path.exists(log):
            os.unlink(log)
        rc, out, timed_out = sh([exe], scratch, timeout, env, check_log=log)
        early = first_failure(log)
        if early:
            return "%s: %s" % (t, early.strip()[:200])
        if timed_out:
            return "%s timed out after %ds" % (t, timeout)
        m = SUMMARY.findall(out)
        if not m:
            return "%s printed no Check summary (status %d)" % (t, rc)
        n, f, e = map(int, m[-1])
        if f or e or rc:
            first = next((ln for ln in out.splitlines() if ":F:" in ln or ":E:" in ln), "")
            return "%s: %d failed%s" % (t, f + e, (" — " + first.strip()[:160]) if first else "")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--all-tests", default="")
    ap.add_argument("--scratch", default=None)
    ap.add_argument("--quick", action="store_true", help="no full run for survivors")
    ap.add_argument("--min", type=float, default=95.0)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--timeout", type=int, default=180)
    ap.add_argument("mutants", nargs="*")
    a = ap.parse_args()

    paths = sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".mut"))
    if a.mutants:
        want = {os.path.basename(m).removesuffix(".mut") for m in a.mutants}
        paths = [p for p in paths if os.path.basename(p)[:-4] in want]
        missing = want - {os.path.basename(p)[:-4] for p in paths}
        if missing:
            print("mutants: no such mutant: %s" % " ".join(sorted(missing)), file=sys.stderr)
            return 2
    muts = [Mutant(p) for p in paths]
    bad = [m for m in muts if m.problem]
    for m in bad:
        print("mutants: %s: %s" % (os.path.relpath(m.path, ROOT), m.problem), file=sys.stderr)
    if bad:
        return 2

    scratch = a.scratch or os.path.join(ROOT, a.build, "mutants", "tree")
    t0 = time.time()
    make_scratch(scratch, a.build)
    mk = ["make", "-s", "-j" + a.jobs, "BUILD=" + a.build, "all"]
    rc, out, _ = sh(mk, scratch)
    if rc:
        print(out[-3000:])
        print("mutants: the unmutated scratch copy does not build", file=sys.stderr)
        return 1
    print("mutants: scratch copy %s built in %.0fs" % (scratch, time.time() - t0), flush=True)

    all_tests = a.all_tests.split()
    killed, survivors, stale, unbuilt = [], [], [], []
    for i, m in enumerate(muts, 1):
        target = os.path.join(scratch, m.file)
        tag = "[%d/%d] %s" % (i, len(muts), m.name)
        if not os.path.exists(target):
            stale.append(m)
            print("%s: STALE (%s is gone)" % (tag, m.file), flush=True)
            continue
        with open(target, encoding="utf-8") as f:
            orig = f.read()
        count = orig.count(m.old)
        if count != 1:
            stale.append(m)
            print("%s: STALE (snippet occurs %d times in %s)" % (tag, count, m.file), flush=True)
            continue
        t1 = time.time()
        try:
            with open(target, "w", encoding="utf-8") as f:
                f.write(orig.replace(m.old, m.new))
            rc, out, _ = sh(mk, scratch)
            if rc:
                unbuilt.append(m)
                err = next((ln for ln in out.splitlines() if "error" in ln), out.strip()[-200:])
                print("%s: DOES NOT BUILD: %s" % (tag, err.strip()[:200]), flush=True)
                continue
            why = run_tests(scratch, a.build, m.tests, a.timeout)
            if why is None and not a.quick:
                rest = [t for t in all_tests if t not in m.tests]
                why = run_tests(scratch, a.build, rest, a.timeout)
                if why:
                    why += " (outside its own tests: add them to 'tests:')"
            if why:
                killed.append(m)
                print("%s: killed in %.0fs by %s" % (tag, time.time() - t1, why), flush=True)
            else:
                survivors.append(m)
                print("%s: SURVIVED (%s)" % (tag, m.what), flush=True)
        finally:
            # Written now, so newer than what the mutant built: make rebuilds.
            with open(target, "w", encoding="utf-8") as f:
                f.write(orig)

    n = len(killed) + len(survivors)
    areas = {}
    for m in killed + survivors:
        k = areas.setdefault(m.area(), [0, 0])
        k[1] += 1
        k[0] += m in killed
    print("mutants: by area: " + ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in sorted(areas.items())))
    if stale:
        print("mutants: stale (not counted): " + " ".join(m.name for m in stale))
    if unbuilt:
        print("mutants: do not build (not counted): " + " ".join(m.name for m in unbuilt))
    if survivors:
        print("mutants: survivors: " + " ".join(m.name for m in survivors))
    score = 100.0 * len(killed) / n if n else 0.0
    print("mutants: %.0fs for %d mutants" % (time.time() - t0, len(muts)))
    print("mutants: %d of %d killed (score %.0f%%)" % (len(killed), n, score))
    return 0 if n and score >= a.min and not stale and not unbuilt else 1


if __name__ == "__main__":
    sys.exit(main())
