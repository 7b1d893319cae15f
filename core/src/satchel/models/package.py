"""Model packages: a trained model with everything needed to run it, built by a framework's
packager and opened, verified, by whoever loads it.

A package is one ``model`` artifact whose files are::

    model.<format>          the model file(s), as the framework's packager wrote them
    requirements.txt        pinned with ==: the distributions of the model's classes, the format's own
    predict.py              load_model() / predict(payload), standard library + requirements only
    signature.json          inputs, outputs, params (name, dtype, shape, required)
    input_example.json      the example input, and the output the model gave for it
    output_example.json
    model-card.md           what it is, how it was made, what it is for
    code/…                  the user's code_paths
    manifest.json           every file's sha256 and the root digest (model-signing style)
    checksum.txt            the same digests as sha256sum lines

A framework packager (``satchel-sklearn``'s, say) writes the model file, names its framework,
format and loader, and calls :func:`build_package`; what ``log_model`` was asked besides the object
(the example, a signature, requirements, the card's text, metrics…) reaches it through
:func:`model_request`. Loading goes the other way: :func:`open_package` verifies every file against
the store's digests and the manifest before the framework's loader sees one byte.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import importlib.metadata
import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from satchel.artifacts import ArtifactRecord, FileEntry, FileSource, ModelArtifact
from satchel.errors import IntegrityError, SatchelError, UnpackingError
from satchel.models.card import card_sections, render_card
from satchel.models.entrypoint import render_entrypoint
from satchel.models.manifest import (
    CHECKSUMS,
    MANIFEST,
    build_manifest,
    checksum_text,
    file_sha256,
    read_manifest,
    root_digest,
    verify_digests,
    verify_folder,
)
from satchel.models.signature import ModelSignature, infer_signature, to_jsonable, validate_payload

__all__ = [
    "LoadedModel",
    "ModelFiles",
    "ModelPackage",
    "ModelRequest",
    "RequirementWarning",
    "build_package",
    "current_loading_options",
    "current_request",
    "has_request",
    "loading_options",
    "model_request",
    "open_package",
    "pinned_requirements",
]

_EXAMPLE_ROWS = 5


class RequirementWarning(UserWarning):
    """A model's requirement is not pinned with ==, so the package may not run the same elsewhere."""


@attrs.define(kw_only=True)
class ModelRequest:
    """What ``log_model`` asks for beside the model object."""

    input_example: Any = None
    signature: ModelSignature | Mapping[str, Any] | None = None
    requirements: Sequence[str] | None = None
    card: str | Mapping[str, str] | None = None
    metrics: Mapping[str, Any] = attrs.field(factory=dict)
    params: Mapping[str, Any] = attrs.field(factory=dict)
    code_paths: Sequence[str | os.PathLike[str]] = ()
    run: Mapping[str, Any] | None = None
    version: str | None = None


_request: contextvars.ContextVar[ModelRequest | None] = contextvars.ContextVar("satchel_model_request", default=None)
_loading: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar("satchel_model_loading", default=None)


@contextlib.contextmanager
def model_request(request: ModelRequest) -> Iterator[ModelRequest]:
    """While inside, a framework packager packing a model builds it with ``request``."""
    token = _request.set(request)
    try:
        yield request
    finally:
        _request.reset(token)


def has_request() -> bool:
    """Whether a caller set what to pack a model with (``log_model``), in this context."""
    return _request.get() is not None


def current_request() -> ModelRequest:
    """What the caller asked for the model being packed (empty when a handler just returned it)."""
    return _request.get() or ModelRequest()


@contextlib.contextmanager
def loading_options(**options: Any) -> Iterator[None]:
    """The caller's options for loading models (``trusted_types`` for skops), for the framework's unpacker."""
    token = _loading.set(dict(options))
    try:
        yield
    finally:
        _loading.reset(token)


def current_loading_options() -> Mapping[str, Any]:
    """What the caller passed to ``load_model`` for the framework's loader (e.g. ``trusted_types``)."""
    return _loading.get() or {}


