"""Turn what the user asked for into one sdist on the host: a PyPI requirement (through the
host's own pip and its configuration), a local sdist file, or a local project directory."""

import datetime
import email.parser
import functools
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import ConfigurationError, SourceError

SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass
class Source:
    sdist: Path
    name: str
    version: str
    requires_python: str
    note: str = ""

    @functools.cached_property
    def sha256(self):
        return hashlib.sha256(self.sdist.read_bytes()).hexdigest()

    @functools.cached_property
    def source_date_epoch(self):
        """For reproducible builds: the time recorded for the sdist's PKG-INFO."""
        if self.sdist.name.endswith(".zip"):
            with zipfile.ZipFile(self.sdist) as z:
                info = [i for i in z.infolist() if i.filename.endswith("/PKG-INFO")][0]
                return int(datetime.datetime(*info.date_time).timestamp())
        with tarfile.open(self.sdist) as t:
            return int(max(m.mtime for m in t.getmembers() if m.name.endswith("/PKG-INFO")))

    def admits(self, python):
        """True if the sdist's Requires-Python admits interpreter `python` ("3.9", "3.13t")."""
        return (not self.requires_python
                or Version(python.rstrip("t")) in SpecifierSet(self.requires_python))


MAX_MEMBER = 1 << 20  # bytes: PKG-INFO, pyproject.toml and setup.cfg are small text files
NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508


def _top_level(sdist, name):
    """Bytes of the regular file <top>/name in the sdist, or None; size-capped."""
    def refuse(why):
        return SourceError(f"{sdist.name}: {name} {why}", "pass a source distribution made by a "
                           "build backend (python -m build --sdist)")
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as z:
                infos = [i for i in z.infolist()
                         if i.filename.count("/") == 1 and i.filename.endswith("/" + name)]
                if not infos:
                    return None
                kind = (infos[0].external_attr >> 16) & 0o170000  # 0: not recorded
                if infos[0].is_dir() or kind not in (0, 0o100000):
                    raise refuse("is not a regular file")
                if infos[0].file_size > MAX_MEMBER:
                    raise refuse(f"is larger than {MAX_MEMBER} bytes")
                return z.read(infos[0])
        with tarfile.open(sdist) as t:
            members = [m for m in t.getmembers()
                       if m.name.count("/") == 1 and m.name.endswith("/" + name)]
            if not members:
                return None
            if not members[0].isfile():
                raise refuse("is not a regular file")
            if members[0].size > MAX_MEMBER:
                raise refuse(f"is larger than {MAX_MEMBER} bytes")
            return t.extractfile(members[0]).read()
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, ValueError) as exc:
        raise SourceError(f"{sdist} is not a readable sdist ({type(exc).__name__})",
                          "pass a .tar.gz or .zip source distribution") from None


def read_metadata(sdist):
    """Name, version and Requires-Python from the sdist's top-level PKG-INFO, checked."""
    sdist = Path(sdist)
    raw = _top_level(sdist, "PKG-INFO")
    if raw is None:
        raise SourceError(f"{sdist} has no PKG-INFO", "pass a source distribution made by a "
                          "build backend (python -m build --sdist)")
    meta = email.parser.Parser().parsestr(raw.decode("utf-8", "replace"))
    name, version = (meta.get("Name") or "").strip(), (meta.get("Version") or "").strip()
    if not NAME.match(name):
        raise SourceError(f"{sdist.name} has no valid Name in PKG-INFO ({name!r})",
                          "use a project name made of letters, digits, '.', '_' and '-'")
    try:
        Version(version)
    except InvalidVersion:
        raise SourceError(f"{sdist.name} has no valid Version in PKG-INFO ({version!r})",
                          "use a PEP 440 version such as 1.0.2") from None
    requires_python = (meta.get("Requires-Python") or "").strip()
    try:
        SpecifierSet(requires_python)
    except InvalidSpecifier:
        raise SourceError(f"{sdist.name} has an invalid Requires-Python {requires_python!r}",
                          "fix the project's requires-python") from None
    return name, version, requires_python


def read_member(sdist, name):
    """Text of a top-level file of the sdist (pyproject.toml, setup.cfg), or None."""
    raw = _top_level(Path(sdist), name)
    return None if raw is None else raw.decode("utf-8", "replace")


def from_file(path, note="local sdist"):
    name, version, rp = read_metadata(path)
    return Source(Path(path), name, version, rp, note)


def from_directory(path, workdir):
    out = Path(workdir) / "sdist"
    shutil.rmtree(out, ignore_errors=True)
    res = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out),
                          str(path)], capture_output=True, text=True)
    built = sorted(out.glob("*.tar.gz")) if res.returncode == 0 else []
    if not built:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SourceError(f"could not make an sdist of {path}: {tail[0]}",
                           "check that `python -m build --sdist` works in that directory")
    return from_file(built[0], note=f"sdist built from {path}")


