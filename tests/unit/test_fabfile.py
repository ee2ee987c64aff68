"""fabfile.py (tasks in builder/frontends/fab.py): the Fabric 1 `task:args` spelling, and the real `fab` command line."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAB = Path(sys.executable).parent / "fab"


@pytest.fixture(scope="module")
def fabfile():
    # Imported outside `fab`, the fabfile rewrites no command line.
    spec = importlib.util.spec_from_file_location("vmwheel_fabfile", ROOT / "fabfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("word, expected", [
    ("build:msgpack", ("build", ["msgpack"], {})),
    ("build:msgpack==1.1.2", ("build", ["msgpack==1.1.2"], {})),
    ("build:msgpack>=1", ("build", ["msgpack>=1"], {})),
    ("build:msgpack,keep_vm=true", ("build", ["msgpack"], {"keep_vm": True})),
    ("build:msgpack==1.1.2,keep-vm=no", ("build", ["msgpack==1.1.2"], {"keep_vm": False})),
    ("vm-destroy:machine=bullseye-x86_64", ("vm-destroy", [], {"machine": "bullseye-x86_64"})),
    ("build:msgpack>=1,<2,resume=0", ("build", ["msgpack>=1,<2"], {"resume": False})),
    ("build:msgpack,select=cp311-*", ("build", ["msgpack"], {"select": "cp311-*"})),
    ("build:msgpack,memory=yes", ("build", ["msgpack"], {"memory": "yes"})),  # not a bool
])
def test_parse_fab1(fabfile, word, expected):
    assert fabfile.parse_fab1(word) == expected


@pytest.mark.parametrize("word", ["foo:bar", "build", "--list", "msgpack==1.1.2", ""])
def test_parse_fab1_ignores_other_words(fabfile, word):
    assert fabfile.parse_fab1(word) is None


def fab(*args):
    return subprocess.run([str(FAB), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_fab_list_shows_the_tasks_and_no_alias():
    res = fab("--list")
    assert res.returncode == 0, res.stderr
    # Task names start in column 2; wrapped help lines are indented further.
    names = {line.split()[0] for line in res.stdout.splitlines()
             if line.startswith("  ") and not line.startswith("   ")}
    assert names == {"build", "box", "host-setup", "upload", "doctor", "vm-destroy"}


def test_fab_unknown_keyword_is_one_line():
    # Unknown keys become `--option colour=red`, which the options layer refuses by name,
    # before anything is downloaded.
    res = fab("build:msgpack,colour=red")
    assert res.returncode == 2  # ConfigurationError
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmwheel: unknown option 'colour'"), res.stderr


def test_fab_extra_positional_is_refused_with_exit_2():
    res = fab("host-setup:now")
    assert res.returncode == 2
    assert "does not fit task host-setup" in res.stderr


def test_fab1_words_become_fab3_words(fabfile):
    fab = fabfile
    assert fab.fab3_words("build:msgpack==1.1.2,keep_vm=true,output_dir=/tmp/a_b.c") == [
        "build", "msgpack==1.1.2", "--keep-vm", "true", "--output-dir", "/tmp/a_b.c"]
    assert fab.fab3_words("build:msgpack,archs=i686,test_command=pytest {project}") == [
        "build", "msgpack", "--archs", "i686", "--test-command", "pytest {project}"]
    # false is passed on: it must override a project's `keep-vm = true`
    assert fab.fab3_words("build:msgpack,keep_vm=false") == ["build", "msgpack", "--keep-vm",
                                                             "false"]
    assert fab.fab3_words("build:msgpack,select=cp311-*") == ["build", "msgpack", "--select",
                                                              "cp311-*"]
    assert fab.fab3_words("build:msgpack,colour=red") == ["build", "msgpack", "--option",
                                                          "colour=red"]
    assert fab.fab3_words("box:force=true") == ["box", "--force"]
    assert fab.fab3_words("host-setup") is None


def test_real_fab_takes_a_dotted_requirement_and_options():
    # Fails at the machine check, before any download: proves the words reached the task.
    res = subprocess.run([str(FAB), "build:msgpack==1.1.2,machine=nope,output_dir=/tmp/x_y.z"],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2  # ConfigurationError
    assert res.stderr.strip().startswith("vmwheel: unknown machine 'nope'; choose one of: ")
    assert "bullseye-x86_64" in res.stderr and res.stderr.count("\n") == 1


def test_real_fab_takes_a_bool_keyword_with_a_value():
    # `--keep-vm false` (an optional value) must parse as the keyword's value, not as a second
    # positional word; the run then fails on the next keyword, in the options layer.
    res = fab("build:msgpack,keep_vm=false,memory=-5")
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("vmwheel: bad value '-5' for option 'memory'"), res.stderr
