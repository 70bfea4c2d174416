"""`make lint`'s architecture check: import-linter's contracts (pyproject.toml) on the installed layout.

import-linter reads a package from one folder, but ours maps several repository folders into
`digits` (pyproject's package-dir). This lays the sources out as they are installed, in a
temporary folder, and runs `lint-imports` there; a broken contract fails the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def source_dir(package: str, package_dir: dict[str, str], root: Path) -> Path:
    """The repository folder a package comes from: the nearest mapped ancestor, then its subfolders."""
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        mapped = package_dir.get(".".join(parts[:cut]))
        if mapped is not None:
            return root.joinpath(mapped, *parts[cut:])
    return root.joinpath(*parts)


def lay_out(root: Path, dest: Path) -> None:
    """Copy every package's modules from `root` into `dest` as the wheel would hold them."""
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package in setup["packages"]:
        here = dest.joinpath(*package.split("."))
        here.mkdir(parents=True, exist_ok=True)
        for module in source_dir(package, setup.get("package-dir", {}), root).glob("*.py"):
            shutil.copy2(module, here / module.name)


def check(root: Path = ROOT) -> subprocess.CompletedProcess:
    """Run lint-imports with root's contracts over root's sources, laid out as installed."""
    with tempfile.TemporaryDirectory(prefix="digits-layers-") as tmp:
        lay_out(root, Path(tmp))
        env = {**os.environ, "PYTHONPATH": tmp}
        command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache",
                   str(root / "pyproject.toml")]
        return subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)


if __name__ == "__main__":
    done = check()
    report = done.stdout
    sys.stdout.write(report[report.find("Contracts"):] if "Contracts" in report else report)
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)
