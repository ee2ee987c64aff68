"""How vmwheel calls Vagrant: our own VAGRANT_HOME, no outside look-ups, python-vagrant."""

import os
import shutil
import subprocess

import vagrant

from ..errors import HostNotReady
from ..paths import DATA_ROOT, MACHINES_JSON, VAGRANTFILE, cache_dir, vagrant_home


def dotfile_dir(machine, slot=0):
    """Vagrant's state of one instance of a machine: slot 0, or a second run's slot 1, ..."""
    return cache_dir() / "vagrant" / (machine if slot == 0 else f"{machine}@{slot}")


def env(machine=None, runtime=None, slot=0):
    e = dict(os.environ)
    e.update({
        "VAGRANT_HOME": str(vagrant_home()),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "VAGRANT_BOX_UPDATE_CHECK_DISABLE": "1",
        "VAGRANT_DEFAULT_PROVIDER": "libvirt",
        "VAGRANT_VAGRANTFILE": str(VAGRANTFILE),
        "VAGRANT_CWD": str(DATA_ROOT),
        "VMWHEEL_MACHINES": str(MACHINES_JSON),
    })
    if machine:
        e["VAGRANT_DOTFILE_PATH"] = str(dotfile_dir(machine, slot))
    if runtime:
        e["VMWHEEL_RUNTIME"] = str(runtime)
    return e


def require_vagrant():
    if not shutil.which("vagrant"):
        raise HostNotReady("vagrant is not installed", "run `vmwheel host setup`")
    if not VAGRANTFILE.exists():
        raise HostNotReady(f"no Vagrantfile at {VAGRANTFILE}: this vmwheel installation is "
                           "incomplete", "reinstall vmwheel from its source tree (`pip install .`)")


def client(machine=None, runtime=None, log_path=None, slot=0):
    """A python-vagrant client; Vagrant's output goes to `log_path` when given."""
    require_vagrant()
    kwargs = {}
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["out_cm"] = kwargs["err_cm"] = vagrant.make_file_cm(str(log_path))
    return vagrant.Vagrant(root=str(DATA_ROOT), env=env(machine, runtime, slot),
                           quiet_stdout=False, quiet_stderr=False, **kwargs)


def box_names():
    if not shutil.which("vagrant"):
        return set()
    return {b.name for b in client().box_list()}


def box_add(name, path):
    res = subprocess.run(["vagrant", "box", "add", "--force", "--name", name, str(path)],
                         env=env(), capture_output=True, text=True)
    if res.returncode != 0:
        raise HostNotReady(f"`vagrant box add {name}` failed: {res.stderr.strip()[-300:]}",
                           "check the Vagrant installation (`vmwheel host setup`)")


def runtime_file(machine, slot=0):
    return dotfile_dir(machine, slot) / "vmwheel-runtime.json"


def slots(machine):
    """The slots of a machine that have Vagrant state."""
    found = [0] if dotfile_dir(machine).exists() else []
    return found + sorted(int(p.name.rsplit("@", 1)[1]) for p in
                          (cache_dir() / "vagrant").glob(f"{machine}@*")
                          if p.name.rsplit("@", 1)[1].isdigit())


def destroy(machine, slot=0):
    """`vagrant destroy`; its CompletedProcess (it fails when libvirtd does not answer)."""
    rt = runtime_file(machine, slot)
    return subprocess.run(["vagrant", "destroy", "-f", machine],
                          env=env(machine, rt if rt.exists() else None, slot),
                          capture_output=True)


def failure_reason(text, limit=300):
    """Vagrant's own reason in the output of a failed command, in one line: the first sentence
    of what it printed after its last `==>` progress line, and its `Error:` line if any (e.g.
    "Volume for domain is already created. Please run 'vagrant destroy' first.")."""
    lines = [line.rstrip() for line in text.splitlines()]
    last = max((i for i, line in enumerate(lines) if line.startswith("==>")), default=-1)
    tail = [line for line in lines[last + 1:]
            if line.strip() and not line.startswith(("    ", "==>", "Bringing machine"))]
    if not tail:
        return ""
    error = next((line.strip() for line in tail if line.startswith("Error")), "")
    paragraph = " ".join(line.strip() for line in tail[:6] if not line.startswith("Error"))
    sentence = paragraph.split(". ")[0].rstrip(".") + "." if paragraph else ""
    reason = " ".join(part for part in (sentence, error) if part)
    return reason if len(reason) <= limit else reason[:limit - 3] + "..."
