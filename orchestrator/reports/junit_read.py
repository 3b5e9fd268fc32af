"""Reading a JUnit XML file (the acceptance tests' result): its tally and its failed cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cases(path: Path) -> list[dict[str, Any]]:
    """Every testcase: its suite, class, name and, when it failed, the failure's message."""
    import xml.etree.ElementTree as ET  # noqa: N817 - the standard library's usual name

    found = []
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            said = None if failure is None else (failure.get("message") or failure.text or "")
            found.append({"suite": suite.get("name", ""), "classname": case.get("classname", ""),
                          "name": case.get("name", ""), "failure": said})
    return found


def tally(path: Path) -> dict[str, int]:
    """``{"tests": n, "failures": m}`` of the file's testcases."""
    found = cases(path)
    return {"tests": len(found), "failures": sum(1 for c in found if c["failure"] is not None)}
