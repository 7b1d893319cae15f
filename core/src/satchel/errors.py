"""Every exception satchel raises on purpose, each saying what was wrong and what would be right."""

from __future__ import annotations

__all__ = [
    "ArtifactNotFoundError",
    "CodeError",
    "EnvironmentBuildError",
    "IntegrityError",
    "InvalidNameError",
    "InvalidPluginError",
    "InvalidURIError",
    "LogHintError",
    "PackagerNotFoundError",
    "PackingError",
    "PickleNotAllowedError",
    "PickleRequested",
    "PluginLoadError",
    "RequirementsError",
    "RunError",
    "SatchelError",
    "ScaffoldError",
    "SignatureError",
    "StoreError",
    "UnknownPackingKwargError",
    "UnpackingError",
    "UnsafeArchiveError",
]


class SatchelError(Exception):
    """Base class of satchel's errors; the message is meant for the user as it is."""


class InvalidNameError(SatchelError, ValueError):
    """A key, project or tag name breaks the store's naming rules."""


class LogHintError(SatchelError, ValueError):
    """A log hint could not be parsed; the message shows the hint with a caret under the fault."""

    def __init__(self, hint: str, position: int, expected: str) -> None:
        self.hint = hint
        self.position = position
        self.expected = expected
        caret = " " * position + "^"
        super().__init__(f"invalid log hint: expected {expected}\n  {hint}\n  {caret}")


class PackagerNotFoundError(SatchelError, LookupError):
    """No installed packager can pack or unpack what was asked."""


class PackingError(SatchelError):
    """A packager failed to pack an object."""


class UnknownPackingKwargError(PackingError, TypeError):
    """A log hint passed a packing option the packager's method does not take."""


class UnpackingError(SatchelError):
    """An artifact could not be turned back into an object."""


class UnsafeArchiveError(UnpackingError, ValueError):
    """An archive is unreadable, or extracting it would write outside its target, make a link or a
    device, clash with itself, or expand past the caller's size, ratio or entry-count limits."""


class PickleNotAllowedError(UnpackingError):
    """Unpacking a pickle needs an explicit opt-in, because loading a pickle runs code."""


class PluginLoadError(SatchelError):
    """A plugin marked mandatory could not be loaded."""


class InvalidPluginError(SatchelError, TypeError):
    """A plugin breaks the contract: a hook name or hook argument satchel does not have, or a
    Packager class whose methods and class variables disagree (an undeclared artifact type)."""


class StoreError(SatchelError):
    """The artifact store could not do what was asked."""


class ArtifactNotFoundError(StoreError, LookupError):
    """No artifact (or run) matches the URI or reference."""


class IntegrityError(StoreError):
    """Stored bytes do not match the hash recorded for them; nothing was unpacked."""


class SignatureError(StoreError):
    """A signed store's record, tag or run record is unsigned, signed with another key, or changed
    after signing (and the reader requires signatures), or the caller's key cannot sign a write."""


class InvalidURIError(StoreError, ValueError):
    """A store:// URI is malformed or names something the store refuses."""


class CodeError(SatchelError, ValueError):
    """Code given to satchel (a code artifact, a handler, a function or workflow spec) is not usable
    as asked: the message says what is there and what to pass instead."""


class RequirementsError(CodeError):
    """A requirement is malformed, or the environment a run would use does not satisfy it."""


class EnvironmentBuildError(CodeError):
    """An isolated environment for a requirement set could not be built (uv's output says why)."""


class RunError(SatchelError):
    """A run could not start, or its handler raised (the run record keeps the traceback)."""


class ScaffoldError(SatchelError, ValueError):
    """``satchel new-plugin`` was given a name, type or folder it cannot write a plugin with."""


class PickleRequested(Exception):
    """Raised by a packager that chose, by value, to have an object pickled (a dict holding an image):
    the host hands the object to the one pickle packager, so every pickle is made, and warned
    about, in one place."""
