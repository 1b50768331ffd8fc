"""JUnit XML, which CI systems show natively: one testcase per URL.

Broken URLs are ``<failure>`` (the check ran and found the link broken),
inconclusive ones ``<error>`` (the check could not tell); both carry the
failure class as ``type`` and the reason as ``message``. Each testcase's time
is its URL's; the suite's is the run's wall time (URLs are checked at once, so
their times add up to far more), or for merged reports, which have no wall
time, the sum of the URLs' times. The suite's counts come first in the
document, so testcases are kept in a spooled temporary file (memory, then disk)
until the end.
"""

from __future__ import annotations

import re
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import TextIO

from ..core.results import BROKEN, SKIPPED, Result
from .base import Writer
from .text import reason, where

# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPOOL_BYTES = 1024 * 1024
_MARKER = "@testcases@"


def xml_text(text: str) -> str:
    """``text`` with characters XML cannot hold written as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class JUnitWriter(Writer):
    def __init__(self, stream: TextIO, suite_name: str = "fetchpool") -> None:
        super().__init__(stream)
        self.suite_name = suite_name
        self._timestamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        self._cases = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in finish()
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8"
        )
        self._tests = 0
        self._failures = 0
        self._errors = 0
        self._skipped = 0
        self._case_seconds = 0.0

    def write(self, result: Result) -> None:
        self._tests += 1
        self._case_seconds += result.elapsed
        case = ET.Element(
            "testcase",
            name=xml_text(result.url),
            classname=xml_text(result.source),
            file=xml_text(result.source),
            line=str(result.line),
            time=f"{result.elapsed:.3f}",
        )
        if result.outcome == SKIPPED:
            self._skipped += 1
            ET.SubElement(case, "skipped", message=xml_text(reason(result)))
        elif not result.ok:
            category = result.category
            tag = "failure" if category == BROKEN else "error"
            if category == BROKEN:
                self._failures += 1
            else:
                self._errors += 1
            detail = ET.SubElement(case, tag, message=xml_text(reason(result)), type=category)
            detail.text = xml_text(
                f"{result.url} -> {reason(result)} ({category}) at {where(result)}"
            )
        elif result.cached:
            out = ET.SubElement(case, "system-out")
            out.text = "ok within --max-age: taken from the cache, not fetched"
        self._cases.write("    " + ET.tostring(case, encoding="unicode") + "\n")

    def format(self, result: Result) -> str:  # pragma: no cover - write() is overridden
        raise NotImplementedError

    def finish(self, seconds: float | None = None) -> None:
        counts = {
            "tests": str(self._tests),
            "failures": str(self._failures),
            "errors": str(self._errors),
            "skipped": str(self._skipped),
            "time": f"{self._case_seconds if seconds is None else seconds:.3f}",
        }
        suites = ET.Element("testsuites", {"name": self.suite_name, **counts})
        suite = ET.SubElement(
            suites,
            "testsuite",
            {"name": self.suite_name, "timestamp": self._timestamp, **counts},
        )
        # Serialise the two elements around a marker, then put the testcases in its place.
        suites.text = "\n  "
        suite.text = _MARKER
        suite.tail = "\n"
        head, _, tail = ET.tostring(suites, encoding="unicode").partition(_MARKER)
        self.stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
        self.stream.write(head + "\n")
        self._cases.seek(0)
        for line in self._cases:
            self.stream.write(line)
        self.stream.write("  " + tail + "\n")
        self._cases.close()
        super().finish(seconds)
