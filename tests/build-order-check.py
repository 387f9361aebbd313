#!/usr/bin/env python3
"""Fails if the build depends on the order the modules' .mk files are read in.

    build-order-check.py [MAKE]

Runs `make -p -n -B` for the goals below with the modules read in
their normal order and in reverse (MODULE_ORDER=reverse in the top
Makefile) and compares what the two runs would do: the commands, as
sets (the order make walks its goals in may change, the commands may
not), then each file's prerequisites and order-only prerequisites, as
sets.  The first difference is named in one line: for a command, the
file it makes and the first word that differs; for a rule, the file and
the prerequisite only one order gives it.  Nothing is built: both runs
name a build folder of their own, never made, and make only prints.
"""
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

GOALS = ["all", "test-bins", "freestanding"]
ORDERS = [("normal", ""), ("reverse", "reverse")]
RULE = re.compile(r"^([^#\s][^:]*)::?(?:\s+(.*))?$")
ASSIGN = re.compile(r"(?:^|\s)(?:[:+?!]?=)(?:\s|$)")


def listing(make, build, order):
    """The commands make would run, sorted, and each file's prerequisites."""
    env = dict(os.environ)
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(var, None)
    cmd = [make, "-p", "-n", "-B", "--no-print-directory", "BUILD=" + build]
    p = subprocess.run(cmd + ["MODULE_ORDER=" + order] + GOALS, env=env, capture_output=True,
                       text=True)
    if p.returncode != 0:
        errs = [l for l in p.stderr.splitlines() if "***" in l] or p.stderr.splitlines() or ["?"]
        return None, None, errs[0].replace(build, "$(BUILD)")
    out = p.stdout.replace(build, "$(BUILD)").splitlines()
    db = next(i for i, l in enumerate(out) if l.startswith("# Make data base"))
    return sorted(out[:db]), prerequisites(out[db:]), None


def prerequisites(db):
    """From make's data base (-p): file -> (prerequisites, order-only ones) as sets."""
    files = db[db.index("# Files"):]
    deps = {}
    for line in files:
        m = RULE.match(line)
        if not m or ASSIGN.search(m.group(2) or ""):
            continue
        normal, _, order_only = (m.group(2) or "").partition("|")
        deps[m.group(1)] = (frozenset(normal.split()), frozenset(order_only.split()))
    return deps


def made(line):
    """The file a command makes: after -o, after `ar rcs`, or the line itself."""
    words = line.split()
    for i, w in enumerate(words[:-1]):
        if w == "-o" or (w == "rcs" and i > 0 and words[i - 1] == "ar"):
            return words[i + 1]
    return line


def only_in(a, b):
    """Lines of sorted list a not in list b, counted as multisets."""
    return sorted((Counter(a) - Counter(b)).elements())


def describe(name, line, other_name, other):
    key = made(line)
    twin = next((o for o in other if made(o) == key), None)
    if twin is None:
        return "only with the modules in %s order: %s" % (name, line)
    a, b = line.split(), twin.split()
    i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    wa = a[i] if i < len(a) else "(end)"
    wb = b[i] if i < len(b) else "(end)"
    return "%s: word %d is %s in %s order, %s in %s order" % (key, i + 1, wa, name, wb, other_name)


def first_dependency_difference(names, deps):
    (n1, d1), (n2, d2) = zip(names, deps)
    for target in sorted(set(d1) | set(d2)):
        a = d1.get(target, (frozenset(), frozenset()))
        b = d2.get(target, (frozenset(), frozenset()))
        for kind, x, y in (("needs", a[0], b[0]), ("comes after", a[1], b[1])):
            if x != y:
                (has, lacks, word) = (n1, n2, min(x - y)) if x - y else (n2, n1, min(y - x))
                return "%s %s %s with the modules in %s order, not in %s order" % (
                    target, kind, word, has, lacks)
    return None


def main():
    make = sys.argv[1] if len(sys.argv) > 1 else "make"
    names = [name for name, _ in ORDERS]
    cmds, deps = [], []
    with tempfile.TemporaryDirectory(prefix="build-order-") as tmp:
        build = os.path.join(tmp, "build")
        for name, order in ORDERS:
            lines, files, err = listing(make, build, order)
            if lines is None:
                print("build-order-check: make -n -B %s fails with the modules in %s order: %s"
                      % (" ".join(GOALS), name, err), file=sys.stderr)
                return 1
            cmds.append(lines)
            deps.append(files)
    (n1, l1), (n2, l2) = zip(names, cmds)
    o1, o2 = only_in(l1, l2), only_in(l2, l1)
    if o1 or o2:
        msg = describe(n1, o1[0], n2, o2) if o1 else describe(n2, o2[0], n1, o1)
    else:
        msg = first_dependency_difference(names, deps)
    if msg:
        print("build-order-check: " + msg, file=sys.stderr)
        return 1
    print("build-order-check: %d commands and %d files' prerequisites, the same with the modules"
          " in either order" % (len(l1), len(deps[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
