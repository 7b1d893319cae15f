"""``satchel explain``: which packager would store each output of a handler (worked out from its
return annotation and log hints), or a type, and why."""

from __future__ import annotations

import builtins
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from satchel.cli.context import EXIT_OK, PROG, Context
from satchel.cli.json_output import CANDIDATE_KEYS, OUTPUT_KEYS, documented, print_json
from satchel.cli.output import print_table
from satchel.cli.targets import load_handler
from satchel.diagnostics import Candidate
from satchel.host import get_host
from satchel.loghints import LogHint, parse_log_hint
from satchel.signatures import handler_hints, unwrap_hint
from satchel.typenames import import_dotted, type_name

if TYPE_CHECKING:
    from satchel.host import PluginHost

__all__ = ["OutputExplanation", "cmd_explain", "explain_handler", "explain_type", "resolve_type_name"]

_NO_RETURN_TYPE = (
    "no return type to go by: the packager is chosen by the returned object's type at run time; "
    f"annotate the return type, or try `{PROG} explain --type dotted.Type`"
)


@attrs.frozen
class OutputExplanation:
    """One output of a handler: its log hint, the type it is annotated with, and who would pack it."""

    output: str | None
    hint: str | None
    type: str | None
    artifact_type: str | None
    winner: str | None = None
    packs_as: str | None = None
    note: str | None = None
    candidates: list[Candidate] = attrs.field(factory=list)
    refusal: str | None = None


def cmd_explain(ctx: Context) -> int:
    args = ctx.args
    if (args.target is None) == (args.type_name is None):
        raise ValueError(
            "explain needs a handler or a type, not both or neither: "
            f"`{PROG} explain FILE.py:FUNCTION` or `{PROG} explain --type pathlib.Path`"
        )
    host = get_host()
    note: str | None = None
    if args.type_name is not None:
        if args.returns:
            raise ValueError("--returns goes with a handler; with --type, use --artifact-type")
        outputs = [explain_type(host, resolve_type_name(args.type_name), args.artifact_type)]
        target = args.type_name
    else:
        if args.artifact_type:
            raise ValueError("--artifact-type goes with --type; for a handler, give the type in --returns, e.g. 'key : file'")
        outputs, note = explain_handler(host, load_handler(args.target), args.returns)
        target = args.target
    if ctx.json:
        print_json({
            "target": target, "note": note,
            "outputs": [
                documented(output, OUTPUT_KEYS, candidates=[documented(c, CANDIDATE_KEYS) for c in output.candidates])
                for output in outputs
            ],
        })
        return EXIT_OK
    if note:
        print(f"note: {note}\n")
    for number, output in enumerate(outputs):
        if number:
            print()
        _print_output(output)
    return EXIT_OK


def _print_output(output: OutputExplanation) -> None:
    title = f"output {output.output!r}" if output.output else "the return value"
    hint = f" (log hint {output.hint!r})" if output.hint else ""
    typed = f": {output.type}" if output.type else ""
    print(f"{title}{hint}{typed}")
    accepting = [c for c in output.candidates if c.accepted]
    if accepting:
        print_table(
            ["", "plugin", "priority", "why"],
            ([" ->" if c.winner else "", c.plugin, c.priority, c.reason] for c in accepting),
        )
    declining = [c.plugin for c in output.candidates if not c.accepted and not c.reason.startswith("failed")]
    if declining:
        wanted = f" as {output.artifact_type!r}" if output.artifact_type else ""
        print(f"     declined{wanted}: {', '.join(declining)}")
    for candidate in output.candidates:
        if candidate.reason.startswith("failed"):
            print(f"     {candidate.plugin}: {candidate.reason}")
    if output.winner is not None and output.refusal is not None:
        print(f"=> {output.winner} refuses it: packing fails with that message")
    elif output.winner is not None:
        packs_as = f" as {output.packs_as!r}" if output.packs_as else ""
        print(f"=> {output.winner} packs it{packs_as}")
    if output.note:
        print(f"note: {output.note}")


# -- working it out --------------------------------------------------------------------------------


def resolve_type_name(dotted: str) -> type:
    """``"dict"``, ``"pathlib.Path"`` or ``"PIL.Image:Image"`` -> the type; imports its module."""
    name = dotted.strip()
    found = getattr(builtins, name, None) if name.isidentifier() else import_dotted(name)
    if found is None:
        raise ValueError(f"no builtin type {name!r}; give a dotted name like 'pathlib.Path'")
    if not isinstance(found, type):
        raise ValueError(f"{dotted!r} names a {type(found).__name__}, not a type")
    return found


def explain_type(host: PluginHost, obj_type: type, artifact_type: str | None, *, output: str | None = None, hint: str | None = None) -> OutputExplanation:
    explanation = host.explain_type(obj_type, artifact_type)
    winner = explanation.winner
    packs_as = artifact_type
    note = None
    if winner is None:
        wanted = f" as {artifact_type!r}" if artifact_type else ""
        note = f"no installed packager packs {type_name(obj_type)}{wanted}; a run would fail"
    elif winner.refusal is not None:
        packs_as = None
    elif packs_as is None:
        info = next((i for i in host.infos() if i.name == winner.plugin), None)
        packs_as = info.default_packing_artifact_type if info is not None else None
    return OutputExplanation(
        output, hint, type_name(obj_type), artifact_type, winner.plugin if winner is not None else None,
        packs_as, note, explanation.candidates, winner.refusal if winner is not None else None,
    )


def explain_handler(
    host: PluginHost, function: Callable[..., Any], returns: Sequence[str] | None
) -> tuple[list[OutputExplanation], str | None]:
    """Explain every output of ``function``, and say what is wrong overall (or None).

    The log hints (``returns``, else ``__satchel_returns__``) are matched with the return
    annotation: one hint takes the whole value, several take the members of a ``tuple[A, B]``.
    """
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
    hint, _optional = unwrap_hint(annotation)
    if typing.get_origin(hint) is tuple:
        args = list(typing.get_args(hint))
        if args and args[-1] is not Ellipsis:
            return args
    return None


def _unbundled(hint: LogHint, annotation: Any) -> list[tuple[str, Any]]:
    """``*key`` outputs: one per tuple member, else one for the element type of a list or dict."""
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
    resolved, _optional = unwrap_hint(annotation)
    if resolved is None or resolved is Any or resolved is object:
        return [OutputExplanation(output, hint, None, artifact_type, note=_NO_RETURN_TYPE)]
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
