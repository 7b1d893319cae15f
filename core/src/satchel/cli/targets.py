"""Load a handler named ``FILE.py:FUNC`` or ``module:FUNC``, and parse ``-p``/``-i`` arguments."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from satchel.errors import SatchelError

__all__ = ["TARGET_FORM", "load_handler", "parse_inputs", "parse_params", "parse_value"]

TARGET_FORM = "FILE.py:FUNCTION or package.module:FUNCTION"


def parse_value(text: str) -> Any:
    """A Python literal (``3``, ``0.5``, ``[1, 2]``, ``'x'``, ``None``…), else the text as it is.

    Parsed by ``ast.literal_eval``: a literal is data, never code, so nothing is evaluated.
    """
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def _split_pair(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"{option} {item!r} is not key=value; write e.g. {option} width=128")
    if not key.isidentifier():
        raise ValueError(f"{option} {item!r}: {key!r} is not a parameter name (a Python identifier)")
    return key, value


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``["width=128", "name=demo"]`` -> ``{"width": 128, "name": "demo"}``; a key given twice is an error."""
    params: dict[str, Any] = {}
    for item in items:
        key, value = _split_pair(item, "-p")
        if key in params:
            raise ValueError(f"-p {key}=… is given twice; give each parameter once (or pass a list: {key}=[1, 2])")
        params[key] = parse_value(value)
    return params


def parse_inputs(items: Sequence[str]) -> dict[str, Any]:
    """``-i key=URI_OR_PATH``; the same key given again makes its value a list, in order."""
    inputs: dict[str, Any] = {}
    for item in items:
        key, value = _split_pair(item, "-i")
        value = value.strip()
        if not value:
            raise ValueError(f"-i {item!r} names no input; give a store:// URI or a local path")
        if key not in inputs:
            inputs[key] = value
        elif isinstance(inputs[key], list):
            inputs[key].append(value)
        else:
            inputs[key] = [inputs[key], value]
    return inputs


def split_target(target: str) -> tuple[str, str]:
    """``"images.py:generate"`` -> ``("images.py", "generate")``; the last ':' separates them."""
    where, sep, function = target.rpartition(":")
    if not sep or not where or not function:
        raise ValueError(f"handler {target!r} names no function; write {TARGET_FORM}, e.g. images.py:generate")
    return where, function


def _is_file(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where)


def load_handler(target: str) -> Callable[..., Any]:
    """The function ``target`` names; ``FILE.py`` is imported with its folder on ``sys.path``."""
    where, function_path = split_target(target)
    if _is_file(where):
        module = _import_file(where)
        source = f"{os.path.abspath(where)}:{function_path}"
    else:
        module = _import_module(where)
        source = target
    found: Any = module
    for part in function_path.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            defined = sorted(
                name for name, value in vars(module).items()
                if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__
            )
            raise SatchelError(
                f"{where} has no function {function_path!r}; it defines: {', '.join(defined) or 'no functions'}"
            ) from None
    if not callable(found):
        raise SatchelError(f"{where}:{function_path} is a {type(found).__name__}, not a function")
    # The run record names the handler by where it was loaded from, not by a module name that
    # only means something while that file's folder is on sys.path. Builtins and some other
    # callables take no attributes; the record names those by their module.
    with contextlib.suppress(AttributeError, TypeError):
        getattr(found, "__satchel_handler__", found).__satchel_source__ = source
    handler: Callable[..., Any] = found
    return handler


def _import_module(name: str) -> ModuleType:
    # As `python -m` does: modules in the current folder are importable.
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except SystemExit as exit_:
        raise ImportError(f"cannot import {name!r}: {_describe_exit(exit_)}") from None
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            raise ImportError(
                f"no module named {name!r}; run satchel from the folder that holds it, install it, "
                f"or give a file: {name.replace('.', '/')}.py:FUNCTION"
            ) from None
        raise ImportError(f"cannot import {name!r}: {error}") from None
    except ImportError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure inside the user's module body
        raise ImportError(f"cannot import {name!r}: {_describe_failure(error)}") from None


def _import_file(path: str) -> ModuleType:
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise FileNotFoundError(f"no such handler file: {path!r}" + ("" if path.endswith(".py") else " (expected a .py file)"))
    folder = os.path.dirname(full)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # sibling imports work as they do for `python FILE.py`
    name = _module_name(full)
    existing = sys.modules.get(name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so classes defined in the file can be found by their module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:
        del sys.modules[name]
        if isinstance(error, SystemExit):
            raise ImportError(f"cannot load {path!r}: {_describe_exit(error)}") from None
        if isinstance(error, Exception):
            raise ImportError(f"cannot load {path!r}: {_describe_failure(error)}") from None
        raise
    return module


def _module_name(full: str) -> str:
    """The file's own name when that module is free or is this file; a private unique name otherwise."""
    stem = os.path.splitext(os.path.basename(full))[0]
    if stem.isidentifier():
        existing = sys.modules.get(stem)
        if existing is None or _same_file(getattr(existing, "__file__", None), full):
            return stem
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:12]
    safe = "".join(c if c.isalnum() else "_" for c in stem)
    return f"satchel_handler_{safe}_{digest}"


def _same_file(first: str | None, second: str) -> bool:
    if first is None:
        return False
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _describe_exit(exit_: SystemExit) -> str:
    """``the module exited at import (sys.exit(3), handlers.py, line 4); …``: a handler module runs nothing on import."""
    frames = traceback.extract_tb(exit_.__traceback__)
    last = frames[-1] if frames else None
    where = f", {os.path.basename(last.filename)}, line {last.lineno}" if last is not None else ""
    return (
        f"the module exited at import (sys.exit({exit_.code!r}){where}); "
        "put its script part under `if __name__ == \"__main__\":` so that importing it only defines the handler"
    )


def _describe_failure(error: BaseException) -> str:
    """``SyntaxError: invalid syntax (handlers.py, line 3)`` or ``NameError: … (handlers.py, line 7)``."""
    if isinstance(error, SyntaxError):
        where = f" ({os.path.basename(error.filename or '?')}, line {error.lineno})"
        return f"SyntaxError: {error.msg}{where}"
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    where = f" ({os.path.basename(last.filename)}, line {last.lineno})" if last is not None else ""
    return f"{type(error).__name__}: {error}{where}"
