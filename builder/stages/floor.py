"""What the floor proof's failure means: the loader's message turned into one line."""

import re


def floor_failure(output, glibc):
    """The one line that says why a wheel did not load under the floor's loader, or ""."""
    m = re.search(r"undefined symbol: (\w+)", output)
    if m:
        return f"floor proof: {m.group(1)} is not in glibc {glibc} (undefined symbol)"
    m = re.search(r"version `(\w+_[\d.]+)' not found", output)
    if m:
        return f"floor proof: needs {m.group(1)}, newer than glibc {glibc}"
    return ""
