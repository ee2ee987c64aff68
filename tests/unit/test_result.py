"""builder.model.result: job results, their status, and how pending ones end."""

import json

from builder.model.result import Result, Status, fail_pending, identifier, tag_for


def test_status_compares_as_its_string_and_as_dict_is_plain():
    r = Result("cp311-cp311", "3.11", identifier="cp311-manylinux_x86_64")
    r.skip("not selected")
    assert r.status == "skipped" and r.status is Status.SKIPPED
    d = r.as_dict()
    assert type(d["status"]) is str and json.loads(json.dumps(d))["status"] == "skipped"


def test_fail_pending_fails_only_pending_results_with_their_own_reason():
    built = Result("cp39-cp39", "3.9", status=Status.BUILT)
    a, b = Result("cp311-cp311", "3.11"), Result("cp313-cp313t", "3.13t")
    fail_pending([built, a], "interrupted")
    fail_pending([b], lambda r: f"no interpreter {r.tag} on the build host")
    assert (built.status, a.status, a.reason) == ("built", "failed", "interrupted")
    assert b.reason == "no interpreter cp313-cp313t on the build host"
    json.dumps([r.as_dict() for r in (built, a, b)])  # report.json can hold them


def test_tags_and_identifiers():
    assert tag_for("3.13t") == "cp313-cp313t" and tag_for("3.9") == "cp39-cp39"
    assert identifier("cp313-cp313t", "manylinux_2_31", "i686") == "cp313t-manylinux_i686"

