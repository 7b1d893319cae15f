"""``satchel models``: list and show model packages, verify one (stored or exported), predict with
it, export it to a portable folder, serve it over HTTP.

A package's record and files come from the store, which is untrusted input: ``list`` and ``show``
import and run nothing (the card and signature are read verified with ``Store.read_bytes`` and
every text goes through ``output.printable``); ``predict`` and ``serve`` load the model only once
every file of the package has verified.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from satchel.cli.context import EXIT_FAILED, EXIT_OK, PROG, Context, print_error
from satchel.cli.json_output import documented, print_json
from satchel.cli.output import human_size, print_fields, print_mapping, print_table, printable, short_time
from satchel.errors import IntegrityError, SatchelError, UnpackingError
from satchel.models.export import export_model, verify_model
from satchel.models.manifest import CHECKSUMS, MANIFEST, root_digest, verify_folder
from satchel.models.signature import ModelSignature, to_jsonable
from satchel.project import load_model
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.artifacts import ArtifactRecord
    from satchel.models.package import LoadedModel

__all__ = [
    "MODEL_EXPORT_KEYS",
    "MODEL_KEYS",
    "MODEL_PREDICT_KEYS",
    "MODEL_SHOW_KEYS",
    "MODEL_VERIFY_KEYS",
    "SHOWN_MAX",
    "cmd_models",
]

# The keys scripts may rely on, in the order they are printed; satchel.cli.JSON_KEYS describes them.
MODEL_KEYS = ("uri", "key", "uid", "framework", "format", "version", "size", "created", "tags")
MODEL_SHOW_KEYS = (
    *MODEL_KEYS, "project", "run", "root_digest", "requirements", "versions", "metrics", "params", "notes",
    "labels", "files", "signature", "card",
)
MODEL_VERIFY_KEYS = ("ok", "target", "files", "root_digest", "error")
MODEL_PREDICT_KEYS = ("uri", "root_digest", "outputs")
MODEL_EXPORT_KEYS = ("uri", "path")

#: `models show` prints a card (or reads a signature) up to this size; a larger one is exported instead.
SHOWN_MAX = 1024 * 1024


def cmd_models(ctx: Context) -> int:
    command = {
        "list": _list_models, "show": _show_model, "verify": _verify, "predict": _predict,
        "export": _export, "serve": _serve,
    }[ctx.args.models_command]
    try:
        return command(ctx)
    except IntegrityError as error:
        # A package that fails verification is refused like `satchel verify`'s problems: exit 1.
        print_error(error)
        return EXIT_FAILED


def _uri(ctx: Context, ref: str) -> str:
    return ref if is_store_uri(ref) else f"store://models/{ctx.project_name}/{ref}"


def _record(ctx: Context, ref: str) -> ArtifactRecord:
    record = ctx.project.store.get_artifact(_uri(ctx, ref))
    if record.kind != "model":
        raise UnpackingError(
            f"{record.uri} is a {record.kind} artifact, not a model package; see it with "
            f"`{ctx.command('artifacts', 'show', record.uri)}`"
        )
    return record


def _model_values(record: ArtifactRecord) -> dict[str, Any]:
    extra = record.extra
    return {
        "uri": record.uri, "framework": extra.get("framework"), "version": extra.get("version"),
        "root_digest": extra.get("root_digest"),
    }


# -- list, show ------------------------------------------------------------------------------------


def _list_models(ctx: Context) -> int:
    limit = ctx.args.limit or None
    found = ctx.project.store.list_artifacts(ctx.project_name, kind="model", limit=limit)
    if ctx.json:
        print_json([documented(record, MODEL_KEYS, **_model_values(record)) for record in found])
        return EXIT_OK
    if not found:
        print(f"no model packages in project {ctx.project_name!r}; log one with project.log_model(key, model)")
        return EXIT_OK
    print_table(
        ["uri", "framework", "format", "version", "tags", "size", "created"],
        (
            [r.uri, r.extra.get("framework"), r.format, r.extra.get("version"), ",".join(r.tags) or None,
             human_size(r.size), short_time(r.created)]
            for r in found
        ),
    )
    if limit is not None and len(found) == limit:
        print(f"(the newest {limit}; --limit N for more, --limit 0 for all)", file=sys.stderr)
    return EXIT_OK


def _show_model(ctx: Context) -> int:
    record = _record(ctx, ctx.args.ref)
    extra = record.extra
    card, card_note = _text_file(ctx, record, "model-card.md")
    signature, signature_note = _signature(ctx, record)
    if ctx.json:
        print_json(documented(
            record, MODEL_SHOW_KEYS, **_model_values(record),
            requirements=extra.get("requirements", []), versions=extra.get("versions", {}),
            metrics=extra.get("metrics", {}), params=extra.get("params", {}), notes=extra.get("notes", {}),
            signature=signature.to_json() if signature is not None else None, card=card,
        ))
        return EXIT_OK
    print_fields([
        ("uri", record.uri), ("key", record.key), ("project", record.project),
        ("framework", extra.get("framework")), ("format", record.format), ("version", extra.get("version")),
        ("size", f"{human_size(record.size)} ({record.size} bytes)"), ("created", short_time(record.created)),
        ("tags", ", ".join(record.tags) or None), ("run", record.run), ("root digest", extra.get("root_digest")),
        ("requirements", ", ".join(_strings(extra.get("requirements"))) or None),
    ])
    print_mapping("metrics", _mapping(extra.get("metrics")))
    print_mapping("params", _mapping(extra.get("params")))
    print_mapping("notes", _mapping(extra.get("notes")))
    print_mapping("labels", record.labels)
    if signature is None:
        print(f"signature: {printable(signature_note)}")
    else:
        print("signature:")
        print_table(["  part", "name", "dtype", "shape"], ([f"  {part}", *rest] for part, *rest in signature.rows()))
    if card is None:
        print(f"card: {printable(card_note)}")
    else:
        print("card (model-card.md, as text):")
        for line in card.splitlines():
            print(f"  {printable(line.expandtabs(4))}" if line else "")
    print(f"check it: {printable(ctx.command('models', 'verify', record.uri))}")
    return EXIT_OK


def _text_file(ctx: Context, record: ArtifactRecord, name: str) -> tuple[str | None, str]:
    """The text of one of the package's files, read verified, if it is there and small; else why not."""
    entry = next((f for f in record.files if f.name == name), None)
    if entry is None:
        return None, f"none (the package has no {name})"
    if entry.size > SHOWN_MAX:
        return None, f"{name} is larger than {human_size(SHOWN_MAX)}; export it: {ctx.command('models', 'export', record.uri, 'DIR')}"
    return ctx.project.store.read_bytes(record, name).decode("utf-8", errors="replace"), ""


