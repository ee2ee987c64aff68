"""`vmwheel`: the command-line front end. Errors are one line; --debug shows tracebacks.
The option flags of `build`, `verify` and `config show` come from the option table."""

import argparse
import logging
import sys

from .. import __version__
from ..config.options import OPTIONS, Options
from ..model.machine import default_name
from ..errors import ConfigurationError
from ..farm import address, worker as farm_worker
from ..orchestration import doctor
from . import commands
from ..output import upload
from .guard import guarded

DEFAULT = default_name()  # the machine table's default machine


def parser():
    p = argparse.ArgumentParser(
        prog="vmwheel",
        description="Build repaired manylinux and musllinux wheels inside a Vagrant VM (no Docker "
                    "needed).")
    p.add_argument("--version", action="version", version=f"vmwheel {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # --debug is accepted after the command too (vmwheel build msgpack --debug).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent, name, help_text):
        return parent.add_parser(name, parents=[common], help=help_text)

    def group(name, help_text):
        return sub.add_parser(name, help=help_text).add_subparsers(dest="action",
                                                                   required=True)

    b = command(sub, "build", "build wheels for every interpreter in the VM")
    b.add_argument("package", help="PyPI requirement (msgpack, msgpack==1.1.2), sdist file, "
                   "project directory or git URL")
    add_option_flags(b)
    add_ssh_flags(b)
    b.add_argument("-q", "--quiet", action="store_true", help="only errors and the final table")
    b.add_argument("-v", "--verbose", action="store_true",
                   help="also show every guest command's output (always in the logs)")

    ver = command(sub, "verify", "build twice in two fresh VMs of the same box and compare "
                  "every wheel's sha256")
    ver.add_argument("package", help="as for build")
    add_option_flags(ver)
    add_ssh_flags(ver)

    show = command(group("config", "configuration"), "show", "print the effective options "
                   "and where each value came from")
    show.add_argument("package", nargs="?", help="project directory or sdist whose "
                      "[tool.vmwheel] / [vmwheel] config counts (default: none)")
    add_option_flags(show)

    bb = command(group("box", "local boxes"), "build", "build the machine's box offline and "
                 "add it to Vagrant")
    bb.add_argument("--machine", help=f"machine whose box to build (default: {DEFAULT})")
    bb.add_argument("--force", action="store_true", help="rebuild even if up to date")

    command(group("host", "host preparation"), "setup", "install vagrant, libvirt, qemu, "
            "debootstrap; start libvirtd; create vmwheel's storage pool (idempotent, root)")

    up = command(sub, "upload", "check SHA256SUMS, then upload the wheels with twine")
    up.add_argument("--output-dir", default="wheelhouse", help="the wheelhouse to upload "
                    "(default: wheelhouse)")
    up.add_argument("--repository-url", help="repository upload URL (default: twine's, PyPI)")
    up.add_argument("--repository", help="a repository name from ~/.pypirc")

    command(sub, "doctor", "check that this host can build wheels in VMs; print what to run "
            "for each problem")

    w = command(sub, "worker", "join a build farm: run the jobs of `vmwheel build --scheduler` "
                "on this libvirt host (README: Build farm)")
    w.add_argument("--scheduler", metavar="ADDRESS", help="tcp://127.0.0.1:PORT or "
                   "tls://HOST:PORT (default: $VMWHEEL_SCHEDULER)")
    for flag, what in (("--tls-ca-file", "the farm's CA"), ("--tls-cert", "this worker's "
                       "certificate"), ("--tls-key", "the key of --tls-cert")):
        w.add_argument(flag, help=f"{what}, for tls:// (default: "
                       f"${'VMWHEEL_' + flag[2:].upper().replace('-', '_')})")
    w.add_argument("--vms", type=int, default=1, help="VMs run at once (default: 1)")
    w.add_argument("--machine", action="append", default=[], help="a machine whose box it "
                   "offers; repeat for more (default: every box built on this host)")
    w.add_argument("--name", help="the worker's name in reports (default: HOST-PID)")
    add_ssh_flags(w)

    vd = command(group("vm", "VMs kept with --keep-vm or left by killed runs"), "destroy",
                 "destroy the machine's VMs kept with --keep-vm or left by killed runs")
    vd.add_argument("--machine", help=f"machine (default: {DEFAULT})")
    return p


def dest(option):
    return "opt_" + option.name.replace("-", "_")


def add_option_flags(p):
    """--machine, one flag per option of the table, and -o KEY=VALUE."""
    p.add_argument("--machine", help="machines from builder/model/machines.json, separated by "
                   "commas (default: for each (policy, arch) of targets x archs the first "
                   f"machine that has it, i.e. {DEFAULT})")
    for o in OPTIONS:
        default = " ".join(o.default) if isinstance(o.default, list) else o.default
        default = default if default not in ("", [], {}, 0) else "none"
        text = f"{o.help} (default: {default}; e.g. {o.example})"
        if o.is_bool:
            p.add_argument(f"--{o.name}", dest=dest(o), default=None, help=text,
                           action=argparse.BooleanOptionalAction)
        else:
            p.add_argument(f"--{o.name}", dest=dest(o), metavar="VALUE", help=text)
    p.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="any option by name (see `vmwheel config show`)")


