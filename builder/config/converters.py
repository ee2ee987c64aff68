"""One converter per kind of option value: (raw value, where it came from) -> typed value.

Raw values are strings (command line, environment, setup.cfg) or TOML types (pyproject.toml).
A converter raises BadValue saying what would be accepted; bool is not a number, a table is
not a list, and numbers have ranges.
"""

import re
import shlex

from ..errors import ConfigurationError
from ..model.arch import BUILDABLE, POLICY_ALIASES
from .selectors import check_selectors

TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class BadValue(ValueError):
    """Raised by a converter; `allowed` says what would be accepted."""

    def __init__(self, allowed):
        super().__init__(allowed)
        self.allowed = allowed


def to_bool(value, where):
    if isinstance(value, bool):
        return value
    if str(value).lower() in TRUE | FALSE:
        return str(value).lower() in TRUE
    raise BadValue("true or false")


def int_in(low, high, zero="the machine's"):
    """A whole number in [low, high], or 0 (which means `zero`); bool is not a number."""
    allowed = f"0 ({zero}) or a whole number from {low} to {high}"

    def convert(value, where):
        if isinstance(value, bool) or isinstance(value, float):
            raise BadValue(allowed)
        try:
            n = int(str(value).strip())
        except ValueError:
            raise BadValue(allowed) from None
        if n != 0 and not low <= n <= high:
            raise BadValue(allowed)
        return n
    return convert


SIZE = re.compile(r"(\d+)\s*([KMG]?)(I?B)?", re.IGNORECASE)


def to_size(value, where):
    """A size in bytes: a whole number, or with K, M or G (powers of 1024: 10M, 512K, 1GiB, 2 MB);
    0 means no limit."""
    allowed = "0 (no cap) or a size of at least 1K: bytes, or with K, M or G (10M)"
    m = None if isinstance(value, (bool, float)) else SIZE.fullmatch(str(value).strip())
    if not m:
        raise BadValue(allowed)
    n = int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]
    if 0 < n < 1024:
        raise BadValue(allowed)
    return n


def to_list(value, where):
    if isinstance(value, (dict, bool, int, float)):
        raise BadValue("a list of words (a TOML array or a space-separated string)")
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    if not all(isinstance(i, str) for i in items):
        raise BadValue("a list of strings")
    return list(items)


def to_str(value, where):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " && ".join(value)  # TOML arrays of commands join with &&
    if not isinstance(value, str):
        raise BadValue("a string")
    return value


def to_env(value, where):
    """'A=1 B="x y"' -> {'A': '1', 'B': 'x y'}; a TOML table of strings works too."""
    if isinstance(value, dict):
        items = list(value.items())
    else:
        try:
            items = [i.partition("=")[::2] if "=" in i else (i, None)
                     for i in shlex.split(to_str(value, where))]
        except ValueError:
            raise BadValue("NAME=value pairs (quotes balanced)") from None
    env = {}
    for key, val in items:
        if val is None or not isinstance(val, (str, int, float)) or isinstance(val, bool) \
                or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)):
            raise ConfigurationError(f"bad environment entry {key!r} in {where}",
                                     "write NAME=value pairs (names: letters, digits, _)")
        env[str(key)] = str(val)
    return env


def to_output_dir(value, where):
    value = to_str(value, where)
    if not value.strip() or value.strip().rstrip("/") == "":
        raise BadValue("a directory other than / (empty is not allowed)")
    return value


def one_of(*choices):
    def convert(value, where):
        value = to_str(value, where)
        if value not in choices:
            raise BadValue(" or ".join(c for c in choices if c))
        return value
    return convert


def to_archs(value, where):
    items = to_list(value, where)
    if not set(items) <= {a.value for a in BUILDABLE}:
        raise BadValue(", ".join(a.value for a in BUILDABLE[:-1]) + " and/or " +
                       BUILDABLE[-1].value)
    return items


def to_targets(value, where):
    items = [POLICY_ALIASES.get(t, t) for t in to_list(value, where)]
    if not all(re.fullmatch(r"(many|musl)linux_\d+_\d+", t) for t in items):
        raise BadValue("policies like manylinux2014 or manylinux_2_31")
    return items


def to_selectors(value, where):
    value = to_str(value, where)
    check_selectors(value, where)
    return value


HOST_NAME = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9.-]{0,252}(:\d{1,5})?")


def to_hosts(value, where):
    """Host names, each NAME or NAME:PORT (no IP addresses: the host resolves names)."""
    items = to_list(value, where)
    for item in items:
        m = HOST_NAME.fullmatch(item)
        if not m or not 0 < int((m.group(1) or ":80")[1:]) < 65536:
            raise BadValue("host names, each NAME or NAME:PORT (no IP addresses)")
    return items
