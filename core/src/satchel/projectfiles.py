"""A project as a file: exported to a portable ``.zip`` or a ``project.yaml``, and loaded again.

Two forms, chosen by the path's suffix:

- ``.zip``: ``project.yaml`` (the spec) and the code of every function and workflow under
  ``code/<dir>/<file>``. A ``store://`` code artifact is fetched verified through the store (a
  referenced object is checked against the sha256 logged with it); a local ``.py`` file is copied
  in. The spec's sources point into the zip, and its ``code`` list says what each file was (key,
  code type, language, requirements, labels, the exact URI or file it came from, its sha256).
  Loading logs each file again as a code artifact of the target store, under the same key (a
  local file's key is its function's name), and points the functions at the new URIs: pinned
  (``@uid``) where the exported source was pinned, unpinned (so ``latest`` keeps working)
  elsewhere. The project is portable to any store.
- ``.yaml``/``.yml``: the same spec without code. ``store://`` URIs are kept exactly as they
  are, so the file is usable only with a store that holds that code: loading checks every URI
  it names first, and refuses (naming each one missing) before saving anything.

A module source is kept as the module's name in both forms: it needs the module installed.

Trust. The file is untrusted input: it is read with ``yaml.safe_load``, checked field by field
(a bad shape is a CodeError naming the field) and the zip is extracted with
:func:`satchel.archives.safe_extract` into a private temporary folder; a path pointing outside
``code/`` or at no member is refused. What the file asks for is a wish, as a stored config is: its
custom packagers are kept in the config but imported only when the caller confirms them, its
``pickle_policy`` never lifts a target project's ``forbid``, and a local-file or module source
named by a ``.yaml`` runs only when the caller's ``trusted_code`` setting allows it. Code embedded
in a ``.zip`` becomes code artifacts of the store, which run without that setting: loading a zip is
logging its code, so load only zips whose code you would run.

Loading into a project replaces its functions and workflows of the same names, and logs new
versions of the code keys the file embeds (moving their tags to them).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import yaml

from satchel import tempdirs
from satchel.archives import safe_extract
from satchel.code.cache import read_target
from satchel.code.loader import split_handler
from satchel.code.requirements import parse_requirements
from satchel.code.sources import CODE_TYPES, read_code_source
from satchel.errors import ArtifactNotFoundError, CodeError, SatchelError, UnsafeArchiveError
from satchel.functions import check_code_record, source_kind
from satchel.names import validate_name
from satchel.packagers.base import is_json_value
from satchel.priorities import check_priority
from satchel.projectconfig import (
    PICKLE_POLICIES,
    CustomPackagerSpec,
    FunctionSpec,
    ProjectConfig,
    WorkflowSpec,
)
from satchel.serde import ShapeError, check_shape, converter, describe_value
from satchel.uri import ArtifactURI, is_store_uri, parse_uri

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.store import Store


class ProjectLike(Protocol):
    """What export and import need of a project (satchel.project.Project is one)."""

    name: str
    store: Store

    @property
    def config(self) -> ProjectConfig: ...

    def save_config(self) -> None: ...

    def log_code_file(
        self,
        key: str,
        local_path: str | os.PathLike[str] | None = None,
        *,
        code_type: str = ...,
        requirements: Sequence[str] | None = ...,
        language: str | None = ...,
        labels: Mapping[str, str] | None = ...,
        tags: Sequence[str] = ...,
    ) -> Any: ...


#: Opens (or creates) the project a file is loaded into: satchel.project.get_or_create_project.
ProjectOpener = Callable[[str, "Store | str | os.PathLike[str] | None"], Any]

__all__ = [
    "FORMAT_VERSION",
    "SPEC_NAME",
    "CodeEntry",
    "FunctionEntry",
    "ProjectFile",
    "WorkflowEntry",
    "export_project",
    "load_project_file",
]

#: The ``satchel:`` field of every project file: the format this module writes and reads.
FORMAT_VERSION = 1
#: The spec's name inside a zip.
SPEC_NAME = "project.yaml"
CODE_DIR = "code"
_ZIP_SUFFIXES = (".zip",)
_YAML_SUFFIXES = (".yaml", ".yml")
_FORMS = "a .zip (the spec with the code embedded) or a .yaml/.yml (the spec only, store:// URIs as they are)"
_MAX_SPEC_BYTES = 16 * 1024**2
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@attrs.define(kw_only=True)
class CodeEntry:
    """One code file a zip embeds, and the code artifact it becomes when loaded."""

    path: str  # inside the zip: code/<dir>/<file>
    key: str
    code_type: str = "function"
    language: str = "python"
    requirements: list[str] = attrs.field(factory=list)
    labels: dict[str, str] = attrs.field(factory=dict)
    tags: list[str] = attrs.field(factory=list)  # what unpinned references reach it by
    sha256: str
    uri: str | None = None  # the exact version it was exported from
    file: str | None = None  # or the local file it was read from


@attrs.define(kw_only=True)
class FunctionEntry:
    """A function as the file holds it: a FunctionSpec, and in a zip what its source was."""

    name: str
    source: str
    handler: str
    requirements: list[str] = attrs.field(factory=list)
    kind: str = "job"
    exported_from: str | None = None
    note: str | None = None


@attrs.define(kw_only=True)
class WorkflowEntry:
    """A workflow as the file holds it: a WorkflowSpec, and in a zip what its source was."""

    name: str
    source: str
    handler: str = "workflow"
    arguments: dict[str, Any] = attrs.field(factory=dict)
    exported_from: str | None = None
    note: str | None = None


@attrs.define(kw_only=True)
class ProjectFile:
    """The spec: ``project.yaml`` at a zip's top, or the whole of a ``.yaml`` export."""

    satchel: int
    name: str
    labels: dict[str, str] = attrs.field(factory=dict)
    pickle_policy: str = "warn"
    custom_packagers: list[CustomPackagerSpec] = attrs.field(factory=list)
    functions: dict[str, FunctionEntry] = attrs.field(factory=dict)
    workflows: dict[str, WorkflowEntry] = attrs.field(factory=dict)
    code: list[CodeEntry] = attrs.field(factory=list)


