"""Import handlers: from a file, an importable module, or a verified code tree, never mixing two
trees' modules.

A code tree (a code artifact's extracted files, see :mod:`satchel.code.cache`) is imported with its
folder first on ``sys.path`` and its own modules in ``sys.modules`` only while :func:`activated`:
on leaving, its modules are put aside (kept for its next run, so module code runs once per
process) and whatever they had replaced comes back. Two versions of the same code, or two trees
that both hold a ``utils.py``, each see their own, even when run one after the other in one
process. Activation holds a process-wide lock: runs of code trees in threads take turns.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import attrs

from satchel.errors import CodeError

__all__ = [
    "TARGET_FORM",
    "CodeTree",
    "activated",
    "find_handler",
    "load_handler",
    "split_handler",
    "split_target",
]

TARGET_FORM = "FILE.py:FUNCTION or package.module:FUNCTION"
#: Trees whose modules are kept between runs; the least recently run beyond this are let go.
_KEPT_TREES = 32


@attrs.frozen
class CodeTree:
    """Verified code on disk: ``root`` goes first on ``sys.path``; ``modules`` are the top-level
    names it provides; ``digest`` names its content (a new digest is a new set of modules)."""

    root: str
    digest: str
    modules: tuple[str, ...]
    label: str


_lock = threading.RLock()
_kept: OrderedDict[tuple[str, str], dict[str, ModuleType]] = OrderedDict()


def _owned(name: str, tops: frozenset[str]) -> bool:
    return name.partition(".")[0] in tops


@contextlib.contextmanager
def activated(tree: CodeTree) -> Iterator[None]:
    """While inside, ``import`` sees ``tree``'s modules (and its folder first on ``sys.path``)."""
    tops = frozenset(tree.modules)
    with _lock:
        displaced = {name: module for name, module in list(sys.modules.items()) if _owned(name, tops)}
        for name in displaced:
            del sys.modules[name]
        own = _kept.pop((tree.digest, tree.root), {})
        sys.modules.update(own)
        sys.path.insert(0, tree.root)
        importlib.invalidate_caches()
        try:
            yield
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(tree.root)
            own = {name: module for name, module in list(sys.modules.items()) if _owned(name, tops)}
            for name in own:
                del sys.modules[name]
            sys.modules.update(displaced)
            _kept[(tree.digest, tree.root)] = own
            while len(_kept) > _KEPT_TREES:
                _kept.popitem(last=False)


def split_handler(handler: str, what: str) -> tuple[str, str]:
    """``"trainer:main"`` -> ``("trainer", "main")``; anything else is a CodeError saying the form."""
    if not isinstance(handler, str):
        raise CodeError(f"{what}: the handler must be a string \"<module>:<function>\", not {type(handler).__name__}")
    module, sep, function = handler.partition(":")
    if not sep or not module or not function or ":" in function:
        raise CodeError(
            f"{what}: handler {handler!r} must be \"<module>:<function>\", the module being a file of the code "
            "without .py (e.g. handler='trainer:main')"
        )
    return module.strip(), function.strip()


def find_handler(tree: CodeTree, handler: str, what: str) -> Callable[..., Any]:
    """The function ``"<module>:<function>"`` of ``tree``; call inside :func:`activated`.

    A module the tree does not hold, or a function the module does not define, is a CodeError
    listing what is there.
    """
    module_name, function_path = split_handler(handler, what)
    top = module_name.partition(".")[0]
    if top not in tree.modules:
        raise CodeError(
            f"{what}: handler {handler!r} names module {module_name!r}, which {tree.label} does not hold; "
            f"it holds: {', '.join(tree.modules) or 'no Python modules'}"
        )
    module = _import_module_of_tree(module_name, tree)
    return _attribute(module, function_path, f"{what}: module {module_name!r} of {tree.label}")


def _import_module_of_tree(name: str, tree: CodeTree) -> ModuleType:
    try:
        module = importlib.import_module(name)
    except SystemExit as exit_:
        raise CodeError(f"cannot import {name!r} from {tree.label}: {_describe_exit(exit_)}") from None
    except ModuleNotFoundError as error:
        raise CodeError(f"cannot import {name!r} from {tree.label}: {error}") from None
    except Exception as error:  # noqa: BLE001 - any failure inside the user's module body
        raise CodeError(f"cannot import {name!r} from {tree.label}: {_describe_failure(error)}") from None
    where = os.path.realpath(getattr(module, "__file__", None) or "")
    if not where.startswith(os.path.realpath(tree.root) + os.sep):
        raise CodeError(f"{tree.label}: module {name!r} was imported from {where!r}, not from the code; rename the module")
    return module


def _attribute(module: ModuleType, function_path: str, what: str) -> Callable[..., Any]:
    found: Any = module
    for part in function_path.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            defined = sorted(
                name for name, value in vars(module).items()
                if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__
            )
            raise CodeError(f"{what} has no function {function_path!r}; it defines: {', '.join(defined) or 'no functions'}") from None
    if not callable(found):
        raise CodeError(f"{what}:{function_path} is a {type(found).__name__}, not a function")
    handler: Callable[..., Any] = found
    return handler


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
    found = _attribute(module, function_path, where)
    # The run record names the handler by where it was loaded from, not by a module name that
    # only means something while that file's folder is on sys.path. Builtins and some other
    # callables take no attributes; the record names those by their module.
    inner: Any = getattr(found, "__satchel_handler__", found)
    with contextlib.suppress(AttributeError, TypeError):
        inner.__satchel_source__ = source
    return found


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