def pip_download(requirement, dest, python=None):
    """Download the sdist of `requirement` into `dest`; return its path or raise."""
    shutil.rmtree(dest, ignore_errors=True)
    # Only the package itself as an sdist: pip prepares its metadata in an isolated build, whose
    # requirements (Cython...) may come as wheels rather than be compiled here.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps",
           f"--no-binary={Requirement(requirement).name}", "-q", "-d", str(dest), requirement]
    if python:
        cmd += ["--python-version", python]
    res = subprocess.run(cmd, capture_output=True, text=True)
    found = [p for p in Path(dest).glob("*") if p.name.endswith(SDIST_SUFFIXES)] \
        if Path(dest).exists() else []
    if res.returncode == 0 and found:
        return found[0]
    err = res.stderr
    if "No matching distribution found" in err or "Could not find a version" in err:
        return None
    last = [line for line in err.strip().splitlines() if line.strip()][-1:] or ["no output"]
    raise SourceError(f"pip could not download {requirement!r}: {last[0].strip()}",
                       "check the requirement and that pip reaches its index")


def from_requirement(spec, pythons, workdir):
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        raise SourceError(f"{spec!r} is not a package name, requirement, sdist or directory",
                           "pass e.g. msgpack, msgpack==1.1.2, ./pkg-1.0.tar.gz or ./project")
    base = Path(workdir) / "download"
    newest = pip_download(spec, base / "any")
    if newest is None:
        raise SourceError(f"no source distribution for {spec!r} on the configured index",
                           "check the package name and version (vmwheel builds from sdists)")
    src = from_file(newest)
    src.note = f"{req.name} {src.version} from the index"
    if req.specifier or req.url or any(src.admits(p) for p in pythons):
        return src
    # A bare name whose newest release admits none of our interpreters: take the newest that
    # admits at least one, and say why.
    best = None
    for py in pythons:
        path = pip_download(spec, base / f"py{py}", python=py)
        version = read_metadata(path)[1] if path else None
        if version and (best is None or Version(version) > Version(best[1])):
            best = (path, version, py)
    if best is None:
        raise SourceError(
            f"no release of {req.name} admits Python {', '.join(pythons)} "
            f"(newest {src.version} requires Python {src.requires_python})",
            "use a machine with newer interpreters")
    chosen = from_file(best[0])
    chosen.note = (f"{req.name} {chosen.version}: newest release for Python {best[2]} "
                   f"({req.name} {src.version} requires Python {src.requires_python})")
    return chosen


def from_git(spec, workdir):
    """`git+URL[@REF]` or a path/URL ending in .git: cloned on the host, then made an sdist."""
    url, ref = spec[4:] if spec.startswith("git+") else spec, None
    # @REF is looked for after the host: user:token@host is not a ref.
    m = re.match(r"^([\w.+-]+://[^/]*)(/.*)?$", url)
    head, path = (m.group(1), m.group(2) or "") if m else ("", url)
    m = re.match(r"^(.*\.git|[^@]*?)(?:@([^/@]+))?$", path)
    if m and m.group(2):
        url, ref = head + m.group(1), m.group(2)
    dest = Path(workdir) / "git"
    shutil.rmtree(dest, ignore_errors=True)
    cmd = ["git", "clone", "-q"] + (["--branch", ref] if ref else [])
    res = subprocess.run(cmd + ["--depth", "1", "--", url, str(dest)], capture_output=True,
                         text=True)
    if res.returncode != 0 and "shallow" in res.stderr:  # e.g. a dumb HTTP server
        shutil.rmtree(dest, ignore_errors=True)
        res = subprocess.run(cmd + ["--", url, str(dest)], capture_output=True, text=True)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise SourceError(f"could not clone {url}{'@' + ref if ref else ''}: {last}",
                           "check the URL (and the branch or tag after @)")
    src = from_directory(dest, workdir)
    src.note = f"sdist built from a clone of {url}" + (f" at {ref}" if ref else "")
    return src


def resolve(spec, pythons, workdir):
    """Source for `spec`: an sdist file, a project directory, a git URL, or a requirement."""
    if not spec.strip():
        raise ConfigurationError("the package to build is empty",
                                 "pass a name (msgpack), an sdist, a directory (.) or a git URL")
    if spec.startswith("git+") or re.match(r"^[^@]*\.git(@[^/@]+)?/?$", spec):
        return from_git(spec, workdir)
    path = Path(spec)
    direct_url = re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@", spec)
    if not direct_url and (re.search(r"[/\\]", spec) or spec in (".", "..") or path.exists()):
        if path.is_file() and spec.endswith(SDIST_SUFFIXES):
            return from_file(path)
        if path.is_dir():
            return from_directory(path, workdir)
        raise SourceError(f"{spec!r} is neither an sdist (.tar.gz, .zip) nor a project directory",
                           "pass an existing sdist file or directory")
    return from_requirement(spec, pythons, workdir)
