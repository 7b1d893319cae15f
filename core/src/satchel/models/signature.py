"""A model's signature — its inputs, outputs and params, each a name, a dtype, a shape (``None`` for
any length) and whether it is required — inferred from an example or given, saved as
``signature.json``, and checked against every payload before the model sees it.

Inference and checking handle numpy arrays, pandas data frames, plain lists and dicts of them. numpy
and pandas are imported only when a value of theirs is met (a model that takes arrays has numpy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from satchel.errors import SatchelError

__all__ = [
    "FieldSpec",
    "ModelSignature",
    "SignatureMismatchError",
    "infer_signature",
    "to_jsonable",
    "validate_payload",
]

FRAME = "dataframe"  # the dtype of a field whose value is a whole table (its columns are its fields)
_SAFE_CASTS_DOC = "numpy's 'same_kind' rule: int to float, float32 to float64, never float to int or text to numbers"


class SignatureMismatchError(SatchelError, ValueError):
    """A payload does not match the model's signature: the message names the field, what was
    expected and what was given."""


@attrs.frozen
class FieldSpec:
    """One input, output or param: ``shape`` uses None for any length (``[None, 30]``: rows of 30)."""

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None = None
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": None if self.shape is None else list(self.shape), "required": self.required}

    @classmethod
    def from_json(cls, data: Any, where: str) -> FieldSpec:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str) or not isinstance(data.get("dtype", data.get("type")), str):
            raise SignatureMismatchError(f"{where}: a field must be an object with a 'name' and a 'dtype' (text), not {data!r}")
        shape = data.get("shape")
        if shape is not None and (not isinstance(shape, list) or not all(s is None or (isinstance(s, int) and not isinstance(s, bool) and s >= 0) for s in shape)):
            raise SignatureMismatchError(f"{where}: field {data['name']!r} has shape {shape!r}; a shape is a list of sizes, null for any")
        required = data.get("required", True)
        if not isinstance(required, bool):
            raise SignatureMismatchError(f"{where}: field {data['name']!r}: 'required' must be true or false")
        return cls(name=data["name"], dtype=data.get("dtype", data.get("type")), shape=None if shape is None else tuple(shape), required=required)


@attrs.frozen
class ModelSignature:
    """What a model takes and gives; ``signature.json`` holds it as ``{"inputs": [...], "outputs": [...], "params": [...]}``."""

    inputs: tuple[FieldSpec, ...]
    outputs: tuple[FieldSpec, ...] = ()
    params: tuple[FieldSpec, ...] = ()
    #: "tensors": each input is an array; "table": the inputs are the columns of one table.
    layout: str = "tensors"

    def to_json(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "inputs": [f.to_json() for f in self.inputs],
            "outputs": [f.to_json() for f in self.outputs],
            "params": [f.to_json() for f in self.params],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, data: Any, where: str = "signature") -> ModelSignature:
        if not isinstance(data, Mapping) or not isinstance(data.get("inputs"), list):
            raise SignatureMismatchError(f"{where}: a signature is an object with an 'inputs' list (and 'outputs', 'params'), not {data!r:.200}")
        parts = {}
        for part in ("inputs", "outputs", "params"):
            items = data.get(part) or []
            if not isinstance(items, list):
                raise SignatureMismatchError(f"{where}: '{part}' must be a list of fields")
            parts[part] = tuple(FieldSpec.from_json(item, f"{where} {part}") for item in items)
        layout = data.get("layout", "tensors")
        if layout not in ("tensors", "table"):
            raise SignatureMismatchError(f"{where}: layout {layout!r} is not 'tensors' or 'table'")
        return cls(inputs=parts["inputs"], outputs=parts["outputs"], params=parts["params"], layout=layout)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(part, name, dtype, shape) for each field, for cards and ``satchel models show``."""
        found = []
        for part, fields in (("input", self.inputs), ("output", self.outputs), ("param", self.params)):
            for f in fields:
                shape = "any" if f.shape is None else "[" + ", ".join("any" if s is None else str(s) for s in f.shape) + "]"
                found.append((part, f.name + ("" if f.required else " (optional)"), f.dtype, shape))
        return found


# -- Inference -------------------------------------------------------------------------------------


def _module(value: Any) -> str:
    return type(value).__module__.partition(".")[0]


