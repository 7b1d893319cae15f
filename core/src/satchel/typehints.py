"""Resolve a handler's type hints — string annotations included — without ever evaluating them.

``typing.get_type_hints`` evaluates string annotations with ``eval``; satchel parses them instead
and looks each name up in the function's module, so an annotation can name types but run nothing.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

__all__ = ["UnresolvableHint", "handler_hints", "resolve_annotation", "unwrap_hint"]


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
