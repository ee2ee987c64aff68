"""The tasks behind both front ends (`vmwheel ...` and `fab ...`)."""

import os
import shutil
import tempfile
import time
from pathlib import Path

from . import boxes, guest_env, hostsetup, machines, report, resume, source, vagrantcli
from . import verify as verify_mod
from .errors import VmwheelError
from .paths import cache_dir
from .options import Options, identifier, split_platform
from .progress import Progress, choose_mode
from .remote_build import Builder, Result, StageFailed, list_interpreters
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


def config_show(package=None, machine=None, cli=None):
    """Print every option's effective value and where it came from."""
    pyproject = setup_cfg = None
    if package:
        path = Path(package)
        if path.is_dir():
            files = {n: path / n for n in ("pyproject.toml", "setup.cfg")}
            pyproject, setup_cfg = (f.read_text() if f.exists() else None
                                    for f in files.values())
        elif path.is_file():
            pyproject = source.read_member(path, "pyproject.toml")
            setup_cfg = source.read_member(path, "setup.cfg")
        else:
            raise VmwheelError(f"{package} is neither a project directory nor an sdist",
                               "pass a directory or an sdist file")
    opts = Options(cli=cli, pyproject_text=pyproject, setup_cfg_text=setup_cfg)
    width = max(len(n) for n in opts.values)
    for name, value in opts.values.items():
        if isinstance(value, list):
            value = " ".join(value)
        elif isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        print(f"{name:<{width}}  {str(value)!r:<40}  ({opts.origin[name]})")
    names = ", ".join(n for n, _ in select_machines(opts, machine))
    print(f"{'machines':<{width}}  {names!r:<40}  (targets x archs)")
    return 0


def verify(spec, machine=None, cli=None, quiet=False, ssh=None):
    """Build `spec` twice from scratch (two fresh VMs of the same box) and compare the wheels."""
    cli = dict(cli or {})
    base = Path(cli.get("output-dir") or "wheelhouse")
    runs = [base.with_name(base.name + "-verify") / f"run-{i}" for i in (1, 2)]
    with Progress(choose_mode(quiet)) as progress:
        for run_dir in runs:
            shutil.rmtree(run_dir, ignore_errors=True)
            progress.say(f"verify: build into {run_dir}")
            _build(spec, machine, dict(cli, **{"output-dir": str(run_dir), "resume": "false",
                                               "keep-vm": "false"}), progress, ssh)
    rows = verify_mod.compare(*runs)
    same = sum(v.startswith("identical") for _, _, v in rows)
    for ident, wheel, verdict in rows:
        print(f"{ident}  {wheel}\n    {verdict}")
    print(f"vmwheel verify: {same} of {len(rows)} wheels identical in two fresh builds")
    if same != len(rows):
        raise VmwheelError("builds are not reproducible", "see the differing members above; "
                           f"both runs are in {runs[0].parent}")
    return 0


def select_machines(opts, machine=None):
    """[(name, spec)]: the explicit machine, else every machine whose (policy, arch) is in
    targets x archs."""
    if machine:
        return [machines.get(machine)]
    table = machines.load_table()["machines"]
    chosen = [(n, m) for n, m in table.items()
              if m["policy"] in opts["targets"] and m["arch"] in opts["archs"]]
    if not chosen:
        raise VmwheelError(
            f"no machine for targets {' '.join(opts['targets'])} and archs "
            f"{' '.join(opts['archs'])}",
            "see builder/machines.json (`vmwheel config show` prints the options)")
    return chosen


def effective_options(cli, src=None):
    pyproject = setup_cfg = None
    if src is not None:
        pyproject = source.read_member(src.sdist, "pyproject.toml")
        setup_cfg = source.read_member(src.sdist, "setup.cfg")
    return Options(cli=cli, pyproject_text=pyproject, setup_cfg_text=setup_cfg)


def build(spec, machine=None, cli=None, quiet=False, verbose=False, ssh=None):
    """Build repaired wheels of `spec` on every selected machine (or on the plain SSH host
    `ssh`: address, key, known_hosts, python_root); return the exit code."""
    with Progress(choose_mode(quiet), verbose) as progress:
        return _build(spec, machine, dict(cli or {}), progress, ssh)


