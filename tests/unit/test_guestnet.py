"""guest-network's checks and modes that need no guest (builder/orchestration/guestnet.py)."""

import pytest

from builder.config.options import Options
from builder.errors import ConfigurationError
from builder.orchestration import guestnet
from builder.providers.ssh_host import SSHHost


def test_guest_wheels_only_with_none_and_only_with_wheels(tmp_path):
    with pytest.raises(ConfigurationError, match="guest-wheels is given but guest-network is "
                                                 "allowlist"):
        guestnet.check(Options(cli={"guest-wheels": str(tmp_path)}, environ={}))
    with pytest.raises(ConfigurationError, match="no \\*.whl files there"):
        guestnet.check(Options(cli={"guest-wheels": str(tmp_path), "guest-network": "none"},
                               environ={}))
    (tmp_path / "setuptools-80.0-py3-none-any.whl").write_text("x")
    guestnet.check(Options(cli={"guest-wheels": str(tmp_path), "guest-network": "none"},
                           environ={}))


def test_none_without_wheels_says_pip_has_no_index(capsys):
    assert guestnet.hermetic(None, "", "/tmp/vmwheel-wheels") == {"PIP_NO_INDEX": "1"}
    assert capsys.readouterr().out == (
        "vmwheel: guest-network none: the guest has no network and pip has no index (give "
        "--guest-wheels DIR with the build's requirements)\n")


def test_a_plain_ssh_host_is_named_not_restricted(capsys):
    host = SSHHost("me@build.example:2222")
    with guestnet.network(host, None, Options(environ={})) as env:
        assert env == {}
    assert capsys.readouterr().out == ("vmwheel: ssh-build.example-2222: guest-network does "
                                       "not apply to a plain SSH host: its network is its own\n")
