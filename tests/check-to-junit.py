#!/usr/bin/env python3
"""Turns Check's XML report (CK_XML_LOG_FILE_NAME) into JUnit XML, the
format CI systems read: one <testsuite> per Check suite, one <testcase>
per test (loop iterations get their index), <failure>/<error> with
Check's message and the file:line it names.

    check-to-junit.py CHECK.xml JUNIT.xml BINARY-NAME
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://check.sourceforge.net/ns}"


def text(el, tag):
    found = el.find(NS + tag)
    return found.text or "" if found is not None else ""


def main():
    src, dst, binary = sys.argv[1:4]
    root = ET.parse(src).getroot()
    out = ET.Element("testsuites", name=binary)
    for suite in root.iter(NS + "suite"):
        ts = ET.SubElement(out, "testsuite", name=text(suite, "title"))
        counts = {"tests": 0, "failures": 0, "errors": 0}
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
        for k, v in counts.items():
            ts.set(k, str(v))
        ts.set("time", "%.6f" % total)
    ET.ElementTree(out).write(dst, encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    main()
