"""The tasks behind both front ends (`vmwheel ...` and `fab ...`)."""

import shutil
import tempfile
import time
from pathlib import Path

from . import boxes, guest_env, hostsetup, machines, report, source, vagrantcli
from .errors import VmwheelError
from .paths import cache_dir
from .remote_build import Builder, Result, list_interpreters
from .wheelhouse import Wheelhouse


def say(msg):
    print(f"vmwheel: {msg}", flush=True)


def host_setup():
    """Install and start what VM builds need on this host (idempotent)."""
    hostsetup.setup()


def box_build(machine=None, force=False):
    """Build the machine's local box offline (debootstrap + provision/ in a chroot)."""
    name, spec = machines.get(machine)
    hostsetup.check_ready()
    boxes.build(name, spec, force=force)


def vm_destroy(machine=None):
    """Destroy a VM kept with --keep-vm."""
    name, _ = machines.get(machine)
    vagrantcli.destroy(name)
    say(f"{name}: destroyed")


def build(spec, machine=None, output_dir="wheelhouse", keep_vm=False, driver=None):
    """Build repaired wheels of `spec` for every interpreter of the machine; return exit code."""
    name, mspec = machines.get(machine)
    plat = f"{mspec['policy']}_{mspec['arch']}"
    timings = {}
    work = Path(tempfile.mkdtemp(prefix="resolve-", dir=_mkdir(cache_dir() / "work")))
    try:
        t0 = time.monotonic()
        pythons = machines.python_versions(mspec)
        src = source.resolve(spec, [p.rstrip("t") for p in pythons], work)
        timings["resolve"] = time.monotonic() - t0
        say(f"building {src.name} {src.version} ({src.note})")
        if not any(src.admits(p) for p in pythons):
            results = [Result(tag=_tag(p), python=p, status="skipped",
                              reason=f"Requires-Python {src.requires_python} excludes "
                                     f"Python {p}") for p in pythons]
            return _finish(src, name, mspec, plat, results, timings, output_dir)
        return _build_in_vm(src, name, mspec, plat, output_dir, keep_vm, driver, timings)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build_in_vm(src, name, mspec, plat, output_dir, keep_vm, driver, timings):
    out = Wheelhouse(output_dir)
    log_dir = out.path / "logs" / name
    vm = machines.VagrantVM(name, mspec, log_dir, keep=keep_vm, driver=driver)
    results = []
    guest = None
    try:
        guest = vm.up()
        timings.update(vm.timings)
        conf = guest_env.pip_config()
        ca = guest_env.ca_bundle(conf)
        env = guest_env.pip_env(f"/tmp/vmwheel/{guest_env.GUEST_CA}" if ca else None, conf)
        builder = Builder(guest, src, out, plat, log_dir, env, progress=say)
        t0 = time.monotonic()
        builder.upload(ca)
        timings["upload"] = time.monotonic() - t0
        for tag, python in list_interpreters(guest):
            results.append(builder.build_one(tag, python))
    finally:
        if guest:
            guest.close()
        t0 = time.monotonic()
        vm.finish()
        timings["destroy" if not keep_vm else "keep"] = time.monotonic() - t0
        if results or out.path.exists():
            _write(out, src, name, mspec, plat, results, timings)
    return _exit_code(results, out.path)


def _finish(src, name, mspec, plat, results, timings, output_dir):
    out = Wheelhouse(output_dir)
    _write(out, src, name, mspec, plat, results, timings)
    return _exit_code(results, out.path)


def _write(out, src, name, mspec, plat, results, timings):
    out.write_sums()
    out.write_report(report.make_report(src, name, mspec, plat, results, timings))


def _exit_code(results, out_path):
    report.print_summary(results, out_path)
    if any(r.status == "failed" for r in results):
        failed = ", ".join(r.tag for r in results if r.status == "failed")
        raise VmwheelError(f"build failed for {failed}",
                           f"see the logs under {out_path / 'logs'}; built wheels are kept")
    if not any(r.status == "built" for r in results):
        raise VmwheelError("nothing was built: every interpreter was skipped",
                           "see the reasons above; pin an older release or use another machine",
                           exit_code=3)
    return 0


def _tag(python):
    short = "cp" + python.rstrip("t").replace(".", "")
    return f"{short}-{short}" + ("t" if python.endswith("t") else "")


def _mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    return path
