"""Build hook: the wheel carries the documentation (docs/*.md and the JSON schemas they link
to) inside the package, as croupier/docs, so the back office's /help pages work in an
installed wheel exactly as in a source checkout (which reads docs/ at the repository root).

docs/ stays where it is for readers of the repository and for the people who edit it; it is
copied at build time instead of moved or symlinked into src/ (a symlink breaks on Windows
checkouts and in sdists). Everything else about the build is declared in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PATTERNS = ("*.md", "*.json")


class BuildPyWithDocs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:   # an editable install reads docs/ in place
            return
        source = HERE / "docs"
        target = Path(self.build_lib) / "croupier" / "docs"
        files = sorted(p for pattern in PATTERNS for p in source.glob(pattern))
        if not files:
            raise SystemExit(f"no documentation found in {source}: the wheel would ship without /help pages")
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildPyWithDocs})
