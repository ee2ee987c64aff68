"""Hostile input reaches a shell only quoted: property tests against a real `sh`."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.config.options import Options
from builder.errors import VmwheelError
from builder.output.wheelhouse import WHEEL_NAME, Wheelhouse
from builder.transport.shell import command_line, fill, q

# A file that only an injected command would create: checked after every test of this module.
CANARY = Path(tempfile.mkdtemp(prefix="vmwheel-canary-")) / "pwned"
# Anything a user could put in a value: quotes, $(...), backticks, ;, &&, newlines, .., globs.
NASTY = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                max_size=40) | st.sampled_from([
                    f"$(touch {CANARY})", f"`touch {CANARY}`", f"x; touch {CANARY}",
                    "`id`", "'; rm -rf / #", "a\nb", "../../etc",
                    "*", "\\", '"', "${HOME}", "-n", "&& echo hi", "|| true"])
FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def sh(line, cwd=None):
    return subprocess.run(["sh", "-c", line], capture_output=True, cwd=cwd)


@pytest.fixture(autouse=True)
def no_injected_command_ran():
    yield
    assert not CANARY.exists(), "a hostile value ran as a command"


def test_the_canary_catches_an_unquoted_value():
    """The check above can fail: the same value pasted unquoted does run."""
    sh(f"printf %s $(touch {CANARY})")
    assert CANARY.exists()
    CANARY.unlink()


@FAST
@given(NASTY)
def test_quoted_values_come_back_exactly(value):
    out = sh(f"printf %s {q(value)}").stdout
    assert out == value.encode()


@FAST
@given(NASTY, NASTY)
def test_environment_values_are_exported_verbatim(a, b):
    res = sh(command_line('printf "%s|%s" "$VMW_A" "$VMW_B"', env={"VMW_A": a, "VMW_B": b}))
    assert res.returncode == 0 and res.stdout == f"{a}|{b}".encode()


@FAST
@given(NASTY)
def test_placeholders_are_filled_with_quoted_values(value):
    res = sh(fill("printf '%s' {project}", project=value))
    assert res.stdout == value.encode()


@FAST
@given(st.text(alphabet="abc/. $;'\"`\n", min_size=1, max_size=12))
def test_working_directory_is_quoted(tmp_path_factory, name):
    base = tmp_path_factory.mktemp("cwd")
    target = base / name.replace("/", "_")
    if target.name in (".", ".."):
        return
    target.mkdir(exist_ok=True)
    res = sh(command_line("pwd", cwd=target))
    assert res.returncode == 0 and res.stdout.decode() == f"{target}\n"


@pytest.mark.parametrize("name", ["A;B", "A B", "$(id)", "1A", "A=B", ""])
def test_bad_environment_names_are_refused(name):
    with pytest.raises(VmwheelError, match="bad environment variable name"):
        command_line("true", env={name: "x"})


@FAST
@given(NASTY)
def test_wheel_names_never_leave_the_output_dir(tmp_path_factory, name):
    out = tmp_path_factory.mktemp("out")
    if WHEEL_NAME.fullmatch(name):
        assert (out / name).resolve().parent == out.resolve()
        assert "/" not in name and "\n" not in name and not name.startswith(".")
    else:
        with pytest.raises(VmwheelError, match="invalid wheel file name"):
            Wheelhouse(out).fetch(object(), "/remote", name, "0" * 64, 1)
        assert list(out.iterdir()) == []


@FAST
@given(st.text(min_size=1, max_size=20).filter(lambda k: k.replace("_", "-") not in {
    o for o in Options(environ={}).values}))
def test_unknown_keys_are_named(key):
    with pytest.raises(VmwheelError) as e:
        Options(cli={key: "x"}, environ={})
    assert f"unknown option {key.replace('_', '-')!r}" in e.value.what
    assert "\n" not in e.value.line()  # control characters are shown escaped


@FAST
@given(NASTY)
def test_selectors_with_shell_syntax_are_refused_or_inert(value):
    try:
        opts = Options(cli={"build": value}, environ={})
    except VmwheelError as e:
        assert e.what.startswith("bad selector")
        return
    # Accepted selectors are fnmatch patterns; they never reach a shell.
    assert not set("".join(value.split())) & set("$`;|&'\"\\")
    opts.selected("cp311-manylinux_x86_64")
