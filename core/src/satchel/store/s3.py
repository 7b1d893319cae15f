"""The S3 backend: the fsspec backend with S3's own guarantees (through s3fs, ``satchel[s3]``).

- Blobs: a packager's own temporary file or bytes in memory are hashed (a file written through a
  HashingWriter is not read again) and uploaded straight to their content address, in parts for
  large files, never whole in memory; an object appears only once its upload completes, so a
  failed upload leaves nothing visible. A caller's file, which may change while it is read, is
  uploaded while it is hashed to ``tmp/`` and then copied to its address on the server. A blob
  already there is not uploaded again; it is copied onto itself, which renews its time for gc.
- Metadata documents are created with ``If-None-Match: *``: the write itself refuses an existing
  object, the commit point of every version and run (an endpoint that ignores the header makes
  this last-writer-wins; uids are random, so it takes a repeated uid to matter).
- Tags are moved with a compare-and-swap on the ETag (``If-Match``, or ``If-None-Match: *`` for a
  new tag): two writers racing on ``latest`` end with the newer version, whatever the order their
  writes land in, and no version is lost (each is its own object).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from satchel.artifacts import FileEntry, FileSource
from satchel.errors import StoreError
from satchel.store.hashedio import take_written
from satchel.store.hashing import hash_bytes, hash_file
from satchel.store.paths import blob_path
from satchel.store.remote import FsspecBackend

__all__ = ["S3Backend"]

# How often a tag move retries after another writer moved it first (each retry re-reads it).
_CAS_ATTEMPTS = 64


def _error_code(error: BaseException) -> str | None:
    """The S3 error code behind an s3fs error (s3fs turns them into OSErrors)."""
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
        seen = seen.__cause__ or seen.__context__
    return None


_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}


class S3Backend(FsspecBackend):
    """A store root in an S3 bucket (``s3://bucket/prefix``) or S3-compatible object storage."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        # Other machines write here too: a cached listing would hide what they wrote.
        super().__init__(url, {"use_listings_cache": False, **(storage_options or {})})

    def _bucket_key(self, rel: str) -> tuple[str, str]:
        bucket, _, key = self.path(rel).partition("/")
        return bucket, key

    def _call(self, method: str, **kwargs: Any) -> Any:
        return self.fs.call_s3(method, **kwargs)

    # -- blobs -------------------------------------------------------------------------------

    def store_blob(self, source: FileSource, *, link: bool, algorithm: str) -> FileEntry:
        if source.data is None and not link:
            # A caller's file may change while it is read: upload exactly the bytes hashed.
            return super().store_blob(source, link=link, algorithm=algorithm)
        if source.data is not None:
            digits, size = hash_bytes(source.data, algorithm), len(source.data)
            digest = f"{algorithm}:{digits}"
            if not self._renew(digest, size):
                self.fs.pipe_file(self.path(blob_path(digest)), source.data)
            return FileEntry(name=source.name, digest=digest, size=size)
        assert source.path is not None
        return self._store_own_file(source.name, source.path, algorithm)

    def _store_own_file(self, name: str, path: str, algorithm: str) -> FileEntry:
        try:
            before = os.stat(path)
        except OSError as exc:
            raise StoreError(f"cannot read the file to store {path!r}: {exc.strerror}") from exc
        known = take_written(path, algorithm)
        digits, size = known if known is not None else hash_file(path, algorithm)
        digest = f"{algorithm}:{digits}"
        if self._renew(digest, size):
            return FileEntry(name=name, digest=digest, size=size)
        target = self.path(blob_path(digest))
        self.fs.put_file(path, target)  # in parts for large files; visible once complete
        after = os.stat(path)
        if (after.st_ino, after.st_size, after.st_mtime_ns) != (before.st_ino, size, before.st_mtime_ns):
            self.fs.rm_file(target)  # what was uploaded is not what was hashed
            raise StoreError(
                f"{path!r} changed while it was being stored; store it again once nothing writes to it"
            )
        return FileEntry(name=name, digest=digest, size=size)

    def _renew(self, digest: str, size: int) -> bool:
        """True when the blob is already stored whole; its time is renewed so gc keeps it."""
        bucket, key = self._bucket_key(blob_path(digest))
        try:
            info = self._call("head_object", Bucket=bucket, Key=key)
        except (FileNotFoundError, OSError):
            return False
        if int(info.get("ContentLength", -1)) != size:
            return False  # a damaged blob: upload a good one over it
        self._call(
            "copy_object", Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
            MetadataDirective="REPLACE", Metadata={"renewed": secrets.token_hex(4)},
        )
        return True

    # -- tags --------------------------------------------------------------------------------

    def advance_ref(self, rel: str, value: str, *, replaces: Callable[[str | None], bool]) -> str | None:
        """Write *value* at *rel* as long as ``replaces(what is there)`` holds, by compare-and-swap
        on the object's ETag; returns what the ref holds afterwards (*value*, or the newer one
        another writer put there)."""
        bucket, key = self._bucket_key(rel)
        body = f"{value}\n".encode()
        target = self.path(rel)
        for _attempt in range(_CAS_ATTEMPTS):
            # The ETag first, then the bytes: a decision made on bytes newer than the ETag only
            # makes the swap fail, and the next attempt look again.
            try:
                etag = self._call("head_object", Bucket=bucket, Key=key)["ETag"]
                held: str | None = self.fs.cat_file(target).decode("utf-8", "replace").strip()
                condition = {"IfMatch": etag}
            except FileNotFoundError:
                held, condition = None, {"IfNoneMatch": "*"}
            if not replaces(held):
                return held
            try:
                self._call("put_object", Bucket=bucket, Key=key, Body=body, **condition)
            except (FileExistsError, OSError) as error:
                if isinstance(error, FileExistsError) or _error_code(error) in _LOST_RACE:
                    continue  # another writer moved it first: look again
                raise
            return value
        raise StoreError(
            f"could not move the tag {rel} in {self.url}: {_CAS_ATTEMPTS} other writers moved it "
            "first; try again"
        )
