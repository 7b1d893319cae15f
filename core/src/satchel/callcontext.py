"""What one pack or unpack call carries down to the packager without passing it through every hook:
where to stage files, which temporary paths to clear, and whether the caller allows pickles.
(How far archives may expand is set the same way, in :mod:`satchel.archives`.)"""

from __future__ import annotations

import contextvars

__all__ = ["clearing_paths", "pickle_permission", "pickling_forbidden", "staging_digest", "staging_directory"]

# Set by the host for the duration of one pack call; Packager.add_future_clearing_path appends here.
_clearing_paths: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "satchel_clearing_paths", default=None
)
# Set by whoever stores the artifact: a directory on the store's filesystem, so files move, not copy.
_staging: contextvars.ContextVar[str | None] = contextvars.ContextVar("satchel_staging", default=None)
# Set with it: the digest that store names new blobs by, so files are hashed by it as they are written.
_staging_digest: contextvars.ContextVar[str | None] = contextvars.ContextVar("satchel_staging_digest", default=None)
# Set by the host from the caller's opt-in (argument or environment), never from the store.
_pickle_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("satchel_pickle_allowed", default=False)
# Set while packing for a project whose pickle policy is "forbid": the pickle packager refuses.
_pickle_forbidden: contextvars.ContextVar[bool] = contextvars.ContextVar("satchel_pickle_forbidden", default=False)


def clearing_paths() -> contextvars.ContextVar[list[str] | None]:
    """The paths the running pack call will delete once its artifact is stored (or packing fails)."""
    return _clearing_paths


def staging_directory() -> contextvars.ContextVar[str | None]:
    """Where packagers should write temporary files: the store's staging directory, when packing for one."""
    return _staging


def staging_digest() -> contextvars.ContextVar[str | None]:
    """The digest of the store being packed for (None when packing for no store)."""
    return _staging_digest


def pickle_permission() -> contextvars.ContextVar[bool]:
    """True while the caller has opted in to loading pickles."""
    return _pickle_allowed


def pickling_forbidden() -> contextvars.ContextVar[bool]:
    """True while packing for a project that forbids pickles."""
    return _pickle_forbidden