@attrs.define(kw_only=True)
class ModelFiles:
    """What a framework packager hands :func:`build_package`.

    ``files`` maps names in the package to local files it wrote; ``entrypoint`` is the source of
    ``_load(folder)`` and ``_call(model, inputs)`` for ``predict.py``; ``modules`` are the modules
    the model's classes come from (their distributions are pinned); ``format_requirements`` the
    distributions the format needs to load; ``predict`` runs the live model on a (checked) example
    to record its output; ``notes`` go into the card and the record (a conversion's drift, say).
    """

    framework: str
    format: str
    files: Mapping[str, str]
    entrypoint: str
    modules: Sequence[str] = ()
    format_requirements: Sequence[str] = ()
    predict: Callable[[dict[str, Any]], Any] | None = None
    notes: Mapping[str, Any] = attrs.field(factory=dict)
    output_name: str = "y"


@functools.lru_cache(maxsize=1)
def _distributions() -> Mapping[str, list[str]]:
    """Top-level module -> the distributions providing it (reading every installed distribution's
    files takes a tenth of a second: once per process)."""
    return importlib.metadata.packages_distributions()


@functools.lru_cache(maxsize=256)
def _installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (read from its metadata once per process)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _distribution_of(module: str) -> str | None:
    top = module.partition(".")[0]
    names = _distributions().get(top) or []
    return names[0] if names else None


