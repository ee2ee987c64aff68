"""What a box build takes from the host besides provision/: Vagrant's insecure public key, the
tool wheels pinned in provision/tools.txt, and (for a public box) the staged provision tree."""

import glob
import shutil
import subprocess
import sys

from ..errors import HostNotReady
from ..paths import PROVISION_DIR, cache_dir
from . import cpython_sources

PUBKEY_GLOBS = [
    "/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub",
    "/opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub",
    "/opt/vagrant/embedded/gems/*/gems/vagrant-*/keys/vagrant.pub",
]


def vagrant_pubkey():
    for pattern in PUBKEY_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    raise HostNotReady("Vagrant's insecure public key was not found",
                       "install Vagrant (`vmwheel host setup`)")


def download_tool_wheels(spec):
    """The wheels pinned in provision/tools.txt, for the guest's Python and arch (x86_64 for
    the aarch64 cross machine)."""
    py = spec.distro_python or ".".join(spec.cpythons[0].split(".")[:2])
    dest = cache_dir() / "wheels" / f"cp{py.replace('.', '')}-{spec.guest_arch}"
    stamp = dest / ".tools.txt"
    pins = (PROVISION_DIR / "tools.txt").read_text()
    if stamp.exists() and stamp.read_text() == pins:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
           "--platform", spec.guest_arch.pip_platform, "--python-version", py,
           "--implementation", "cp", "-d", str(dest), "-r", str(PROVISION_DIR / "tools.txt")]
    if subprocess.run(cmd).returncode != 0:
        raise HostNotReady("could not download the tool wheels pinned in provision/tools.txt",
                           "check that pip reaches its index (pip config list)")
    stamp.write_text(pins)
    return dest


def stage_public(spec):
    """What Vagrant's provisioners upload into a public box: provision/, tool wheels, sources."""
    stage = cache_dir() / "stage" / spec.name
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(PROVISION_DIR, stage)
    shutil.copytree(download_tool_wheels(spec), stage / "wheels")
    (stage / "sources").mkdir()
    for version in spec.cpythons:
        src = cpython_sources.fetch(version, cache_dir() / "sources")
        shutil.copy(src, stage / "sources" / src.name)
    return stage