def add_ssh_flags(p):
    p.add_argument("--ssh-host", metavar="USER@HOST[:PORT]", help="build on this provisioned "
                   "SSH host instead of a VM (its key must be in --known-hosts)")
    p.add_argument("--ssh-key", help="private key for --ssh-host")
    p.add_argument("--known-hosts", help="known_hosts file for --ssh-host "
                   "(default: ~/.ssh/known_hosts)")
    p.add_argument("--python-root", default="/opt/python",
                   help="where --ssh-host keeps its interpreters (default: /opt/python)")
    p.add_argument("--guest-dir", default="/tmp/vmwheel", help="the run's dir on --ssh-host, "
                   "deleted and made anew; give each concurrent user their own "
                   "(default: /tmp/vmwheel)")


def ssh_target(args):
    if args.ssh_host is None:  # given but empty is refused by the SSH host itself
        return None
    return {"address": args.ssh_host, "key": args.ssh_key, "known_hosts": args.known_hosts,
            "python_root": args.python_root, "guest_root": args.guest_dir}


def cli_options(args):
    """The command line's option values, as {option name: raw value}."""
    found = {o.name: getattr(args, dest(o)) for o in OPTIONS}
    for item in args.option:
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigurationError(f"-o {item!r} is not KEY=VALUE",
                                     "write e.g. -o archs=i686")
        found[key.strip().replace("_", "-")] = value
    return {k: v for k, v in found.items() if v is not None}


def run(args):
    if args.command == "build":
        return commands.build(args.package, machine=args.machine, cli=cli_options(args),
                              quiet=args.quiet, verbose=args.verbose, ssh=ssh_target(args))
    if args.command == "verify":
        return commands.verify(args.package, machine=args.machine, cli=cli_options(args),
                               ssh=ssh_target(args))
    if args.command == "config":
        return commands.config_show(args.package, machine=args.machine, cli=cli_options(args))
    if args.command == "box":
        return commands.box_build(machine=args.machine, force=args.force)
    if args.command == "upload":
        return upload.upload(args.output_dir, args.repository_url, args.repository)
    if args.command == "doctor":
        return doctor.run()
    if args.command == "host":
        return commands.host_setup()
    if args.command == "worker":
        return worker_command(args)
    if args.command == "vm":
        return commands.vm_destroy(machine=args.machine)
    raise AssertionError(args.command)


def worker_command(args):
    """The worker's scheduler and TLS files as the build's: flag, else VMWHEEL_* variable."""
    scheduler = address.of_options(Options(cli={
        name: getattr(args, name.replace("-", "_"))
        for name in ("scheduler", "tls-ca-file", "tls-cert", "tls-key")}))
    if scheduler is None:
        raise ConfigurationError("vmwheel worker needs a scheduler",
                                 "pass --scheduler ADDRESS or set VMWHEEL_SCHEDULER")
    return farm_worker.serve(scheduler, args.vms, tuple(args.machine), ssh_target(args),
                             args.name)


def main(argv=None):
    args = parser().parse_args(argv)
    if args.debug:  # paramiko's own log too
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("paramiko").propagate = True
    return guarded(lambda: run(args), debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