def _build(spec, machine, cli, progress, ssh=None):
    timings = {}
    work = Path(tempfile.mkdtemp(prefix="resolve-", dir=_mkdir(cache_dir() / "work")))
    try:
        if ssh:
            # A plain host's interpreters are known only once connected; for choosing the
            # release of a bare package name, assume any current CPython may be there.
            pythons = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
        else:
            first = select_machines(effective_options(cli), machine)
            pythons = sorted({p.rstrip("t") for _, m in first
                              for p in machines.python_versions(m)})
        t0 = time.monotonic()
        src = source.resolve(spec, pythons, work)
        timings["resolve"] = time.monotonic() - t0
        progress.say(f"building {src.name} {src.version} ({src.note})")
        opts = effective_options(cli, src)
        out = Wheelhouse(opts["output-dir"])
        earlier = resume.earlier_wheels(out.path, src) if opts["resume"] else {}
        results = []
        described = {}
        try:
            if ssh:
                targets = [machines.SSHTarget(**ssh)]
            else:
                targets = [machines.VagrantVM(n, _sized(m, opts), out.path / "logs" / n,
                                              keep=opts["keep-vm"],
                                              driver=opts["driver"] or None)
                           for n, m in select_machines(opts, machine)]
            for target in targets:
                described[target.name] = target.describe()
                planned = plan(src, opts, target, earlier)
                try:
                    # A plain SSH host says which interpreters it has only once connected.
                    if not planned or any(r.status == "pending" for r in planned):
                        _build_on_target(src, opts, target, planned, out, timings, progress,
                                         described, earlier)
                finally:
                    results += planned  # with what the build host added
        except KeyboardInterrupt:
            for r in results:
                if r.status == "pending":
                    r.status, r.reason = "failed", "interrupted (Ctrl-C); rerun to finish"
            raise
        finally:
            if results:
                _write(out, src, results, timings, described)
        return _exit_code(results, out.path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sized(mspec, opts):
    return dict(mspec, memory=opts["memory"] or mspec["memory"],
                cpus=opts["cpus"] or mspec["cpus"])


def classify(r, src, opts, earlier):
    """Mark a pending Result skipped (Requires-Python, selectors) or kept (earlier run)."""
    if not src.admits(r.python):
        r.status = "skipped"
        r.reason = f"Requires-Python {src.requires_python} excludes Python {r.python}"
    elif not opts.selected(r.identifier):
        r.status = "skipped"
        r.reason = f"{r.identifier} is not selected by build/skip"
    elif r.identifier in earlier:
        kept = earlier[r.identifier]
        r.status, r.reason = "built", "kept: built by an earlier run of this sdist"
        r.wheel, r.sha256, r.size = kept["wheel"], kept["sha256"], kept["size"]
        r.auditwheel, r.log = kept.get("auditwheel", ""), kept.get("log", "")
    return r


def plan(src, opts, target, earlier):
    """A Result per interpreter the target is known to have (none yet for plain SSH hosts)."""
    results = []
    for python in target.python_versions():
        tag = _tag(python)
        r = Result(tag=tag, python=python.rstrip("t"), machine=target.name,
                   identifier=identifier(tag, target.policy, target.arch))
        results.append(classify(r, src, opts, earlier))
    return results


def _guest_env(opts, ca, src):
    env = guest_env.pip_env(f"/tmp/vmwheel/{guest_env.GUEST_CA}" if ca else None,
                            guest_env.pip_config())
    env["SOURCE_DATE_EPOCH"] = str(src.source_date_epoch)
    for var in opts["environment-pass"]:
        if var in os.environ:
            env[var] = os.environ[var]
    env.update(opts["environment"])
    return env


def _build_on_target(src, opts, target, planned, out, timings, progress, described,
                     earlier):
    """Boot/connect, run before-all, build every pending interpreter; results in place."""
    log_dir = out.path / "logs" / target.name
    guest = None
    broken = False
    for r in planned:
        if r.status == "pending":
            progress.stage(r.identifier, "waiting for the build host")
    try:
        guest = target.up()
        timings.update({f"{k} {target.name}": v for k, v in target.timings.items()})
        ca = guest_env.ca_bundle(guest_env.pip_config())
        env = _guest_env(opts, ca, src)
        plat = target.platform(guest, env)
        described[target.name]["platform"] = plat
        hooks = {k: opts[k] for k in ("before-build", "repair-wheel-command", "test-requires",
                                      "test-command", "build-frontend")}
        builder = Builder(guest, src, out, plat, log_dir, env, hooks,
                          python_root=target.python_root, progress=progress)
        t0 = time.monotonic()
        builder.upload(ca)
        timings[f"upload {target.name}"] = time.monotonic() - t0
        if opts["before-all"]:
            log_dir.mkdir(parents=True, exist_ok=True)
            with open(log_dir / "before-all.log", "w") as log:
                try:
                    builder.run_hook("before-all", opts["before-all"], log)
                except StageFailed as exc:
                    for r in planned:
                        if r.status == "pending":
                            r.status, r.reason = "failed", f"{exc}; see {log.name}"
                    return
        by_tag = {r.tag: r for r in planned}
        for tag, python in list_interpreters(guest, target.python_root):
            r = by_tag.get(tag)
            if r is None:  # an interpreter the table did not list (or a plain SSH host)
                r = classify(Result(tag=tag, python=python, machine=target.name,
                                    identifier=identifier(tag, *split_platform(plat))),
                             src, opts, earlier)
                planned.append(r)
            if r.status == "pending":
                builder.build_one(tag, python, r)
    except (VmwheelError, KeyboardInterrupt) as exc:
        broken = True
        for r in planned:
            if r.status == "pending":
                r.status = "failed"
                r.reason = getattr(exc, "what", "interrupted (Ctrl-C); rerun to finish")
        raise
    finally:
        if guest:
            guest.close()
        t0 = time.monotonic()
        target.finish(failed=broken)
        timings[f"finish {target.name}"] = time.monotonic() - t0
        for r in planned:
            if r.status == "pending":
                r.status, r.reason = "failed", f"no interpreter {r.tag} on the build host"


def _write(out, src, results, timings, described):
    out.write_sums()
    out.write_report(report.make_report(src, results, timings, described))


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
