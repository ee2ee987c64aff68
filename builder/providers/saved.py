"""Saved VM state: a box's first clean boot, resumed in seconds instead of booted again.

After a cold boot (sshd up, nothing built) the domain is saved once per (box, libvirt driver,
memory, CPUs, restricted network or not: README, Guest network) and instance of the machine
(a domain of its own: a second run at once uses instance 2), each such state in its own
directory (the states of a machine's newest KEEP keys are kept, so a run with other --cpus or
--memory never costs the usual one). `virsh save` writes
its memory and device state, the domain's disk (a qcow2 overlay over the box's pool volume) is
copied beside it, and the domain is restored at once so that build goes on; the host key it then
presents and Vagrant's SSH key for it are kept with the state. A later run creates a fresh qcow2
overlay over that disk copy and `virsh restore`s the state with that overlay where the domain's
disk was (and SSH on the saved port when it is free): the guest resumes where it stood right
after boot, with nothing of earlier builds in it, and the overlay is deleted after the run.
Every file is checked against the sha256 recorded at save.
"""

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..digest import sha256_of
from ..errors import BuildHostError
from ..host import prepare
from ..images import boxes
from ..paths import VAGRANTFILE, saved_state_dir
from ..transport.remote import Remote

FILES = ("state.sav", "disk.qcow2", "known_hosts", "ssh_key")
KEEP = 2  # saved states per machine (a state is about its memory size plus the disk's delta)


def state_key(spec, driver, restricted=True):
    """What a saved state is valid for: the box's content key, the driver, memory and CPUs,
    the Vagrantfile that defined the domain (its CPU model, devices: a restored VM keeps those
    it was saved with), and whether its network is restricted (likewise its netdev: guest-network
    full must never restore a restricted one, nor the other modes a full one)."""
    what = [boxes.box_key(spec), driver, spec.memory, spec.cpus,
            sha256_of(VAGRANTFILE)[:16]]
    text = json.dumps(what + ["restrict=on"] if restricted else what)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _virsh(*args):
    res = prepare.virsh(*args, check=False)
    if res.returncode != 0:
        raise BuildHostError(f"`virsh {args[0]}` failed: {res.stderr.strip()[-200:]}",
                             "the build boots the VM instead; `vmwheel doctor` checks libvirt")
    return res.stdout


def disk_of(xml):
    """The domain's first disk file, from its XML."""
    m = re.search(r"<disk type='file' device='disk'>.*?<source file='([^']+)'", xml, re.S)
    if not m:
        raise BuildHostError("the VM has no file-backed disk to save",
                             "the build boots the VM instead")
    return m.group(1)


def repinned(known_hosts, port):
    """The pinned host keys for the restored VM: entries name the forwarded port
    ([127.0.0.1]:PORT), which is new for every restore."""
    return re.sub(r"(?m)^\[127\.0\.0\.1\]:\d+ ", f"[127.0.0.1]:{port} ", known_hosts)


