"""Read a handler's signature: its type hints (string annotations included) without ever
evaluating them, the classes a hint allows, and params converted to their hints before it runs.

``typing.get_type_hints`` evaluates string annotations with ``eval``; satchel parses them instead
and looks each name up in the function's module, so an annotation can name types but run nothing.
"""

from __future__ import annotations

import ast
import builtins
import datetime as dt
import decimal
import enum
import fractions
import inspect
import pathlib
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from satchel.errors import RunError

__all__ = [
    "UnresolvableHint",
    "candidate_types",
    "check_arguments",
    "convert_params",
    "handler_hints",
    "handler_name",
    "resolve_annotation",
    "unwrap_hint",
]


class UnresolvableHint(ValueError):
    """A string annotation names something that does not exist or is not a type expression."""


def _lookup(name: str, namespace: dict[str, Any]) -> Any:
    if name in namespace:
        return namespace[name]
    if hasattr(builtins, name):
        return getattr(builtins, name)
    raise UnresolvableHint(f"type hint names {name!r}, which the handler's module does not define or import")


def _node(node: ast.expr, namespace: dict[str, Any], text: str) -> Any:
    if isinstance(node, ast.Name):
        return _lookup(node.id, namespace)
    if isinstance(node, ast.Attribute):
        return getattr(_node(node.value, namespace, text), node.attr)
    if isinstance(node, ast.Constant):
        if node.value is None or node.value is Ellipsis:
            return node.value
        if isinstance(node.value, str):
            return resolve_annotation(node.value, namespace)
        return node.value  # Literal[...] arguments
    if isinstance(node, ast.Subscript):
        origin = _node(node.value, namespace, text)
        inner = node.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if origin is typing.Literal:
            values = tuple(_literal(element, text) for element in elements)
            return origin[values]
        if origin is typing.Annotated:
            # Only the annotated type is a type; the metadata after it is data, kept as written.
            first = _node(elements[0], namespace, text)
            return origin[(first, *(_literal(element, text) for element in elements[1:]))]
        args = tuple(_node(element, namespace, text) for element in elements)
        return origin[args if isinstance(inner, ast.Tuple) else args[0]]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return typing.Union[_node(node.left, namespace, text), _node(node.right, namespace, text)]  # noqa: UP007
    if isinstance(node, ast.List):
        return [_node(element, namespace, text) for element in node.elts]  # Callable[[...], R]
    raise UnresolvableHint(
        f"type hint {text!r} is not a type expression satchel resolves (names, attributes, "
        "subscripts like list[int], and X | Y); write the type itself"
    )


