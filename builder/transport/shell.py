"""Everything that reaches a guest shell is built here, quoted: nothing in a value ever runs."""

import re
import shlex

from ..errors import ConfigurationError

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def q(value):
    return shlex.quote(str(value))


def fill(template, **values):
    """Replace {name} placeholders with shell-quoted values; other braces stay as they are."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", q(value))
    return template


def command_line(command, env=None, cwd=None):
    """The shell line for `command` with `env` and `cwd`: names are checked, values and the
    directory are quoted. The umask is fixed, so file modes in wheels do not depend on the
    login's."""
    line = "umask 022; "
    for key in sorted(env or {}):
        if not ENV_NAME.fullmatch(key):
            raise ConfigurationError(f"bad environment variable name {key!r}",
                                     "use letters, digits and _ only")
    if env:
        line += "export " + " ".join(f"{k}={q(v)}" for k, v in sorted(env.items())) + "; "
    if cwd:
        line += f"cd {q(cwd)} && "
    return line + command
