"""`vmwheel`: the command-line front end. Errors are one line; --debug shows tracebacks."""

import argparse
import sys

from . import __version__, doctor, tasks, upload
from .errors import VmwheelError


def parser():
    p = argparse.ArgumentParser(
        prog="vmwheel",
        description="Build repaired manylinux wheels inside a Vagrant VM (no Docker needed).")
    p.add_argument("--version", action="version", version=f"vmwheel {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # --debug is accepted after the command too (vmwheel build msgpack --debug).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", parents=[common], help="build wheels for every interpreter in the VM")
    b.add_argument("package", help="PyPI requirement (msgpack, msgpack==1.1.2), "
                   "sdist file, or project directory")
    add_option_flags(b)
    add_ssh_flags(b)
    b.add_argument("-q", "--quiet", action="store_true", help="only errors and the final table")
    b.add_argument("-v", "--verbose", action="store_true",
                   help="also show every guest command's output (always in the logs)")

    ver = sub.add_parser("verify", parents=[common], help="build twice in two fresh VMs of "
                         "the same box and compare every wheel's sha256")
    ver.add_argument("package", help="as for build")
    add_option_flags(ver)
    add_ssh_flags(ver)

    cfg = sub.add_parser("config", help="configuration").add_subparsers(dest="action",
                                                                         required=True)
    show = cfg.add_parser("show", parents=[common], help="print the effective options and "
                          "where each value came from")
    show.add_argument("package", nargs="?", help="project directory or sdist whose "
                      "[tool.vmwheel] / [vmwheel] config counts (default: none)")
    add_option_flags(show)

    box = sub.add_parser("box", help="local boxes").add_subparsers(dest="action", required=True)
    bb = box.add_parser("build", parents=[common], help="build the machine's box offline and add it to Vagrant")
    bb.add_argument("--machine", help="machine whose box to build (default: bullseye-x86_64)")
    bb.add_argument("--force", action="store_true", help="rebuild even if up to date")

    host = sub.add_parser("host", help="host preparation").add_subparsers(dest="action",
                                                                          required=True)
    host.add_parser("setup", parents=[common], help="install vagrant, libvirt, qemu, debootstrap; start "
                    "libvirtd; create vmwheel's storage pool (idempotent, needs root)")

    up = sub.add_parser("upload", parents=[common], help="check SHA256SUMS, then upload the "
                        "wheels with twine")
    up.add_argument("--output-dir", default="wheelhouse", help="the wheelhouse to upload "
                    "(default: wheelhouse)")
    up.add_argument("--repository-url", help="repository upload URL (default: twine's, PyPI)")
    up.add_argument("--repository", help="a repository name from ~/.pypirc")

    sub.add_parser("doctor", parents=[common], help="check that this host can build wheels in "
                   "VMs; print what to run for each problem")

    vm = sub.add_parser("vm", help="VMs kept with --keep-vm").add_subparsers(dest="action",
                                                                              required=True)
    vd = vm.add_parser("destroy", parents=[common], help="destroy the machine's VM")
    vd.add_argument("--machine", help="machine (default: bullseye-x86_64)")
    return p


def add_option_flags(p):
    p.add_argument("--machine", help="one machine from builder/machines.json (default: every "
                   "machine of targets x archs, i.e. bullseye-x86_64)")
    p.add_argument("--output-dir", help="where wheels, SHA256SUMS, report.json and logs go "
                   "(default: wheelhouse)")
    p.add_argument("--archs", help="x86_64 and/or i686 (default: x86_64)")
    p.add_argument("--build", dest="build_sel", metavar="SELECTORS",
                   help="identifiers to build, e.g. 'cp3{11,13}-manylinux_x86_64'")
    p.add_argument("--skip", metavar="SELECTORS", help="identifiers to skip, e.g. '*t-*'")
    p.add_argument("--keep-vm", action="store_true", default=None,
                   help="leave the VM running for the next build (default: destroy it)")
    p.add_argument("--driver", choices=["kvm", "qemu"],
                   help="libvirt driver (default: kvm if it really boots a guest, else qemu)")
    p.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="any option (see `vmwheel config show`), e.g. -o test-command='pytest'")


def add_ssh_flags(p):
    p.add_argument("--ssh-host", metavar="USER@HOST[:PORT]", help="build on this provisioned "
                   "SSH host instead of a VM (its key must be in --known-hosts)")
    p.add_argument("--ssh-key", help="private key for --ssh-host")
    p.add_argument("--known-hosts", help="known_hosts file for --ssh-host "
                   "(default: ~/.ssh/known_hosts)")
    p.add_argument("--python-root", default="/opt/python",
                   help="where --ssh-host keeps its interpreters (default: /opt/python)")


def ssh_target(args):
    if not args.ssh_host:
        return None
    return {"address": args.ssh_host, "key": args.ssh_key, "known_hosts": args.known_hosts,
            "python_root": args.python_root}


def cli_options(args):
    """The command line's option values, as {option name: raw value}."""
    found = {"output-dir": args.output_dir, "archs": args.archs, "build": args.build_sel,
             "skip": args.skip, "keep-vm": args.keep_vm, "driver": args.driver}
    for item in args.option:
        key, eq, value = item.partition("=")
        if not eq:
            raise VmwheelError(f"-o {item!r} is not KEY=VALUE", "write e.g. -o archs=i686")
        found[key.strip().replace("_", "-")] = value
    return {k: v for k, v in found.items() if v is not None}


def run(args):
    if args.command == "build":
        return tasks.build(args.package, machine=args.machine, cli=cli_options(args),
                           quiet=args.quiet, verbose=args.verbose, ssh=ssh_target(args))
    if args.command == "verify":
        return tasks.verify(args.package, machine=args.machine, cli=cli_options(args),
                            ssh=ssh_target(args))
    if args.command == "config":
        return tasks.config_show(args.package, machine=args.machine, cli=cli_options(args))
    if args.command == "box":
        return tasks.box_build(machine=args.machine, force=args.force)
    if args.command == "upload":
        return upload.upload(args.output_dir, args.repository_url, args.repository)
    if args.command == "doctor":
        return doctor.run()
    if args.command == "host":
        return tasks.host_setup()
    if args.command == "vm":
        return tasks.vm_destroy(machine=args.machine)
    raise AssertionError(args.command)


def guarded(func, debug=False):
    """Call func(); turn failures into one line on stderr and an exit code."""
    try:
        return func() or 0
    except VmwheelError as exc:
        if debug:
            raise
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("vmwheel: interrupted; wheels already fetched are kept", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a line
        if debug:
            raise
        print(f"vmwheel: internal error: {type(exc).__name__}: {exc}; rerun with --debug "
              "and report it", file=sys.stderr)
        return 70


def main(argv=None):
    args = parser().parse_args(argv)
    return guarded(lambda: run(args), debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
