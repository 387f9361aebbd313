#!/usr/bin/env python3
"""Turns Check's XML report (CK_XML_LOG_FILE_NAME) into JUnit XML, the
format CI systems read: one <testsuite> per Check suite, one <testcase>
per test (loop iterations get their index), <failure>/<error> with
Check's message and the file:line it names, <skipped> for a test that
could not run here.

    check-to-junit.py CHECK.xml JUNIT.xml BINARY-NAME [SKIPS]

Check has no skipped result: a test that skipped (tests/lib/skip.h)
passed, with its skip's place as its last checkpoint.  SKIPS holds the
"splitbed-skip: FILE:LINE: REASON" lines the binary printed; a passed
test whose last checkpoint is such a place is written as skipped.  A
skip line that matches no passed test is an error (exit 1).
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://check.sourceforge.net/ns}"


def text(el, tag):
    found = el.find(NS + tag)
    return found.text or "" if found is not None else ""


SKIP = re.compile(r"^splitbed-skip: (.+):([0-9]+): (.*)$")


def read_skips(path):
    """{(file name, line): reason} from the binary's skip lines."""
    skips = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = SKIP.match(line.rstrip("\n"))
            if m:
                skips[(os.path.basename(m.group(1)), m.group(2))] = m.group(3)
    return skips


def main():
    src, dst, binary = sys.argv[1:4]
    skips = read_skips(sys.argv[4]) if len(sys.argv) > 4 else {}
    matched = set()
    root = ET.parse(src).getroot()
    out = ET.Element("testsuites", name=binary)
    for suite in root.iter(NS + "suite"):
        ts = ET.SubElement(out, "testsuite", name=text(suite, "title"))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        total = 0.0
        for test in suite.iter(NS + "test"):
            name = text(test, "id")
            if text(test, "iteration") not in ("", "0"):
                name += "[%s]" % text(test, "iteration")
            duration = float(text(test, "duration") or 0)
            if duration < 0:
                duration = 0.0
            total += duration
            tc = ET.SubElement(ts, "testcase", name=name,
                               classname="%s.%s" % (binary, text(test, "description")),
                               time="%.6f" % duration)
            counts["tests"] += 1
            result = test.get("result")
            if result == "failure":
                counts["failures"] += 1
                f = ET.SubElement(tc, "failure", message=text(test, "message"))
                f.text = "%s/%s" % (text(test, "path"), text(test, "fn"))
            elif result == "error":
                counts["errors"] += 1
                f = ET.SubElement(tc, "error", message=text(test, "message"))
                f.text = "%s/%s" % (text(test, "path"), text(test, "fn"))
            else:
                place = tuple(text(test, "fn").rsplit(":", 1))
                if place in skips:
                    matched.add(place)
                    counts["skipped"] += 1
                    ET.SubElement(tc, "skipped", message=skips[place])
        for k, v in counts.items():
            ts.set(k, str(v))
        ts.set("time", "%.6f" % total)
    ET.ElementTree(out).write(dst, encoding="utf-8", xml_declaration=True)
    unmatched = sorted(set(skips) - matched)
    for file, line in unmatched:
        print("check-to-junit: %s: the skip at %s:%s matches no passed test"
              % (binary, file, line), file=sys.stderr)
    return 1 if unmatched else 0


if __name__ == "__main__":
    sys.exit(main())
