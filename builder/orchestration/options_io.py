"""Options as a run sees them: the command line and environment, plus the project's own
configuration read from its sdist or directory."""

from pathlib import Path

from ..config.options import Options
from ..errors import ConfigurationError
from ..sources import source

PROJECT_FILES = ("pyproject.toml", "setup.cfg")


def effective_options(cli, src=None):
    """Options for a run; `src` (a resolved Source) adds its pyproject.toml and setup.cfg."""
    texts = [source.read_member(src.sdist, n) for n in PROJECT_FILES] if src else [None, None]
    return Options(cli=cli, pyproject_text=texts[0], setup_cfg_text=texts[1])


def options_of_path(package, cli):
    """Options with the configuration of a project directory or sdist at `package`."""
    path = Path(package)
    if path.is_dir():
        texts = [(path / n).read_text() if (path / n).exists() else None
                 for n in PROJECT_FILES]
    elif path.is_file():
        texts = [source.read_member(path, n) for n in PROJECT_FILES]
    else:
        raise ConfigurationError(f"{package} is neither a project directory nor an sdist",
                                 "pass a directory or an sdist file")
    return Options(cli=cli, pyproject_text=texts[0], setup_cfg_text=texts[1])
