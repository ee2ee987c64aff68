"""The same matrix on a farm of one worker, then of two, in one run.

    python bench/farm.py [--requirement msgpack==1.1.2] [--machine M] [--ssh]

A `dask scheduler` on 127.0.0.1 and `vmwheel worker`s on this host: by default each worker
boots its own VM of the machine's box (the box must be built); with --ssh each builds over
its own SSH test host (Debian's sshd on 127.0.0.1, the host's pyenv CPythons: native speed,
no VM). The build is `vmwheel build REQ --scheduler ... --no-resume`, the interpreters the
machine and (with --ssh) pyenv both have. Prints each run's wall time, its jobs (worker,
interpreters, time waited) and the two-worker speed-up. Not a test.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.model.machine import get as get_machine  # noqa: E402
from tests.support.farm import BIN, Farm  # noqa: E402
from tests.support.hostpython import host_python  # noqa: E402
from tests.support.sshhost import SSHHost  # noqa: E402


def build(farm, req, versions, out, ssh):
    select = " ".join(f"cp{v.replace('.', '')}-*" for v in versions)
    cmd = [str(BIN / "vmwheel"), "build", req, "--scheduler", farm.address, "--output-dir",
           str(out), "--build", select, "--no-resume"]
    if ssh:
        cmd += ["-o", f"environment=AUDITWHEEL_PLAT=manylinux_2_36_x86_64 "
                f"PATH={BIN}:/usr/bin:/bin"]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin",
                   "CI": "true", **({} if ssh else os.environ)})
    wall = time.monotonic() - t0
    report = json.loads((out / "report.json").read_text())
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    ready = {k: v for k, v in report["durations"].items() if k.startswith(("boot", "restore"))}
    return wall, built, ready


def describe(name, wall, built, ready):
    print(f"{name}: wall {wall:.1f} s; " + ("; ".join(f"{k} {v:.1f} s" for k, v in ready.items())
                                            or "no VM"))
    for e in sorted(built, key=lambda e: (e["worker"], e["tag"])):
        print(f"  {e['tag']:<14} on {e['worker']}: waited {e['waited']:.1f} s, stages "
              f"{sum(e['durations'].values()):.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirement", default="msgpack==1.1.2")
    ap.add_argument("--machine", default=get_machine().name)
    ap.add_argument("--ssh", action="store_true", help="workers build over SSH test hosts")
    args = ap.parse_args()
    versions = [v for v in get_machine(args.machine).python_versions()
                if not v.endswith("t") and (not args.ssh or host_python(v))]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        farm, hosts = Farm(tmp).start(), []
        try:
            tree = tmp / "opt-python"
            tree.mkdir()
            for v in versions:
                tag = "cp" + v.replace(".", "")
                if args.ssh:
                    (tree / f"{tag}-{tag}").symlink_to(host_python(v))

            def add(name):
                if args.ssh:
                    hosts.append(SSHHost(tmp / f"sshd-{name}").start())
                    farm.add_worker(name, hosts[-1], tree, args.machine)
                else:
                    farm.add_vm_worker(name, args.machine)

            add("w1")
            one = build(farm, args.requirement, versions, tmp / "one", args.ssh)
            add("w2")
            two = build(farm, args.requirement, versions, tmp / "two", args.ssh)
        finally:
            farm.stop()
            for h in hosts:
                h.stop()
            for name in farm.workers:
                subprocess.run(["rm", "-rf", farm.guest_dir(name)])
    how = "SSH test hosts" if args.ssh else "VMs"
    print(f"\n{args.requirement} on {args.machine} ({', '.join(versions)}), workers on {how}")
    describe("one worker ", *one)
    describe("two workers", *two)
    print(f"two workers / one: {two[0] / one[0]:.2f} of the wall time")


if __name__ == "__main__":
    main()
