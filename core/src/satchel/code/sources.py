"""What a code source becomes in the store: the files kept, the language, the modules it holds.

A ``.py`` file is kept as it is; a notebook's code cells become one module (magics and shell lines
dropped, and listed); an archive (``.zip``, ``.tar.gz``, ``.tgz``) is kept as it is after a trial
extraction with :mod:`satchel.archives`' checks; a directory is stored as a zip written the same
way every time (sorted names, fixed timestamps), so the same folder gives the same content hash.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
import zipfile
from collections.abc import Iterable
from typing import Any

import attrs

from satchel import tempdirs
from satchel.archives import safe_extract
from satchel.artifacts import FileSource
from satchel.errors import CodeError, UnsafeArchiveError

__all__ = [
    "ARCHIVE_SUFFIXES",
    "CODE_TYPES",
    "LANGUAGES",
    "CodeSource",
    "CodeWarning",
    "archive_suffix",
    "check_code_type",
    "check_module_names",
    "code_root",
    "module_names",
    "notebook_module",
    "read_code_source",
]

#: Suffix -> language, for sources named without ``language=``.
LANGUAGES = {".py": "python", ".ipynb": "python"}
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
CODE_TYPES = ("function", "workflow")
#: Never stored from a directory: caches and tool folders, not code.
_SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".venv", ".satchel", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".nox", ".tox"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
#: Module names a code artifact may not define: they would replace satchel, or its own
#: dependencies, while the code runs.
_RESERVED = frozenset({"satchel", "pluggy", "attrs", "attr", "cattrs", "cattr", "fsspec", "packaging", "yaml"})
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MAX_DROPPED_LISTED = 50


class CodeWarning(UserWarning):
    """Something in a code source was left out (a notebook's magics) or could not be checked."""


@attrs.frozen
class CodeSource:
    """A source read for the store: ``files`` to keep, what they hold, and what was changed.

    ``temporary`` are files made here (a directory's zip, a notebook's module) to delete once stored.
    """

    files: tuple[FileSource, ...]
    language: str
    layout: str  # "file" or "archive"
    modules: tuple[str, ...]
    notes: dict[str, Any] = attrs.field(factory=dict)
    temporary: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        """What the artifact's record says about its code, beside code_type and requirements."""
        return {"language": self.language, "layout": self.layout, "modules": list(self.modules), **self.notes}

    def cleanup(self) -> None:
        for path in self.temporary:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)


def check_code_type(code_type: str) -> str:
    if code_type not in CODE_TYPES:
        raise CodeError(f"code_type {code_type!r} is not one of {', '.join(CODE_TYPES)}; use code_type='function' or 'workflow'")
    return code_type


def archive_suffix(name: str) -> str | None:
    """``.zip``, ``.tar.gz`` or ``.tgz`` when ``name`` ends with one (any case), else None."""
    lowered = name.lower()
    return next((suffix for suffix in ARCHIVE_SUFFIXES if lowered.endswith(suffix)), None)


def _language(name: str, language: str | None, what: str) -> str:
    if language is not None:
        if not isinstance(language, str) or not language.strip():
            raise CodeError(f"{what}: language must be a name such as 'python', not {language!r}")
        return language.strip().lower()
    if archive_suffix(name):
        return "python"
    suffix = os.path.splitext(name)[1].lower()
    if suffix in LANGUAGES:
        return LANGUAGES[suffix]
    understood = ", ".join([*LANGUAGES, *ARCHIVE_SUFFIXES])
    raise CodeError(
        f"{what}: cannot tell the language of {name!r} from its suffix; satchel understands {understood}, "
        "or pass language= (e.g. language='python')"
    )


