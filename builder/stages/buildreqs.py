"""A cross build's build requirements, installed for the machine that runs the build.

The sysconfig route (stages/cross.py) makes pip see the target's platform, so its build
isolation would install aarch64 wheels: their compiled parts do not load in the x86_64
interpreter that runs the build (numpy's cannot fall back to Python, as Cython's do). As
crossenv's build-pip does, each interpreter's build requirements are installed instead with the
build machine's own tags into `build-reqs` of its work dir: the project's build-system.requires
(PEP 518's default without one), then what its backend asks for (get_requires_for_build_wheel,
called with the cross settings, as the build will be). The build then runs without isolation,
with them first on PYTHONPATH and PATH: numpy's headers (the same for x86_64 and aarch64:
README, aarch64), Cython with its compiled parts, native cmake, ninja and meson.
"""

from ..transport.shell import q

# The cross settings a native install must not see (stages/cross.py env() and hook_env()):
# with them pip would pick aarch64 wheels, and an sdist among the requirements would be built
# for aarch64.
CROSS_ONLY = ("_PYTHON_HOST_PLATFORM", "_PYTHON_SYSCONFIGDATA_NAME", "CC", "CXX", "CPPFLAGS")
NATIVE = "env " + " ".join(f"-u {name}" for name in CROSS_ONLY)

# REQUIRES static|dynamic OUT: the project's build-system.requires, or what its backend's
# get_requires_for_build_wheel returns, one per line into OUT (a backend may print on stdout).
REQUIRES = r"""
import importlib, os, sys
kind, out = sys.argv[1:3]  # the legacy backend rewrites sys.argv
try:
    import tomllib
except ImportError:  # Python < 3.11: pip's own copy of tomli
    from pip._vendor import tomli as tomllib
table = {}
if os.path.exists("pyproject.toml"):
    with open("pyproject.toml", "rb") as f:
        table = tomllib.load(f).get("build-system", {})
if kind == "static":
    found = table.get("requires", ["setuptools>=40.8.0"])
else:
    sys.path[:0] = [os.path.abspath(p) for p in table.get("backend-path", [])]
    name = table.get("build-backend", "setuptools.build_meta:__legacy__")
    module, _, attrs = name.partition(":")
    backend = importlib.import_module(module)
    for attr in filter(None, attrs.split(".")):
        backend = getattr(backend, attr)
    get = getattr(backend, "get_requires_for_build_wheel", None)
    found = get({}) if get else []
with open(out, "w") as f:
    f.write("".join(line + "\n" for line in found))
"""


def install(builder, w):
    """The stage: both sets installed natively; the build's environment and arguments set."""
    target, python = w.dir / "build-reqs", q(w.python)
    builder.check(f"rm -rf {q(target)} && mkdir -p {q(target)}", w.log)
    pip = f"{NATIVE} {python} -m pip install --target {q(target)} --no-warn-script-location"
    build_env = {"PYTHONPATH": str(target), "PATH": f"{target}/bin:{w.path_env['PATH']}"}
    # build-system.requires read natively; the backend asked with the cross settings and the
    # static set on PYTHONPATH, as the build will run it
    for kind, reader, env in (("static", f"{NATIVE} ", {}), ("dynamic", "", build_env)):
        listed = q(f"{target}.{kind}.txt")
        builder.run("build-reqs", f"{reader}{python} -c {q(REQUIRES)} {kind} {listed} && "
                    f"if [ -s {listed} ]; then cat {listed} && {pip} -r {listed}; fi", w.log,
                    cwd=w.dir / "src", env=dict(w.path_env, **env),
                    shown=f"{kind} build requirements for the build machine (x86_64)")
    w.build_env = build_env
    frontend = builder.hooks.get("build-frontend", "pip")
    w.build_args += " --no-isolation --skip-dependency-check" if frontend == "build" else \
        " --no-build-isolation"