def pinned_requirements(modules: Sequence[str], format_needs: Sequence[str], given: Sequence[str] | None) -> list[str]:
    """``name==version`` for the distributions of ``modules`` and ``format_needs``, the user's own
    requirements winning (by canonical name); an unpinned one is a RequirementWarning naming it."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    for module in modules:
        if module.partition(".")[0] in sys.stdlib_module_names or module.startswith("builtins"):
            continue
        distribution = _distribution_of(module)
        if distribution is not None:
            found.setdefault(canonicalize_name(distribution), distribution)
    for name in format_needs:
        found.setdefault(canonicalize_name(name), name)
    pinned: dict[str, str] = {}
    for key, distribution in found.items():
        version = _installed_version(distribution)
        if version is not None:
            pinned[key] = f"{distribution}=={version}"
    for text in given or ():
        requirement = Requirement(text)
        if not any(spec.operator in ("==", "===") for spec in requirement.specifier):
            warnings.warn(
                f"model requirement {text!r} is not pinned with ==, so the package may install another "
                "version elsewhere; pin it (e.g. name==1.2.3)", RequirementWarning, stacklevel=4,
            )
        pinned[canonicalize_name(requirement.name)] = str(requirement)
    return [pinned[key] for key in sorted(pinned)]


def _example_rows(value: Any) -> Any:
    """The first few rows of an example, so the package keeps a small one."""
    if hasattr(value, "iloc"):
        return value.iloc[:_EXAMPLE_ROWS]
    if hasattr(value, "shape") and getattr(value, "ndim", 0) >= 1:
        return value[:_EXAMPLE_ROWS]
    if isinstance(value, Mapping):
        return {k: _example_rows(v) for k, v in value.items()}
    if isinstance(value, list):
        return value[:_EXAMPLE_ROWS]
    return value


def _payload_json(value: Any) -> Any:
    if hasattr(value, "columns") and hasattr(value, "to_dict"):
        return value.to_dict(orient="list")
    return to_jsonable(value)


def build_package(key: str, files: ModelFiles, folder: str, *, request: ModelRequest | None = None) -> ModelArtifact:
    """Write the whole package into the empty ``folder`` and return the artifact to store."""
    request = request or current_request()
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    os.makedirs(folder, exist_ok=True)
    for name, path in files.files.items():
        target = os.path.join(folder, *name.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # The packager's own temporary file: moved into the package, not copied.
        try:
            os.replace(path, target)
        except OSError:
            shutil.copyfile(path, target)
    requirements = pinned_requirements(files.modules, files.format_requirements, request.requirements)
    with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as handle:
        handle.write("".join(f"{r}\n" for r in requirements))

    signature, output = _signature(request, files)
    example = _example_rows(request.input_example) if request.input_example is not None else None
    if example is not None:
        if output is None and files.predict is not None and signature is not None:
            output = files.predict(validate_payload(signature, example))
        _write_json(folder, "input_example.json", _payload_json(example))
        if output is not None:
            _write_json(folder, "output_example.json", to_jsonable(output))
    if signature is not None:
        with open(os.path.join(folder, "signature.json"), "w", encoding="utf-8") as handle:
            handle.write(signature.dumps())
    versions = {}
    for requirement in requirements:
        name, _sep, version = requirement.partition("==")
        if version:
            versions[name] = version
    version = request.version or created
    usage = json.dumps(_payload_json(_example_rows(example) if example is not None else {"X": []}))
    if len(usage) > 120:
        usage = "payload"
    with open(os.path.join(folder, "predict.py"), "w", encoding="utf-8") as handle:
        handle.write(render_entrypoint(key, version, files.entrypoint, example=usage))
    for code_path in request.code_paths:
        _copy_code(os.fspath(code_path), os.path.join(folder, "code"))
    card = render_card(
        name=key, version=version, framework=files.framework, versions=versions, model_format=files.format,
        created=created, signature=signature, sections=card_sections(request.card), run=request.run,
        params=request.params, metrics=request.metrics, notes=files.notes, requirements=requirements,
    )
    with open(os.path.join(folder, "model-card.md"), "w", encoding="utf-8") as handle:
        handle.write(card)
    return ModelArtifact(
        key=key, src_path=folder, format=files.format, framework=files.framework, requirements=requirements,
        # The manifest lists sha256 digests (the portable format's): the store hashes the files by
        # sha256 too, so the manifest is made from its digests and no file is read twice.
        derive=manifest_files, digest="sha256",
        package={
            "signature": signature.to_json() if signature is not None else None,
            "model_files": sorted(files.files), "versions": versions, "metrics": to_jsonable(dict(request.metrics)),
            "params": to_jsonable(dict(request.params)), "notes": to_jsonable(dict(files.notes)), "version": version,
        },
    )


def manifest_files(entries: list[FileEntry]) -> tuple[list[FileSource], dict[str, Any]]:
    """``manifest.json`` and ``checksum.txt`` made from the digests the store computed for the
    package's files as it took them in (no second pass over them), and the root digest to record.

    The entries must be sha256 ones: a package is stored with ``digest="sha256"``."""
    digests = {}
    for entry in entries:
        if entry.name in (MANIFEST, CHECKSUMS):
            raise SatchelError(f"a model package's {entry.name} is made when it is stored; do not write one")
        if entry.sha256 is None:
            raise SatchelError(
                f"a model package's manifest lists sha256 digests, but the store hashed {entry.name!r} "
                f"with {entry.algorithm}; store the package with digest='sha256'"
            )
        digests[entry.name] = entry.sha256
    manifest = build_manifest(digests)
    files = [
        FileSource(name=MANIFEST, data=(json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")),
        FileSource(name=CHECKSUMS, data=checksum_text(digests).encode("utf-8")),
    ]
    return files, {"root_digest": manifest["root_digest"]}


def _signature(request: ModelRequest, files: ModelFiles) -> tuple[ModelSignature | None, Any]:
    """The signature (given, or inferred from the example and the output the model gives for it),
    and that output when it was computed here."""
    given = request.signature
    if isinstance(given, ModelSignature):
        return given, None
    if given is not None:
        return ModelSignature.from_json(given, "signature="), None
    if request.input_example is None:
        return None, None
    inputs = infer_signature(request.input_example)
    if files.predict is None:
        return inputs, None
    output = files.predict(validate_payload(inputs, _example_rows(request.input_example)))
    return infer_signature(request.input_example, output, output_name=files.output_name), output


def _write_json(folder: str, name: str, value: Any) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, sort_keys=True, allow_nan=True)
        handle.write("\n")


def _copy_code(path: str, into: str) -> None:
    if os.path.isdir(path):
        shutil.copytree(path, os.path.join(into, os.path.basename(os.path.abspath(path))), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".git"))
    elif os.path.isfile(path):
        os.makedirs(into, exist_ok=True)
        shutil.copyfile(path, os.path.join(into, os.path.basename(path)))
    else:
        raise SatchelError(f"code_paths: {path!r} is neither a file nor a folder")


# -- Opening a package -----------------------------------------------------------------------------


@attrs.frozen
class ModelPackage:
    """A verified package on local disk: ``folder`` holds its files; nothing in it was deserialised."""

    folder: str
    signature: ModelSignature | None
    card: str
    digests: Mapping[str, str]
    metadata: Mapping[str, Any]
    uri: str | None = None

    def path(self, name: str) -> str:
        return os.path.join(self.folder, *name.split("/"))

    @property
    def root_digest(self) -> str:
        return str(self.metadata.get("root_digest", ""))


def open_package(folder: str, record: ArtifactRecord | None = None) -> ModelPackage:
    """Verify the package in ``folder`` — the files a stored record lists (already checked against
    the store's digests as they were fetched) or an exported folder — against its manifest, and read
    its signature and card. A changed, missing or extra file is an IntegrityError naming it."""
    where = record.uri if record is not None else folder
    if record is not None:
        if record.kind != "model":
            raise UnpackingError(f"{record.uri} is a {record.kind} artifact, not a model package")
        listed = {entry.name: entry for entry in record.files}
        if MANIFEST not in listed:
            raise IntegrityError(f"{where}: the package has no {MANIFEST}; it cannot be verified, so nothing was loaded")
        with open(os.path.join(folder, MANIFEST), "rb") as handle:
            expected = read_manifest(handle.read(), where)
        claimed = record.extra.get("root_digest")
        if claimed is not None and claimed != root_digest(expected):
            raise IntegrityError(f"{where}: the manifest's root digest is not the one recorded for this version; nothing was loaded")
        # The store checked each file's bytes against its digest while fetching it: a sha256 one
        # is the manifest's own; a file stored by another algorithm is hashed by sha256 here.
        actual = {name: entry.sha256 or file_sha256(os.path.join(folder, *name.split("/")))
                  for name, entry in listed.items() if name not in (MANIFEST, CHECKSUMS)}
        verify_digests(expected, actual, where)
        metadata: Mapping[str, Any] = record.extra
    else:
        expected = verify_folder(folder, where)
        metadata = {}
    signature = None
    signature_path = os.path.join(folder, "signature.json")
    if os.path.isfile(signature_path):
        with open(signature_path, encoding="utf-8") as handle:
            try:
                signature = ModelSignature.from_json(json.load(handle), f"{where}: signature.json")
            except ValueError as error:
                raise UnpackingError(f"{where}: signature.json is not a signature ({error})") from error
    card_path = os.path.join(folder, "model-card.md")
    card = ""
    if os.path.isfile(card_path):
        with open(card_path, encoding="utf-8", errors="replace") as handle:
            card = handle.read()
    return ModelPackage(folder=folder, signature=signature, card=card, digests=expected, metadata=metadata,
                        uri=record.uri if record is not None else None)


class LoadedModel:
    """A verified model package, ready to predict: ``predict(payload)`` checks the payload against
    the signature (fields, shapes, dtypes that cast safely) before the model sees it."""

    def __init__(self, model: Any, package: ModelPackage, call: Callable[[Any, dict[str, Any]], Any]) -> None:
        self.model = model
        self.package = package
        self._call = call

    @property
    def signature(self) -> ModelSignature | None:
        return self.package.signature

    @property
    def card(self) -> str:
        return self.package.card

    @property
    def uri(self) -> str | None:
        return self.package.uri

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.package.metadata

    def predict(self, payload: Any) -> Any:
        """The model's outputs for ``payload``; a SignatureMismatchError names a field that does not match."""
        if self.signature is not None:
            inputs = validate_payload(self.signature, payload)
        else:  # no signature: the payload goes to the model as it is
            inputs = dict(payload) if isinstance(payload, Mapping) else {"X": payload}
        return self._call(self.model, inputs)

    def __repr__(self) -> str:
        return f"<LoadedModel {self.uri or self.package.folder} {self.metadata.get('framework', '')}>"
