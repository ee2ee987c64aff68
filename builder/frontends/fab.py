"""Fabric tasks for vmwheel (the same commands as `vmwheel ...`), loaded by fabfile.py.

    fab build:msgpack                  Fabric 1 spelling, as in the original manylinux walk-through
    fab build msgpack                  Fabric 3 spelling
    fab build:msgpack==1.1.2,keep_vm=true

The build task's keywords are generated from the option table (config/options.py): every option
is a keyword (`build` is spelled `select`, since `build` is the task). Fabric 3 has no
`task:args` syntax: importing this module under `fab` rewrites each `task:args` word into the
Fabric 3 words it means (see `_translate_command_line`); `fab --list` shows only the real tasks.
"""

import inspect
import re
import sys

from fabric import task
from invoke import Collection, Exit

from ..config.options import OPTIONS
from ..model.machine import default_name
from ..orchestration import doctor as doctor_mod
from . import commands
from ..output import upload as upload_mod
from ..redact import redact
from .guard import guarded

DEFAULT = default_name()  # the machine table's default machine

BY_KEYWORD = {o.fab_keyword: o for o in OPTIONS}
BOOL_OPTION_KEYWORDS = {k for k, o in BY_KEYWORD.items() if o.is_bool}


def _done(code):
    if code:
        raise Exit(code=code)


def _build(c, package, machine=None, option=None, quiet=False, verbose=False, **values):
    cli = {o.name: values.get(o.fab_keyword) for o in OPTIONS}
    for item in option or []:
        key, _, value = item.partition("=")
        cli[key.strip().replace("_", "-")] = value
    cli = {k: v for k, v in cli.items() if v is not None}
    _done(guarded(lambda: commands.build(package, machine=machine, cli=cli, quiet=quiet,
                                         verbose=verbose)))


_P = inspect.Parameter
_build.__signature__ = inspect.Signature(
    [_P("c", _P.POSITIONAL_OR_KEYWORD), _P("package", _P.POSITIONAL_OR_KEYWORD),
     _P("machine", _P.POSITIONAL_OR_KEYWORD, default=None)]
    + [_P(k, _P.POSITIONAL_OR_KEYWORD, default=None) for k in BY_KEYWORD]
    + [_P("option", _P.POSITIONAL_OR_KEYWORD, default=None),
       _P("quiet", _P.POSITIONAL_OR_KEYWORD, default=False),
       _P("verbose", _P.POSITIONAL_OR_KEYWORD, default=False)])
_build.__name__ = "build"
_build.__doc__ = "Build repaired wheels of PACKAGE for every interpreter in the VM."
build = task(
    iterable=["option"], optional=sorted(BOOL_OPTION_KEYWORDS), auto_shortflags=False,
    help={"package": "PyPI requirement (msgpack, msgpack==1.1.2), sdist file or project dir",
          "machine": "machines from builder/model/machines.json, separated by spaces "
                     "(default: targets x archs)",
          "option": "any option as KEY=VALUE (repeatable); see `vmwheel config show`",
          "quiet": "only errors and the final table",
          "verbose": "also show every guest command's output",
          **{k: o.help + (" (true/false)" if o.is_bool else "") for k, o in BY_KEYWORD.items()}},
)(_build)


@task(help={"machine": f"machine whose box to build (default: {DEFAULT})",
            "force": "rebuild even if up to date"})
def box(c, machine=None, force=False):
    """Build the machine's local box offline (debootstrap, provision/ in a chroot), add it."""
    _done(guarded(lambda: commands.box_build(machine=machine, force=force)))


@task
def host_setup(c):
    """Install vagrant/libvirt/qemu/debootstrap, start libvirtd, create the storage pool."""
    _done(guarded(commands.host_setup))


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


@task(help={"machine": f"machine (default: {DEFAULT})"})
def vm_destroy(c, machine=None):
    """Destroy VMs kept with --keep-vm or left by runs killed outright."""
    _done(guarded(lambda: commands.vm_destroy(machine=machine)))


ns = Collection(build, box, host_setup, upload, doctor, vm_destroy)
TASKS = {"build": build, "box": box, "host-setup": host_setup, "host_setup": host_setup,
         "upload": upload, "doctor": doctor,
         "vm-destroy": vm_destroy, "vm_destroy": vm_destroy}
BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _is_bool(params, key):
    return key in BOOL_OPTION_KEYWORDS or (key in params and
                                            isinstance(params[key].default, bool))


def parse_fab1(word):
    """'build:msgpack,keep_vm=true' -> ('build', ['msgpack'], {'keep_vm': True}), else None.

    Only boolean keywords take true/false words; a part that starts with a version operator
    continues the requirement before it ('msgpack>=1,<2').
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
            if _is_bool(params, key):
                value = BOOL_WORDS.get(value.lower(), value)
            kwargs[key] = value
        elif args and re.match(r"^\s*(<|>|=|!|~)", part):
            args[-1] += "," + part
        else:
            args.append(part)
    return m.group(1), args, kwargs


def fab3_words(word):
    """Fabric 3 words for a Fabric 1 word: 'build:msgpack,keep_vm=true' ->
    ['build', 'msgpack', '--keep-vm', 'true']; None if `word` is not Fabric 1 syntax for our
    tasks."""
    parsed = parse_fab1(word)
    if not parsed:
        return None
    name, args, kwargs = parsed
    target = TASKS[name]
    params = inspect.signature(target.body).parameters
    if "option" in params:  # a key that is no keyword of the task: build:msgpack,colour=red
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
        elif key in BOOL_OPTION_KEYWORDS:  # an option: false must override a project's true
            words += [flag, str(value).lower()]
        elif value is True:
            words.append(flag)
        elif value is not False:
            words += [flag, str(value)]
    return words


def _translate_command_line():
    """Rewrite Fabric 1 words in the running `fab`'s still-unparsed arguments.

    Invoke parses task arguments only after it has imported the fabfile, from the list of words
    its core parser left over; that list is rewritten in place. Nothing happens when this module
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
                    print(redact(f"vmwheel: {exc}"), file=sys.stderr)
                    raise SystemExit(2) from None
                new.extend(translated or [word])
            words[:] = new
            return


_translate_command_line()