def read_code_source(
    key: str,
    local_path: str | os.PathLike[str] | None = None,
    *,
    body: bytes | str | None = None,
    file_name: str | None = None,
    language: str | None = None,
) -> CodeSource:
    """The files a code artifact ``key`` keeps for ``local_path`` (a file, notebook, archive or
    directory) or ``body`` (a small file's bytes or text, named ``file_name`` or ``<key>.py``)."""
    what = f"code artifact {key!r}"
    if local_path is not None and body is not None:
        raise CodeError(f"{what}: pass local_path or body, not both")
    if body is not None:
        return _from_body(key, body, file_name, language, what)
    if local_path is None:
        raise CodeError(f"{what}: pass local_path= (a .py file, notebook, archive or folder), body= (the code itself) or target_path= (an existing object)")
    path = os.fspath(local_path)
    if os.path.isdir(path):
        return _from_directory(path, language, what)
    if not os.path.isfile(path):
        raise CodeError(f"{what}: local_path {path!r} is neither a file nor a folder")
    name = file_name or os.path.basename(path)
    lang = _language(name, language, what)
    if archive_suffix(name):
        return _from_archive(path, name, lang, what)
    if name.lower().endswith(".ipynb"):
        return _from_notebook(path, name, lang, what)
    return CodeSource(files=(FileSource(name=name, path=path),), language=lang, layout="file", modules=_file_modules(name, lang))


def _file_modules(name: str, language: str) -> tuple[str, ...]:
    if language != "python" or not name.endswith(".py"):
        return ()
    stem = name[:-3]
    check_module_names([stem], name)
    return (stem,)


def _from_body(key: str, body: bytes | str, file_name: str | None, language: str | None, what: str) -> CodeSource:
    if not isinstance(body, (bytes, bytearray, str)):
        raise CodeError(f"{what}: body must be bytes or str, not {type(body).__name__}")
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if not data.strip():
        raise CodeError(f"{what}: body is empty; pass the code itself, e.g. body=b\"def main():\\n    return 'ok'\\n\"")
    name = file_name or f"{key}.py"
    if "/" in name or "\\" in name or name in (".", ".."):
        raise CodeError(f"{what}: file_name {name!r} must be a plain file name such as 'my_func.py'")
    lang = _language(name, language, what)
    if archive_suffix(name) or name.lower().endswith(".ipynb"):
        raise CodeError(f"{what}: a body is one source file; log an archive or notebook with local_path=")
    return CodeSource(files=(FileSource(name=name, data=data),), language=lang, layout="file", modules=_file_modules(name, lang))


# -- Notebooks --------------------------------------------------------------------------------------


def notebook_module(text: str, what: str) -> tuple[str, list[dict[str, Any]], int]:
    """A notebook's code cells as one module, the lines dropped from it, and the code cell count.

    Cell magics (a cell starting ``%%``) are dropped whole; line magics (``%``) and shell lines
    (``!``) one by one; each dropped line is listed with its cell number.
    """
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (ValueError, KeyError, TypeError) as error:
        raise CodeError(f"{what}: not a Jupyter notebook ({error}); pass a .ipynb file saved by Jupyter, or the .py file") from None
    parts: list[str] = []
    dropped: list[dict[str, Any]] = []
    code_cells = 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_cells += 1
        source = cell.get("source", "")
        lines = "".join(source).splitlines() if isinstance(source, list) else str(source).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            dropped.extend({"cell": number, "line": i, "text": line} for i, line in enumerate(lines, start=1))
            continue
        kept: list[str] = []
        for i, line in enumerate(lines, start=1):
            if line.lstrip().startswith(("%", "!")):
                dropped.append({"cell": number, "line": i, "text": line})
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}pass  # dropped: {line.strip()[:60]}" if indent else f"# dropped: {line.strip()[:60]}")
            else:
                kept.append(line)
        parts.append(f"# %% cell {number}\n" + "\n".join(kept).rstrip() + "\n")
    return "\n".join(parts), dropped, code_cells


def _from_notebook(path: str, name: str, language: str, what: str) -> CodeSource:
    with open(path, encoding="utf-8") as handle:
        module, dropped, code_cells = notebook_module(handle.read(), f"{what}: {name}")
    if not module.strip():
        raise CodeError(f"{what}: notebook {name!r} has no code cells; log a notebook with code, or the .py file")
    stem = name[: -len(".ipynb")]
    module_name = f"{stem}.py"
    folder = tempdirs.make_dir("code-")
    target = os.path.join(folder, module_name)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(module)
    notes: dict[str, Any] = {"notebook": {"file": name, "code_cells": code_cells, "dropped_lines": len(dropped), "dropped": dropped[:_MAX_DROPPED_LISTED]}}
    if dropped:
        warnings.warn(
            f"{what}: {len(dropped)} line(s) of notebook {name!r} are magics or shell commands and were "
            f"dropped from module {module_name} (the artifact lists them under notebook.dropped)",
            CodeWarning, stacklevel=4,
        )
    return CodeSource(
        files=(FileSource(name=module_name, path=target),), language=language, layout="file",
        modules=_file_modules(module_name, language), notes=notes, temporary=(folder,),
    )


