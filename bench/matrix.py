"""The default matrix three ways, in one run: the bare host's serial loop, the VM from a cold
boot, the VM restored from its saved state.

    python bench/matrix.py [--requirement msgpack==1.1.2] [--machine manylinux2014-x86_64]

Host: for each interpreter of the machine that pyenv also has, `pip wheel --no-deps` (build
isolation) and `auditwheel repair`, one after another; the VM builds those same interpreters
(with its test and floor-proof stages, which the host loop does not have). VM, cold: the machine's saved state is
discarded first, so `vmwheel build` boots with Vagrant (and saves the state again). VM,
restored: the same build again. Prints what each took, the ratios, and for each VM run its
parallel gain (the builds' wall time over the sum of the interpreters' stage times). The box
must be built. Not a test.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.vm_overhead import timed  # noqa: E402
from builder.model.machine import get as get_machine  # noqa: E402
from builder.paths import saved_state_dir  # noqa: E402
from tests.support.hostpython import host_python  # noqa: E402

BIN = Path(sys.executable).parent


def host_loop(req, versions, tmp):
    """Seconds for the serial loop over `versions` that pyenv has, and those versions."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--no-binary=:all:", "-d", str(tmp / "sdist"), req], check=True)
    sdist = next((tmp / "sdist").iterdir())
    total, used = 0.0, []
    for version in versions:
        python = host_python(version)
        if python is None:
            continue
        venv, dist = tmp / f"venv{version}", tmp / f"dist{version}"
        subprocess.run([str(python / "bin" / "python"), "-m", "venv", str(venv)], check=True)
        total += timed([venv / "bin" / "python", "-m", "pip", "wheel", "-q", "--no-deps",
                        "-w", dist, sdist], cwd=tmp)
        total += timed([BIN / "auditwheel", "repair", "-w", tmp / "repaired",
                        next(dist.glob("*.whl"))])
        used.append(version)
    return total, used


def vm_run(req, machine, out, versions):
    """(wall seconds, report durations without the machine suffix, sum of stage times) of
    the build of the interpreters `versions` ("3.11", ...) in the VM."""
    select = " ".join(f"cp{v.replace('.', '')}-*" for v in versions)
    t0 = time.monotonic()
    subprocess.run([str(BIN / "vmwheel"), "build", req, "--machine", machine, "--output-dir",
                    str(out), "--build", select, "-o", "resume=false"], check=True)
    wall = time.monotonic() - t0
    report = json.loads((out / "report.json").read_text())
    durations = {k.replace(f" {machine}", ""): v for k, v in report["durations"].items()}
    stages = sum(sum(e["durations"].values()) for e in report["interpreters"]
                 if e["status"] == "built")
    return wall, durations, stages


def describe(name, wall, d, stages):
    ready = "boot" if "boot" in d else "restore"
    print(f"{name}: wall {wall:.1f} s; VM ready ({ready}) {d.get(ready, 0):.1f} s"
          + (f" + save {d['save']:.1f} s" if "save" in d else "")
          + f"; builds {d.get('builds', 0):.1f} s for {stages:.1f} s of interpreter stages "
          f"(x{d.get('builds', 0) / stages:.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirement", default="msgpack==1.1.2")
    ap.add_argument("--machine", default=get_machine().name)
    args = ap.parse_args()
    spec = get_machine(args.machine)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        host, used = host_loop(args.requirement, spec.python_versions(), tmp)
        shutil.rmtree(saved_state_dir(spec.name), ignore_errors=True)
        cold = vm_run(args.requirement, spec.name, tmp / "cold", used)
        warm = vm_run(args.requirement, spec.name, tmp / "warm", used)
    print(f"\n{args.requirement} on {spec.name}")
    print(f"host serial loop ({', '.join(used)}): {host:.1f} s")
    describe("vm from a cold boot", *cold)
    describe("vm from a restore  ", *warm)
    print(f"ratios: restored/host {warm[0] / host:.1f}x, cold/host {cold[0] / host:.1f}x, "
          f"restore/boot {warm[1]['restore'] / cold[1]['boot']:.2f}")


if __name__ == "__main__":
    main()
