"""Fabric tasks for vmwheel (the same tasks as the `vmwheel` command).

    fab build:msgpack                  Fabric 1 spelling, as in the original manylinux walk-through
    fab build msgpack                  Fabric 3 spelling
    fab build:msgpack==1.1.2,keep_vm=true

Fabric 3 has no `task:arg` syntax. Invoke imports this file before it parses the task words, so
this file rewrites each `task:args` word into the Fabric 3 words it means (see
`_translate_command_line`); `fab --list` shows only the real tasks.
"""

import inspect
import re
import sys

from fabric import task
from invoke import Collection, Exit

from builder import doctor as doctor_mod
from builder import tasks
from builder import upload as upload_mod
from builder.cli import guarded


def _done(code):
    if code:
        raise Exit(code=code)


@task(iterable=["option"],
      help={"package": "PyPI requirement (msgpack, msgpack==1.1.2), sdist file or project dir",
            "machine": "one machine from builder/machines.json (default: targets x archs)",
            "output_dir": "where wheels, SHA256SUMS, report.json and logs go",
            "archs": "x86_64 and/or i686 (default: x86_64)",
            "select": "identifiers to build (the `build` option), e.g. cp3{11,13}-*",
            "skip": "identifiers to skip, e.g. '*t-*'",
            "keep_vm": "leave the VM running for the next build",
            "driver": "libvirt driver: kvm or qemu (default: probe)",
            "option": "any option as KEY=VALUE (repeatable); see `vmwheel config show`",
            "quiet": "only errors and the final table",
            "verbose": "also show every guest command's output"})
def build(c, package, machine=None, output_dir=None, archs=None, select=None, skip=None,
          keep_vm=False, driver=None, option=None, quiet=False, verbose=False):
    """Build repaired wheels of PACKAGE for every interpreter in the VM."""
    cli = {"output-dir": output_dir, "archs": archs, "build": select, "skip": skip,
           "keep-vm": keep_vm or None, "driver": driver}
    for item in option or []:
        key, _, value = item.partition("=")
        cli[key.strip().replace("_", "-")] = value
    cli = {k: v for k, v in cli.items() if v is not None}
    _done(guarded(lambda: tasks.build(package, machine=machine, cli=cli, quiet=quiet,
                                      verbose=verbose)))


@task(help={"machine": "machine whose box to build (default: bullseye-x86_64)",
            "force": "rebuild even if up to date"})
def box(c, machine=None, force=False):
    """Build the machine's local box offline (debootstrap, provision/ in a chroot), add it."""
    _done(guarded(lambda: tasks.box_build(machine=machine, force=force)))


@task
def host_setup(c):
    """Install vagrant/libvirt/qemu/debootstrap, start libvirtd, create the storage pool."""
    _done(guarded(tasks.host_setup))


@task(help={"output_dir": "the wheelhouse to upload (default: wheelhouse)",
            "repository_url": "repository upload URL (default: twine's, PyPI)",
            "repository": "a repository name from ~/.pypirc"})
def upload(c, output_dir="wheelhouse", repository_url=None, repository=None):
    """Check SHA256SUMS, then upload the wheelhouse with twine."""
    _done(guarded(lambda: upload_mod.upload(output_dir, repository_url, repository)))


@task
def doctor(c):
    """Check that this host can build wheels in VMs; print the fix for each problem."""
    _done(guarded(doctor_mod.run))


@task(help={"machine": "machine (default: bullseye-x86_64)"})
def vm_destroy(c, machine=None):
    """Destroy a VM kept with --keep-vm."""
    _done(guarded(lambda: tasks.vm_destroy(machine=machine)))


ns = Collection(build, box, host_setup, upload, doctor, vm_destroy)
TASKS = {"build": build, "box": box, "host-setup": host_setup, "host_setup": host_setup,
         "upload": upload, "doctor": doctor,
         "vm-destroy": vm_destroy, "vm_destroy": vm_destroy}
BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def parse_fab1(word):
    """'build:msgpack,keep_vm=true' -> ('build', ['msgpack'], {'keep_vm': True}), else None.

    Only options whose default is a bool take true/false words; a part that starts with a
    version operator continues the requirement before it ('msgpack>=1,<2').
    """
    m = re.match(r"^([A-Za-z][\w-]*):(.*)$", word)
    if not m or m.group(1) not in TASKS:
        return None
    params = inspect.signature(TASKS[m.group(1)].body).parameters
    args, kwargs = [], {}
    for part in filter(None, m.group(2).split(",")):
        key, eq, value = part.partition("=")
        # "msgpack==1.1.2" and "msgpack>=1" are requirements, not key=value pairs.
        if eq and re.fullmatch(r"[A-Za-z_][\w-]*", key) and not value.startswith("="):
            key = key.replace("-", "_")
            if key in params and isinstance(params[key].default, bool):
                value = BOOL_WORDS.get(value.lower(), value)
            kwargs[key] = value
        elif args and re.match(r"^\s*(<|>|=|!|~)", part):
            args[-1] += "," + part
        else:
            args.append(part)
    return m.group(1), args, kwargs


def fab3_words(word):
    """Fabric 3 words for a Fabric 1 word: 'build:msgpack,keep_vm=true' ->
    ['build', 'msgpack', '--keep-vm']; None if `word` is not Fabric 1 syntax for our tasks."""
    parsed = parse_fab1(word)
    if not parsed:
        return None
    name, args, kwargs = parsed
    target = TASKS[name]
    params = inspect.signature(target.body).parameters
    if "option" in params:  # any other vmwheel option: build:msgpack,test_command=pytest
        extra = [k for k in kwargs if k not in params]
        kwargs["option"] = [f"{k}={kwargs.pop(k)}" for k in extra]
    shown = target.name.replace("_", "-")
    try:
        inspect.signature(target.body).bind(None, *args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"`fab {word}` does not fit task {shown} ({exc}); "
                         f"see `fab --help {shown}`") from None
    words = [shown, *args]
    for key, value in kwargs.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, list):
            for item in value:
                words += [flag, item]
        elif value is True:
            words.append(flag)
        elif value is not False:
            words += [flag, str(value)]
    return words


def _translate_command_line():
    """Rewrite Fabric 1 words in the running `fab`'s still-unparsed arguments.

    Invoke parses task arguments only after it has imported this file, from the list of words
    its core parser left over; that list is rewritten in place. Nothing happens when this file
    is imported by anything other than `fab`/`invoke`.
    """
    from invoke import Program

    for info in inspect.stack()[1:]:
        program = info.frame.f_locals.get("self")
        if isinstance(program, Program) and getattr(program, "core", None) is not None:
            words = program.core.unparsed
            new = []
            for word in words:
                try:
                    translated = fab3_words(word)
                except ValueError as exc:
                    print(f"vmwheel: {exc}", file=sys.stderr)
                    raise SystemExit(2) from None
                new.extend(translated or [word])
            words[:] = new
            return


_translate_command_line()
