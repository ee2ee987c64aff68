"""The run's record: report.json (machine-readable) and the summary table (for people)."""

import datetime

from rich.console import Console
from rich.table import Table

from .. import __version__
from ..redact import redact


def make_report(source, results, timings, targets):
    """`targets`: {name: {"name", "box" or "host", "platform"}} of the build hosts used."""
    used = sorted({r.machine for r in results if r.machine})
    return {
        "vmwheel": __version__,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "package": {"name": source.name, "version": source.version,
                    "requires_python": source.requires_python, "how": redact(source.note),
                    "sdist": source.sdist.name, "sdist_sha256": source.sha256,
                    "source_date_epoch": source.source_date_epoch},
        "machines": [targets[n] for n in used if n in targets],
        "durations": {k: round(v, 1) for k, v in timings.items()},
        "interpreters": [dict(r.as_dict(), reason=redact(r.reason)) for r in results],
    }


def print_summary(results, out_dir):
    table = Table(title=f"vmwheel: wheels in {out_dir}")
    proofs = any(r.proof for r in results)
    for col in ("identifier", "status", "seconds") + (("floor proof",) if proofs else ()) + (
            "wheel / reason",):
        table.add_column(col)
    for r in results:
        style = {"built": "green", "failed": "red", "skipped": "yellow"}.get(r.status, "")
        secs = f"{sum(r.durations.values()):.0f}" if r.durations else "-"
        proof = (r.proof or "-",) if proofs else ()
        table.add_row(r.identifier or r.tag, f"[{style}]{r.status}[/]", secs, *proof,
                      r.wheel or redact(r.reason))
    Console().print(table)
