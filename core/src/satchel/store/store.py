"""Store: satchel's embedded, content-addressed, atomic artifact store.

Layout under the root (a local folder, or any fsspec URL)::

    objects/blake3/ab/cdef…                  immutable blobs (mode 0o444), named by the blake3 of their bytes
    objects/sha256/ab/cdef…                  … or by their sha256: the algorithm is part of a blob's id
    artifacts/<project>/<key>/<uid>.json     ArtifactRecord JSON, written once: the commit point
    refs/<project>/<key>/<iteration>/<tag>   the uid a tag points at (a symlink's text on local disk,
                                             else a small file), replaced atomically
    runs/<project>/<run uid>.json            run records (JSON dicts owned by the runtime)
    projects/…                               small text documents (project configuration)
    tmp/                                     staging, packagers' scratch and data-item folders
    index.sqlite                             listing index (WAL), rebuildable from the files above

A write goes: every file streams into ``tmp/`` while it is hashed by the store's digest (blake3
unless ``Store(digest="sha256")`` or ``$SATCHEL_DIGEST`` says otherwise; a file already on the same
filesystem is hardlinked and read once) and is renamed to its address; identical content is kept
once. Then the index is told the version is coming, the metadata file appears in one step under a
uid nobody has used (an exclusive create: the commit point), the refs move (each an atomic
replace), and the index lists the version. A process killed at any point leaves a complete
artifact, or orphan blobs and staging files that nothing refers to and that ``gc`` removes; a tag
keeps pointing at the last complete version. A version committed by a writer killed before the
index listed it is listed by the next reader (see `satchel.store.repair`). Every read hashes the
bytes again, by the algorithm their entry names, before anything else sees them; a store may hold
blobs of both algorithms (the same bytes stored once each way are two blobs).

A record's file entry is ``{"name", "digest": "<algorithm>:<hex>", "size"}``; records written
before digests named their algorithm hold ``"sha256": "<hex>"`` instead, and read, verify and
round-trip as they are. An artifact's ``hash`` is the sha256 of its manifest: one
``<name>\t<digest>\t<size>\n`` line per file, sorted by name, UTF-8, the digest a bare hex for
sha256 and ``blake3:<hex>`` for blake3 (see `satchel.store.hashing.manifest_text`). Version uids
are 12 hex digits of Unix milliseconds then 20 random hex digits, so they sort by time.

Non-local stores keep their index in a local cache (``$SATCHEL_CACHE_DIR``, default
``~/.cache/satchel/index/``) or, for ``memory://``, in memory; the files stay the truth and
``reindex`` rebuilds the index from them.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from satchel import tempdirs
from satchel.artifacts import URI_KINDS, ArtifactRecord, FileEntry, FileSource, Producer
from satchel.dataitem import DataItem
from satchel.errors import ArtifactNotFoundError, IntegrityError, SignatureError, StoreError
from satchel.names import validate_name
from satchel.signing import Signer, signer_from_env
from satchel.store.backend import Backend, open_backend
from satchel.store.checks import (
    check_iteration,
    check_json,
    check_kind,
    check_labels,
    check_producer,
    check_sources,
    check_text,
    tag_list,
)
from satchel.store.hashing import DEFAULT_ALGORITHM, DIGEST_ENV, check_algorithm, manifest_hash
from satchel.store.maintenance import (
    GcReport,
    SignatureReport,
    VerifyProblem,
    collect_garbage,
    signature_problem,
    verify_records,
)
from satchel.store.paths import (
    PROJECTS,
    REFS,
    TMP,
    artifact_dir,
    check_document_path,
    check_file_names,
    metadata_path,
    ref_dir,
    ref_path,
)
from satchel.store.records import (
    artifact_row,
    check_readable,
    corrupt_message,
    dump_record,
    load_record,
    missing_blob_message,
    now,
    pick_file,
    record_from_row,
    scan_records,
    scan_signed,
    signature_status,
)
from satchel.store.repair import index_problems, repair_announced
from satchel.store.runrecords import Runs, run_rows
from satchel.store.signedrefs import check_ref, ref_uid, ref_value, split_ref
from satchel.store.uids import new_uid
from satchel.uri import ArtifactURI, is_uid, parse_uri

if TYPE_CHECKING:
    from satchel.store.catalog import Catalog, CatalogWriter

__all__ = ["Store"]

_LIST_HINT = "run `satchel artifacts {}` to list what the store has"


class Store:
    """An artifact store at a local path (the default) or an fsspec URL such as ``memory://x``.

    *durable* also fsyncs every file and folder written (survives power loss; costs speed).
    *index_path* overrides where the SQLite index lives. *catalog* keeps the index in a database
    instead — ``postgresql://user@host/db``, shared by every machine using the store (see
    `satchel.store.sqlcatalog`); None takes ``$SATCHEL_CATALOG``, else the SQLite index. Nothing is written until something is
    stored: opening a store that does not exist yet creates nothing.

    *storage_options* go to the fsspec filesystem of a URL (``s3://bucket/prefix`` takes s3fs's:
    ``endpoint_url``, ``key``, ``secret``, …; without them s3fs reads the usual AWS environment
    variables and files).

    *digest* is the algorithm new blobs are hashed and named by: ``"blake3"`` (the default) or
    ``"sha256"``; None takes ``$SATCHEL_DIGEST``, else blake3. Each file entry names its own
    algorithm and is verified by it, so a store holds (and reads) blobs of both.

    *signing* is the caller's key (see `satchel.signing`): a `Signer`, or None (the default) for
    the one the environment configures (``SATCHEL_SIGNING_KEY``, ``SATCHEL_SIGNING_KEY_FILE``,
    ``SATCHEL_VERIFY_KEY_FILE``), or False for none. With a key, every record, tag and run
    record written is signed, and whatever is read must be signed by that key (SignatureError
    naming it otherwise; listings skip it with a warning). A verify-only key (an Ed25519 public
    key) reads but cannot write. Keys never come from the store.
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        durable: bool = False,
        index_path: str | os.PathLike[str] | None = None,
        signing: Signer | bool | None = None,
        digest: str | None = None,
        storage_options: dict[str, Any] | None = None,
        catalog: str | None = None,
    ) -> None:
        if catalog is not None and index_path is not None:
            raise StoreError(
                "give catalog= (a database URL) or index_path= (an SQLite file), not both: "
                "they are two places for the same index"
            )
        if catalog is not None:
            from satchel.store.catalog import check_catalog_url

            catalog = check_catalog_url(catalog)
        if digest is None:
            chosen = os.environ.get(DIGEST_ENV) or DEFAULT_ALGORITHM
            self.digest: str = check_algorithm(chosen, f" in ${DIGEST_ENV}")
        else:
            self.digest = check_algorithm(digest)
        self._backend: Backend = open_backend(url, durable=durable, storage_options=storage_options)
        self.url: str = self._backend.url
        self._index_path = None if index_path is None else os.fspath(index_path)
        #: The database URL the index is kept in (as given), or None for the store's own SQLite index.
        self.catalog: str | None = catalog
        self._index_handle: Catalog | None = None
        if isinstance(signing, Signer) or signing is False:
            self.signer: Signer | None = signing or None
        elif signing is None or signing is True:
            self.signer = signer_from_env()
            if signing is True and self.signer is None:
                raise StoreError(
                    "signing=True, but no key is configured: set SATCHEL_SIGNING_KEY, "
                    "SATCHEL_SIGNING_KEY_FILE or SATCHEL_VERIFY_KEY_FILE, or pass a Signer"
                )
        else:
            raise StoreError(f"signing must be a satchel.signing.Signer, True, False or None, not {signing!r}")
        self._last_signatures: SignatureReport | None = None
        self._runs = Runs(self._backend, self._index, self._exists, self.signer)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the index connection of a file index (it reopens on next use)."""
        if self._index_handle is not None and self._index_handle.location is not None:
            self._index_handle.close()
        self._index_handle = None

    @property
    def catalog_location(self) -> str | None:
        """The catalog's URL without its password, for messages; None for the store's own index."""
        return None if self.catalog is None else self._index().location

    def staging_dir(self) -> str | None:
        """A local folder on the store's filesystem where files about to be logged can be
        written, so logging links them instead of copying; None for non-local stores.

        Entries there untouched for ``gc``'s *older_than* are removed by ``gc``.
        """
        return self._backend.local_folder(TMP)

    # -- artifacts ---------------------------------------------------------------------------

    def log_artifact(
        self,
        *,
        project: str,
        key: str,
        kind: str,
        files: Iterable[FileSource],
        iteration: int = 0,
        tags: Sequence[str] = ("latest",),
        format: str | None = None,  # noqa: A002 - the record's field name
        artifact_type: str | None = None,
        object_type: str | None = None,
        producer: Producer | None = None,
        instructions: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        preview: dict[str, Any] | None = None,
        run: str | None = None,
        link: bool = True,
        derive: Callable[[list[FileEntry]], tuple[list[FileSource], dict[str, Any]]] | None = None,
        digest: str | None = None,
    ) -> ArtifactRecord:
        """Store *files* as a new version of ``<project>/<key>`` and move *tags* to it.

        *derive*, given the entries of the stored files (their digests as the store computed them
        while taking them in), returns more files made from them and metadata to add to *extra*: a
        model package's manifest is made this way, without a second pass over the files.

        *digest* hashes these files by another algorithm than the store's (a format whose own
        manifest lists sha256 digests asks for sha256, so each file is still read once).

        With *link* (the default) a source file on the store's filesystem is hardlinked into the
        store instead of copied: it then shares its inode with a read-only blob, so it becomes
        read-only too. Pass ``link=False`` for files the caller goes on editing in place.
        """
        what = f"artifact {project}/{key}"
        if self.signer is not None:
            self.signer.require_signing(what)
        algorithm = self.digest if digest is None else check_algorithm(digest, f" for {what}")
        validate_name(project, "project")
        validate_name(key, "key")
        check_kind(kind, f"cannot store {project}/{key}")
        check_iteration(iteration)
        tags = tag_list(tags)
        check_producer(producer)
        sources = check_sources(files, what)
        for name, value in (("instructions", instructions), ("labels", labels), ("extra", extra),
                            ("preview", preview)):
            check_json(value, f"{what}: {name}")
        check_labels(labels, what)
        for name, text in (("format", format), ("artifact_type", artifact_type),
                           ("object_type", object_type), ("run", run)):
            check_text(text, f"{what}: {name}")

        entries = [self._backend.store_blob(source, link=link, algorithm=algorithm) for source in sources]
        if derive is not None:
            derived, more = derive(entries)
            check_json(more, f"{what}: derived extra")
            extra = {**(extra or {}), **more}
            derived_sources = check_sources(derived, what)
            entries += [self._backend.store_blob(source, link=link, algorithm=algorithm)
                        for source in derived_sources]
            check_file_names(sorted(entry.name for entry in entries), what)
            entries.sort(key=lambda entry: entry.name)
        record = ArtifactRecord(
            key=key, kind=kind, project=project, uid=new_uid(), iteration=iteration,
            tags=list(tags), hash=manifest_hash(entries), size=sum(e.size for e in entries),
            files=entries, format=format, artifact_type=artifact_type, object_type=object_type,
            producer=producer, instructions=dict(instructions or {}), labels=dict(labels or {}),
            extra=dict(extra or {}), preview=preview, run=run, created=now(),
        )
        signature = self._commit(record, what)
        moved = self._publish(record, tags, new=True, signature=signature)
        record.tags = sorted(tag for tag, uid in moved if uid == record.uid)
        return record

    def get_artifact(self, ref: str | ArtifactURI) -> ArtifactRecord:
        """The version *ref* names: ``@uid`` exactly, else ``:tag`` (default ``latest``).

        A uid wins over a tag given with it, so recorded URIs stay valid after tags move.
        The record's ``tags`` are the tags pointing at it now.
        """
        uri = ref if isinstance(ref, ArtifactURI) else parse_uri(ref)
        iteration = uri.iteration or 0
        uid = uri.uid
        if uid is None:
            tag = uri.effective_tag or "latest"
            rel = ref_path(uri.project, uri.key, iteration, tag)
            held = self._backend.read_ref(rel)
            uid, signature = split_ref(held)
            if uid is None:
                raise ArtifactNotFoundError(self._missing_tag(uri, tag, iteration))
            if self.signer is not None:
                self.signer.refuse(
                    check_ref(self.signer, uri.project, uri.key, iteration, tag, held),
                    f"the tag {tag!r} of {uri.project}/{uri.key} ({rel} in {self.url}, pointing at "
                    f"{uid[:80]!r})",
                    signature,
                )
            if not is_uid(uid):
                raise StoreError(
                    f"{uri}: the tag {tag!r} holds {uid[:80]!r}, not a version uid; point it "
                    "at a version again with Store.set_tag"
                )
        record = self._load(uri.project, uri.key, uid)
        if record is None:
            if uri.uid is None:
                raise StoreError(
                    f"{uri}: the tag points at version {uid}, whose metadata is missing; "
                    "run `satchel verify` and `satchel reindex`"
                )
            raise ArtifactNotFoundError(
                f"no artifact matches {uri}: {uri.project}/{uri.key} has no version {uid}; "
                + _LIST_HINT.format(uri.project)
            )
        if uri.iteration is not None and record.iteration != uri.iteration:
            raise ArtifactNotFoundError(
                f"no artifact matches {uri}: version {uid} is iteration {record.iteration}, "
                f"not {uri.iteration}; its URI is {record.uri}"
            )
        if uri.kind != "artifacts" and URI_KINDS.get(record.kind, "artifacts") != uri.kind:
            raise ArtifactNotFoundError(
                f"no artifact matches {uri}: {uri.project}/{uri.key} is a {record.kind} "
                f"artifact; its URI is {record.uri}"
            )
        record.tags = self._tags_of(record)
        return record

    def data_item(self, record: ArtifactRecord) -> DataItem:
        """A DataItem whose files are hashed again before ``local()`` hands them out.

        Local stores put hardlinks to the blobs in a fresh folder under ``tmp/``; other stores
        download into a local temporary folder. The folders go at interpreter exit.
        """
        check_readable(record)

        def materialize() -> str:
            folder = tempdirs.register(self._backend.make_item_dir())
            try:
                self._copy_out(record, folder)
            except BaseException:
                tempdirs.forget(folder)
                raise
            return folder

        return DataItem(
            record.key,
            kind=record.kind,
            file_names=[entry.name for entry in record.files],
            materialize=materialize,
            record=record,
            artifact_type=record.artifact_type,
            reader=lambda name: self.read_buffer(record, name),
        )

    def read_bytes(self, record: ArtifactRecord, name: str | None = None) -> bytes:
        """The verified bytes of one file of *record* (its only file when *name* is None)."""
        return bytes(self.read_buffer(record, name))

    def read_buffer(
        self, record: ArtifactRecord, name: str | None = None, *, progress: Callable[[int], object] | None = None
    ) -> memoryview:
        """One file of *record* (its only file when *name* is None) read once into a new writable
        buffer, hashed as it was read and checked before it is returned (IntegrityError if it is
        not what the record says). The buffer is the caller's: it is never the stored file."""
        entry = pick_file(check_readable(record), name)
        try:
            data, actual, size = self._backend.read_blob_hashed(entry.digest, entry.size, progress)
        except FileNotFoundError:
            raise IntegrityError(missing_blob_message(record, entry)) from None
        if actual != entry.digest or size != entry.size:
            raise IntegrityError(corrupt_message(record, entry, actual))
        return data

    def export(
        self, record: ArtifactRecord, dest: str | os.PathLike[str], *, progress: Callable[[int], object] | None = None
    ) -> list[str]:
        """Copy the artifact's files, verified, out of the store; returns the paths written.

        A single-file artifact goes to *dest* itself unless *dest* is an existing folder or ends
        with a separator; otherwise the files go under *dest* by their names. Each file appears
        whole (written aside, checked, then renamed) or not at all. *progress* is told the size
        of each chunk as it is copied.
        """
        check_readable(record)
        dest = os.fspath(dest)
        into_folder = len(record.files) != 1 or os.path.isdir(dest) or dest.endswith(("/", os.sep))
        written: list[str] = []
        for entry in record.files:
            target = os.path.join(dest, *entry.name.split("/")) if into_folder else dest
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            partial = f"{target}.{secrets.token_hex(6)}.part"
            try:
                self._fetch_verified(record, entry, partial, link=False, progress=progress)
                os.replace(partial, target)
            finally:
                if os.path.exists(partial):
                    os.unlink(partial)
            written.append(target)
        return written

    def list_artifacts(
        self,
        project: str | None = None,
        *,
        key: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> list[ArtifactRecord]:
        """Versions matching every filter given, newest first, from the index (no file reads)."""
        for what, value in (("project", project), ("key", key), ("tag", tag)):
            if value is not None:
                validate_name(value, what)
        if kind is not None:
            check_kind(kind, "cannot list artifacts")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise StoreError(f"limit must be a whole number >= 0, not {limit!r}")
        if not self._exists():
            return []
        repair_announced(self._index(), self._backend)
        records: list[ArtifactRecord] = []
        unsound: list[str] = []
        refused: list[str] = []
        for text, tags, rel in self._index().artifacts(project, key, kind, tag, limit):
            try:
                records.append(record_from_row(text, tags, self.signer, f"{str(rel)[:200]!r}"))
            except SignatureError as exc:
                refused.append(str(exc))
            except StoreError as exc:
                unsound.append(f"{str(rel)[:200]!r}: {exc}")
        if self.signer is not None:  # the index's tags are a cache: each one is checked at its ref
            for record in records:
                record.tags = [name for name in record.tags if self._tag_signed(record, name)]
            if tag is not None:
                records = [record for record in records if tag in record.tags]
        if refused:
            warnings.warn(
                f"not listed: {len(refused)} version(s) refused by the signature check (the first: "
                f"{refused[0]}); run `satchel verify` to see every one",
                RuntimeWarning,
                stacklevel=2,
            )
        if unsound:
            warnings.warn(
                f"not listed: {len(unsound)} index row(s) that are not sound records (the first, "
                f"for {unsound[0]}); run `satchel reindex` to rebuild the index from the files",
                RuntimeWarning,
                stacklevel=2,
            )
        return records

    def set_tag(self, record: ArtifactRecord, tag: str) -> None:
        """Point *tag* at *record*'s version (an atomic replace of the tag's ref)."""
        if self.signer is not None:
            self.signer.require_signing(f"the tag {tag!r} of {record.uri}")
        validate_name(tag, "tag")
        if not self._backend.exists(metadata_path(record.project, record.key, record.uid)):
            raise ArtifactNotFoundError(
                f"cannot tag {record.uri}: no such version in {self.url}; "
                + _LIST_HINT.format(record.project)
            )
        with contextlib.suppress(StoreError), self._index().write() as tx:
            tx.announce(record.uid, metadata_path(record.project, record.key, record.uid))
        self._publish(record, [tag], new=False)
        if tag not in record.tags:
            record.tags = sorted([*record.tags, tag])

    # -- runs and documents ------------------------------------------------------------------

    def save_run(self, project: str, uid: str, data: dict[str, Any]) -> None:
        """Save (or replace) a run record; each save is atomic."""
        self._runs.save(project, uid, data)

    def get_run(self, project: str | None, uid: str) -> dict[str, Any]:
        """A run record by uid, or by a unique prefix of at least 6 characters (any project
        when *project* is None)."""
        return self._runs.get(project, uid)

    def list_runs(self, project: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Run records, newest first (by their ``started`` or ``start`` field, else first save)."""
        return self._runs.recent(project, limit)

    def read_document(self, path: str) -> str | None:
        """The text of ``projects/<path>``, or None when it does not exist."""
        data = self._backend.read(f"{PROJECTS}/{check_document_path(path)}")
        return None if data is None else data.decode("utf-8")

    def write_document(self, path: str, text: str) -> None:
        """Replace ``projects/<path>`` with *text* atomically."""
        self._backend.write_atomic(f"{PROJECTS}/{check_document_path(path)}", text.encode("utf-8"))

    # -- maintenance -------------------------------------------------------------------------

    def verify(self, ref: str | ArtifactURI | None = None) -> list[VerifyProblem]:
        """Hash the files of one artifact (*ref*) or of every artifact again; list what is wrong."""
        if ref is not None:
            return verify_records(self._backend, [self.get_artifact(ref)])
        self._require_existing("verify")
        index = self._index()
        repair_announced(index, self._backend)
        problems: list[VerifyProblem] = []
        records: list[ArtifactRecord] = []
        signatures: dict[str, object] = {}
        for rel, record, signature, error in scan_signed(self._backend):
            if record is None:
                problems.append(VerifyProblem(uri=rel, file=rel, problem="metadata", actual=error))
            else:
                records.append(record)
                signatures[record.uid] = signature
        unreadable = {problem.file for problem in problems}
        report, refused = self._check_signatures(unreadable)
        self._last_signatures = report
        return (problems + refused + verify_records(self._backend, records)
                + index_problems(index, self._backend, records, unreadable, signatures))

    def signature_report(self) -> SignatureReport:
        """Counts of signed-ok, unsigned, bad and other-key artifact records, tags and run
        records (from the last `verify`, else checked now). Without a key nothing can be
        checked: signed ones are counted as ``signed``."""
        if self._last_signatures is None:
            self._require_existing("verify")
            self._last_signatures, _refused = self._check_signatures(set())
        return self._last_signatures

    def _check_signatures(self, unreadable: set[str]) -> tuple[SignatureReport, list[VerifyProblem]]:
        """Check the signature of every metadata file, tag and run record; with a key, each one
        not signed-ok by it is a problem."""
        signer = self.signer
        counts = {"ok": 0, "unsigned": 0, "bad": 0, "other-key": 0, "signed": 0}
        problems: list[VerifyProblem] = []

        def count(status: str, uri: str, rel: str, what: str) -> None:
            counts[status] += 1
            if signer is not None and status != "ok":
                problems.append(signature_problem(uri, rel, status, what))

        for rel, _size, _changed in self._backend.scan("artifacts"):
            if not rel.endswith(".json") or rel.count("/") != 3 or rel in unreadable:
                continue
            data = self._backend.read(rel)
            if data is not None:
                try:
                    status = signature_status(data, signer)
                except StoreError:
                    continue  # reported as unreadable metadata
                count(status, rel, rel, "artifact record")
        for rel, _size, _changed in self._backend.scan(REFS):
            parts = rel.split("/")  # refs/<project>/<key>/<iteration>/<tag>
            if len(parts) != 5 or not parts[3].isdigit():
                continue
            held = self._backend.read_ref(rel)
            if held is None:
                continue
            if signer is None:
                status = "unsigned" if split_ref(held)[1] is None else "signed"
            else:
                status = check_ref(signer, parts[1], parts[2], int(parts[3]), parts[4], held)
            uri = f"store://artifacts/{parts[1]}/{parts[2]}{f'#{parts[3]}' if parts[3] != '0' else ''}:{parts[4]}"
            count(status, uri, rel, "tag")
        for rel, status in self._runs.signature_statuses():
            count(status, rel, rel, "run record")
        report = SignatureReport(
            key_id=None if signer is None else signer.key_id, ok=counts["ok"],
            unsigned=counts["unsigned"], bad=counts["bad"], other_key=counts["other-key"],
            signed_unchecked=counts["signed"],
        )
        return report, problems

    def gc(self, *, dry_run: bool = False, older_than: float = 3600) -> GcReport:
        """Remove blobs no metadata refers to, and stale ``tmp/`` entries.

        Only what has not changed for *older_than* seconds goes, so a writer between storing
        its blobs and committing its metadata is never robbed.
        """
        if (isinstance(older_than, bool) or not isinstance(older_than, (int, float))
                or not math.isfinite(older_than) or older_than < 0):
            raise StoreError(
                f"gc: older_than must be a number of seconds, 0 or more (such as 3600), not {older_than!r}"
            )
        self._require_existing("gc")

        def referenced() -> set[str]:
            digests: set[str] = set()
            for rel, record, error in scan_records(self._backend):
                if record is None:
                    raise StoreError(
                        f"gc stopped: cannot read the metadata {rel} ({error}), so it cannot tell "
                        "which blobs are in use; repair or remove that file first"
                    )
                digests.update(entry.digest for entry in record.files)
            return digests

        mine = tempdirs.registered()
        return collect_garbage(
            self._backend, referenced, dry_run=dry_run, older_than=older_than,
            in_use=lambda rel: self._local_path(rel) in mine,
        )

    def reindex(self) -> int:
        """Rebuild the index from the store's files; returns the number of artifacts indexed."""
        self._require_existing("reindex")
        index = self._index()
        if not index.open_fresh():
            with index.write() as tx:
                tx.clear()
                self._fill_index(tx)
        repair_announced(index, self._backend)
        return index.count_artifacts()

    # -- internals ---------------------------------------------------------------------------

    def _exists(self) -> bool:
        return not self._backend.is_local or os.path.isdir(self.url)

    def _require_existing(self, what: str) -> None:
        if not self._exists():
            raise StoreError(
                f"cannot {what} {self.url}: there is no store there; give the folder of an "
                "existing store (one is made when something is first stored)"
            )

    def _local_path(self, rel: str) -> str:
        return os.path.join(self.url, *rel.split("/")) if self._backend.is_local else rel

    def _index(self) -> Catalog:
        if self._index_handle is None:
            # sqlite3 (and, for a catalog URL, SQLAlchemy) load on first use, not on import.
            from satchel.store.catalog import open_catalog
            from satchel.store.index import index_for

            catalog = None if self._index_path is not None else open_catalog(self.catalog, self._fill_index, self.url)
            self._index_handle = catalog or index_for(self.url, is_local=self._backend.is_local,
                                                      path=self._index_path, rebuild=self._fill_index)
        return self._index_handle

    def _fill_index(self, tx: CatalogWriter) -> None:
        known: set[str] = set()
        batch = []
        unreadable: list[str] = []
        for rel, record, signature, error in scan_signed(self._backend):
            if record is not None:
                known.add(record.uid)
                batch.append(artifact_row(record, signature))
            else:
                unreadable.append(f"{rel}: {error}")
            if len(batch) >= 1000:
                tx.add_artifacts(batch)
                batch = []
        tx.add_artifacts(batch)
        for rel, _size, _changed in self._backend.scan(REFS):
            parts = rel.split("/")  # refs/<project>/<key>/<iteration>/<tag>
            uid = self._read_ref(rel) if len(parts) == 5 and parts[3].isdigit() else None
            if uid in known:
                tx.set_tag(parts[1], parts[2], int(parts[3]), parts[4], uid)
        tx.add_runs(run_rows(self._backend))
        if unreadable:
            more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
            warnings.warn(
                f"not listed: {unreadable[0]}{more}; run `satchel verify` to see every problem",
                RuntimeWarning,
                stacklevel=2,
            )

    def _load(self, project: str, key: str, uid: str) -> ArtifactRecord | None:
        rel = metadata_path(project, key, uid)
        data = self._backend.read(rel)
        if data is None:
            return None
        try:
            record = load_record(data, self.signer, f"the metadata {rel} in {self.url}")
        except SignatureError:
            raise
        except StoreError as exc:
            raise StoreError(f"the metadata {rel} in {self.url} cannot be read: {exc}") from exc
        if (record.project, record.key, record.uid) != (project, key, uid):
            raise IntegrityError(
                f"the metadata {rel} in {self.url} describes "
                f"{record.project}/{record.key}@{record.uid}, not the version its path names"
            )
        return record

    def _commit(self, record: ArtifactRecord, what: str) -> object:
        """Write the metadata file: the commit point, a new file appearing in one step; returns
        the signature in it (None unsigned).

        It is an exclusive create: a uid that is already taken (here, or by another key in the
        index) is refused, and nothing is replaced.
        """
        rel = metadata_path(record.project, record.key, record.uid)
        clash: str | None = None
        index = self._index()
        with contextlib.suppress(StoreError), index.write() as tx:  # a cache: publishing warns
            clash = tx.taken(record.uid)
            if clash is None:
                tx.announce(record.uid, rel)
        if clash is None:
            data, signature = dump_record(record, self.signer)
            try:
                self._backend.write_new(rel, data)
                return signature
            except BaseException as exc:
                with contextlib.suppress(StoreError), index.write() as tx:
                    tx.settle(record.uid)
                if not isinstance(exc, FileExistsError):
                    raise
            clash = rel
        raise StoreError(
            f"cannot store {what}: version {record.uid} already exists in {self.url} ({clash}); "
            "nothing was replaced. Every version needs a uid of its own (satchel.store.new_uid "
            "makes one)"
        )

    def _read_ref(self, rel: str) -> str | None:
        return ref_uid(self._backend.read_ref(rel))

    def _tag_signed(self, record: ArtifactRecord, tag: str) -> bool:
        """Whether *tag*'s ref points at *record* with a signature by this store's key."""
        assert self.signer is not None
        held = self._backend.read_ref(ref_path(record.project, record.key, record.iteration, tag))
        return ref_uid(held) == record.uid and check_ref(
            self.signer, record.project, record.key, record.iteration, tag, held) == "ok"

    def _tags_of(self, record: ArtifactRecord) -> list[str]:
        """The tags whose refs point at *record* (with a key: only those validly signed)."""
        folder = ref_dir(record.project, record.key, record.iteration)
        found = []
        for tag in self._backend.listdir(folder):
            held = self._backend.read_ref(f"{folder}/{tag}")
            if ref_uid(held) != record.uid:
                continue
            if self.signer is None or check_ref(
                self.signer, record.project, record.key, record.iteration, tag, held
            ) == "ok":
                found.append(tag)
        return sorted(found)

    def _missing_tag(self, uri: ArtifactURI, tag: str, iteration: int) -> str:
        hint = _LIST_HINT.format(uri.project)
        if not self._backend.listdir(artifact_dir(uri.project, uri.key)):
            return (f"no artifact matches {uri}: project {uri.project!r} has no artifact "
                    f"{uri.key!r}; {hint}")
        tags = sorted(self._backend.listdir(ref_dir(uri.project, uri.key, iteration)))
        have = f"its tags: {', '.join(tags)}" if tags else "it has no tags"
        where = f" iteration {iteration} of" if iteration else ""
        return (f"no artifact matches {uri}:{where} {uri.project}/{uri.key} has no tag {tag!r} "
                f"({have}); {hint}")

    def _publish(
        self, record: ArtifactRecord, tags: Sequence[str], *, new: bool, signature: object = None
    ) -> list[tuple[str, str]]:
        """Move the refs, then record the version and its tags in the index.

        On a local store, and with a shared catalog on any store, the refs move inside the index's
        write transaction, which orders concurrent writers: a newly logged version only takes a tag
        from an older version. Returns (tag, uid it points at now) for each tag.
        """
        folder = ref_dir(record.project, record.key, record.iteration)
        index = self._index()
        ordered = self._backend.is_local or index.shared
        forward_only = new and ordered
        moved: list[tuple[str, str]] | None = None

        def move_refs() -> list[tuple[str, str]]:
            done = []
            advance = getattr(self._backend, "advance_ref", None) if new else None
            for tag in tags:
                value = ref_value(self.signer, record.project, record.key, record.iteration, tag, record.uid)
                if advance is not None:  # compare-and-swap: an older version never takes a tag back
                    held = advance(f"{folder}/{tag}", value, replaces=lambda held: _older(ref_uid(held), record.uid))
                    done.append((tag, ref_uid(held) or record.uid))
                    continue
                current = self._read_ref(f"{folder}/{tag}") if forward_only else None
                if current is None or current < record.uid:
                    self._backend.write_ref(f"{folder}/{tag}", value)
                    current = record.uid
                done.append((tag, current))
            return done

        def update(tx: CatalogWriter) -> None:
            nonlocal moved
            if new:
                tx.add_artifacts([artifact_row(record, signature)])
            tx.settle(record.uid)
            if moved is None:
                moved = move_refs()
            for tag, uid in moved:
                tx.set_tag(record.project, record.key, record.iteration, tag, uid)

        if not ordered:
            moved = move_refs()  # no lock is shared across machines: refs first
        index.try_write(update, record.uri)
        if moved is None:  # the index failed before the refs moved
            moved = move_refs()
        return moved

    def _copy_out(self, record: ArtifactRecord, folder: str) -> None:
        done: dict[str, str] = {}
        for entry in record.files:
            target = os.path.join(folder, *entry.name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            first = done.get(entry.digest)
            if first is not None:  # the same bytes twice: verified once, linked again
                try:
                    os.link(first, target)
                    continue
                except OSError:
                    pass
            self._fetch_verified(record, entry, target, link=True)
            done[entry.digest] = target

    def _fetch_verified(self, record: ArtifactRecord, entry: FileEntry, target: str, *,
                        link: bool, progress: Callable[[int], object] | None = None) -> None:
        try:
            actual = self._backend.fetch_blob(entry.digest, target, link=link, progress=progress)
        except FileNotFoundError:
            raise IntegrityError(missing_blob_message(record, entry)) from None
        if actual != (entry.digest, entry.size):
            os.unlink(target)
            raise IntegrityError(corrupt_message(record, entry, actual[0]))


def _older(held: str | None, uid: str) -> bool:
    """Whether a tag holding *held* should move to the newer *uid* (an empty tag always does)."""
    return held is None or held < uid
