"""Log code as a versioned ``code`` artifact: a file, notebook, archive, folder or inline body kept
in the store, or an object elsewhere referenced by URL with the sha256 it had when logged."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence

import fsspec

from satchel import tempdirs
from satchel.artifacts import ArtifactRecord
from satchel.code.requirements import parse_requirements
from satchel.code.sources import CodeSource, archive_suffix, check_code_type, read_code_source
from satchel.errors import CodeError
from satchel.store import Store
from satchel.store.hashing import hash_bytes

__all__ = ["log_code"]


def log_code(
    store: Store,
    project: str,
    key: str,
    local_path: str | os.PathLike[str] | None = None,
    *,
    body: bytes | str | None = None,
    file_name: str | None = None,
    target_path: str | None = None,
    code_type: str = "function",
    requirements: Sequence[str] | None = None,
    language: str | None = None,
    labels: Mapping[str, str] | None = None,
    tags: Sequence[str] = ("latest",),
) -> ArtifactRecord:
    """Store the code and return its record (kind ``code``, URI ``store://code/<project>/<key>@<uid>``).

    With ``target_path`` (any fsspec URL) and a source, the code is also copied there; with
    ``target_path`` alone, the artifact references the object already there, and its sha256 is
    checked whenever the code is resolved.
    """
    what = f"code artifact {key!r}"
    check_code_type(code_type)
    parsed = parse_requirements(requirements, f"{what}: requirements")
    if target_path is not None and (not isinstance(target_path, str) or not target_path.strip()):
        raise CodeError(f"{what}: target_path must be a URL or path such as 's3://bucket/funcs/my_func.py', not {target_path!r}")
    if local_path is None and body is None and target_path is not None:
        return _log_reference(store, project, key, target_path, code_type, parsed, language, labels, tags, what)
    source = read_code_source(key, local_path, body=body, file_name=file_name, language=language)
    try:
        extra = {"code_type": code_type, "requirements": parsed, **source.metadata()}
        if target_path is not None:
            extra["target"] = _copy_to_target(source, target_path, what)
        (stored,) = source.files
        return store.log_artifact(
            project=project, key=key, kind="code", files=[stored], tags=tags, format=_format(stored.name),
            labels=dict(labels or {}), extra=extra, link=False,
        )
    finally:
        source.cleanup()


def _format(name: str) -> str:
    suffix = archive_suffix(name)
    if suffix is not None:
        return "zip" if suffix == ".zip" else "tar.gz"
    return os.path.splitext(name)[1].lstrip(".").lower() or "txt"


def _copy_to_target(source: CodeSource, target_path: str, what: str) -> dict[str, object]:
    (stored,) = source.files
    if stored.data is not None:
        data = stored.data
    else:
        assert stored.path is not None
        with open(stored.path, "rb") as handle:
            data = handle.read()
    url = target_path if not target_path.endswith("/") else target_path + stored.name
    try:
        with fsspec.open(url, "wb", auto_mkdir=True) as handle:
            handle.write(data)
    except Exception as error:  # fsspec backends raise their own types
        raise CodeError(f"{what}: cannot copy the code to target_path {url} ({type(error).__name__}: {error})") from error
    return {"url": url, "sha256": hash_bytes(data, "sha256"), "size": len(data), "name": stored.name, "copy": True}


def _log_reference(
    store: Store, project: str, key: str, url: str, code_type: str, requirements: list[str],
    language: str | None, labels: Mapping[str, str] | None, tags: Sequence[str], what: str,
) -> ArtifactRecord:
    name = posixpath.basename(url.rstrip("/"))
    try:
        with fsspec.open(url, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise CodeError(f"{what}: target_path {url} does not exist; pass local_path= to upload the code there") from None
    except Exception as error:  # fsspec backends raise their own types
        raise CodeError(f"{what}: cannot read target_path {url} ({type(error).__name__}: {error})") from error
    # The same checks as for a local source, on the bytes as they are now.
    local = _scratch_copy(data, name)
    try:
        source = read_code_source(key, local, language=language)
        source.cleanup()
    finally:
        os.remove(local)
        os.rmdir(os.path.dirname(local))
    sha256 = hash_bytes(data, "sha256")
    extra = {
        "code_type": code_type, "requirements": requirements, **source.metadata(),
        "target": {"url": url, "sha256": sha256, "size": len(data), "name": name, "copy": False},
    }
    if source.notes.get("notebook"):
        raise CodeError(f"{what}: a referenced notebook cannot be run as it is; log the notebook with local_path=")
    return store.log_artifact(
        project=project, key=key, kind="code", files=[], tags=tags, format=_format(name),
        labels=dict(labels or {}), extra=extra,
    )


def _scratch_copy(data: bytes, name: str) -> str:
    folder = tempdirs.make_dir("code-ref-")
    path = os.path.join(folder, name or "code.py")
    with open(path, "wb") as handle:
        handle.write(data)
    return path

