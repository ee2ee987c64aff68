"""Resume: wheels a previous run of the same sdist already built and fetched are kept.

A wheel counts only while report.json names it as built from an sdist with the same sha256 and
the file still has the sha256 recorded then; anything else is built again.
"""

import json

from ..digest import sha256_of
from .wheelhouse import WHEEL_NAME


def earlier_wheels(out_path, src):
    """{identifier: report entry} of wheels that need no rebuild."""
    try:
        report = json.loads((out_path / "report.json").read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(report, dict) or not isinstance(report.get("interpreters"), list):
        return {}  # not a report vmwheel wrote: nothing is kept, it is rewritten
    package = report.get("package")
    if not isinstance(package, dict) or package.get("sdist_sha256") != src.sha256:
        return {}
    kept = {}
    for entry in report["interpreters"]:
        if not isinstance(entry, dict):
            continue
        name = entry.get("wheel")
        if entry.get("status") != "built" or not isinstance(name, str) \
                or not WHEEL_NAME.fullmatch(name):
            continue
        path = out_path / name
        if path.is_file() and sha256_of(path) == entry.get("sha256"):
            kept[entry.get("identifier")] = entry
    return kept
