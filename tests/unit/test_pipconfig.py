"""builder.host.pipconfig: the pip settings and CA bundle handed to the guest."""

import pytest

from builder.host import pipconfig
from builder.stages.guest import GUEST_CA

CA_VARS = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def test_local_indexes_are_dropped_remote_ones_kept():
    conf = {"index-url": "file:///opt/pypi/simple",
            "extra-index-url": "https://a.example.invalid/simple file:///opt/more /srv/wheels "
                               "http://b.example.invalid/simple",
            "trusted-host": "b.example.invalid", "timeout": "60",
            "find-links": "/opt/wheels", "cert": "/host/only/ca.pem"}
    env = pipconfig.pip_env(GUEST_CA, conf)
    assert "PIP_INDEX_URL" not in env
    assert env["PIP_EXTRA_INDEX_URL"] == "https://a.example.invalid/simple " \
                                         "http://b.example.invalid/simple"
    assert env["PIP_TRUSTED_HOST"] == "b.example.invalid"
    assert env["PIP_TIMEOUT"] == "60"
    assert "PIP_FIND_LINKS" not in env
    assert {var: env[var] for var in CA_VARS} == dict.fromkeys(CA_VARS,
                                                               "/tmp/vmwheel/ca-bundle.pem")


def test_https_index_url_kept():
    env = pipconfig.pip_env(None, {"index-url": "https://mirror.example.invalid/simple"})
    assert env["PIP_INDEX_URL"] == "https://mirror.example.invalid/simple"
    assert not set(CA_VARS) & set(env)


@pytest.fixture
def no_ca_env(monkeypatch):
    for var in CA_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(pipconfig, "DEFAULT_BUNDLES", [])


def test_ca_bundle_prefers_pip_cert(tmp_path, monkeypatch, no_ca_env):
    cert, other = tmp_path / "pip-ca.pem", tmp_path / "env-ca.pem"
    cert.write_text("x")
    other.write_text("y")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    assert pipconfig.ca_bundle({"cert": str(cert)}) == cert


def test_ca_bundle_skips_missing_files(tmp_path, monkeypatch, no_ca_env):
    other = tmp_path / "env-ca.pem"
    other.write_text("y")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    assert pipconfig.ca_bundle({"cert": str(tmp_path / "missing.pem")}) == other


def test_ca_bundle_none(tmp_path, no_ca_env):
    assert pipconfig.ca_bundle({"cert": str(tmp_path / "missing.pem")}) is None


def test_pip_config_environment_beats_config_files(tmp_path, monkeypatch):
    # `pip config list` prints sorted keys, so ':env:.x' comes before 'global.x'; a naive
    # "last one wins" parse would let config files override PIP_* variables (pip does the reverse).
    pipconfig.pip_config.cache_clear()
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "pip.conf").write_text(
        "[global]\nextra-index-url = https://file.example.invalid/simple\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://env.example.invalid/simple")
    try:
        assert pipconfig.pip_config()["extra-index-url"] == "https://env.example.invalid/simple"
    finally:
        pipconfig.pip_config.cache_clear()