# -- Export -----------------------------------------------------------------------------------------


def export_project(project: ProjectLike, path: str | os.PathLike[str]) -> str:
    """Write ``project`` to ``path``: a ``.zip`` with its code embedded, or a ``.yaml``/``.yml``
    spec keeping ``store://`` URIs as they are. The file appears whole or not at all; returns its
    absolute path."""
    target = os.path.abspath(os.fspath(path))
    form = _form(target, f"export of project {project.name!r}")
    config = project.config
    spec = ProjectFile(
        satchel=FORMAT_VERSION, name=project.name, labels=dict(config.labels), pickle_policy=config.pickle_policy,
        custom_packagers=[attrs.evolve(s) for s in config.custom_packagers],
    )
    if form == "yaml":
        for name, function in sorted(config.functions.items()):
            spec.functions[name] = FunctionEntry(
                name=function.name, source=function.source, handler=function.handler,
                requirements=list(function.requirements), kind=function.kind, note=_note(function.source),
            )
        for name, workflow in sorted(config.workflows.items()):
            spec.workflows[name] = WorkflowEntry(
                name=workflow.name, source=workflow.source, handler=workflow.handler,
                arguments=dict(workflow.arguments), note=_note(workflow.source),
            )
        _write_aside(target, lambda part: _write_text(part, _dump(spec)))
        return target
    scratch = tempdirs.make_dir("project-export-")
    try:
        files = _Embedder(project, scratch).embed(spec)
        _write_aside(target, lambda part: _write_zip(part, _dump(spec), files))
    finally:
        tempdirs.forget(scratch)
    return target


