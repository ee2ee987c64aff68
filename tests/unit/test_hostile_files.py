"""Files a user (or an earlier tool) left behind: each is one clear error or harmlessly
ignored, never an internal error."""

import pytest

from builder.config.options import Options
from builder.errors import BuildFailed, ConfigurationError
from builder.output import resume, upload
from builder.sources.source import Source
from builder.transport.remote import Remote


def test_a_percent_sign_in_setup_cfg_is_just_a_character():
    opts = Options(setup_cfg_text="[vmwheel]\ntest-command = echo 100%\n", environ={})
    assert opts["test-command"] == "echo 100%"


@pytest.mark.parametrize("text", ["[vmwheel]\na = 1\na = 2\n", "build = x\n"])
def test_setup_cfg_that_configparser_refuses(text):
    with pytest.raises(ConfigurationError, match="setup.cfg does not parse"):
        Options(setup_cfg_text=text, environ={})


@pytest.mark.parametrize("text", ['[tool]\nvmwheel = "x"\n', "tool = 5\n",
                                  "[[tool.vmwheel]]\nbuild = 'x'\n"])
def test_pyproject_where_tool_vmwheel_is_no_table(text):
    with pytest.raises(ConfigurationError, match=r"\[tool.vmwheel\] is not a table"):
        Options(pyproject_text=text, environ={})


@pytest.mark.parametrize("content", ["[]", '{"package": 5}', '{"package": {"sdist_sha256": "s"},'
                                     ' "interpreters": [5, {"status": "built", "wheel": 7}]}'])
def test_a_foreign_report_json_keeps_nothing_and_breaks_nothing(tmp_path, content):
    (tmp_path / "report.json").write_text(content)
    src = Source(tmp_path / "x-1.0.tar.gz", "x", "1.0", "")
    src.__dict__["sha256"] = "s"  # the cached property, as if computed
    assert resume.earlier_wheels(tmp_path, src) == {}


@pytest.mark.parametrize("kind", ["directory", "not-utf8"])
def test_an_unreadable_sha256sums(tmp_path, kind):
    if kind == "directory":
        (tmp_path / "SHA256SUMS").mkdir()
    else:
        (tmp_path / "SHA256SUMS").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BuildFailed, match="cannot be read"):
        upload.verify_sums(tmp_path)


def test_a_known_hosts_line_that_is_not_base64(tmp_path):
    kh = tmp_path / "known_hosts"
    kh.write_text("[127.0.0.1]:2222 ssh-ed25519 !!!not-base64!!!\n")
    remote = Remote("127.0.0.1", 1, "nobody", known_hosts=kh)
    with pytest.raises(ConfigurationError, match="known_hosts file .* cannot be read"):
        remote.call("true")
