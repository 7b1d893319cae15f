"""``predict.py``: the package's own entrypoint, which runs where satchel is not installed.

It needs only the standard library and the package's pinned requirements. ``load_model()`` first
checks every file ``checksum.txt`` lists (changed or missing is an error naming the file), then
calls the framework's loader; ``predict(payload)`` checks the payload against ``signature.json``
(fields, shapes, dtypes that cast safely) and calls the model. A framework packager supplies the
two functions that differ: ``_load(folder)`` and ``_call(model, inputs)``.
"""

from __future__ import annotations

import textwrap

__all__ = ["render_entrypoint"]

_HEADER = '''\
"""Entrypoint of model package {name} (version {version}), written by satchel.

Needs only the standard library and requirements.txt:

    python -c "from predict import predict; print(predict({example}))"
"""

import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_MODEL = None


class PackageError(Exception):
    """The package's files do not match checksum.txt, or a payload does not match signature.json."""


def verify(folder=HERE):
    """Check every file checksum.txt lists; raise PackageError naming a changed or missing one."""
    with open(os.path.join(folder, "checksum.txt"), encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            digest, _sep, name = line.rstrip("\\n").partition("  ")
            path = os.path.join(folder, *name.split("/"))
            if not os.path.isfile(path):
                raise PackageError(f"file {{name!r}} is missing; the package is incomplete")
            with open(path, "rb") as data:
                if hashlib.sha256(data.read()).hexdigest() != digest:
                    raise PackageError(f"file {{name!r}} was changed since it was packaged; not loading it")


def load_model(folder=HERE):
    """The model, after every file of the package is verified."""
    verify(folder)
    return _load(folder)


def signature(folder=HERE):
    """The package's signature.json, or None for a package logged without one."""
    path = os.path.join(folder, "signature.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _check(sig, payload):
    if sig is None:  # no signature: the payload goes to the model as it is
        return dict(payload) if isinstance(payload, dict) else {{"X": payload}}
    import numpy as np

    fields = sig.get("inputs") or []
    if sig.get("layout") == "table":
        import pandas as pd

        frame = payload if isinstance(payload, pd.DataFrame) else (
            pd.DataFrame.from_records(payload) if isinstance(payload, list) else pd.DataFrame(payload))
        names = [f["name"] for f in fields]
        missing = [n for n in names if n not in frame.columns]
        extra = [str(c) for c in frame.columns if c not in names]
        if missing or extra:
            raise PackageError(f"columns: missing {{missing}}, unknown {{extra}}; expected {{names}}")
        return {{"__frame__": frame[names]}}
    if not isinstance(payload, dict):
        if len(fields) != 1:
            raise PackageError(f"the payload must be an object with fields {{[f['name'] for f in fields]}}")
        payload = {{fields[0]["name"]: payload}}
    names = {{f["name"] for f in fields}} | {{p["name"] for p in sig.get("params") or []}}
    extra = sorted(set(payload) - names)
    if extra:
        raise PackageError(f"unknown field(s) {{extra}}; expected {{sorted(names)}}")
    inputs = {{}}
    for field in fields:
        name = field["name"]
        if name not in payload:
            if field.get("required", True):
                raise PackageError(f"field {{name!r}} is missing")
            continue
        array = np.asarray(payload[name])
        want = np.dtype(field["dtype"]) if field["dtype"] not in ("str", "object") else np.dtype(object)
        if array.dtype != want:
            if array.dtype.kind in "UO" or not np.can_cast(array.dtype, want, casting="same_kind"):
                raise PackageError(f"field {{name!r}}: expected dtype {{field['dtype']}}, got {{array.dtype}}")
            array = array.astype(want)
        shape = field.get("shape")
        if shape is not None and (array.ndim != len(shape) or any(s is not None and s != g for s, g in zip(shape, array.shape))):
            raise PackageError(f"field {{name!r}}: expected shape {{shape}}, got {{list(array.shape)}}")
        inputs[name] = array
    for param in sig.get("params") or []:
        if param["name"] in payload:
            inputs[param["name"]] = payload[param["name"]]
    return inputs


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {{k: _plain(v) for k, v in value.items()}}
    return value


def predict(payload, model=None):
    """The model's outputs for ``payload`` (checked against signature.json first), as plain lists."""
    global _MODEL
    if model is None:
        if _MODEL is None:
            _MODEL = load_model()
        model = _MODEL
    return _plain(_call(model, _check(signature(), payload)))


# -- The framework's part ----------------------------------------------------------------------

'''


def render_entrypoint(name: str, version: str, framework_source: str, example: str = "payload") -> str:
    """``predict.py`` for package ``name``: the common part and the framework's ``_load`` / ``_call``."""
    body = textwrap.dedent(framework_source).strip() + "\n"
    if "def _load(" not in body or "def _call(" not in body:
        raise ValueError("a framework's entrypoint source must define _load(folder) and _call(model, inputs)")
    return _HEADER.format(name=name, version=version, example=example) + body