class _Embedder:
    """Gathers the code of a project's functions and workflows into a scratch folder for a zip."""

    def __init__(self, project: ProjectLike, scratch: str) -> None:
        self.project = project
        self.scratch = scratch
        self.entries: list[CodeEntry] = []
        self.files: dict[str, str] = {}  # path in the zip -> file on disk
        self.by_version: dict[tuple[str, str, str], CodeEntry] = {}
        self.problems: list[str] = []

    def embed(self, spec: ProjectFile) -> dict[str, str]:
        config = self.project.config
        references = [
            *(("function", name, f.source, f.handler) for name, f in sorted(config.functions.items())),
            *(("workflow", name, w.source, w.handler) for name, w in sorted(config.workflows.items())),
        ]
        # Store code first, so a local file's key (its function's name) steps aside for a stored key.
        rewritten: dict[tuple[str, str], tuple[str, str]] = {}
        for wanted in ("store", "file"):
            for role, name, source, handler in references:
                if source_kind(source) == wanted:
                    rewritten[role, name] = self._source(source, handler, role, name)
        if self.problems:
            raise CodeError(
                f"cannot export project {self.project.name!r} as a zip, nothing was written:\n  - "
                + "\n  - ".join(self.problems)
            )
        for name, function in sorted(config.functions.items()):
            source, handler = rewritten.get(("function", name), (function.source, function.handler))
            spec.functions[name] = FunctionEntry(
                name=function.name, source=source, handler=handler, requirements=list(function.requirements),
                kind=function.kind, exported_from=_unless_same(function.source, source), note=_note(source),
            )
        for name, workflow in sorted(config.workflows.items()):
            source, handler = rewritten.get(("workflow", name), (workflow.source, workflow.handler))
            spec.workflows[name] = WorkflowEntry(
                name=workflow.name, source=source, handler=handler, arguments=dict(workflow.arguments),
                exported_from=_unless_same(workflow.source, source), note=_note(source),
            )
        self._settle_tags()
        spec.code = self.entries
        return self.files

    def _source(self, source: str, handler: str, role: str, name: str) -> tuple[str, str]:
        """The source and handler as the zip's spec says them; a problem is noted for the one error."""
        what = f"{role} {name!r}"
        try:
            if source_kind(source) == "store":
                return self._store_code(source, role, what).path, handler
            return self._local_file(source, role, name, what), _file_handler(source, handler)
        except SatchelError as error:
            self.problems.append(str(error))
            return source, handler

    def _store_code(self, source: str, role: str, what: str) -> CodeEntry:
        uri = parse_uri(source)
        store = self.project.store
        try:
            record = store.get_artifact(uri)
        except ArtifactNotFoundError as error:
            raise CodeError(f"{what}: its code {source} is not in {store.url} ({error})") from error
        check_code_record(record, role, what)
        version = (record.project, record.key, record.uid)
        entry = self.by_version.get(version)
        if entry is None:
            folder = os.path.join(self.scratch, str(len(self.files)))
            os.makedirs(folder)
            written, file_name = _fetch(store, record, folder, what)
            entry = CodeEntry(
                path=self._path(record.key, file_name), key=record.key, code_type=role,
                language=str(record.extra.get("language") or "python"),
                requirements=list(record.extra.get("requirements") or []), labels=dict(record.labels),
                sha256=_sha256(written), uri=record.uri,
            )
            self.by_version[version] = entry
            self.entries.append(entry)
            self.files[entry.path] = written
        if uri.uid is None:
            tag = uri.effective_tag or "latest"
            if tag not in entry.tags:
                entry.tags.append(tag)
        return entry

    def _local_file(self, source: str, role: str, name: str, what: str) -> str:
        if not os.path.isfile(source):
            raise CodeError(f"{what}: its code {source!r} no longer exists; set the function again with its file")
        if not _is_plain(os.path.basename(source)):
            raise CodeError(f"{what}: its file name {os.path.basename(source)!r} cannot go in a zip; rename the file")
        key = name
        used = {e.key for e in self.entries} | {k for _p, k, _u in self.by_version}
        counter = 1
        while key in used:
            counter += 1
            key = f"{name}-file" if counter == 2 else f"{name}-file-{counter}"
        # A copy, so the zip holds the bytes hashed here even if the file is being edited.
        copy = os.path.join(self.scratch, str(len(self.files)), os.path.basename(source))
        os.makedirs(os.path.dirname(copy))
        shutil.copyfile(source, copy)
        entry = CodeEntry(
            path=self._path(key, os.path.basename(source)), key=key, code_type=role, sha256=_sha256(copy),
            file=source, tags=["latest"],
        )
        self.entries.append(entry)
        self.files[entry.path] = copy
        return entry.path

    def _path(self, key: str, file_name: str) -> str:
        folders = {p.split("/")[1] for p in self.files}
        folder, counter = key, 1
        while folder in folders:
            counter += 1
            folder = f"{key}.{counter}"
        return f"{CODE_DIR}/{folder}/{file_name}"

    def _settle_tags(self) -> None:
        """A tag names one version per key in the new store; a key's only version is ``latest`` too."""
        by_key: dict[str, list[CodeEntry]] = {}
        for entry in self.entries:
            by_key.setdefault(entry.key, []).append(entry)
        for key, entries in by_key.items():
            seen: dict[str, CodeEntry] = {}
            for entry in entries:
                for tag in entry.tags:
                    other = seen.setdefault(tag, entry)
                    if other is not entry:
                        raise CodeError(
                            f"cannot export project {self.project.name!r}: {other.uri or other.file} and "
                            f"{entry.uri or entry.file} would both be {key}:{tag} in the zip; pin one of "
                            "the functions to its version (store://...@<uid>)"
                        )
            if len(entries) == 1 and "latest" not in entries[0].tags:
                entries[0].tags.append("latest")
            for entry in entries:
                entry.tags.sort()


