"""`vmwheel verify`: build twice from the same box, in two fresh VMs, and compare every wheel.

Where two builds of one identifier differ, the differing archive members are named."""

import json
import zipfile
from pathlib import Path

from ..digest import sha256_of


def differing_members(a, b):
    """Names of members whose bytes (or presence) differ between wheels `a` and `b`."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = sorted(set(za.namelist()) | set(zb.namelist()))
        diff = []
        for n in names:
            try:
                if za.read(n) != zb.read(n):
                    diff.append(n)
            except KeyError:
                diff.append(n + " (only in one)")
        if not diff:  # same contents: the archive itself differs (order, times, modes)
            ia = [(i.filename, i.date_time, i.external_attr) for i in za.infolist()]
            ib = [(i.filename, i.date_time, i.external_attr) for i in zb.infolist()]
            diff = ["(zip metadata: order, timestamps or modes)"] if ia != ib else \
                ["(zip container bytes)"]
        return diff


def compare(run1, run2):
    """[(identifier, wheel, verdict)] for the wheels of two runs' output dirs."""
    def built(d):
        report = json.loads((Path(d) / "report.json").read_text())
        return {e["identifier"]: e for e in report["interpreters"] if e["status"] == "built"}

    first, second = built(run1), built(run2)
    rows = []
    for ident in sorted(set(first) | set(second)):
        a, b = first.get(ident), second.get(ident)
        if not a or not b:
            rows.append((ident, (a or b)["wheel"], "built in one run only"))
            continue
        wa, wb = Path(run1) / a["wheel"], Path(run2) / b["wheel"]
        if a["wheel"] == b["wheel"] and sha256_of(wa) == sha256_of(wb):
            rows.append((ident, a["wheel"], f"identical sha256 {sha256_of(wa)}"))
        else:
            rows.append((ident, a["wheel"], "differs: " + ", ".join(differing_members(wa, wb))))
    return rows
