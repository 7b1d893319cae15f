"""Hostile instructions on NumPy artifacts and results: satchel's own UnpackingError, never NumPy's
TypeError or KeyError, and never a huge allocation a planted dtype asks for."""

from __future__ import annotations

import io
import pathlib
import uuid
from typing import Any

import attrs
import numpy as np
import pytest
from test_numpy import ndarrays, numpy_scalars

from satchel import Artifact, PluginHost, Store
from satchel.artifacts import ArtifactRecord, Packed
from satchel.errors import PickleNotAllowedError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import check_hostile_instructions
from satchel.unpacking import unpack_record
from satchel_numpy import NumpyArrayPackager, NumpyScalarPackager


def _result(host: PluginHost, obj: Any, value: Any = None, **planted: Any) -> Any:
    packed = host.pack(obj, "r", "result", {})
    instructions = {**packed.instructions, **planted}
    return host.unpack_result(packed.value if value is None else value, producer=packed.producer, instructions=instructions)


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ({"dtype": "no-such-dtype"}, r"instruction 'dtype' is 'no-such-dtype', not a dtype NumPy makes \(TypeError"),
        ({"dtype": [["a", 5]]}, r"instruction 'dtype' is \[\['a', 5\]\], not a dtype NumPy makes"),
        ({"dtype": "O"}, r"instruction 'dtype' is 'O', a dtype of Python objects, which a result never holds"),
        ({"dtype": [["a", "|O"]]}, r"a dtype of Python objects"),
        ({"dtype": "U100000000"}, r"whose elements take 400000000 bytes each; a result's take at most 1048576"),
        ({"shape": "3"}, r"instruction 'shape' is '3'; expected a list of at most 64 sizes"),
        ({"shape": [-1]}, r"instruction 'shape' is \[-1\]"),
        ({"shape": [2**70]}, r"does not fit its recorded dtype and shape"),
        ({"order": "Z"}, r"instruction 'order' is 'Z'; expected 'C' or 'F'"),
        ({"encoding": "hex"}, r"instruction 'encoding' is 'hex'; expected 'base64' or none"),
        ({"encoding": "base64"}, r"does not fit its recorded dtype and shape \(TypeError"),
    ],
)
def test_planted_array_result_instructions_are_unpacking_errors(host: PluginHost, planted: dict[str, Any], expected: str) -> None:
    with pytest.raises(UnpackingError, match=rf"^the array result.*{expected}"):
        _result(host, np.arange(3), **planted)


def test_planted_array_result_values_are_unpacking_errors(host: PluginHost) -> None:
    for value in (["a", "b", "c"], {"x": 1}, [1, 2], [[1, 2], [3]]):
        with pytest.raises(UnpackingError, match=r"^the array result does not fit its recorded dtype and shape"):
            _result(host, np.arange(3), value=value)


def test_planted_scalar_result_instructions_are_unpacking_errors(host: PluginHost) -> None:
    with pytest.raises(UnpackingError, match=r"^the scalar result: instruction 'dtype' is 'O'"):
        _result(host, np.float32(1.5), dtype="O")
    with pytest.raises(UnpackingError, match=r"^the scalar result is 5, but a <U3 scalar is stored as text"):
        _result(host, np.str_("abc"), value=5)
    with pytest.raises(UnpackingError, match=r"^the scalar result does not fit"):
        _result(host, np.float32(1.5), value="not a number")


@pytest.fixture
def npy_record(host: PluginHost, store: Store) -> ArtifactRecord:
    with staging(store):
        return log_packed(store, "hostile", host.pack(np.arange(100), "arr", "file", {}))


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        ({"format": "pickle"}, r"instruction 'format' is 'pickle'; expected one of npy, npz"),
        ({"format": ["npy"]}, r"instruction 'format' is \['npy'\]"),
        ({"pickled": "no"}, r"instruction 'pickled' is 'no'; expected true or false"),
        ({"mmap_mode": "r+"}, r"instruction 'mmap_mode' is 'r\+', not a read-only mode"),
        ({"mmap_mode": ["r"]}, r"instruction 'mmap_mode' is \['r'\]"),
        ({"format": "npz"}, r"is not a readable \.npz file"),
    ],
)
def test_planted_file_instructions_are_unpacking_errors(
    store: Store, host: PluginHost, npy_record: ArtifactRecord, planted: dict[str, Any], expected: str,
) -> None:
    hostile = attrs.evolve(npy_record, instructions={**npy_record.instructions, **planted})
    with pytest.raises(UnpackingError, match=rf"^artifact 'arr'.*{expected}"):
        unpack_record(store, hostile, np.ndarray, host=host)


def test_a_planted_pickled_false_still_needs_the_callers_opt_in(store: Store, host: PluginHost) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    producer = host.pack(np.arange(1), "x", "file", {}).producer
    packed = Packed(
        key="objs", artifact_type="file", object_type="numpy.ndarray", producer=producer,
        artifact=Artifact(key="objs", body=buffer.getvalue(), file_name="objs.npy", format="npy"),
        instructions={"format": "npy", "pickled": False},
    )
    with staging(store):
        record = log_packed(store, "hostile", packed)
    with pytest.raises(PickleNotAllowedError):
        unpack_record(store, record, np.ndarray, host=host)


def test_a_damaged_npy_header_is_an_unpacking_error(store: Store, host: PluginHost) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(4))
    data = buffer.getvalue().replace(b"'descr': '<i8'", b"'descr': 'xx8'")
    producer = host.pack(np.arange(1), "x", "file", {}).producer
    packed = Packed(
        key="bad", artifact_type="file", object_type="numpy.ndarray", producer=producer,
        artifact=Artifact(key="bad", body=data, file_name="bad.npy", format="npy"), instructions={"format": "npy"},
    )
    with staging(store):
        record = log_packed(store, "hostile", packed)
    with pytest.raises(UnpackingError, match=r"^artifact 'bad' is not a readable \.npy file"):
        unpack_record(store, record, np.ndarray, host=host)


_SMALL = ndarrays()


@pytest.mark.parametrize(
    ("packager", "objects", "artifact_type", "options"),
    [
        (NumpyArrayPackager, _SMALL, "result", None),
        (NumpyArrayPackager, _SMALL, "file", None),
        (NumpyArrayPackager, _SMALL, "file", {"file": {"format": "npz", "compressed": True}}),
        (NumpyArrayPackager, _SMALL, "file", {"file": {"mmap": True}}),
        (NumpyScalarPackager, numpy_scalars(), "result", None),
    ],
    ids=["array-result", "array-npy", "array-npz", "array-mmap", "scalar-result"],
)
def test_fuzzed_instructions_raise_only_satchels_errors(
    packager: Any, objects: Any, artifact_type: str, options: Any, tmp_path: pathlib.Path,
) -> None:
    store = Store(str(tmp_path / "store")) if artifact_type != "result" else Store(f"memory://numpy-{uuid.uuid4().hex}")
    check_hostile_instructions(packager, objects, artifact_type, store, str(tmp_path / "planted"), options)
    assert not (tmp_path / "planted").exists()


def test_forbid_refuses_an_object_array_at_pack_time(tmp_path: Any) -> None:
    import satchel
    from satchel.errors import RunError

    project = satchel.get_or_create_project("demo", store=tmp_path / "store")
    project.set_pickle_policy("forbid")
    with pytest.raises(RunError, match="holds Python objects.*forbids pickles"):
        project.run(lambda: np.array([{"a": 1}, None], dtype=object), returns=["arr"])
    assert [] == project.list_artifacts()
