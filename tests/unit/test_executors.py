"""The ways of running a build (local VMs, a plain SSH host, the farm) are executors behind one
protocol (orchestration/executors.py): the front end picks one from the options and hands it
to BuildRun; farm/ never subclasses BuildRun. Nothing here connects anywhere."""

import importlib
import inspect
import pkgutil

import pytest

import builder.farm
from builder.errors import ConfigurationError
from builder.farm.client import Farm
from builder.frontends.commands import executor
from builder.orchestration.executors import Executor, LocalVMs, PlainSSH
from builder.orchestration.options_io import effective_options
from builder.orchestration.run import BuildRun

SSH = {"address": "builder@127.0.0.1:2222"}
SCHEDULER = "tcp://127.0.0.1:8786"


@pytest.fixture(autouse=True)
def no_scheduler_in_env(monkeypatch):
    monkeypatch.delenv("VMWHEEL_SCHEDULER", raising=False)


def test_local_vms_by_default():
    chosen = executor({})
    assert type(chosen) is LocalVMs
    chosen.check(effective_options({}))
    assert chosen.machines(effective_options({}), None)  # the table's machines


def test_ssh_host_is_a_plain_ssh_executor():
    chosen = executor({}, SSH)
    assert type(chosen) is PlainSSH
    assert chosen.host.name == "ssh-127.0.0.1-2222"
    assert chosen.machines(effective_options({}), None) is None  # it says its own pythons
    chosen.check(effective_options({}))


@pytest.mark.parametrize("env", [False, True])
def test_scheduler_is_the_farm(monkeypatch, env):
    if env:
        monkeypatch.setenv("VMWHEEL_SCHEDULER", SCHEDULER)
    cli = {} if env else {"scheduler": SCHEDULER}
    chosen = executor(cli)
    assert type(chosen) is Farm
    chosen.check(effective_options(cli))
    assert chosen.scheduler.address == SCHEDULER


def test_ssh_host_and_scheduler_are_refused():
    with pytest.raises(ConfigurationError) as exc:
        executor({"scheduler": SCHEDULER}, SSH)
    assert exc.value.exit_code == 2
    assert exc.value.line() == ("vmwheel: --ssh-host and --scheduler both given; choose one: "
                                "a farm's SSH hosts belong to its workers")


def test_a_bad_ssh_address_is_named_before_the_conflict():
    with pytest.raises(ConfigurationError, match="bad SSH host"):
        executor({"scheduler": SCHEDULER}, {"address": "h:0"})


@pytest.mark.parametrize("kind", [LocalVMs, lambda: PlainSSH(SSH)])
def test_local_executors_refuse_a_scheduler(kind):
    with pytest.raises(ConfigurationError, match="--scheduler given to a local build"):
        kind().check(effective_options({"scheduler": SCHEDULER}))


def test_build_run_runs_local_vms_unless_told():
    assert type(BuildRun("pkg").executor) is LocalVMs
    farm = Farm()
    assert BuildRun("pkg", executor=farm).executor is farm


def test_every_executor_speaks_the_protocol():
    for kind in (LocalVMs, PlainSSH, Farm):
        assert Executor in kind.__mro__
        for method in ("check", "machines", "build"):
            assert callable(getattr(kind, method)), (kind, method)


def test_farm_has_no_subclass_of_build_run():
    for info in pkgutil.iter_modules(builder.farm.__path__):
        module = importlib.import_module(f"builder.farm.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            assert cls is BuildRun or not issubclass(cls, BuildRun), \
                f"builder.farm.{info.name}.{name} subclasses BuildRun"


def test_a_farm_job_run_builds_only_its_interpreters():
    run = BuildRun.for_job("src", {"parallel": 1}, "out", "display")
    assert (run.src, run.opts, run.out, run.display) == ("src", {"parallel": 1}, "out",
                                                          "display")
    assert run.only_planned and not BuildRun("pkg").only_planned
