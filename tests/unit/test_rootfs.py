"""What a failed or stopped box script leaves (builder/images/rootfs.py), with real mounts and
real process groups: the host's files behind a mount left in a root file system survive its
removal; stopping a script waits for its children's traps."""

import os
import subprocess
import time

import pytest

from builder.images import rootfs

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")


@root_only
def test_remove_unmounts_what_a_killed_chroot_left_and_keeps_the_host_files(tmp_path):
    host = tmp_path / "host"  # stands for the host's /proc or /sys, bind-mounted into the chroot
    host.mkdir()
    (host / "precious").write_text("the host's")
    tree = tmp_path / "out" / "rootfs"
    (tree / "proc").mkdir(parents=True)
    (tree / "etc").mkdir()
    (tree / "etc" / "hostname").write_text("guest")
    subprocess.run(["mount", "--bind", str(host), str(tree / "proc")], check=True)
    try:
        rootfs.remove(tree)
    finally:
        subprocess.run(["umount", str(tree / "proc")], capture_output=True)
    assert not tree.exists()
    assert (host / "precious").read_text() == "the host's"
    assert str(tree) not in open("/proc/mounts").read()


def test_remove_of_nothing_is_nothing(tmp_path):
    rootfs.remove(tmp_path / "absent")
    assert list(tmp_path.iterdir()) == []


def test_stop_group_waits_for_the_traps_of_the_whole_group(tmp_path):
    """A script whose child cleans up on SIGTERM (run-in-chroot.sh's umount): stop_group returns
    only once that clean-up is done, though the script itself exits at once."""
    done = tmp_path / "cleaned"
    child = f'trap "sleep 1; touch {done}; exit 0" TERM; while :; do sleep 0.1; done'
    proc = subprocess.Popen(["sh", "-c", f"sh -c '{child}' & wait"], start_new_session=True)
    time.sleep(0.5)
    start = time.monotonic()
    rootfs.stop_group(proc)
    assert done.exists()
    assert time.monotonic() - start < 10  # done when the group is, not at the grace's end
