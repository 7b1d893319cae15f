"""``satchel new-plugin``: write a complete packager plugin distribution from the templates beside this module.

What it writes passes its own tests as written: ``pyproject.toml`` with the entry point and a
``satchel`` range this release satisfies, a packager for the type, tests on the test kit, a README,
a noxfile and a licence stub. Without ``--type`` the plugin packs a stand-in type of its own, so
the tests have something real to round-trip; every placeholder says what to replace it with.
"""

# Imported only when `satchel new-plugin` runs (the CLI imports command modules on demand).

from __future__ import annotations

import importlib.metadata
import keyword
import os
import re
import shutil
import string
import sys
import tempfile
from importlib import resources
from pathlib import Path

import attrs

from satchel._version import __version__
from satchel.errors import ScaffoldError
from satchel.host import DEFAULT_PLUGINS

__all__ = ["PluginNames", "TargetType", "plugin_names", "render_plugin", "satchel_requirement", "target_type", "write_plugin"]

_NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_PREFIXES = ("satchel-", "satchel_")
_MAX_NAME = 60

#: Each file written: template, path in the distribution ({module} is the package), variants it belongs to.
_FILES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pyproject.toml.tmpl", "pyproject.toml", ("example", "type")),
    ("README.md.tmpl", "README.md", ("example", "type")),
    ("LICENSE.tmpl", "LICENSE", ("example", "type")),
    ("noxfile.py.tmpl", "noxfile.py", ("example", "type")),
    ("gitignore.tmpl", ".gitignore", ("example", "type")),
    ("package_init.py.tmpl", "src/{module}/__init__.py", ("example", "type")),
    ("packagers.py.tmpl", "src/{module}/packagers.py", ("example", "type")),
    ("codec_example.py.tmpl", "src/{module}/_codec.py", ("example",)),
    ("codec_type.py.tmpl", "src/{module}/_codec.py", ("type",)),
    ("example.py.tmpl", "src/{module}/example.py", ("example",)),
    ("conftest.py.tmpl", "tests/conftest.py", ("example", "type")),
    ("test_packager.py.tmpl", "tests/test_packager.py", ("example", "type")),
    ("test_entry_point.py.tmpl", "tests/test_entry_point.py", ("example", "type")),
)


@attrs.frozen
class PluginNames:
    """The names one plugin goes by: entry point ``polars``, distribution ``satchel-polars``,
    package ``satchel_polars``, packager class ``PolarsPackager``."""

    entry_point: str
    distribution: str
    module: str
    class_name: str


@attrs.frozen
class TargetType:
    """The type a plugin packs: ``module`` holds ``qualname``; ``distribution`` provides the module
    (None for the standard library)."""

    module: str
    qualname: str
    distribution: str | None

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.qualname}"

    @property
    def top_module(self) -> str:
        return self.module.partition(".")[0]


def plugin_names(name: str) -> PluginNames:
    """The names for plugin ``name`` (a leading ``satchel-`` is dropped); a ScaffoldError if it is not a usable name."""
    short = name
    for prefix in _PREFIXES:
        if short.startswith(prefix):
            short = short[len(prefix) :]
    if not _NAME_RE.fullmatch(short) or len(short) > _MAX_NAME:
        raise ScaffoldError(
            f"invalid plugin name {name!r}: a name is up to {_MAX_NAME} lowercase letters and digits, "
            "starting with a letter, in words joined by single '-' or '_' (for example 'polars' or "
            "'my-format'); it becomes the distribution satchel-NAME and the package satchel_NAME"
        )
    if short in DEFAULT_PLUGINS:
        raise ScaffoldError(
            f"invalid plugin name {name!r}: core's own {short!r} packager has that name, so the plugin "
            f"could not be told apart from it; choose another (built-in names: {', '.join(sorted(DEFAULT_PLUGINS))})"
        )
    module = "satchel_" + short.replace("-", "_")
    class_name = "".join(word.capitalize() for word in re.split(r"[-_]", short)) + "Packager"
    return PluginNames(entry_point=short, distribution=f"satchel-{short}", module=module, class_name=class_name)


def target_type(dotted: str) -> TargetType:
    """The type ``dotted`` names (``module.Class``; the last part is the class); a ScaffoldError if it is not a dotted name."""
    parts = dotted.split(".")
    if len(parts) < 2 or not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise ScaffoldError(
            f"invalid --type {dotted!r}: give the type's dotted name, its module then the class, "
            "for example polars.DataFrame or PIL.Image.Image"
        )
    module, qualname = ".".join(parts[:-1]), parts[-1]
    top = parts[0]
    if top == "satchel":
        raise ScaffoldError(
            f"invalid --type {dotted!r}: satchel's own types are packed by core; give the type of the "
            "library the plugin is for, for example polars.DataFrame"
        )
    if top in sys.stdlib_module_names:
        return TargetType(module, qualname, None)
    # An installed library names its own distribution (PIL comes from pillow); else guess the module's name.
    providers = importlib.metadata.packages_distributions().get(top) or [top]
    return TargetType(module, qualname, providers[0])