def _fetch(store: Store, record: ArtifactRecord, folder: str, what: str) -> tuple[str, str]:
    """The code file of ``record`` written verified into ``folder``, and its name."""
    if record.files:
        if len(record.files) != 1:
            raise CodeError(f"{what}: {record.uri} holds {len(record.files)} files; a code artifact holds one source file or one archive")
        (written,) = store.export(record, folder + os.sep)
        return written, _plain_name(record.files[0].name, record, what)
    data, name = read_target(record)
    name = _plain_name(name, record, what)
    written = os.path.join(folder, name)
    with open(written, "wb") as handle:
        handle.write(data)
    return written, name


def _unless_same(before: str, after: str) -> str | None:
    return None if before == after else before


def _plain_name(name: str, record: ArtifactRecord, what: str) -> str:
    if not _is_plain(name):
        raise CodeError(f"{what}: {record.uri} names its file {name!r}, not a plain file name; log the code again")
    return name


def _file_handler(source: str, handler: str) -> str:
    """A local file's handler (``main`` or ``trainer:main``) as code artifacts need it: ``trainer:main``."""
    stem = os.path.splitext(os.path.basename(source))[0]
    return f"{stem}:{handler.rpartition(':')[2]}"


def _note(source: str) -> str | None:
    kind = _source_form(source, frozenset())
    if kind == "module":
        return f"needs the module {source!r} installed where it runs; its code is not in this file"
    if kind == "file":
        return f"runs the local file {source}, which must exist where it runs and be trusted (trusted_code)"
    return None


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dump(spec: ProjectFile) -> str:
    data: dict[str, Any] = converter.unstructure(spec)
    for group in ("functions", "workflows"):
        data[group] = {name: _without_none(entry) for name, entry in data[group].items()}
    data["code"] = [_without_none(entry) for entry in data["code"]]
    if not data["code"]:
        del data["code"]
    text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return f"# A satchel project; load it with satchel.load_project(path).\n{text}"