def _signature(ctx: Context, record: ArtifactRecord) -> tuple[ModelSignature | None, str]:
    """The package's ``signature.json`` (what ``predict`` checks payloads against), or why there is none."""
    if not any(f.name == "signature.json" for f in record.files):
        return None, "none: predict hands any payload to the model unchecked"
    text, why_not = _text_file(ctx, record, "signature.json")
    if text is None:
        return None, why_not
    try:
        return ModelSignature.from_json(json.loads(text), "signature.json"), ""
    except (ValueError, RecursionError) as error:
        return None, f"unreadable ({error})"


def _mapping(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


# -- verify, export --------------------------------------------------------------------------------


def _verify(ctx: Context) -> int:
    ref: str = ctx.args.ref
    if not is_store_uri(ref) and os.path.isdir(ref):
        target = ref
        _check_package_folder(ref)
        try:
            digests = verify_folder(ref)
        except IntegrityError as error:
            return _verify_failed(ctx, target, error)
    elif not is_store_uri(ref) and (os.sep in ref or "/" in ref or ref.startswith(".")):
        raise FileNotFoundError(f"{ref}: there is no such folder; give an exported package's folder, a store:// URI or a key")
    else:
        record = _record(ctx, ref)
        target = record.uri
        try:
            digests = dict(verify_model(ctx.project.store, record).digests)
        except IntegrityError as error:
            return _verify_failed(ctx, target, error)
    digest = root_digest(digests)
    if ctx.json:
        print_json({"ok": True, "target": target, "files": len(digests), "root_digest": digest, "error": None})
        return EXIT_OK
    print(printable(target))
    print(f"verified: {len(digests)} files, root digest {digest}")
    return EXIT_OK


def _check_package_folder(folder: str) -> None:
    """A folder holding exports (``DIR/<name>/<version>/``) rather than one is a usage mistake."""
    if os.path.isfile(os.path.join(folder, MANIFEST)) or os.path.isfile(os.path.join(folder, CHECKSUMS)):
        return
    inside = sorted(
        os.path.join(folder, name, version)
        for name in _folders(folder)
        for version in _folders(os.path.join(folder, name))
        if os.path.isfile(os.path.join(folder, name, version, CHECKSUMS))
    )
    if inside:
        raise SatchelError(f"{folder} holds exported packages, not one: verify a version folder, e.g. {inside[0]}")


def _folders(path: str) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _verify_failed(ctx: Context, target: str, error: IntegrityError) -> int:
    if ctx.json:
        print_json({"ok": False, "target": target, "files": None, "root_digest": None, "error": str(error)})
    else:
        print_error(error)
    return EXIT_FAILED


def _export(ctx: Context) -> int:
    record = _record(ctx, ctx.args.ref)
    folder = export_model(ctx.project.store, record, ctx.args.dest)
    if ctx.json:
        print_json({"uri": record.uri, "path": folder})
    else:
        print(printable(folder))
    return EXIT_OK


# -- predict, serve --------------------------------------------------------------------------------


def _load(ctx: Context) -> LoadedModel:
    args = ctx.args
    return load_model(
        _uri(ctx, args.ref), store=ctx.project.store, allow_pickle=True if args.allow_pickle else None,
        trusted_types=args.trusted_types,
    )


def _predict(ctx: Context) -> int:
    payload = _read_payload(ctx.args.input)
    loaded = _load(ctx)
    try:
        outputs = loaded.predict(payload)
    except (SatchelError, ImportError):
        raise  # the payload does not match the signature (or numpy is missing to check it): exit 2
    except Exception as error:  # noqa: BLE001 - the model's own code failed, as a handler fails a run
        print(f"{PROG}: error: the model failed on this payload: {printable(f'{type(error).__name__}: {error}')}", file=sys.stderr)
        return EXIT_FAILED
    result = to_jsonable(outputs)
    if ctx.json:
        print_json({"uri": loaded.uri, "root_digest": loaded.package.root_digest or None, "outputs": result})
    else:
        print_json(result)
    return EXIT_OK


def _read_payload(path: str) -> Any:
    if path == "-":
        where, text = "stdin", sys.stdin.buffer.read()
    else:
        where = path
        with open(path, "rb") as handle:
            text = handle.read()
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"--input {where} is not JSON: {error}") from None


def _serve(ctx: Context) -> int:
    args = ctx.args
    if ctx.json:
        raise ValueError("models serve prints no JSON; leave out --json (GET /health answers in JSON)")
    # Only this command needs the optional starlette and uvicorn; the module says how to install them.
    from satchel.models.serve import ROUTES, TOKEN_ENV, serve

    token = args.token if args.token is not None else (os.environ.get(TOKEN_ENV) or None)
    loaded = _load(ctx)

    def ready(url: str) -> None:
        print(f"serving {printable(loaded.uri)} (verified, root digest {printable(loaded.package.root_digest)})")
        guarded = "; every request needs Authorization: Bearer <token>" if token else ""
        print(f"  {url}  {ROUTES}{guarded}; Ctrl-C stops it", flush=True)

    serve(loaded, args.host, args.port, ready=ready, token=token)
    return EXIT_OK