@dataclass
class Saved:
    """The saved state of one machine, valid or not."""

    dir: Path
    key: str

    @classmethod
    def of(cls, spec, driver, slot=0, restricted=True):
        """The state of instance `slot` of the machine (0: its usual one)."""
        key = state_key(spec, driver, restricted)
        return cls(saved_state_dir(spec.name) / (key if slot == 0 else f"{key}-{slot + 1}"), key)

    def check(self):
        """(meta, "") when the state can be restored, else (None, why not)."""
        meta_file = self.dir / "meta.json"
        if not meta_file.exists():
            return None, "no saved state yet"
        try:
            meta = json.loads(meta_file.read_text())
            if meta.get("key") != self.key or not {"disk", "port", "user"} <= set(meta):
                return None, "is not the state of this box, driver, memory and CPU count"
            for name in FILES:
                if sha256_of(self.dir / name) != meta["sha256"][name]:
                    return None, f"is damaged ({name} differs from when it was saved)"
        except (OSError, ValueError, KeyError) as exc:
            return None, f"is unreadable ({exc.__class__.__name__})"
        return meta, ""

    def recorded(self):
        """A state saved for this key exists (not checked byte by byte: see `check`)."""
        try:
            return json.loads((self.dir / "meta.json").read_text()).get("key") == self.key
        except (OSError, ValueError):
            return False

    def discard(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self._new, ignore_errors=True)

    @property
    def _new(self):
        return self.dir.with_name(self.dir.name + ".new")

    def capture(self, domain):
        """Save the running domain and its disk, then restore it so its build goes on.
        Returns the disk path; `commit` completes the state once SSH has answered."""
        shutil.rmtree(self._new, ignore_errors=True)
        self._new.mkdir(parents=True)
        disk = disk_of(_virsh("dumpxml", domain))
        _virsh("save", domain, str(self._new / "state.sav"))
        try:
            subprocess.run(["cp", "--sparse=always", disk, str(self._new / "disk.qcow2")],
                           check=True, capture_output=True)
        finally:
            _virsh("restore", str(self._new / "state.sav"))
        return disk

    def commit(self, disk, port, user, key_file, known_hosts):
        """Record the SSH identity next to the state, hash everything, and make it current."""
        shutil.copyfile(key_file, self._new / "ssh_key")
        (self._new / "ssh_key").chmod(0o600)
        shutil.copyfile(known_hosts, self._new / "known_hosts")
        meta = {"key": self.key, "disk": disk, "port": port, "user": user,
                "sha256": {name: sha256_of(self._new / name) for name in FILES}}
        (self._new / "meta.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(self.dir, ignore_errors=True)
        self._new.rename(self.dir)
        self._keep_newest()

    def _keep_newest(self):
        """Remove the states (every instance's) of the machine's keys older than its newest
        KEEP, and the files of the earlier layout's single state, which lay in the machine's
        directory itself."""
        states, newest = [], {}  # [(dir, key)], key -> its newest commit
        for d in self.dir.parent.iterdir():
            if d.is_file():
                d.unlink()
            elif (d / "meta.json").exists() and not d.name.endswith(".new"):
                key = d.name.split("-")[0]
                states.append((d, key))
                newest[key] = max(newest.get(key, 0), (d / "meta.json").stat().st_mtime)
        kept = sorted(newest, key=newest.get, reverse=True)[:KEEP]
        for d, key in states:
            if key not in kept:
                shutil.rmtree(d, ignore_errors=True)

    def restore(self, meta, port):
        """Resume the saved state with a fresh overlay over the saved disk, at the path the
        domain's disk had (no Vagrant VM of the machine exists while its lock is held). With
        the saved SSH port, the state restores as saved; another port needs the domain's XML
        changed (`--xml`)."""
        overlay = Path(meta["disk"])
        overlay.unlink(missing_ok=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        str(self.dir / "disk.qcow2"), str(overlay)], check=True,
                       capture_output=True)
        if port == meta["port"]:
            _virsh("restore", str(self.dir / "state.sav"))
            return
        xml = _virsh("save-image-dumpxml", str(self.dir / "state.sav"))
        xml = re.sub(r"hostfwd=tcp:127\.0\.0\.1:\d+-:22", f"hostfwd=tcp:127.0.0.1:{port}-:22",
                     xml)
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(xml)
            f.flush()
            _virsh("restore", str(self.dir / "state.sav"), "--xml", f.name)

    def resume(self, meta, port, known_hosts):
        """`restore`, then a Remote to it: the host key pinned at save, the guest clock (which
        stood still while saved) set to this host's."""
        self.restore(meta, port)
        known_hosts.write_text(repinned((self.dir / "known_hosts").read_text(), port))
        remote = Remote(host="127.0.0.1", port=port, user=meta["user"],
                        key_filename=str(self.dir / "ssh_key"), known_hosts=known_hosts,
                        learn_host_key=False)
        remote.check(f"sudo -n date -s @{int(time.time())} >/dev/null")
        return remote
