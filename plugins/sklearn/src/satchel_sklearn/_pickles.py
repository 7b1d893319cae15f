"""joblib and pickle files: written as asked, loaded only with the caller's pickle opt-in,
because unpickling runs code from the file."""

from __future__ import annotations

import pickle
from typing import Any

from satchel.callcontext import pickle_permission
from satchel.errors import PackingError, PickleNotAllowedError

__all__ = ["load", "write"]


def write(estimator: Any, path: str, fmt: str, key: str) -> None:
    try:
        if fmt == "joblib":
            import joblib

            joblib.dump(estimator, path)
        else:
            with open(path, "wb") as handle:
                pickle.dump(estimator, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise PackingError(f"{key!r}: this {type(estimator).__name__} cannot be pickled ({error})") from error


def load(path: str, fmt: str, what: str) -> Any:
    if not pickle_permission().get():
        raise PickleNotAllowedError(
            f"{what} is a scikit-learn model stored as a {fmt} pickle; loading a pickle runs code from the "
            "file, so it needs your explicit opt-in: satchel.load_model(uri, allow_pickle=True), or "
            "SATCHEL_ALLOW_PICKLE=1 — only for packages you trust (the default format, skops, needs no opt-in)"
        )
    if fmt == "joblib":
        import joblib

        return joblib.load(path)  # the caller opted in above
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - the caller opted in above
