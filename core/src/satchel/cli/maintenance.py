"""``satchel verify``, ``gc`` and ``reindex``: check a store's bytes, remove what nothing uses, rebuild its index."""

from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING

from satchel.cli.context import EXIT_FAILED, EXIT_OK, PROG, Context
from satchel.cli.json_output import GC_KEYS, PROBLEM_KEYS, documented, print_json
from satchel.cli.output import human_size
from satchel.errors import SatchelError, StoreError
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.store import Store

__all__ = ["cmd_cache", "cmd_gc", "cmd_reindex", "cmd_verify"]


def cmd_verify(ctx: Context) -> int:
    ref = ctx.args.ref
    store = ctx.project.store
    _require_existing(store)
    if ref is not None and not is_store_uri(ref):
        ref = ctx.project.get_artifact(ref).uri
    problems = store.verify(ref)
    # Signature status of the whole store: shown when a key is configured or anything is signed,
    # so an unsigned store reads as it always did.
    signatures = store.signature_report() if ref is None else None
    if signatures is not None and signatures.key_id is None and not signatures.signed_unchecked:
        signatures = None
    if ctx.json:
        output = {"ok": not problems, "problems": [documented(p, PROBLEM_KEYS) for p in problems]}
        if signatures is not None:
            output["signatures"] = {
                "key_id": signatures.key_id, "ok": signatures.ok, "unsigned": signatures.unsigned,
                "bad": signatures.bad, "other_key": signatures.other_key,
                "signed_unchecked": signatures.signed_unchecked,
            }
        print_json(output)
        return EXIT_FAILED if problems else EXIT_OK
    if not problems:
        if ref is not None:
            print(f"ok: {ref}: every file matches its digest")
        else:
            print(f"ok: every artifact in {store.url}: every file matches its digest, and the index "
                  "lists every version as its files say")
        if signatures is not None:
            print(str(signatures))
        return EXIT_OK
    what = ref if ref is not None else f"every artifact in {store.url}"
    for problem in problems:
        print(str(problem))
    if signatures is not None:
        print(str(signatures))
    print(f"{PROG}: {len(problems)} problem(s) in {what}", file=sys.stderr)
    return EXIT_FAILED


def cmd_gc(ctx: Context) -> int:
    older_than = ctx.args.older_than
    if not math.isfinite(older_than) or older_than < 0:
        raise SatchelError(
            f"--older-than must be a number of seconds, 0 or more (such as 3600), not {older_than}"
        )
    store = ctx.project.store
    _require_existing(store)
    report = store.gc(dry_run=ctx.args.dry_run, older_than=older_than)
    if ctx.json:
        print_json(documented(report, GC_KEYS, bytes_removed=report.bytes_removed))
    else:
        print(str(report))
    return EXIT_OK


def cmd_reindex(ctx: Context) -> int:
    store = ctx.project.store
    _require_existing(store)
    count = store.reindex()
    if ctx.json:
        print_json({"artifacts": count})
    else:
        catalog = store.catalog_location
        print(f"indexed {count} artifact version(s) in {store.url}" + (f" (catalog {catalog})" if catalog else ""))
    return EXIT_OK


def cmd_cache(ctx: Context) -> int:
    # The cache is the caller's own (never the store's): no store is opened.
    import datetime

    from satchel.code.prune import cache_entries, prune_cache
    from satchel.settings import cache_dir

    action, days = ctx.args.action, ctx.args.older_than
    if not math.isfinite(days) or days < 0:
        raise SatchelError(f"--older-than must be a number of days, 0 or more (such as 30), not {days}")
    entries = cache_entries()
    removed = None
    if action != "list":
        removed = prune_cache(0 if action == "clear" else days, dry_run=ctx.args.dry_run)
    freed = sum(entry.size for entry in removed or [])
    if ctx.json:
        def shown(entry: object) -> dict[str, object]:
            return {key: getattr(entry, key) for key in ("kind", "path", "size", "last_used")}

        print_json({
            "root": cache_dir(), "dry_run": bool(ctx.args.dry_run),
            "entries": [shown(entry) for entry in entries],
            "removed": None if removed is None else [shown(entry) for entry in removed],
            "bytes_removed": freed,
        })
        return EXIT_OK
    if removed is None:
        if not entries:
            print(f"the cache {cache_dir()} holds no code or environments")
        for entry in entries:
            when = datetime.datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
            print(f"{entry.kind:<12} {human_size(entry.size):>10}  last used {when}  {entry.path}")
        return EXIT_OK
    verb = "would remove" if ctx.args.dry_run else "removed"
    for entry in removed:
        print(f"{verb} {entry.kind} {entry.path} ({human_size(entry.size)})")
    kept = len(entries) - len(removed)
    print(f"{verb} {len(removed)} cache entr{'y' if len(removed) == 1 else 'ies'} ({human_size(freed)}); kept {kept}")
    return EXIT_OK


def _require_existing(store: Store) -> None:
    if "://" not in store.url and not os.path.isdir(store.url):
        raise StoreError(f"there is no store at {store.url}; give --store PATH, or run something to create it")
