"""What ``satchel run`` checks before anything is recorded: the handler's arguments, that its
inputs exist, and that its log hints name artifact types and options some packager takes."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from satchel.cli.explain import explain_handler
from satchel.errors import RunError, UnknownPackingKwargError
from satchel.loghints import LogHint, parse_log_hint
from satchel.packagers.base import Packager
from satchel.signatures import check_arguments, convert_params
from satchel.uri import is_store_uri

if TYPE_CHECKING:
    from satchel.host import PluginHost
    from satchel.project import Project

__all__ = ["check_arguments_given", "check_input_uris", "check_local_inputs", "check_returns"]


def check_arguments_given(handler: Callable[..., Any], params: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    """Unknown, missing or mistyped arguments are usage errors, found before a run is recorded."""
    try:
        check_arguments(handler, {**params, **inputs})
    except RunError as error:
        error.add_note("(give them with -p or -i)")
        raise
    # The run converts the params itself; converting them here stops a bad value before it starts.
    convert_params(handler, params)


def _items(inputs: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in inputs.items():
        for item in value if isinstance(value, list) else [value]:
            yield key, item


def check_local_inputs(inputs: Mapping[str, Any]) -> None:
    """An ``-i`` value that is neither a store:// URI nor another URL must be a local path that exists."""
    for key, item in _items(inputs):
        if is_store_uri(item) or "://" in item:
            continue
        if not os.path.exists(item):
            raise FileNotFoundError(
                f"input {key!r}: there is no file or folder {item!r} (from {os.getcwd()}); "
                "give a local path that exists, or a store:// URI from `satchel artifacts`"
            )


def check_input_uris(project: Project, inputs: Mapping[str, Any]) -> None:
    """A store:// input that is malformed or missing is a usage error, found before the handler runs."""
    for key, item in _items(inputs):
        if is_store_uri(item):
            try:
                project.store.get_artifact(item)
            except Exception as error:
                error.add_note(f"(input {key!r})")
                raise


def check_returns(host: PluginHost, handler: Callable[..., Any], returns: Sequence[str] | None) -> None:
    """Every log hint's artifact type is one some packager packs as, and its options are ones it takes.

    Where the handler's return annotation names a type, the options are checked against the
    packager that wins for it (``satchel explain`` shows which); otherwise against every
    packager that packs as that artifact type.
    """
    raw = returns if returns else getattr(handler, "__satchel_returns__", None) or []
    hints = [parse_log_hint(hint) for hint in raw]
    if not hints:
        return
    given = "--returns" if returns else "the handler's log hint"
    loaded = set(host.names)
    infos = [info for info in host.infos() if info.name in loaded]
    known = sorted({t for info in infos for t in info.packing_artifact_types})
    for hint in hints:
        if hint.artifact_type is not None and hint.artifact_type not in known:
            close = difflib.get_close_matches(hint.artifact_type, known, n=1)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"{given} {str(hint)!r}: no installed packager packs anything as {hint.artifact_type!r}; "
                f"{suggestion}the artifact types are: {', '.join(known) or 'none'} (see `satchel plugins`)"
            )
    if not any(hint.options for hint in hints):
        return
    explained, _note = explain_handler(host, handler, returns)
    for hint in hints:
        if hint.options:
            winners = [o for o in explained if o.hint == str(hint) and o.winner is not None and o.refusal is None]
            if winners:
                candidates = [(o.winner, o.packs_as) for o in winners if o.winner is not None]
                who = " and ".join(f"{o.winner} (which would pack {o.type} as {o.packs_as!r})" for o in winners)
                who += " does not take"
            else:
                candidates = [
                    (info.name, hint.artifact_type) for info in infos
                    if hint.artifact_type is None or hint.artifact_type in info.packing_artifact_types
                ]
                wanted = f" that packs as {hint.artifact_type!r}" if hint.artifact_type else ""
                who = f"no installed packager{wanted} takes"
            _check_options(host, hint, candidates, f"{given} {str(hint)!r}: {who}")


def _check_options(host: PluginHost, hint: LogHint, candidates: list[tuple[str, str | None]], problem: str) -> None:
    """Refuse the options that no pack method of the candidates takes, and name the valid ones."""
    valid: set[str] = set()
    for name, artifact_type in candidates:
        options = _pack_options(host, name, artifact_type)
        if options is None:
            return
        valid |= options
    unknown = [name for name in hint.options if name not in valid]
    if unknown:
        raise UnknownPackingKwargError(
            f"{problem} the option {', '.join(map(repr, unknown))}; "
            f"valid options: {', '.join(sorted(valid)) or 'none'}"
        )


def _pack_options(host: PluginHost, name: str, artifact_type: str | None) -> set[str] | None:
    """The options plugin ``name`` packs ``artifact_type`` with (any of its types for None); None: any option."""
    plugin = host.plugin(name)
    if not (isinstance(plugin, Packager) or (isinstance(plugin, type) and issubclass(plugin, Packager))):
        return None  # a hand-written plugin checks its own options when it packs
    options = plugin.options_for(artifact_type)
    return None if options is None else set(options)