# -- Archives and folders ---------------------------------------------------------------------------


def module_names(root: str) -> list[str]:
    """The top-level modules a folder on ``sys.path`` provides: ``*.py`` files, packages, and
    folders holding Python files (namespace packages)."""
    found: list[str] = []
    for entry in sorted(os.listdir(root)):
        full = os.path.join(root, entry)
        if entry.endswith(".py") and os.path.isfile(full):
            found.append(entry[:-3])
        elif os.path.isdir(full) and entry.isidentifier() and _holds_python(full):
            found.append(entry)
    return found


def _holds_python(folder: str) -> bool:
    return any(name.endswith(".py") for _root, _dirs, names in os.walk(folder) for name in names)


def code_root(extracted: str) -> str:
    """Where an extracted archive's modules are: its top, or the one folder it holds when the top
    has no Python file and that folder is not a package (``zip -r my_pkg.zip my_pkg/``)."""
    entries = [e for e in os.listdir(extracted) if not e.startswith(".")]
    if len(entries) == 1:
        only = os.path.join(extracted, entries[0])
        if os.path.isdir(only) and not os.path.exists(os.path.join(only, "__init__.py")):
            return only
    return extracted


def check_module_names(names: Iterable[str], where: str) -> None:
    for name in names:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in _RESERVED:
            owner = "the standard library's" if top in sys.stdlib_module_names else "satchel's own"
            raise CodeError(
                f"{where} defines a module {top!r}, which would replace {owner} {top!r} while the code runs; rename it"
            )


def _from_archive(path: str, name: str, language: str, what: str) -> CodeSource:
    modules = _trial_extract(path, f"{what}: archive {name!r}")
    return CodeSource(files=(FileSource(name=name, path=path),), language=language, layout="archive", modules=tuple(modules))


def _trial_extract(path: str, label: str) -> list[str]:
    """Extract into a scratch folder with every check; the modules found. Nothing stays behind."""
    scratch = tempdirs.make_dir("code-check-")
    try:
        try:
            safe_extract(path, scratch, label=label)
        except UnsafeArchiveError as error:
            raise CodeError(f"{error}; log an archive without such members") from error
        if not any(names for _root, _dirs, names in os.walk(scratch)):
            raise CodeError(f"{label} is empty; log an archive holding the code's .py files")
        root = code_root(scratch)
        modules = module_names(root)
        if not modules:
            raise CodeError(f"{label} holds no Python file at its top; put the modules (e.g. trainer.py) at the archive's top, or log the .py file")
        check_module_names(modules, label)
        return modules
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        tempdirs.forget(scratch)


def _from_directory(path: str, language: str | None, what: str) -> CodeSource:
    lang = language.strip().lower() if isinstance(language, str) and language.strip() else "python"
    members: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for entry in sorted(names):
            if entry.endswith(_SKIPPED_SUFFIXES):
                continue
            full = os.path.join(root, entry)
            if os.path.islink(full) and not os.path.realpath(full).startswith(os.path.realpath(path) + os.sep):
                raise CodeError(f"{what}: {full!r} links outside the folder; copy the file in, or remove the link")
            members.append((full, os.path.relpath(full, path).replace(os.sep, "/")))
    if not members:
        raise CodeError(f"{what}: folder {path!r} holds no files; pass a folder with the code's .py files")
    folder = tempdirs.make_dir("code-")
    archive = os.path.join(folder, f"{os.path.basename(os.path.abspath(path)) or 'code'}.zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for full, rel in members:
            info = zipfile.ZipInfo(rel, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as source, out.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
    try:
        modules = _trial_extract(archive, f"{what}: folder {path!r}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return CodeSource(
        files=(FileSource(name=os.path.basename(archive), path=archive),), language=lang, layout="archive",
        modules=tuple(modules), notes={"folder": os.path.basename(os.path.abspath(path))}, temporary=(folder,),
    )
