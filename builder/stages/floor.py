"""What the floor proof's failure means: the loader's message turned into one line."""

import re


def floor_failure(output, version, libc="glibc"):
    """The one line that says why a wheel did not load under the floor's loader, or ""."""
    m = re.search(r"undefined symbol: (\w+)", output)
    if m:
        return f"floor proof: {m.group(1)} is not in {libc} {version} (undefined symbol)"
    m = re.search(r"version `(\w+_[\d.]+)' not found", output)
    if m:
        return f"floor proof: needs {m.group(1)}, newer than {libc} {version}"
    m = re.search(r"Error relocating [^:]+: (\w+): symbol not found", output)  # musl's loader
    if m:
        return f"floor proof: {m.group(1)} is not in {libc} {version} (symbol not found)"
    m = re.search(r"Error loading shared library ([^:\s]+): No such file", output)
    if m:
        return f"floor proof: {m.group(1)} is not there under {libc} {version}'s loader"
    return ""
