"""Packaging: setup.cfg holds the metadata. This file only puts the Vagrantfile and provision/
into the built package (builder/_data), so an installed vmwheel (`pip install .`, `pipx install
.`) finds them wherever it runs. An editable install uses the source tree instead."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ["Vagrantfile", *sorted(p.relative_to(HERE).as_posix()
                               for p in (HERE / "provision").iterdir() if p.is_file())]


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for rel in DATA:
            target = Path(self.build_lib) / "builder" / "_data" / rel
            self.mkpath(str(target.parent))
            self.copy_file(str(HERE / rel), str(target), preserve_mode=True)


setup(cmdclass={"build_py": BuildPyWithData})
