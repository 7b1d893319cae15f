"""Which packager would store each output of a handler, worked out from its return annotation."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from satchel.loghints import LogHint
    from satchel.host import PluginHost
    from satchel.diagnostics import Explanation

__all__ = ["OutputExplanation", "explain_handler", "explain_type", "resolve_type_name"]


@attrs.frozen
class OutputExplanation:
    """One output of a handler: its log hint, the type it is annotated with, and who would pack it."""

    output: str | None
    hint: str | None
    type_name: str | None
    artifact_type: str | None
    explanation: Explanation | None = None
    packs_as: str | None = None
    note: str | None = None

    @property
    def winner(self) -> str | None:
        chosen = self.explanation.winner if self.explanation is not None else None
        return chosen.plugin if chosen is not None else None

    def to_json(self) -> dict[str, Any]:
        candidates = [] if self.explanation is None else [
            {
                "plugin": c.plugin, "priority": c.priority, "accepted": c.accepted,
                "fallback": c.fallback, "winner": c.winner, "reason": c.reason,
            }
            for c in self.explanation.candidates
        ]
        return {
            "output": self.output, "hint": self.hint, "type": self.type_name,
            "artifact_type": self.artifact_type, "winner": self.winner, "packs_as": self.packs_as,
            "note": self.note, "candidates": candidates,
        }


def resolve_type_name(dotted: str) -> type:
    """``"dict"``, ``"pathlib.Path"`` or ``"PIL.Image:Image"`` -> the type; imports its module."""
    import builtins

    from satchel.typenames import import_dotted

    name = dotted.strip()
    found = getattr(builtins, name, None) if name.isidentifier() else import_dotted(name)
    if found is None:
        raise ValueError(f"no builtin type {name!r}; give a dotted name like 'pathlib.Path'")
    if not isinstance(found, type):
        raise ValueError(f"{dotted!r} names a {type(found).__name__}, not a type")
    return found


def explain_type(host: PluginHost, obj_type: type, artifact_type: str | None, *, output: str | None = None, hint: str | None = None) -> OutputExplanation:
    from satchel.typenames import type_name

    explanation = host.explain_type(obj_type, artifact_type)
    winner = explanation.winner
    packs_as = artifact_type
    note = None
    if winner is None:
        wanted = f" as {artifact_type!r}" if artifact_type else ""
        note = f"no installed packager packs {type_name(obj_type)}{wanted}; a run would fail"
    elif packs_as is None:
        info = next((i for i in host.infos() if i.name == winner.plugin), None)
        packs_as = info.default_packing_artifact_type if info is not None else None
    return OutputExplanation(output, hint, type_name(obj_type), artifact_type, explanation, packs_as, note)


def explain_handler(
    host: PluginHost, function: Callable[..., Any], returns: Sequence[str] | None
) -> tuple[list[OutputExplanation], str | None]:
    """Explain every output of ``function``, and say what is wrong overall (or None).

    The log hints (``returns``, else ``__satchel_returns__``) are matched with the return
    annotation: one hint takes the whole value, several take the members of a ``tuple[A, B]``.
    """
    from satchel.loghints import parse_log_hint
    from satchel.signatures import handler_hints

    raw = returns if returns else getattr(function, "__satchel_returns__", None) or []
    hints = [parse_log_hint(h) for h in raw]
    _params, annotation = handler_hints(function)
    if not hints:
        parts = _tuple_members(annotation)
        members = parts if parts is not None else [annotation]
        found: list[OutputExplanation] = []
        for index, member in enumerate(members):
            found.extend(_explain_annotation(host, member, f"#{index}" if len(members) > 1 else None, None, None))
        return found, "no log hints (--returns, or the handler's __satchel_returns__): a run stores nothing"
    if len(hints) == 1:
        pairs: list[tuple[LogHint, Any]] = [(hints[0], annotation)]
    else:
        parts = _tuple_members(annotation)
        if parts is None or len(parts) != len(hints):
            shape = "no return annotation" if annotation is None else f"the return annotation {_show(annotation)}"
            problem = f"{len(hints)} log hints need a tuple[...] of {len(hints)} types, but the handler has {shape}"
            return [OutputExplanation(h.key, str(h), None, h.artifact_type) for h in hints], problem
        pairs = list(zip(hints, parts, strict=True))
    explained: list[OutputExplanation] = []
    for hint, member in pairs:
        if hint.unbundle:
            for key, item in _unbundled(hint, member):
                explained.extend(_explain_annotation(host, item, key, str(hint), hint.artifact_type))
        else:
            explained.extend(_explain_annotation(host, member, hint.key, str(hint), hint.artifact_type))
    return explained, None


def _tuple_members(annotation: Any) -> list[Any] | None:
    """The member types of ``tuple[A, B, …]`` (not ``tuple[A, ...]``), else None."""
    from satchel.signatures import unwrap_hint

    hint, _optional = unwrap_hint(annotation)
    if typing.get_origin(hint) is tuple:
        args = list(typing.get_args(hint))
        if args and args[-1] is not Ellipsis:
            return args
    return None


def _unbundled(hint: LogHint, annotation: Any) -> list[tuple[str, Any]]:
    """``*key`` outputs: one per tuple member, else one for the element type of a list or dict."""
    from satchel.signatures import unwrap_hint

    members = _tuple_members(annotation)
    if members is not None:
        return [(f"{hint.key}-{index}", member) for index, member in enumerate(members)]
    resolved, _optional = unwrap_hint(annotation)
    origin = typing.get_origin(resolved)
    args = typing.get_args(resolved)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return [(f"{hint.key}-<key>", args[1])]
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence) and args:
        return [(f"{hint.key}-<index>", args[0])]
    return [(f"{hint.key}-<item>", None)]


def _explain_annotation(host: PluginHost, annotation: Any, output: str | None, hint: str | None, artifact_type: str | None) -> list[OutputExplanation]:
    from satchel.signatures import unwrap_hint

    resolved, _optional = unwrap_hint(annotation)
    if resolved is None or resolved is Any or resolved is object:
        note = (
            "no return type to go by: the packager is chosen by the returned object's type at run time; "
            "annotate the return type, or try `satchel explain --type dotted.Type`"
        )
        return [OutputExplanation(output, hint, None, artifact_type, note=note)]
    origin = typing.get_origin(resolved)
    if origin in (typing.Union, types.UnionType):
        found = []
        for member in typing.get_args(resolved):
            found.extend(_explain_annotation(host, member, output, hint, artifact_type))
        return found
    concrete = origin if isinstance(origin, type) else resolved
    if not isinstance(concrete, type):
        note = f"{_show(annotation)} is not a class, so the packager is chosen by the returned object's type at run time"
        return [OutputExplanation(output, hint, _show(annotation), artifact_type, note=note)]
    return [explain_type(host, concrete, artifact_type, output=output, hint=hint)]


def _show(annotation: Any) -> str:
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__qualname__
    return str(annotation).replace("typing.", "")
