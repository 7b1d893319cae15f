"""The import graph keeps its floors: a module imports only from its own layer or the ones below,
so data flows down and nothing calls back up (docs/architecture.md draws the same layers)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "satchel"

#: Lowest first. A module's layer is the first entry whose prefix names it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", (
        "satchel._version", "satchel.buffers", "satchel.netaddr", "satchel.errors", "satchel.names", "satchel.priorities", "satchel.callcontext",
        "satchel.typenames", "satchel.spelling", "satchel.stacklevels", "satchel.serde", "satchel.entrypoints", "satchel.archives",
        "satchel.diagnostics", "satchel.artifacts", "satchel.tempdirs", "satchel.settings", "satchel.answers", "satchel.uri",
        "satchel.signatures", "satchel.loghints", "satchel.signing",
        "satchel.code.requirements", "satchel.code.environments", "satchel.code.sources", "satchel.code.loader",
        "satchel.models.signature", "satchel.models.manifest", "satchel.models.card", "satchel.models.entrypoint",
        "satchel.models.package", "satchel.previews",
    )),
    ("storage", ("satchel.store", "satchel.dataitem", "satchel.code.cache", "satchel.code.logcode", "satchel.code.prune", "satchel.models.export")),
    ("contract", ("satchel.hookspecs",)),
    ("packagers", ("satchel.packagers", "satchel.previewers")),
    ("host", ("satchel.host",)),
    ("operations", ("satchel.scope", "satchel.unpacking", "satchel.packing", "satchel.inputs")),
    ("runs", ("satchel.runs",)),
    ("projects", (
        "satchel.projectconfig", "satchel.functions", "satchel.cluster", "satchel.projectfiles", "satchel.project",
        "satchel.testing",
        "satchel.models.serve",
    )),
    ("interface", (
        "satchel.cli", "satchel.__main__", "satchel.isolated", "satchel.code", "satchel.models", "satchel.scaffold",
        "satchel.ui", "satchel",
    )),
]


def _layer(module: str) -> int:
    for index, (_name, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer of LAYERS; add it where it belongs")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = module.split(".")[: -node.level or None] if path.name != "__init__.py" else module.split(".")
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "satchel" or name.startswith("satchel.")}


def _known(name: str, modules: set[str]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_a_module_imports_nothing_from_a_higher_layer(module: str, path: Path) -> None:
    modules = {name for name, _ in _modules()}
    own = _layer(module)
    upward = sorted(
        f"{target} ({LAYERS[_layer(target)][0]})"
        for target in {_known(name, modules) for name in _imports(module, path)} - {None, module}
        if target is not None and target != "satchel" and _layer(target) > own
    )
    assert [] == upward, f"{module} ({LAYERS[own][0]}) imports from above"


@pytest.mark.parametrize("module", ["satchel.dataitem", "satchel.store", "satchel.testing", "satchel.host"])
def test_a_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """No import cycle hides behind the order the rest of satchel happens to import modules in."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert (0, "") == (done.returncode, done.stderr)
