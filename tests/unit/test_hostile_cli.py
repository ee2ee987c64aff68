"""Mistakes a user can type or put in a file, through the real `vmwheel` command: each is one
line (what happened; what to do), a documented exit code, no traceback, and the output dir
untouched. No VM is needed: all of them are refused before one would start."""

import pytest

from tests.support.cli import vmwheel
from tests.support.projects import make_sdist


def one_line(res, code):
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmwheel: "), res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    return lines[0]


@pytest.mark.parametrize("args, env, says", [
    (["build", ""], {}, "the package to build is empty"),
    (["build", "x", "--ssh-host", ""], {}, "bad SSH host ''"),
    (["build", "x", "--ssh-host", "127.0.0.1:99999"], {}, "bad SSH host"),
    (["build", "x", "--ssh-host", "127.0.0.1:0"], {}, "bad SSH host"),
    # --guest-dir is deleted and made anew on the SSH host: never /, /tmp, .. or a relative path
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/tmp/.."], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/tmp/x/../.."], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/tmp"], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/"], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "tmp/x"], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/tmp/a b"], {}, "bad --guest-dir"),
    (["build", "x", "--ssh-host", "h", "--guest-dir", "/tmp/./x"], {}, "bad --guest-dir"),
    (["build", "x", "--scheduler", "tcp://203.0.113.1:8786"], {}, "refusing scheduler"),
    (["build", "x"], {"VMWHEEL_SCHEDULER": "tcp://192.0.2.1:1"}, "refusing scheduler"),
    (["build", "x", "--scheduler", "tcp://127.0.0.1:1", "--ssh-host", "h"], {},
     "--ssh-host and --scheduler both given"),
    (["build", "x", "-o", "memory=true"], {}, "bad value 'true' for option 'memory'"),
    (["build", "x", "-o", "memory=1.5"], {}, "bad value '1.5' for option 'memory'"),
    (["build", "x", "--memory", str(2**63 - 1)], {}, "for option 'memory'"),
    (["build", "x", "--cpus", "-1"], {}, "for option 'cpus'"),
    (["build", "x", "--output-dir", "/"], {}, "for option 'output-dir'"),
    (["build", "x"], {"VMWHEEL_OUTPUT_DIR": ""}, "for option 'output-dir'"),
    (["build", "x", "--environment", "A B=x"], {}, "bad environment entry"),
    (["build", "x", "--build-timeout", "-1"], {}, "bad value '-1' for option 'build-timeout'"),
    (["build", "x", "-o", "build-timeout=1.5"], {}, "bad value '1.5' for option 'build-timeout'"),
    (["build", "x"], {"VMWHEEL_BUILD_TIMEOUT": "1h"}, "bad value '1h' for option 'build-timeout'"),
    (["build", "x", "--build-timeout", "604801"], {}, "for option 'build-timeout'"),
])
def test_refused_before_anything_runs(tmp_path, args, env, says):
    line = one_line(vmwheel(tmp_path, *args, env=env), 2)
    assert says in line
    if "build-timeout" in says:  # and what to do
        assert line.endswith("; use 0 (no limit) or a whole number from 1 to 604800"), line
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["cache"])


@pytest.mark.parametrize("pyproject_extra, says", [
    ('\n[tool.vmwheel]\ntest-requires = {a = 1}\n', "for option 'test-requires'"),
    ('\n[tool.vmwheel]\nenvironment = {"A B" = "x"}\n', "bad environment entry 'A B'"),
    ('\n[tool.vmwheel]\nmemory = true\n', "for option 'memory'"),
    ('\n[tool.vmwheel]\ncpus = 1.5\n', "for option 'cpus'"),
    ('\n[tool.vmwheel]\nbefore-all = 5\n', "for option 'before-all'"),
    ('\n[tool.vmwheel]\nbuild-timeout = -5\n', "bad value -5 for option 'build-timeout'"),
    ('\n[tool.vmwheel]\nbuild-timeout = 2.5\n', "for option 'build-timeout'"),
    ('\n[tool.vmwheel]\nbuild-timeout = true\n', "for option 'build-timeout'"),
])
def test_a_project_file_with_bad_types(tmp_path, pyproject_extra, says):
    sdist = make_sdist(tmp_path / "src", pyproject_extra=pyproject_extra)
    assert says in one_line(vmwheel(tmp_path, "build", sdist, "--output-dir", "out"), 2)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_an_output_dir_that_cannot_be_one(tmp_path, where):
    sdist = make_sdist(tmp_path / "src")
    (tmp_path / "afile").write_text("precious")
    out = tmp_path / "afile" if where == "file" else tmp_path / "afile" / "sub"
    assert "the output dir" in one_line(vmwheel(tmp_path, "build", sdist, "--output-dir", out),
                                        2)
    assert (tmp_path / "afile").read_text() == "precious"


def test_an_unknown_vmwheel_variable_is_named_with_the_closest_one(tmp_path):
    res = vmwheel(tmp_path, "config", "show", env={"VMWHEEL_TEST_COMAND": "pytest"})
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == ("vmwheel: warning: VMWHEEL_TEST_COMAND is not a vmwheel "
                                  "setting and is ignored; did you mean VMWHEEL_TEST_COMMAND?")