def _fields_of(value: Any, name: str) -> list[FieldSpec]:
    """The fields ``value`` (an example input or output) is made of, the value itself named ``name``."""
    module = _module(value)
    if module == "pandas" and hasattr(value, "columns") and hasattr(value, "dtypes"):
        return [FieldSpec(name=str(column), dtype=str(dtype), shape=(None,)) for column, dtype in value.dtypes.items()]
    if module == "pandas" and hasattr(value, "dtype") and hasattr(value, "name"):  # a Series
        return [FieldSpec(name=str(value.name) if value.name is not None else name, dtype=str(value.dtype), shape=(None,))]
    if module == "numpy" and hasattr(value, "dtype") and hasattr(value, "shape"):
        shape = tuple(value.shape)
        return [FieldSpec(name=name, dtype=str(value.dtype), shape=(None, *shape[1:]) if shape else ())]
    if isinstance(value, Mapping):
        found: list[FieldSpec] = []
        for key, item in value.items():
            inner = _fields_of(item, str(key))
            if len(inner) != 1 and _module(item) == "pandas":
                raise SignatureMismatchError(f"cannot infer a signature: {key!r} holds a table; give the table itself as the example, or signature=")
            found.extend(inner)
        return found
    if isinstance(value, (list, tuple)):
        return [FieldSpec(name=name, dtype=_list_dtype(value), shape=_list_shape(value))]
    for kind, dtype in ((bool, "bool"), (int, "int64"), (float, "float64"), (str, "str")):
        if isinstance(value, kind):
            return [FieldSpec(name=name, dtype=dtype, shape=())]
    raise SignatureMismatchError(
        f"cannot infer a signature from a {type(value).__name__}; give a numpy array, a pandas DataFrame, a list, "
        "or a dict of them as input_example, or pass signature="
    )


def _list_shape(value: Sequence[Any]) -> tuple[int | None, ...]:
    shape: list[int | None] = [None]
    inner: Any = value[0] if value else None
    while isinstance(inner, (list, tuple)):
        shape.append(len(inner))
        inner = inner[0] if inner else None
    return tuple(shape)


def _list_dtype(value: Sequence[Any]) -> str:
    leaf: Any = value
    while isinstance(leaf, (list, tuple)) and leaf:
        leaf = leaf[0]
    if isinstance(leaf, bool):
        return "bool"
    if isinstance(leaf, int):
        return "int64"
    if isinstance(leaf, float):
        return "float64"
    return "str" if isinstance(leaf, str) else "object"


def infer_signature(input_example: Any, output_example: Any = None, *, input_name: str = "X", output_name: str = "y") -> ModelSignature:
    """The signature an example input (and the output the model gave for it) shows."""
    inputs = tuple(_fields_of(input_example, input_name))
    outputs = tuple(_fields_of(output_example, output_name)) if output_example is not None else ()
    return ModelSignature(inputs=inputs, outputs=outputs, layout="table" if _is_frame(input_example) else "tensors")


# -- Checking payloads -----------------------------------------------------------------------------


def _numpy() -> Any:
    import numpy

    return numpy


def _field_value(field: FieldSpec, value: Any) -> Any:
    """``value`` as an array of the field's dtype and shape, cast only where numpy calls it safe."""
    np = _numpy()
    try:
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError) as error:
        raise SignatureMismatchError(f"field {field.name!r}: expected {field.dtype} values, got something numpy cannot read as an array ({error})") from None
    want = np.dtype(field.dtype) if field.dtype not in ("str", "object") else np.dtype(object)
    if array.dtype != want:
        if field.dtype == "str":
            if array.dtype.kind not in "UO":
                raise SignatureMismatchError(f"field {field.name!r}: expected text, got {array.dtype}")
        elif array.dtype.kind in "UO" or not np.can_cast(array.dtype, want, casting="same_kind"):
            raise SignatureMismatchError(
                f"field {field.name!r}: expected dtype {field.dtype}, got {array.dtype}, which does not cast safely "
                f"({_SAFE_CASTS_DOC})"
            )
        array = array.astype(want, copy=False)
    if field.shape is not None and (
        array.ndim != len(field.shape) or any(s is not None and s != got for s, got in zip(field.shape, array.shape, strict=False))
    ):
        expected = "[" + ", ".join("any" if s is None else str(s) for s in field.shape) + "]"
        raise SignatureMismatchError(f"field {field.name!r}: expected shape {expected}, got {list(array.shape)}")
    return array


