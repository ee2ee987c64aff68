"""cibuildwheel-style selectors: space-separated fnmatch patterns with {a,b} alternatives."""

import fnmatch
import re

from ..errors import ConfigurationError


def expand_braces(pattern):
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    head, tail = pattern[:m.start()], pattern[m.end():]
    return [x for alt in m.group(1).split(",") for x in expand_braces(head + alt + tail)]


def check_selectors(text, where):
    for word in text.split():
        if not re.fullmatch(r"[A-Za-z0-9_*?\[\]{},.-]+", word) or word.count("{") != \
                word.count("}"):
            raise ConfigurationError(f"bad selector {word!r} in {where}",
                                     "use patterns like cp311-manylinux_x86_64 or "
                                     "*-manylinux_i686")


def matches(selectors, identifier):
    return any(fnmatch.fnmatchcase(identifier, pat)
               for word in selectors.split() for pat in expand_braces(word))
