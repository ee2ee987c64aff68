"""Options: every key, its precedence, and selectors (table-driven)."""

import pytest

from builder import planner
from builder.config import options
from builder.config.options import BY_NAME, OPTIONS, Options, convert
from builder.config.selectors import matches
from builder.errors import ConfigurationError
from builder.model.arch import Arch, split_platform
from builder.model.result import identifier

# One example per key: (key, raw value as text, expected converted value).
EXAMPLES = [
    ("build", "cp3{11,13}-manylinux_x86_64", "cp3{11,13}-manylinux_x86_64"),
    ("skip", "*-manylinux_i686 cp313t-*", "*-manylinux_i686 cp313t-*"),
    ("archs", "x86_64 i686", ["x86_64", "i686"]),
    ("targets", "manylinux_2_31,musllinux_1_2", ["manylinux_2_31", "musllinux_1_2"]),
    ("environment", 'CFLAGS="-O2 -g0" FOO=bar', {"CFLAGS": "-O2 -g0", "FOO": "bar"}),
    ("environment-pass", "CI BUILD_NUMBER", ["CI", "BUILD_NUMBER"]),
    ("before-all", "yum install -y zlib-devel", "yum install -y zlib-devel"),
    ("before-build", "pip install cython", "pip install cython"),
    ("repair-wheel-command", "cp {wheel} {dest_dir}", "cp {wheel} {dest_dir}"),
    ("test-requires", "pytest hypothesis", ["pytest", "hypothesis"]),
    ("test-command", "pytest {project}/tests", "pytest {project}/tests"),
    ("build-on", "emulated", "emulated"),
    ("build-frontend", "build", "build"),
    ("build-timeout", "240", 240),
    ("output-dir", "dist", "dist"),
    ("log-cap", "50M", 50 << 20),
    ("provider", "libvirt", "libvirt"),
    ("driver", "qemu", "qemu"),
    ("keep-vm", "yes", True),
    ("resume", "no", False),
    ("memory", "4096", 4096),
    ("cpus", "4", 4),
    ("guest-network", "none", "none"),
    ("guest-allow", "files.example.org mirror.example.org:8443",
     ["files.example.org", "mirror.example.org:8443"]),
    ("guest-wheels", "wheels", "wheels"),
    ("parallel", "2", 2),
    ("scheduler", "tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
    ("tls-ca-file", "ca.pem", "ca.pem"),
    ("tls-cert", "me.pem", "me.pem"),
    ("tls-key", "me-key.pem", "me-key.pem"),
]


def test_every_option_has_an_example():
    assert [e[0] for e in EXAMPLES] == [o.name for o in OPTIONS]


@pytest.mark.parametrize("key, raw, expected", EXAMPLES)
def test_each_key_from_every_source(key, raw, expected):
    env_var = "VMWHEEL_" + key.upper().replace("-", "_")
    toml_value = raw.replace("\\", "\\\\").replace('"', '\\"')
    sources = {
        "command line": Options(cli={key: raw}, environ={}),
        f"environment {env_var}": Options(environ={env_var: raw}),
        "pyproject.toml [tool.vmwheel]": lambda: Options(
            environ={}, pyproject_text=f'[tool.vmwheel]\n"{key}" = "{toml_value}"\n'),
        "setup.cfg [vmwheel]": lambda: Options(
            environ={}, setup_cfg_text=f"[vmwheel]\n{key} = {raw.replace('%', '%%')}\n"),
    }
    if BY_NAME[key].project:
        sources = {k: v() if callable(v) else v for k, v in sources.items()}
    for where, opts in sources.items():
        if callable(opts):  # a project's file may not set it
            with pytest.raises(ConfigurationError, match="only from the command line"):
                opts()
            continue
        assert opts[key] == expected, where
        assert opts.origin[key] == where


def test_defaults():
    opts = Options(environ={})
    assert opts["build"] == "*" and opts["archs"] == ["x86_64"]
    assert opts["targets"] == ["manylinux_2_17"] and opts["build-frontend"] == "pip"
    assert set(opts.origin.values()) == {"default"}


def test_precedence_cli_env_pyproject_setup_cfg_default():
    layers = dict(setup_cfg_text="[vmwheel]\nskip = a b\nbuild = s\ncpus = 1\nmemory = 1024\n",
                  pyproject_text='[tool.vmwheel]\nskip = "p"\nbuild = "p"\ncpus = 2\n',
                  environ={"VMWHEEL_SKIP": "e", "VMWHEEL_BUILD": "e"})
    opts = Options(cli={"skip": "c"}, **layers)
    assert (opts["skip"], opts.origin["skip"]) == ("c", "command line")
    assert (opts["build"], opts.origin["build"]) == ("e", "environment VMWHEEL_BUILD")
    assert (opts["cpus"], opts.origin["cpus"]) == (2, "pyproject.toml [tool.vmwheel]")
    assert (opts["memory"], opts.origin["memory"]) == (1024, "setup.cfg [vmwheel]")
    assert (opts["keep-vm"], opts.origin["keep-vm"]) == (False, "default")


def test_toml_types_are_accepted():
    opts = Options(environ={}, pyproject_text='[tool.vmwheel]\narchs = ["i686"]\n'
                   'keep-vm = true\nmemory = 3072\nenvironment = { A = "1" }\n'
                   'before-all = ["echo one", "echo two"]\n')
    assert opts["archs"] == ["i686"] and opts["keep-vm"] is True and opts["memory"] == 3072
    assert opts["environment"] == {"A": "1"}
    assert opts["before-all"] == "echo one && echo two"


@pytest.mark.parametrize("source, key, value, fragment", [
    ("cli", "colour", "red", "unknown option 'colour' in command line"),
    ("pyproject", "test-comand", "x", "unknown option 'test-comand' in pyproject.toml"),
    ("cli", "archs", "arm64", "bad value 'arm64' for option 'archs'"),
    ("cli", "targets", "manylinux2099", "bad value 'manylinux2099' for option 'targets'"),
    ("cli", "build-frontend", "poetry", "bad value 'poetry' for option 'build-frontend'"),
    ("cli", "keep-vm", "perhaps", "bad value 'perhaps' for option 'keep-vm'"),
    ("cli", "memory", "-5", "bad value '-5' for option 'memory'"),
    ("cli", "log-cap", "10 TB", "bad value '10 TB' for option 'log-cap'"),
    ("cli", "build", "cp3{11-*", "bad selector 'cp3{11-*'"),
    ("cli", "skip", "cp39;rm", "bad selector 'cp39;rm'"),
    ("cli", "environment", "NOEQUALS", "bad environment entry 'NOEQUALS'"),
    ("env", "provider", "virtualbox", "bad value 'virtualbox' for option 'provider'"),
    ("cli", "guest-network", "open", "bad value 'open' for option 'guest-network'"),
    ("cli", "guest-allow", "10.0.2.2", "bad value '10.0.2.2' for option 'guest-allow'"),
    ("cli", "guest-allow", "a.example:99999", "bad value 'a.example:99999'"),
    ("pyproject", "guest-network", "full", "option 'guest-network' in pyproject.toml [tool."),
    ("pyproject", "guest-allow", "evil.example", "may come only from the command line"),
])
def test_bad_keys_and_values_name_the_offender(source, key, value, fragment):
    with pytest.raises(ConfigurationError) as e:
        if source == "cli":
            Options(cli={key: value}, environ={})
        elif source == "env":
            Options(environ={"VMWHEEL_" + key.upper().replace("-", "_"): value})
        else:
            Options(environ={}, pyproject_text=f'[tool.vmwheel]\n"{key}" = "{value}"\n')
    assert fragment in e.value.what and e.value.exit_code == 2


def test_broken_pyproject_is_one_clear_error():
    with pytest.raises(ConfigurationError, match="pyproject.toml does not parse"):
        Options(environ={}, pyproject_text="[tool.vmwheel\n")


@pytest.mark.parametrize("selectors, ident, expected", [
    ("*", "cp311-manylinux_x86_64", True),
    ("cp3{11,13}-manylinux_x86_64", "cp311-manylinux_x86_64", True),
    ("cp3{11,13}-manylinux_x86_64", "cp313-manylinux_x86_64", True),
    ("cp3{11,13}-manylinux_x86_64", "cp39-manylinux_x86_64", False),
    ("*-manylinux_i686", "cp39-manylinux_i686", True),
    ("*-manylinux_i686", "cp39-manylinux_x86_64", False),
    ("cp39-* cp313t-*", "cp313t-manylinux_x86_64", True),
    ("cp313-*", "cp313t-manylinux_x86_64", False),
    ("cp3?-*", "cp39-musllinux_x86_64", True),
    ("*-musllinux_*", "cp39-manylinux_x86_64", False),
    ("cp{39,3{11,13}}-*", "cp313-manylinux_i686", True),
])
def test_selectors(selectors, ident, expected):
    assert matches(selectors, ident) is expected


def test_build_and_skip_together():
    opts = Options(cli={"build": "cp3*-*", "skip": "*t-* *-manylinux_i686"}, environ={})
    assert opts.selected("cp311-manylinux_x86_64")
    assert not opts.selected("cp313t-manylinux_x86_64")
    assert not opts.selected("cp39-manylinux_i686")


@pytest.mark.parametrize("tag, policy, arch, expected", [
    ("cp39-cp39", "manylinux_2_31", "x86_64", "cp39-manylinux_x86_64"),
    ("cp313-cp313t", "manylinux_2_31", "i686", "cp313t-manylinux_i686"),
    ("cp311-cp311", "musllinux_1_2", "x86_64", "cp311-musllinux_x86_64"),
])
def test_identifiers(tag, policy, arch, expected):
    assert identifier(tag, policy, arch) == expected


def test_convert_checks_one_value_by_name():
    assert convert("memory", "2048", "here") == 2048
    assert convert("keep-vm", "no", "here") is False
    with pytest.raises(ConfigurationError, match="bad value 'x' for option 'cpus' in here"):
        convert("cpus", "x", "here")


@pytest.mark.parametrize("raw, size", [
    ("0", 0), ("1024", 1024), ("10M", 10 << 20), ("512k", 512 << 10), ("1GiB", 1 << 30),
    ("2 KB", 2048), (4096, 4096), (0, 0)])
def test_log_cap_takes_bytes_or_a_size(raw, size):
    assert convert("log-cap", raw, "here") == size
    assert Options(environ={}).values["log-cap"] == 10 << 20  # the default


@pytest.mark.parametrize("raw", ["-1", "100", "1T", "ten", "1.5M", True, 1.5, ""])
def test_log_cap_refuses_what_is_no_size(raw):
    with pytest.raises(ConfigurationError, match="bad value .* for option 'log-cap'"):
        convert("log-cap", raw, "here")


def test_only_keep_vm_and_resume_are_bool_flags():
    assert {o.name for o in OPTIONS if o.is_bool} == {"keep-vm", "resume"}
    assert BY_NAME["keep-vm"].convert("yes", "x") is True
    assert BY_NAME["build"].fab_keyword == "select"  # `build` is the fab task


@pytest.mark.parametrize("plat, expected", [
    ("manylinux_2_31_x86_64", ("manylinux_2_31", Arch.X86_64)),
    ("musllinux_1_2_i686", ("musllinux_1_2", Arch.I686)),
    ("manylinux_2_17_sparc", None),
])
def test_split_platform(plat, expected):
    assert split_platform(plat) == expected


def test_machines_follow_targets_and_archs():
    names = lambda **cli: [m.name for m in planner.select_machines(Options(cli=cli, environ={}))]  # noqa: E731,E501
    assert names() == ["manylinux2014-x86_64"]
    assert names(targets="manylinux_2_31", archs="i686") == ["bullseye-i686"]
    assert names(archs="i686") == ["manylinux2014-i686"]
    assert names(targets="manylinux2014 manylinux_2_31", archs="x86_64 i686") == [
        "manylinux2014-x86_64", "bullseye-x86_64", "manylinux2014-i686", "bullseye-i686"]
    assert names(targets="manylinux_2_28") == ["alma8-x86_64"]
    with pytest.raises(ConfigurationError, match="no machine for targets manylinux_2_5"):
        names(targets="manylinux_2_5")


def test_selected_machines_are_sized_by_memory_and_cpus():
    [m] = planner.select_machines(Options(cli={"memory": "3072"}, environ={}))
    [explicit] = planner.select_machines(Options(cli={"cpus": "3"}, environ={}),
                                         "bullseye-i686")
    assert (m.name, m.memory) == ("manylinux2014-x86_64", 3072)
    assert (explicit.name, explicit.cpus, explicit.arch) == ("bullseye-i686", 3, Arch.I686)


def test_option_docs_are_complete():
    for opt in options.OPTIONS:
        assert opt.help and opt.example