def _without_none(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


def _write_aside(target: str, write: Callable[[str], None]) -> None:
    """Write through ``write`` to a file beside ``target``, then rename it into place."""
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.part")
    try:
        write(part)
        os.replace(part, target)
    finally:
        if os.path.exists(part):
            os.remove(part)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _write_zip(path: str, spec_text: str, files: Mapping[str, str]) -> None:
    # Fixed timestamps and sorted names: the same project gives the same zip.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr(_member(SPEC_NAME), spec_text.encode("utf-8"))
        for name in sorted(files):
            with open(files[name], "rb") as source, out.open(_member(name), "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


# -- Load -------------------------------------------------------------------------------------------


def load_project_file(
    open_project: ProjectOpener, path: str | os.PathLike[str], store: Store | str | os.PathLike[str] | None = None,
    *, name: str | None = None,
) -> ProjectLike:
    """The project a ``.zip`` or ``.yaml``/``.yml`` export describes, saved into ``store`` (default
    as :func:`~satchel.project.get_or_create_project` picks it) under ``name`` (default: the file's).

    A zip's code is logged again as code artifacts of ``store`` (same keys; a local file's key is its
    function's name) and the functions point at the new URIs, pinned where they were pinned. A
    yaml's ``store://`` URIs must all be in ``store``: otherwise a CodeError lists every missing one
    and nothing is saved. Functions and workflows of the same names in the project are replaced.
    Nothing the file asks for is trusted: see the module docstring.
    """
    source_path = os.path.abspath(os.fspath(path))
    label = f"project file {source_path!r}"
    form = _form(source_path, f"load_project({source_path!r})")
    if not os.path.isfile(source_path):
        raise CodeError(f"{label} does not exist; pass the path of a project export (project.export(path))")
    if form == "yaml":
        spec = _parse(_read_spec(source_path, label), label)
        if spec.code:
            raise CodeError(
                f"{label} lists embedded code ({spec.code[0].path}, ...), which only a zip holds; load "
                "the .zip it came from"
            )
        return _Loader(spec, label, None).save(open_project, store, name)
    scratch = tempdirs.make_dir("project-load-")
    try:
        root = _extract(source_path, scratch, label)
        spec = _parse(_read_spec(os.path.join(root, SPEC_NAME), label), label)
        return _Loader(spec, label, root).save(open_project, store, name)
    finally:
        tempdirs.forget(scratch)


def _form(path: str, what: str) -> str:
    lowered = path.lower()
    if lowered.endswith(_ZIP_SUFFIXES):
        return "zip"
    if lowered.endswith(_YAML_SUFFIXES):
        return "yaml"
    raise CodeError(f"{what}: {os.path.basename(path)!r} is neither form of a project file; use {_FORMS}")


def _extract(archive: str, scratch: str, label: str) -> str:
    """The zip extracted into ``scratch`` with every check of safe_extract; the folder."""
    if not zipfile.is_zipfile(archive):
        raise CodeError(f"{label} is not a zip archive; pass a zip written by project.export('....zip')")
    try:
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise CodeError(f"{label} cannot be read as a zip ({error}); export the project again") from error
    if SPEC_NAME not in names:
        raise CodeError(f"{label} holds no {SPEC_NAME} at its top; pass a zip written by project.export('....zip')")
    root = os.path.join(scratch, "zip")
    try:
        safe_extract(archive, root, label=label)
    except UnsafeArchiveError as error:
        raise CodeError(f"{error}; nothing from it was loaded") from error
    return root


def _read_spec(path: str, label: str) -> Any:
    if os.path.islink(path) or not os.path.isfile(path):
        raise CodeError(f"{label}: {SPEC_NAME} is not a file")
    if os.path.getsize(path) > _MAX_SPEC_BYTES:
        raise CodeError(f"{label}: the spec is larger than {_MAX_SPEC_BYTES // 1024**2} MiB; a project spec is a few kB")
    with open(path, "rb") as handle:
        raw = handle.read(_MAX_SPEC_BYTES + 1)
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise CodeError(f"{label}: the spec is not UTF-8 text ({error})") from error
    except (yaml.YAMLError, RecursionError) as error:
        raise CodeError(f"{label}: the spec is not valid YAML ({error})") from error


# -- Reading the spec: a shape check naming the field, then the converter ---------------------------


def _parse(data: Any, label: str) -> ProjectFile:
    """The spec as a ProjectFile, or a CodeError naming the field that is wrong and what it should be."""
    if not isinstance(data, dict):
        raise CodeError(f"{label}: the spec is {describe_value(data)}, not a mapping with satchel: {FORMAT_VERSION}, name:, functions: ...")
    version = data.get("satchel")
    if version is None:
        raise CodeError(f"{label}: the spec has no 'satchel' field; a project file starts with satchel: {FORMAT_VERSION}")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise CodeError(f"{label}: the spec is format {version}, written by a newer satchel; this one reads format {FORMAT_VERSION}")
    try:
        _refuse_aliases(data)
        check_shape(data, ProjectFile, "")
    except ShapeError as error:
        raise CodeError(f"{label}: {error}") from None
    except RecursionError:
        raise CodeError(f"{label}: the spec is nested too deeply") from None
    if version != FORMAT_VERSION:
        raise CodeError(f"{label}: satchel: {version!r} is not a format this satchel reads; it reads satchel: {FORMAT_VERSION}")
    spec = converter.structure(data, ProjectFile)
    _check_values(spec, label)
    return spec


def _refuse_aliases(data: Any) -> None:
    """YAML anchors let a small file expand enormously; a project file has no use for them."""
    seen: set[int] = set()
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                raise ShapeError("the spec repeats a mapping or list through a YAML alias (*name); write each out")
            seen.add(id(value))
            pending.extend(value.values() if isinstance(value, dict) else value)


def _check_values(spec: ProjectFile, label: str) -> None:
    """What a shape does not say: names, requirements, priorities, policies, paths."""
    try:
        validate_name(spec.name, "project name")
        if spec.pickle_policy not in PICKLE_POLICIES:
            raise CodeError(f"pickle_policy {spec.pickle_policy!r} is not one of {', '.join(PICKLE_POLICIES)}")
        for index, packager in enumerate(spec.custom_packagers):
            where = f"custom_packagers[{index}]"
            check_priority(packager.priority, f"{where} ({packager.packager!r})")
            if "." not in packager.packager and ":" not in packager.packager:
                raise CodeError(f"{where}: packager {packager.packager!r} must be a dotted path like 'my_module.MyPackager'")
        for group, entries in (("functions", spec.functions), ("workflows", spec.workflows)):
            for key, entry in entries.items():
                where = f"{group}.{key}"
                validate_name(key, f"{group[:-1]} name")
                if entry.name != key:
                    raise CodeError(f"{where}: its name is {entry.name!r}; an entry's name is its key, {key!r}")
                if not entry.handler.strip():
                    raise CodeError(f"{where}: the handler is empty; name it as '<module>:<function>'")
                if not entry.source.strip():
                    raise CodeError(f"{where}: the source is empty")
                for field_name, value in (("source", entry.source), ("exported_from", entry.exported_from)):
                    if value is not None and is_store_uri(value):
                        try:
                            parse_uri(value)
                        except SatchelError as error:
                            raise CodeError(f"{where}.{field_name}: {error}") from error
        for name, function in spec.functions.items():
            parse_requirements(function.requirements, f"functions.{name}.requirements")
            if not function.kind.strip():
                raise CodeError(f"functions.{name}: the kind is empty; the default is 'job'")
        for name, workflow in spec.workflows.items():
            if not is_json_value(workflow.arguments):
                raise CodeError(f"workflows.{name}.arguments: arguments are JSON values (text, numbers, lists, mappings)")
        paths: set[str] = set()
        for index, code in enumerate(spec.code):
            where = f"code[{index}]"
            _check_path(code.path, f"{where}.path")
            if code.path in paths:
                raise CodeError(f"{where}.path: {code.path!r} is listed twice")
            paths.add(code.path)
            validate_name(code.key, f"{where}.key")
            if code.code_type not in CODE_TYPES:
                raise CodeError(f"{where}.code_type: {code.code_type!r} is not one of {', '.join(CODE_TYPES)}")
            parse_requirements(code.requirements, f"{where}.requirements")
            for tag in code.tags:
                validate_name(tag, f"{where} tag")
            if len(code.sha256) != 64 or any(c not in "0123456789abcdef" for c in code.sha256):
                raise CodeError(f"{where}.sha256: {code.sha256[:80]!r} is not a sha256 (64 lowercase hex digits)")
            if code.uri is not None:
                parse_uri(code.uri)
    except (SatchelError, ValueError) as error:
        raise CodeError(f"{label}: {error}") from error


def _check_path(path: str, where: str) -> None:
    """A path inside the zip is ``code/<folder>/<file>``: nothing else, nothing outside."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != CODE_DIR or not all(_is_plain(part) for part in parts[1:]):
        raise CodeError(
            f"{where}: {path!r} is not a file of the zip's {CODE_DIR}/ folder; a zip's code is at "
            f"{CODE_DIR}/<folder>/<file> (e.g. {CODE_DIR}/trainer-code/trainer.py)"
        )


def _is_plain(name: str) -> bool:
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name and name.isprintable()


def _source_form(source: str, embedded: Iterable[str]) -> str:
    """``store``, ``embedded`` (a path in the zip), ``file`` (an absolute path), ``module``, or ``bad``."""
    if is_store_uri(source):
        return "store"
    if source in embedded:
        return "embedded"
    if source_kind(source) == "file":
        return "file" if os.path.isabs(source) else "bad"
    return "module" if all(part.isidentifier() for part in source.split(".")) else "bad"


# -- Loading a parsed spec into a store -------------------------------------------------------------


@attrs.frozen
class _Checked:
    """An embedded code file checked for logging: where it is and which modules it holds."""

    entry: CodeEntry
    local: str
    modules: tuple[str, ...]


class _Loader:
    def __init__(self, spec: ProjectFile, label: str, root: str | None) -> None:
        self.spec = spec
        self.label = label
        self.root = root  # the extracted zip, None for a yaml
        self.entries = {entry.path: entry for entry in spec.code}

    def save(self, open_project: ProjectOpener, store: Store | str | os.PathLike[str] | None, name: str | None) -> ProjectLike:
        project_name = validate_name(name if name is not None else self.spec.name, "project name")
        self._check_sources()
        checked = self._check_code()
        project: ProjectLike = open_project(project_name, store)
        self._check_store(project)
        new_uids = {
            c.entry.path: project.log_code_file(
                c.entry.key, local_path=c.local, code_type=c.entry.code_type, requirements=c.entry.requirements,
                language=c.entry.language, labels=c.entry.labels, tags=c.entry.tags,
            ).record.uid
            for c in checked
        }
        config = project.config
        config.labels.update(self.spec.labels)
        if config.pickle_policy != "forbid":  # the file may not lift the project's own restriction
            config.pickle_policy = self.spec.pickle_policy
        # Kept as wishes: the caller confirms custom packagers (settings, or add_custom_packager).
        wanted = {packager.packager for packager in self.spec.custom_packagers}
        config.custom_packagers = [s for s in config.custom_packagers if s.packager not in wanted] + [
            CustomPackagerSpec(packager=s.packager, is_mandatory=s.is_mandatory, priority=s.priority)
            for s in self.spec.custom_packagers
        ]
        for function_name, function in self.spec.functions.items():
            config.functions[function_name] = FunctionSpec(
                name=function_name, source=self._new_source(project, function.source, function.exported_from, new_uids),
                handler=function.handler, requirements=parse_requirements(function.requirements, function_name),
                kind=function.kind,
            )
        for workflow_name, workflow in self.spec.workflows.items():
            config.workflows[workflow_name] = WorkflowSpec(
                name=workflow_name, source=self._new_source(project, workflow.source, workflow.exported_from, new_uids),
                handler=workflow.handler, arguments=dict(workflow.arguments),
            )
        project.save_config()
        return project

    def _references(self) -> Iterable[tuple[str, str, str, str]]:
        """(group, name, source, handler) of every function and workflow."""
        for name, function in self.spec.functions.items():
            yield "function", name, function.source, function.handler
        for name, workflow in self.spec.workflows.items():
            yield "workflow", name, workflow.source, workflow.handler

    def _check_sources(self) -> None:
        for role, name, source, _handler in self._references():
            form = _source_form(source, self.entries)
            if form == "bad":
                where = "inside the zip under code/ (listed in its code:)" if self.root is not None else "(a .yaml embeds no code)"
                raise CodeError(
                    f"{self.label}: {role} {name!r} has the source {source!r}, which points at no code "
                    f"{where}; a source is a store:// URI, an absolute path to a .py file, a module name"
                    + (", or a path listed under code:" if self.root is not None else "")
                )

    def _check_code(self) -> list[_Checked]:
        """Each embedded file as the store will take it, before anything is written."""
        if self.root is None:
            return []
        checked: list[_Checked] = []
        for entry in self.spec.code:
            local = os.path.join(self.root, *entry.path.split("/"))
            if os.path.islink(local) or not os.path.isfile(local):
                raise CodeError(f"{self.label}: its spec lists {entry.path}, which the zip does not hold; export the project again")
            if _sha256(local) != entry.sha256:
                raise CodeError(f"{self.label}: {entry.path} does not match the sha256 its spec lists; the zip is damaged, export the project again")
            read = read_code_source(entry.key, local, language=entry.language)
            read.cleanup()
            checked.append(_Checked(entry, local, read.modules))
        modules = {c.entry.path: c for c in checked}
        for role, name, source, handler in self._references():
            found = modules.get(source)
            if found is None:
                continue
            what = f"{self.label}: {role} {name!r}"
            if found.entry.code_type != role:
                raise CodeError(f"{what} uses {source}, which is {found.entry.code_type} code (code_type {found.entry.code_type!r}), not {role} code")
            module, _function = split_handler(handler, what)
            if module.partition(".")[0] not in found.modules:
                raise CodeError(f"{what}: handler {handler!r} names module {module!r}, which {source} does not hold; it holds: {', '.join(found.modules)}")
        return checked

    def _check_store(self, project: ProjectLike) -> None:
        """Every ``store://`` URI the spec names is in the target store, as the right code type."""
        missing: list[str] = []
        wrong: list[str] = []
        for role, name, source, _handler in self._references():
            if not is_store_uri(source):
                continue
            what = f"{role} {name!r}"
            try:
                check_code_record(project.store.get_artifact(source), role, what)
            except ArtifactNotFoundError:
                missing.append(f"{source} ({what})")
            except SatchelError as error:
                wrong.append(str(error))
        if missing:
            raise CodeError(
                f"{self.label} names code that {project.store.url} does not hold, so nothing was loaded:\n  - "
                + "\n  - ".join(missing)
                + "\nlog that code into this store first, or export the project as a .zip, which carries its code"
            )
        if wrong:
            raise CodeError(f"{self.label}: nothing was loaded:\n  - " + "\n  - ".join(wrong))

    def _new_source(self, project: ProjectLike, source: str, exported_from: str | None, new_uids: Mapping[str, str]) -> str:
        entry = self.entries.get(source)
        if entry is None:
            return source  # a store:// URI (checked), an absolute path or a module (not trusted)
        pinned = False
        tag: str | None = None
        if exported_from is not None and is_store_uri(exported_from):
            exported = parse_uri(exported_from)
            pinned = exported.uid is not None
            tag = None if pinned else exported.tag
        if tag is not None and tag not in entry.tags:
            tag = None  # a hand-written spec: the version gets only the tags its entry lists
        uid = new_uids[source] if pinned else None
        return str(ArtifactURI(kind="code", project=project.name, key=entry.key, tag=tag, uid=uid))

