"""Write requirements-runtime.lock: the pins of requirements.lock that the production image
needs, i.e. the runtime dependencies of pyproject.toml and everything they pull in (as
installed). Run ``make runtime-lock`` after changing requirements.lock."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def runtime_closure() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    seen: set[str] = set()
    todo = [Requirement(r) for r in project["dependencies"]]
    while todo:
        requirement = todo.pop()
        key = f"{canonicalize_name(requirement.name)}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.distribution(requirement.name).requires or []:
            dependency = Requirement(line)
            extras = sorted(requirement.extras) or [""]
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in extras
            ):
                todo.append(dependency)
    return {key.split("[")[0] for key in seen}


def read_lock(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().split()
    return {canonicalize_name(line.split("==")[0]): line for line in lines}


def main() -> None:
    full = read_lock("requirements.lock")
    names = runtime_closure()
    missing = sorted(names - set(full))
    if missing:
        raise SystemExit(f"requirements.lock pins no version of: {', '.join(missing)}")
    lines = [line for name, line in full.items() if name in names]
    (ROOT / "requirements-runtime.lock").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
