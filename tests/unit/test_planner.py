"""builder.planner on its own, as cibuildwheel tests get_build_steps: which machines a run
uses, and which (machine, interpreter) jobs are pending, skipped (with the reason) or kept from
an earlier run. No VM, no SSH: a fake host, a real Source and real Options."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from builder import planner
from builder.config.options import Options
from builder.errors import ConfigurationError
from builder.model.arch import Arch
from builder.model.machine import Floor, load_table
from builder.model.result import Status
from builder.sources.source import Source

BULLSEYE = ("3.9", "3.11", "3.13", "3.13t")  # what bullseye-x86_64 carries


def opts(**cli):
    """Options from command-line values only (no VMWHEEL_* of the environment running pytest)."""
    return Options(cli={k.replace("_", "-"): v for k, v in cli.items()}, environ={})


def src(requires_python=">=3.8"):
    return Source(Path("/nonexistent/vmwtestext-1.0.tar.gz"), "vmwtestext", "1.0",
                  requires_python)


def host(pythons=BULLSEYE, name="bullseye-x86_64", policy="manylinux_2_31", arch=Arch.X86_64):
    return SimpleNamespace(name=name, policy=policy, arch=arch,
                           python_versions=lambda: list(pythons))


def by_id(results):
    return {r.identifier: r for r in results}


def names(machines):
    return [m.name for m in machines]


# --- select_machines --------------------------------------------------------------------------


def test_default_is_the_manylinux2014_floor_machine():
    (m,) = planner.select_machines(opts())
    assert m.name == load_table().default == "manylinux2014-x86_64"
    assert (m.policy, m.arch, m.memory, m.cpus) == ("manylinux_2_17", Arch.X86_64, 2048, 2)
    assert m.floor_spec == Floor("2.17", "/opt/floor/bin/floor-run")


def test_the_legacy_name_manylinux2014_selects_the_same_machine():
    assert names(planner.select_machines(opts(targets="manylinux2014"))) == [
        "manylinux2014-x86_64"]


def test_two_archs_select_both_bullseye_machines():
    chosen = planner.select_machines(opts(targets="manylinux_2_31", archs="x86_64 i686"))
    assert names(chosen) == ["bullseye-x86_64", "bullseye-i686"]  # the table's order
    assert [m.arch for m in chosen] == [Arch.X86_64, Arch.I686]


def test_i686_defaults_to_its_manylinux2014_floor_machine_and_2_31_still_picks_bullseye():
    """The default targets (manylinux2014) give i686 the zig floor box; manylinux_2_31 keeps
    the plain bullseye one."""
    chosen = planner.select_machines(opts(archs="x86_64 i686"))
    assert names(chosen) == ["manylinux2014-x86_64", "manylinux2014-i686"]
    i686 = chosen[1]
    assert (i686.policy, i686.arch, i686.floor, i686.platform) == (
        "manylinux_2_17", Arch.I686, "2.17", "manylinux_2_17_i686")
    assert names(planner.select_machines(opts(targets="manylinux_2_31", archs="i686"))) == [
        "bullseye-i686"]


def test_an_arch_that_no_target_covers_is_refused_naming_the_targets_that_do():
    with pytest.raises(ConfigurationError) as info:
        planner.select_machines(opts(targets="manylinux_2_28", archs="x86_64 i686"))
    assert info.value.what == "no machine for targets manylinux_2_28 and arch i686"
    assert "manylinux_2_31" in info.value.todo and "manylinux_2_17" in info.value.todo


def test_targets_times_archs_take_the_first_machine_of_each_pair():
    chosen = planner.select_machines(opts(targets="manylinux_2_17 manylinux_2_28"))
    assert names(chosen) == ["manylinux2014-x86_64", "alma8-x86_64"]  # not centos7-x86_64 too
    assert planner.select_machines(opts(targets="musllinux_1_2"))[0].name == "musllinux_1_2-x86_64"


def test_an_explicit_machine_wins_over_targets_and_archs():
    chosen = planner.select_machines(opts(targets="manylinux_2_17", archs="i686"),
                                     machine="alma9-x86_64")
    assert names(chosen) == ["alma9-x86_64"]


def test_several_explicit_machines_by_commas_or_spaces_once_each_in_order():
    sized = opts(cpus="1")
    chosen = planner.select_machines(sized, machine="manylinux2014-x86_64,bullseye-i686")
    assert names(chosen) == ["manylinux2014-x86_64", "bullseye-i686"]
    assert [m.cpus for m in chosen] == [1, 1]
    again = planner.select_machines(opts(), machine=" bullseye-i686  alma9-x86_64,bullseye-i686")
    assert names(again) == ["bullseye-i686", "alma9-x86_64"]
    with pytest.raises(ConfigurationError, match="unknown machine 'nope'"):
        planner.select_machines(opts(), machine="bullseye-i686,nope")


def test_an_unknown_machine_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as info:
        planner.select_machines(opts(), machine="bookworm-riscv64")
    err = info.value
    assert err.exit_code == 2
    assert err.what == "unknown machine 'bookworm-riscv64'"
    assert "bullseye-x86_64" in err.todo and "bullseye-i686" in err.todo


def test_no_machine_for_targets_and_archs_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as info:
        planner.select_machines(opts(targets="manylinux_2_34", archs="i686"))
    assert info.value.exit_code == 2
    assert info.value.what == "no machine for targets manylinux_2_34 and arch i686"
    assert "manylinux_2_31" in info.value.todo


def test_memory_and_cpus_size_every_chosen_machine():
    chosen = planner.select_machines(opts(targets="manylinux_2_31", archs="x86_64 i686",
                                          memory="4096", cpus="3"))
    assert [(m.memory, m.cpus) for m in chosen] == [(4096, 3), (4096, 3)]
    (only_memory,) = planner.select_machines(opts(memory="1024"))
    assert (only_memory.memory, only_memory.cpus) == (1024, 2)  # 0 keeps the table's
    (explicit,) = planner.select_machines(opts(cpus="8"), machine="alma8-x86_64")
    assert (explicit.memory, explicit.cpus) == (2048, 8)
    assert load_table().get("bullseye-x86_64").memory == 2048  # the table is not changed


def test_select_machines_uses_a_given_table():
    table = load_table()
    small = type(table)("only", {"only": table.get("bullseye-i686")})
    assert names(planner.select_machines(opts(targets="manylinux_2_31", archs="i686"),
                                         table=small)) == ["bullseye-i686"]
    with pytest.raises(ConfigurationError):
        planner.select_machines(opts(targets="manylinux_2_31"), table=small)  # no x86_64


# --- pythons_of -------------------------------------------------------------------------------


def test_pythons_of_machines_is_their_interpreters_without_free_threading_twins():
    found = planner.pythons_of(planner.select_machines(opts(targets="manylinux_2_31",
                                                            archs="x86_64 i686")))
    assert found == ["3.9", "3.11", "3.13"]  # in version order, not text order


def test_pythons_of_a_plain_ssh_host_is_any_current_cpython():
    assert planner.pythons_of(None) == list(planner.ANY_PYTHON)
    assert {"3.8", "3.13", "3.14"} <= set(planner.pythons_of(None))


# --- plan -------------------------------------------------------------------------------------


def test_every_interpreter_becomes_a_pending_job_with_its_identifier():
    results = planner.plan(src(), opts(), host(), {})
    assert [(r.tag, r.python, r.identifier) for r in results] == [
        ("cp39-cp39", "3.9", "cp39-manylinux_x86_64"),
        ("cp311-cp311", "3.11", "cp311-manylinux_x86_64"),
        ("cp313-cp313", "3.13", "cp313-manylinux_x86_64"),
        ("cp313-cp313t", "3.13", "cp313t-manylinux_x86_64"),  # free-threaded
    ]
    assert all(r.pending and r.status == Status.PENDING and r.reason == "" for r in results)
    assert {r.machine for r in results} == {"bullseye-x86_64"}


def test_identifiers_follow_the_hosts_policy_and_arch():
    results = planner.plan(src(), opts(), host(("3.13t",), "bullseye-i686", arch=Arch.I686), {})
    assert [r.identifier for r in results] == ["cp313t-manylinux_i686"]
    musl = planner.plan(src(), opts(), host(("3.12",), "alpine", policy="musllinux_1_2"), {})
    assert [r.identifier for r in musl] == ["cp312-musllinux_x86_64"]


def test_requires_python_skips_with_the_reason():
    results = by_id(planner.plan(src(">=3.11"), opts(), host(), {}))
    skipped = results["cp39-manylinux_x86_64"]
    assert skipped.status == Status.SKIPPED and not skipped.pending
    assert skipped.reason == "Requires-Python >=3.11 excludes Python 3.9"
    assert all(results[i].pending for i in results if i != "cp39-manylinux_x86_64")


def test_requires_python_judges_free_threaded_builds_by_their_version():
    results = by_id(planner.plan(src("<3.13"), opts(), host(), {}))
    assert results["cp313t-manylinux_x86_64"].reason == \
        "Requires-Python <3.13 excludes Python 3.13"
    assert results["cp311-manylinux_x86_64"].pending


def test_build_and_skip_selectors_skip_with_the_reason():
    results = by_id(planner.plan(src(), opts(build="cp3{11,13}-*", skip="*t-*"), host(), {}))
    assert {i for i, r in results.items() if r.pending} == {
        "cp311-manylinux_x86_64", "cp313-manylinux_x86_64"}
    assert results["cp39-manylinux_x86_64"].reason == \
        "cp39-manylinux_x86_64 is not selected by build/skip"
    assert results["cp313t-manylinux_x86_64"].reason == \
        "cp313t-manylinux_x86_64 is not selected by build/skip"


def test_requires_python_is_the_reason_given_before_the_selectors():
    results = by_id(planner.plan(src(">=3.11"), opts(skip="cp39-*"), host(), {}))
    assert results["cp39-manylinux_x86_64"].reason.startswith("Requires-Python")


EARLIER = {"cp311-manylinux_x86_64": {
    "wheel": "vmwtestext-1.0-cp311-cp311-manylinux_2_31_x86_64.whl", "sha256": "ab" * 32,
    "size": 12345, "auditwheel": "repaired for manylinux_2_31_x86_64", "log": "logs/cp311.log"}}


def test_a_wheel_of_an_earlier_run_is_kept_with_its_record():
    results = by_id(planner.plan(src(), opts(), host(), EARLIER))
    kept = results["cp311-manylinux_x86_64"]
    assert kept.status == Status.BUILT and not kept.pending
    assert kept.reason == "kept: built by an earlier run of this sdist"
    record = EARLIER["cp311-manylinux_x86_64"]
    assert (kept.wheel, kept.sha256, kept.size, kept.auditwheel, kept.log) == (
        record["wheel"], record["sha256"], record["size"], record["auditwheel"], record["log"])
    assert [i for i, r in results.items() if r.pending] == [
        "cp39-manylinux_x86_64", "cp313-manylinux_x86_64", "cp313t-manylinux_x86_64"]


def test_an_earlier_record_without_auditwheel_or_log_is_kept_too():
    earlier = {"cp39-manylinux_x86_64": {"wheel": "w.whl", "sha256": "cd" * 32, "size": 1}}
    kept = by_id(planner.plan(src(), opts(), host(), earlier))["cp39-manylinux_x86_64"]
    assert (kept.status, kept.wheel, kept.auditwheel, kept.log) == (Status.BUILT, "w.whl", "",
                                                                     "")


def test_a_deselected_interpreter_is_skipped_even_if_an_earlier_run_built_it():
    results = by_id(planner.plan(src(), opts(skip="cp311-*"), host(), EARLIER))
    assert results["cp311-manylinux_x86_64"].status == Status.SKIPPED
    assert results["cp311-manylinux_x86_64"].wheel == ""


def test_a_plain_host_has_no_plan_before_connecting():
    assert planner.plan(src(), opts(), host(()), EARLIER) == []


# --- found_on_host ----------------------------------------------------------------------------


def test_an_interpreter_found_on_the_host_is_decided_like_a_planned_one():
    args = ("ssh-127.0.0.1-2222", "manylinux_2_36", Arch.X86_64, src(), opts(), {})
    r = planner.found_on_host("cp312-cp312", "3.12", *args)
    assert (r.tag, r.python, r.identifier, r.machine) == (
        "cp312-cp312", "3.12", "cp312-manylinux_x86_64", "ssh-127.0.0.1-2222")
    assert r.pending
    free = planner.found_on_host("cp313-cp313t", "3.13t", *args)
    assert (free.python, free.identifier) == ("3.13", "cp313t-manylinux_x86_64")


def test_found_on_host_applies_requires_python_selectors_and_earlier_runs():
    host_name, policy, arch = "ssh-h-22", "manylinux_2_36", Arch.X86_64
    old = planner.found_on_host("cp39-cp39", "3.9", host_name, policy, arch, src(">=3.10"),
                                opts(), {})
    assert old.reason == "Requires-Python >=3.10 excludes Python 3.9"
    deselected = planner.found_on_host("cp311-cp311", "3.11", host_name, policy, arch, src(),
                                       opts(build="cp39-*"), {})
    assert deselected.reason == "cp311-manylinux_x86_64 is not selected by build/skip"
    kept = planner.found_on_host("cp311-cp311", "3.11", host_name, policy, arch, src(), opts(),
                                 EARLIER)
    assert kept.status == Status.BUILT and kept.sha256 == "ab" * 32