def satchel_requirement(version: str = __version__) -> str:
    """The ``satchel`` requirement a plugin written against ``version`` declares: the same minor
    series before 1.0 (``>=0.1,<0.2``), the same major one after (``>=1.2,<2``)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ScaffoldError(f"cannot derive a satchel range from the version {version!r}; expected MAJOR.MINOR…")
    major, minor = int(match[1]), int(match[2])
    upper = f"0.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"satchel>={major}.{minor},<{upper}"


def render_plugin(name: str, type_name: str | None = None) -> dict[str, str]:
    """Every file of plugin ``name`` packing ``type_name`` (None: a stand-in type), by path in the distribution."""
    names = plugin_names(name)
    if type_name is None:
        variant = "example"
        packed = TargetType(f"{names.module}.example", "Example", None)
        strategy = "st.builds(Example, st.text(), st.lists(st.floats(allow_nan=False, allow_infinity=False)))"
        strategy_comment = "objects of the stand-in type; replace them with your own type's."
        default_format = "json"
    else:
        variant = "type"
        packed = target_type(type_name)
        strategy = f"st.from_type({packed.qualname})"
        strategy_comment = f"Hypothesis builds {packed.qualname} from its signature, which works for simple types only."
        default_format = "txt"
    third_party = packed.distribution is not None
    values = {
        "entry_point": names.entry_point,
        "distribution": names.distribution,
        "module": names.module,
        "class_name": names.class_name,
        "type_name": packed.dotted,
        "type_module": packed.module,
        "type_qualname": packed.qualname,
        "satchel_requirement": satchel_requirement(),
        "dependencies": f'\n    "{packed.distribution}",' if third_party else "",
        "requires": f'"{packed.top_module}": "{packed.distribution}"' if third_party else "",
        "heavy_modules": f'"{packed.top_module}",' if third_party else "",
        "heavy_note": packed.top_module if third_party else "any library",
        "default_format": default_format,
        "strategy": strategy,
        "strategy_comment": strategy_comment,
    }
    # The tests import the packed type: from the standard library, a third-party library, or the
    # plugin itself; isort's groups as the plugin's own project sees them (satchel is third-party there).
    own = [f"from {packed.module} import {packed.qualname}"]
    stdlib = own if variant == "type" and not third_party else []
    library = own if third_party else []
    example = own if variant == "example" else []
    imports = {
        "test_packager.py": _import_block(
            stdlib, ["from hypothesis import strategies as st", "from satchel.testing import PackagerContract", *library],
            [f"from {names.module} import {names.class_name}", *example],
        ),
        "test_entry_point.py": _import_block(
            stdlib, ["from satchel import PluginHost", "from satchel.testing import EntryPointContract", *library], example,
        ),
    }
    templates = resources.files("satchel.scaffold") / "templates"
    files: dict[str, str] = {}
    for template, target, variants in _FILES:
        if variant not in variants:
            continue
        path = target.format(module=names.module)
        text = string.Template((templates / template).read_text(encoding="utf-8"))
        files[path] = text.substitute(values, imports=imports.get(os.path.basename(path), ""))
    files[f"src/{names.module}/py.typed"] = ""
    return files


def _import_block(*groups: list[str]) -> str:
    """Import lines in isort's groups (standard library, third party, first party), a blank line between."""
    return "\n\n".join("\n".join(sorted(group, key=str.lower)) for group in groups if group)


def write_plugin(name: str, type_name: str | None = None, directory: str | os.PathLike[str] | None = None) -> Path:
    """Write plugin ``name`` into ``directory`` (default: ``./satchel-NAME``), which must be new or empty; returns it.

    The files are written into a temporary folder beside it and moved into place at once, so a
    failure leaves nothing half-written, and an existing folder with anything in it is refused
    untouched.
    """
    files = render_plugin(name, type_name)  # checks the name and type before anything is written
    target = Path(directory) if directory is not None else Path(plugin_names(name).distribution)
    target = target.absolute()
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise ScaffoldError(f"cannot write the plugin into {str(target)!r}: it exists and is not a folder; choose a new folder with --dir")
        inside = sorted(entry.name for entry in target.iterdir())
        if inside:
            shown = ", ".join(inside[:3]) + (", …" if len(inside) > 3 else "")
            raise ScaffoldError(
                f"cannot write the plugin into {str(target)!r}: the folder is not empty ({shown}); "
                "nothing was changed. Choose a new or empty folder with --dir"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for relative, text in files.items():
            path = staging.joinpath(*relative.split("/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; a project folder is not
        if target.is_dir():
            target.rmdir()  # empty, checked above; rmdir refuses if something appeared since
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

