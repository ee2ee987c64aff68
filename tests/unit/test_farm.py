"""The farm's pure parts: which scheduler addresses are allowed, how a machine's interpreters
are grouped into jobs, and that a job's options survive pickling (Dask sends them)."""

import pickle

import pytest

from builder.config.options import Options
from builder.errors import ConfigurationError
from builder.farm import address
from builder.farm.client import groups
from builder.farm.protocol import box_resource


@pytest.mark.parametrize("addr", ["tcp://127.0.0.1:8786", "tcp://127.9.9.9:1",
                                  "tcp://[::1]:8786", "tcp://localhost:8786"])
def test_loopback_is_allowed_without_tls(addr):
    s = address.check(addr)
    assert s.address == addr and s.security() is None


@pytest.mark.parametrize("addr, says", [
    # RFC 5737 documentation addresses (never routed); check() itself opens no socket
    ("tcp://192.0.2.5:8786", "plain tcp:// to another host"),
    ("tcp://198.51.100.2:8786", "plain tcp:// to another host"),
    ("tcp://localhost.evil.example:8786", "plain tcp:// to another host"),  # a name
    ("tcp://127.0.0.1.nip.io:8786", "plain tcp:// to another host"),
    ("tcp://0.0.0.0:8786", "plain tcp:// to another host"),
    ("http://127.0.0.1:8786", "bad scheduler address"),
    ("tcp://127.0.0.1", "bad scheduler address"),
    ("tcp://127.0.0.1:70000", "bad scheduler address"),
    ("tcp://127.0.0.1:8786/x", "bad scheduler address"),
    ("tls://farm.example:8786", "--tls-ca-file, --tls-cert, --tls-key are not given"),
])
def test_other_addresses_are_refused_before_any_connection(addr, says):
    with pytest.raises(ConfigurationError, match=says.replace(".", r"\.")) as exc:
        address.check(addr)
    assert exc.value.exit_code == 2 and exc.value.todo


def test_tls_needs_all_three_files_that_exist(tmp_path):
    files = [tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem")]
    for f in files:
        f.write_text("x")
    with pytest.raises(ConfigurationError, match="--tls-key is not given"):
        address.check("tls://farm.example:8786", address.TLSFiles(str(files[0]), str(files[1])))
    with pytest.raises(ConfigurationError, match="does not exist"):
        address.check("tls://farm.example:8786",
                      address.TLSFiles(str(files[0]), str(files[1]), str(tmp_path / "no")))
    s = address.check("tls://farm.example:8786", address.TLSFiles(*map(str, files)))
    assert s.address.startswith("tls://")
    with pytest.raises(ConfigurationError, match="not tls://"):
        address.check("tcp://127.0.0.1:1", address.TLSFiles(*map(str, files)))


@pytest.mark.parametrize("n, count, sizes", [(4, 2, [2, 2]), (3, 2, [2, 1]), (1, 5, [1]),
                                             (4, 0, [4]), (5, 8, [1, 1, 1, 1, 1])])
def test_interpreters_are_split_into_at_most_one_group_per_slot(n, count, sizes):
    got = groups(list(range(n)), count)
    assert [len(g) for g in got] == sizes
    assert sorted(x for g in got for x in g) == list(range(n))


def test_options_survive_pickling_with_their_origin():
    opts = Options(cli={"build": "cp311-*", "environment": "A=1"}, environ={})
    back = pickle.loads(pickle.dumps(opts))
    assert back["build"] == "cp311-*" and back["environment"] == {"A": "1"}
    assert back.origin["build"] == "command line" and back.selected("cp311-manylinux_x86_64")


def test_a_project_cannot_choose_the_scheduler():
    with pytest.raises(ConfigurationError, match="may come only from the command line"):
        Options(environ={}, pyproject_text='[tool.vmwheel]\nscheduler = "tcp://127.0.0.1:1"\n')
    assert box_resource("m") == "vmwheel-box-m"


def test_a_worker_advertises_aarch64_only_with_its_cross_machines_box(monkeypatch):
    """`vmwheel worker` advertises the machines whose boxes are current here; the aarch64 test
    machine needs its cross machine's box too, and the cross machine is never advertised (no
    job is for it). Vagrant's box list is replaced by a set of current boxes (it needs the
    vagrant CLI and built boxes)."""
    from builder.farm import worker
    from builder.images import boxes
    from builder.model.machine import load_table
    from tests.support import slimtable

    monkeypatch.setattr(worker, "load_table", lambda: load_table(slimtable.TABLE))
    current = set()
    monkeypatch.setattr(boxes, "is_current", lambda spec: spec.name in current)
    wanted = ["manylinux2014-x86_64", "manylinux2014-aarch64", "manylinux2014-aarch64-cross"]
    current.update({"manylinux2014-x86_64", "manylinux2014-aarch64"})
    assert worker.local_machines(wanted) == ("manylinux2014-x86_64",)
    current.add("manylinux2014-aarch64-cross")
    assert worker.local_machines(wanted) == ("manylinux2014-x86_64", "manylinux2014-aarch64")
