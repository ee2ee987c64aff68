"""The aarch64 matrix built both ways, in one run: cross-compiled on the x86_64 cross machine
(build-on = cross) and compiled inside the aarch64 guest under TCG (build-on = emulated).

    python bench/emulated.py [--requirement msgpack==1.1.2] [--build "cp311-* cp313-*"]

Both runs build the same sdist for the same interpreters of manylinux2014-aarch64, repair
with the cross machine's auditwheel and test in the aarch64 guest (so those stages cost the
same both ways); neither reuses the other's wheels (resume=false). Prints, per run, the wall
time, the time its VMs took to start (a first boot is much longer than a restore), and the sum
of the interpreters' compile stages (`build`: pip wheel, with build isolation when emulated; a
cross build installs its requirements in `build-reqs` first, counted with it); and the ratios
cross/emulated of the compile and of the wall time less the VMs' start. On a host without KVM
the cross machine is under TCG too: then both compiles are emulated, and the ratio is what an
x86_64 guest gains over an aarch64 one under TCG. Both boxes must be built (`vmwheel box build
--machine manylinux2014-aarch64`). Not a test.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def build(req, select, build_on, out):
    """(wall seconds, seconds its VMs took to start (boot, save, restore), sum of the built
    interpreters' `build-reqs` and `build` stages, their tags)."""
    t0 = time.monotonic()
    subprocess.run([str(BIN / "vmwheel"), "build", req, "--archs", "aarch64", "--build-on",
                    build_on, "--build", select, "--output-dir", str(out),
                    "-o", "resume=false"], check=True)
    wall = time.monotonic() - t0
    report = json.loads((out / "report.json").read_text())
    ready = sum(v for k, v in report["durations"].items()
                if k.split()[0] in ("boot", "save", "restore"))
    built = [e for e in report["interpreters"] if e["status"] == "built"]
    compiled = sum(e["durations"]["build"] + e["durations"].get("build-reqs", 0) for e in built)
    return (wall, ready, compiled,
            sorted(e["tag"] for e in built))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirement", default="msgpack==1.1.2")
    ap.add_argument("--build", default="cp311-* cp313-*", help="the identifiers built")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cross = build(args.requirement, args.build, "cross", Path(d) / "cross")
        emulated = build(args.requirement, args.build, "emulated", Path(d) / "emulated")
    if cross[3] != emulated[3] or not cross[3]:
        sys.exit(f"the runs built different interpreters: {cross[3]} and {emulated[3]}")
    print(f"\n{args.requirement} for aarch64 ({', '.join(cross[3])})")
    for name, (wall, ready, compiled, _) in (("cross   ", cross), ("emulated", emulated)):
        print(f"build-on {name}: wall {wall:.1f} s (VMs starting {ready:.1f} s), compile "
              f"stages {compiled:.1f} s")
    print(f"ratios cross/emulated: compile {cross[2] / emulated[2]:.2f}x, wall without the "
          f"VMs' start {(cross[0] - cross[1]) / (emulated[0] - emulated[1]):.2f}x")


if __name__ == "__main__":
    main()