def _literal(node: ast.expr, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError as error:
        raise UnresolvableHint(f"type hint {text!r}: Literal and Annotated metadata must be plain literals") from error


def resolve_annotation(annotation: Any, namespace: dict[str, Any]) -> Any:
    """The type a (possibly string) annotation names, looked up in ``namespace``; never ``eval``."""
    if not isinstance(annotation, str):
        return annotation
    try:
        tree = ast.parse(annotation.strip(), mode="eval")
    except SyntaxError as error:
        raise UnresolvableHint(f"type hint {annotation!r} is not valid Python: {error.msg}") from error
    return _node(tree.body, namespace, annotation)


def handler_hints(handler: Callable[..., Any]) -> tuple[dict[str, Any], Any]:
    """The resolved type hints of a handler's parameters, and of its return value (None if absent)."""
    function = inspect.unwrap(handler)
    namespace = dict(getattr(function, "__globals__", {}))
    signature = inspect.signature(function)
    hints: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.annotation is not inspect.Parameter.empty:
            hints[name] = resolve_annotation(parameter.annotation, namespace)
    returns = signature.return_annotation
    resolved_return = None if returns is inspect.Signature.empty else resolve_annotation(returns, namespace)
    return hints, resolved_return


def unwrap_hint(hint: Any) -> tuple[Any, bool]:
    """Strip ``Annotated`` and ``Optional``: the hint that matters, and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(hint)
        if origin is typing.Annotated:
            hint = typing.get_args(hint)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            optional = optional or len(members) < len(typing.get_args(hint))
            if len(members) == 1:
                hint = members[0]
                continue
            return typing.Union[tuple(members)], optional  # noqa: UP007
        return hint, optional


def candidate_types(hint: Any) -> list[type]:
    """The classes a hint allows once ``Optional`` and ``Annotated`` are stripped: a union's member
    classes, the hint itself if it is a class, else none (``Any``, ``list[int]``: not checked here)."""
    stripped, _optional = unwrap_hint(hint)
    if typing.get_origin(stripped) in (typing.Union, types.UnionType):
        return [member for member in typing.get_args(stripped) if isinstance(member, type)]
    if stripped is object or stripped is typing.Any:
        return []
    return [stripped] if isinstance(stripped, type) else []


def handler_name(function: Callable[..., Any]) -> str:
    """``module:qualname`` of a handler (or the source it was loaded from), for records and errors."""
    target = inspect.unwrap(function)
    module = getattr(target, "__module__", None) or "?"
    source = getattr(target, "__satchel_source__", None)
    return source or f"{module}:{getattr(target, '__qualname__', repr(target))}"


def check_arguments(function: Callable[..., Any], arguments: Mapping[str, Any]) -> None:
    """Fail (RunError) unless ``function`` can be called with ``arguments``, naming what it takes."""
    signature = inspect.signature(function)
    try:
        signature.bind(**arguments)
    except TypeError as error:
        accepted = ", ".join(signature.parameters) or "none"
        raise RunError(f"cannot call {handler_name(function)}: {error}; it takes: {accepted}") from error


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
# Types a parameter given as text (the command line) is converted to, from that text.
_FROM_TEXT: dict[type, Callable[[str], Any]] = {
    int: int, float: float, complex: complex, decimal.Decimal: decimal.Decimal,
    fractions.Fraction: fractions.Fraction, uuid.UUID: uuid.UUID,
    dt.datetime: dt.datetime.fromisoformat, dt.date: dt.date.fromisoformat, dt.time: dt.time.fromisoformat,
}


class _Unconvertible(Exception):
    pass


def _convert(value: Any, hint: Any) -> Any:
    """``value`` as an instance of ``hint``, converting text and widening numbers; else _Unconvertible."""
    stripped, optional = unwrap_hint(hint)
    if value is None:
        if optional or stripped is type(None):
            return None
        raise _Unconvertible
    origin = typing.get_origin(stripped)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(stripped)
        for member in members:  # a value that already fits a member stays as it is
            if isinstance(member, type) and _fits(value, member):
                return value
        for member in members:
            try:
                return _convert(value, member)
            except _Unconvertible:
                continue
        raise _Unconvertible
    if origin is typing.Literal:
        if value in typing.get_args(stripped):
            return value
        raise _Unconvertible
    if origin in (list, tuple, set, frozenset) and isinstance(value, (list, tuple, set, frozenset)):
        args = typing.get_args(stripped)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if args and len(args) != len(value):
                raise _Unconvertible
            return tuple(_convert(item, arg) for item, arg in zip(value, args or [Any] * len(value), strict=True))
        item_hint = args[0] if args else Any
        return origin(_convert(item, item_hint) for item in value)
    if origin is dict and isinstance(value, Mapping):
        args = typing.get_args(stripped)
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        return {_convert(k, key_hint): _convert(v, value_hint) for k, v in value.items()}
    if not isinstance(stripped, type):
        return value  # Any, a TypeVar, a generic this does not check: passed as it is
    if _fits(value, stripped):
        return value
    if stripped is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if stripped is complex and isinstance(value, (int, float)) and not isinstance(value, bool):
        return complex(value)
    if stripped is bool:
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _Unconvertible
    if isinstance(value, str):
        return _from_text(value, stripped)
    if stripped in (decimal.Decimal, fractions.Fraction) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return stripped(value)
    raise _Unconvertible


def _fits(value: Any, hint: type) -> bool:
    if hint is float and isinstance(value, bool):
        return False
    if hint is int and isinstance(value, bool):
        return False
    try:
        return isinstance(value, hint)
    except TypeError:
        return True


def _from_text(text: str, hint: type) -> Any:
    if issubclass(hint, pathlib.PurePath):
        return hint(text)
    if issubclass(hint, enum.Enum):
        for member in hint:
            if text in (member.name, str(member.value)):
                return member
        raise _Unconvertible
    convert = _FROM_TEXT.get(hint)
    if convert is None:
        raise _Unconvertible
    try:
        return convert(text.strip())
    except (ValueError, ArithmeticError) as error:
        raise _Unconvertible from error


def _hint_text(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _a(text: str) -> str:
    return f"an {text}" if text[:1].lower() in "aeiou" else f"a {text}"


def convert_params(function: Callable[..., Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` converted to the handler's type hints (``"128"`` for ``width: int`` is 128); a value
    that does not convert is a RunError naming the parameter, the value and the type, raised before
    the handler runs. Unannotated parameters pass as they are."""
    if not params:
        return {}
    hints, _returns = handler_hints(function)
    converted: dict[str, Any] = {}
    for name, value in params.items():
        hint = hints.get(name, inspect.Parameter.empty)
        if hint is inspect.Parameter.empty:
            converted[name] = value
            continue
        try:
            converted[name] = _convert(value, hint)
        except _Unconvertible:
            raise RunError(
                f"parameter {name!r} of {handler_name(function)}: {value!r} is not {_a(_hint_text(hint))}; "
                f"give {_a(_hint_text(hint))} (e.g. -p {name}=…), or change the parameter's type hint"
            ) from None
    return converted