def _is_frame(value: Any) -> bool:
    return _module(value) == "pandas" and hasattr(value, "columns")


def validate_payload(signature: ModelSignature, payload: Any) -> dict[str, Any]:
    """The payload's inputs checked against the signature: field -> numpy array (or, for a table
    signature, ``{"__frame__": DataFrame}`` with its columns in order). A missing or extra field, a
    wrong shape, or a dtype that does not cast safely is a SignatureMismatchError naming the field,
    what was expected and what was given."""
    if signature.layout == "table":
        return {"__frame__": _frame_payload(signature, payload)}
    if not isinstance(payload, Mapping):
        if len(signature.inputs) == 1 and not _is_frame(payload):
            payload = {signature.inputs[0].name: payload}
        else:
            names = ", ".join(f.name for f in signature.inputs)
            raise SignatureMismatchError(f"the payload must be an object with the fields {names}; got a {type(payload).__name__}")
    known = {f.name for f in (*signature.inputs, *signature.params)}
    extra = sorted(str(k) for k in payload if k not in known)
    if extra:
        raise SignatureMismatchError(f"the payload has field(s) {', '.join(extra)} the signature does not know; expected {', '.join(sorted(known))}")
    checked: dict[str, Any] = {}
    for field in signature.inputs:
        if field.name not in payload:
            if field.required:
                given = ", ".join(sorted(str(k) for k in payload)) or "none"
                raise SignatureMismatchError(
                    f"the payload has no field {field.name!r} ({field.dtype}); the signature requires it (the payload has: {given})"
                )
            continue
        checked[field.name] = _field_value(field, payload[field.name])
    for field in signature.params:
        if field.name in payload:
            checked[field.name] = payload[field.name]
        elif field.required:
            raise SignatureMismatchError(f"the payload has no param {field.name!r}; the signature requires it")
    return checked


def _frame_payload(signature: ModelSignature, payload: Any) -> Any:
    import pandas

    if _is_frame(payload):
        frame = payload
    elif isinstance(payload, Mapping):
        try:
            frame = pandas.DataFrame({k: v if hasattr(v, "__len__") and not isinstance(v, str) else [v] for k, v in payload.items()})
        except ValueError as error:
            raise SignatureMismatchError(f"the payload's columns do not make a table ({error})") from None
    elif isinstance(payload, list) and all(isinstance(row, Mapping) for row in payload):
        frame = pandas.DataFrame.from_records(payload)
    else:
        raise SignatureMismatchError(f"the payload must be a table: an object of columns or a list of records, not a {type(payload).__name__}")
    columns = [str(c) for c in frame.columns]
    wanted = [f.name for f in signature.inputs]
    missing = [f.name for f in signature.inputs if f.required and f.name not in columns]
    if missing:
        raise SignatureMismatchError(f"the payload has no column(s) {', '.join(missing)}; the signature requires {', '.join(wanted)}")
    extra = [c for c in columns if c not in wanted]
    if extra:
        raise SignatureMismatchError(f"the payload has column(s) {', '.join(extra)} the signature does not know; expected {', '.join(wanted)}")
    np = _numpy()
    out = {}
    for field in signature.inputs:
        if field.name not in columns:
            continue
        column = frame[field.name]
        if field.dtype in ("object", "str") or str(column.dtype) == field.dtype:
            out[field.name] = column
            continue
        try:
            want = np.dtype(field.dtype)
        except TypeError:  # pandas' own dtypes (category, string, datetime64[ns, tz]): compare by name
            raise SignatureMismatchError(f"column {field.name!r}: expected dtype {field.dtype}, got {column.dtype}") from None
        if column.dtype.kind in "UO" or not np.can_cast(column.dtype, want, casting="same_kind"):
            raise SignatureMismatchError(
                f"column {field.name!r}: expected dtype {field.dtype}, got {column.dtype}, which does not cast safely ({_SAFE_CASTS_DOC})"
            )
        out[field.name] = column.astype(want)
    return pandas.DataFrame(out, index=frame.index)[[f.name for f in signature.inputs if f.name in out]]


def to_jsonable(value: Any) -> Any:
    """A prediction (arrays, frames, numpy scalars, dicts of them) as plain JSON values."""
    module = _module(value)
    if module == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    if module == "pandas":
        return value.to_dict(orient="list") if hasattr(value, "columns") else value.tolist()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
