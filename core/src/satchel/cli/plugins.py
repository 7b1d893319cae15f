"""``satchel plugins``: every packager plugin, what it packs and unpacks, and any that failed or were blocked."""

from __future__ import annotations

from typing import Any

from satchel.answers import PackagerInfo
from satchel.cli.context import EXIT_OK, Context
from satchel.cli.json_output import PLUGIN_KEYS, documented, print_json
from satchel.cli.output import print_table
from satchel.host import DISABLE_ENV, get_host

__all__ = ["cmd_plugins"]


def cmd_plugins(ctx: Context) -> int:
    host = get_host()
    infos = host.infos()  # loads the plugins, so the failures are known after it
    failed = set(host.failures) - set(host.names)
    rows = [
        documented(info, PLUGIN_KEYS, status="failed", priority=None) if info.name in failed
        else documented(info, PLUGIN_KEYS, status="loaded")
        for info in infos
    ]
    rows += [
        # A blocked plugin was never imported: nothing is known about it but its name.
        documented(PackagerInfo(name, error=f"disabled by {DISABLE_ENV}"), PLUGIN_KEYS, status="blocked", priority=None, source=None)
        for name in sorted(host.blocked)
    ]
    if ctx.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no packager plugins are loaded")
        return EXIT_OK
    print_table(
        ["name", "distribution", "version", "priority", "packs", "unpacks", "types"],
        (
            [
                row["name"], row["distribution"], row["version"],
                _priority_text(row),
                _artifact_types_text(row["packing_artifact_types"], row["default_packing_artifact_type"]),
                ", ".join(row["unpacking_artifact_types"]) or None,
                _last_column(row),
            ]
            for row in rows
        ),
    )
    print("(packs: the artifact types it writes, * the default; selection: priority 1 wins, then the name)")
    return EXIT_OK


def _priority_text(row: dict[str, Any]) -> str | None:
    if row["priority"] is None:
        return None
    return f"{row['priority']} (fallback)" if row["fallback"] else str(row["priority"])


def _artifact_types_text(types: list[str], default: str | None) -> str | None:
    ordered = ([default] if default in types else []) + [t for t in types if t != default]
    return ", ".join(f"{t}*" if t == default else t for t in ordered) or None


def _last_column(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"FAILED to load: {row['error']}"
    if row["status"] == "blocked":
        return f"blocked: {row['error']}"
    types = ", ".join(t.removeprefix("builtins.") for t in row["types"]) or "-"
    return f"{types}  [{row['error']}]" if row["error"] else types
