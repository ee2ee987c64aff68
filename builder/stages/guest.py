"""Fixed places and small scripts in the guest, and what a build host says about itself."""

from pathlib import PurePosixPath

from ..transport.shell import q

GUEST_ROOT = PurePosixPath("/tmp/vmwheel")
GUEST_CA = GUEST_ROOT / "ca-bundle.pem"


def guest_ca(root=GUEST_ROOT):
    """Where the host's CA bundle goes in a build host's run dir `root`."""
    return PurePosixPath(root) / "ca-bundle.pem"

# Runs in the guest's test venv: import every top-level module the wheel installs.
IMPORT_TEST = r"""
import importlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
tops = set()
for n in z.namelist():
    if n.endswith('.dist-info/top_level.txt'):
        tops |= {l.strip() for l in z.read(n).decode().splitlines() if l.strip()}
if not tops:
    for n in z.namelist():
        first = n.split('/')[0]
        if first.endswith(('.dist-info', '.data', '.libs')):
            continue
        tops.add(first if '/' in n else first.split('.')[0])
for t in sorted(tops):
    importlib.import_module(t.replace('/', '.'))
    print('imported', t)
"""


def list_interpreters(remote, python_root="/opt/python"):
    """[(tag, "X.Y")] for every interpreter under `python_root`, sorted by tag."""
    root = q(python_root)
    out = remote.check(
        f'for d in {root}/*/; do [ -x "$d/bin/python" ] || continue; '
        f'printf "%s %s\\n" "$(basename "$d")" '
        f'"$("$d/bin/python" -c "import sys; print(\'%d.%d\' % sys.version_info[:2])")"; done')
    pairs = [tuple(line.split()) for line in out.splitlines() if len(line.split()) == 2]
    return sorted(pairs)
