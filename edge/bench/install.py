"""Install size: bytes on disk of every distribution an extra (edge, train) pulls in.

Counted from the installed distributions' RECORD files; nothing is imported.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

from digits.edge.bench.results import Install

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str, extra: str | None) -> bool:
    marker = requirement.partition(";")[2].strip()
    if not marker:
        return True
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate({"extra": extra or ""})
    except ImportError:  # without packaging: extras and platform equalities decide, the rest is met
        wanted = re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        here = {"platform_system": platform.system(), "sys_platform": sys.platform, "os_name": os.name}
        for key, op, value in re.findall(r"(platform_system|sys_platform|os_name)\s*(==|!=)\s*['\"]([^'\"]+)",
                                         marker):
            if (here[key] == value) != (op == "=="):
                if " or " not in marker:
                    return False
        return not wanted or extra in wanted
    except Exception:
        return False


def install_size(extra: str, project: str = "digits") -> Install:
    """Bytes on disk of every installed distribution an extra pulls in, from their RECORD files."""
    seen: dict[str, int] = {}
    missing: list[str] = []
    todo: list[tuple[str, str | None]] = [(project, extra)]
    done: set[tuple[str, str | None]] = set()
    while todo:
        name, want = todo.pop()
        if (_normal(name), want) in done:
            continue
        done.add((_normal(name), want))
        requires = _requires(name, project)
        if requires is None:
            missing.append(name)
            continue
        if _normal(name) != project and _normal(name) not in seen:
            seen[_normal(name)] = _dist_bytes(metadata.distribution(name))
        for requirement in requires:
            match = _NAME.match(requirement)
            if not match or not _wanted(requirement, want):
                continue
            extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
            for sub in extras or [None]:
                todo.append((match.group(1), sub))
    return Install(extra=extra, bytes=sum(seen.values()), packages=dict(sorted(seen.items())),
                   missing=tuple(sorted(set(missing))))


def _requires(name: str, project: str) -> list[str] | None:
    """An installed distribution's requirements (None: not installed). The project itself, run
    from a checkout without installing it, answers from its pyproject.toml."""
    try:
        return metadata.distribution(name).requires or []
    except metadata.PackageNotFoundError:
        if _normal(name) != project:
            return None
    try:
        import tomllib

        table = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
        spec = table["project"]
    except (ImportError, OSError, KeyError, ValueError):
        return None
    requires = list(spec.get("dependencies", []))
    for extra, items in spec.get("optional-dependencies", {}).items():
        for item in items:
            requirement, _, marker = item.partition(";")
            marker = f"({marker.strip()}) and " if marker.strip() else ""
            requires.append(f'{requirement.strip()}; {marker}extra == "{extra}"')
    return requires


def _dist_bytes(dist) -> int:
    total = 0
    for file in dist.files or []:
        try:
            total += Path(file.locate()).stat().st_size
        except OSError:
            continue
    return total
