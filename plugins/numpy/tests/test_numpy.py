"""satchel-numpy: the kit's contract for both packagers, and the promises specific to arrays and scalars."""

from __future__ import annotations

import io
import json
import warnings
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from satchel import DataItem, PickleFallbackWarning, PluginHost, pack_outputs
from satchel.errors import PackingError, PickleNotAllowedError, UnknownPackingKwargError, UnpackingError
from satchel.packing import log_packed, staging
from satchel.testing import PackagerContract
from satchel.unpacking import unpack_record
from satchel_numpy import NumpyArrayPackager, NumpyScalarPackager

# -- strategies ------------------------------------------------------------------------------------

SIMPLE_DTYPES = st.one_of(
    hnp.scalar_dtypes(),  # bool, (u)int 8-64, float 16-64, complex 64/128, datetime64, timedelta64; both byte orders
    hnp.floating_dtypes(sizes=(128,)),  # long double
    hnp.complex_number_dtypes(sizes=(256,)),
    hnp.datetime64_dtypes(min_period="as"),
    hnp.timedelta64_dtypes(min_period="as"),
    hnp.unicode_string_dtypes(),
    hnp.byte_string_dtypes(),
)
DTYPES = st.one_of(SIMPLE_DTYPES, hnp.array_dtypes(SIMPLE_DTYPES, max_size=3), hnp.nested_dtypes(max_leaves=4))
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@st.composite
def ndarrays(draw: st.DrawFn, dtypes: st.SearchStrategy[np.dtype[Any]] = DTYPES) -> np.ndarray[Any, Any]:
    """Arrays of every dtype a result or file holds (no objects), C- or Fortran-ordered."""
    array = draw(hnp.arrays(draw(dtypes), SHAPES))
    return np.asfortranarray(array) if array.ndim > 1 and draw(st.booleans()) else array


def numpy_scalars() -> st.SearchStrategy[np.generic]:
    return hnp.arrays(st.one_of(SIMPLE_DTYPES, hnp.array_dtypes(SIMPLE_DTYPES, max_size=3)), ()).map(lambda a: a[()])


# -- comparisons -----------------------------------------------------------------------------------


def _is_long_float(dtype: np.dtype[Any]) -> bool:
    return (dtype.kind == "f" and dtype.itemsize > 8) or (dtype.kind == "c" and dtype.itemsize > 16)


def _layout(array: np.ndarray[Any, Any]) -> str:
    return "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"


def assert_same_array(original: np.ndarray[Any, Any], restored: Any, exact_padding: bool = True) -> None:
    """Same dtype (byte order included), shape, memory order and bytes (so NaN == NaN, -0.0 != 0.0)."""
    assert isinstance(restored, np.ndarray)
    assert (restored.dtype, restored.dtype.str) == (original.dtype, original.dtype.str)
    assert restored.shape == original.shape
    assert restored.flags["F_CONTIGUOUS" if _layout(original) == "F" else "C_CONTIGUOUS"]
    if original.dtype.hasobject:
        assert restored.tolist() == original.tolist()
    elif _is_long_float(original.dtype) and not exact_padding:
        # An x87 long double has 6 bytes of padding that only raw copies (files, records) keep.
        assert np.array_equal(original, restored, equal_nan=True)
        assert np.array_equal(np.signbit(original.real), np.signbit(restored.real))
    else:
        assert restored.tobytes() == original.tobytes()


def assert_same_scalar(original: np.generic, restored: Any) -> None:
    assert type(restored) is type(original)
    assert restored.dtype == original.dtype
    if isinstance(original, np.str_):
        assert restored[:] == original[:]
    elif isinstance(original, np.bytes_):
        assert bytes(restored) == bytes(original)
    else:
        assert_same_array(np.asarray(original), np.asarray(restored), exact_padding=False)


def json_trip(value: Any) -> Any:
    """What a run record gives back: the value through JSON text."""
    return json.loads(json.dumps(value, allow_nan=False))


# -- the kit's contract ----------------------------------------------------------------------------


class TestArrayContract(PackagerContract):
    packager = NumpyArrayPackager
    strategy = ndarrays()
    # compressed applies to npz (TestArrayNpzContract fixes it); mmap=True gives back a numpy.memmap,
    # which test_edge_arrays_round_trip_exactly_through_files checks.
    option_values: ClassVar[dict[str, dict[str, tuple[Any, ...]]]] = {"file": {"compressed": (), "mmap": ()}}

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert type(restored) is np.ndarray
        assert_same_array(original, restored, exact_padding=artifact_type != "result")


class TestArrayNpzContract(TestArrayContract):
    options = {"file": {"format": "npz", "compressed": True}}


class TestScalarContract(PackagerContract):
    packager = NumpyScalarPackager
    strategy = numpy_scalars()

    def assert_same(self, original: Any, restored: Any, artifact_type: str) -> None:
        assert_same_scalar(original, restored)


# -- helpers ---------------------------------------------------------------------------------------


def store_round_trip(
    host: PluginHost, store: Any, obj: Any, artifact_type: str | None = "file", obj_type: type | None = np.ndarray,
    allow_pickle: bool = False, key: str = "arr", **options: Any,
) -> tuple[Any, Any]:
    """Pack into ``store`` as a real run would, then unpack; returns (record or packed result, object)."""
    with staging(store):
        packed = host.pack(obj, key, artifact_type, options)
    if packed.is_result:
        value, instructions = json_trip(packed.value), json_trip(packed.instructions)
        return packed, host.unpack_result(value, producer=packed.producer, instructions=instructions, obj_type=obj_type)
    record = log_packed(store, "proj", packed)
    reloaded = store.get_artifact(record.uri)
    return reloaded, unpack_record(store, reloaded, obj_type, host=host, allow_pickle=allow_pickle)


# -- results ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["?", "i1", "<u2", ">i4", "<i8", ">u8", "f2", "<f4", ">f8", "c8", ">c16", "g"])
@pytest.mark.parametrize("shape", [(), (0,), (10,), (2, 5), (1, 1, 1), (0, 3)])
def test_tiny_numeric_arrays_default_to_an_exact_result(host: PluginHost, store: Any, dtype: str, shape: tuple[int, ...]) -> None:
    array = (np.arange(int(np.prod(shape))) % 3 - 1).astype(dtype).reshape(shape)
    packed, restored = store_round_trip(host, store, array, artifact_type=None)
    assert packed.is_result
    assert packed.producer.plugin == "numpy"
    assert packed.instructions["shape"] == list(shape)
    assert_same_array(array, restored, exact_padding=False)


@pytest.mark.parametrize(
    "array",
    [np.arange(11.0), np.zeros((4, 3)), np.array(["a", "b"]), np.array([b"x"]), np.array(["2020-01-01"], "M8[D]"),
     np.zeros(2, "i4,f8"), np.array([np.timedelta64(1, "s")])],
    ids=["11-floats", "12-zeros", "unicode", "bytes", "datetime", "structured", "timedelta"],
)
def test_other_arrays_default_to_an_npy_file(host: PluginHost, store: Any, array: np.ndarray[Any, Any]) -> None:
    record, restored = store_round_trip(host, store, array, artifact_type=None)
    assert (record.artifact_type, record.format, record.instructions) == ("file", "npy", {"format": "npy"})
    assert [f.name for f in record.files] == ["arr.npy"]
    assert_same_array(array, restored)


def test_result_is_readable_json(host: PluginHost) -> None:
    packed = host.pack(np.array([[1.5, np.nan], [-np.inf, -0.0]], dtype=">f4", order="F"), "r")
    assert packed.value == [[1.5, "nan"], ["-inf", -0.0]]
    assert packed.instructions == {"dtype": ">f4", "shape": [2, 2], "order": "F"}


@given(ndarrays())
def test_any_array_survives_a_result_through_json_text(array: np.ndarray[Any, Any]) -> None:
    host = PluginHost(load_entry_points=False, load_defaults=False)
    host.register(NumpyArrayPackager, name="numpy")
    packed = host.pack(array, "r", "result")
    value, instructions = json_trip(packed.value), json_trip(packed.instructions)
    restored = host.unpack_result(value, producer=packed.producer, instructions=instructions, obj_type=np.ndarray)
    assert_same_array(array, restored, exact_padding=False)


@pytest.mark.parametrize(("dtype", "bits"), [("<f2", 0x7C01), (">f4", 0xFF800001), ("<f8", 0x7FF0000000000001),
                                        ("<f8", 0xFFF8000000000000), (">f8", 0x7FF8DEADBEEF0000)])
def test_nan_payloads_survive_results(host: PluginHost, dtype: str, bits: int) -> None:
    native = np.dtype(dtype).newbyteorder("=")
    array = np.array([bits, 0], dtype=f"u{native.itemsize}").view(native).astype(dtype)
    for obj in (array, array[0]):
        packed = host.pack(obj, "r", "result")
        restored = host.unpack_result(json_trip(packed.value), producer=packed.producer,
                                      instructions=json_trip(packed.instructions))
        assert np.asarray(restored).tobytes()[: native.itemsize] == np.asarray(obj).tobytes()[: native.itemsize]


def test_result_without_instructions_is_whatever_numpy_makes_of_it(host: PluginHost) -> None:
    restored = host.plugin("numpy").unpack_result([[1, 2], [3, 4]])
    assert np.array_equal(restored, np.array([[1, 2], [3, 4]]))


def test_object_arrays_are_no_result(host: PluginHost) -> None:
    with pytest.raises(PackingError, match=r"Python objects.*log it as 'file'"):
        host.pack(np.array([1, "a"], dtype=object), "r", "result")


# -- files -----------------------------------------------------------------------------------------

EDGE_ARRAYS = {
    "big-endian-f8": np.arange(12, dtype=">f8").reshape(3, 4),
    "fortran": np.asfortranarray(np.arange(12, dtype="<i2").reshape(3, 4)),
    "fortran-3d-big-endian": np.asfortranarray(np.arange(24, dtype=">c8").reshape(2, 3, 4)),
    "0-d": np.array(3.25),
    "empty": np.zeros((0, 5), dtype="<u4"),
    "empty-fortran": np.zeros((3, 0), dtype=">i8", order="F"),
    "structured": np.array([(1, 2.5, "ab"), (3, -1.0, "c")], dtype=[("a", ">i4"), ("b", "<f8"), ("c", "U2")]),
    "nested-structured": np.zeros(3, dtype=[("p", [("x", "f4"), ("y", "f4")]), ("t", "M8[ms]", (2,))]),
    "datetime": np.array(["2024-02-29T12:00", "NaT", "1677-09-22"], dtype="M8[ns]"),
    "timedelta": np.array([1, -5, np.iinfo("i8").min], dtype="m8[us]"),
    "complex-nan": np.array([complex(np.nan, -0.0), complex(np.inf, 1)], dtype="c16"),
    "bool": np.array([[True, False], [False, True]]),
    "unicode": np.array(["héllo", "", "日本\x00x", "🙂"]),
    "big-endian-unicode": np.array(["ab", "c"], dtype=">U3"),
    "bytes": np.array([b"a\x00b", b"", b"\xff"]),
    "long-double": np.array([1, 1 / 3, np.nan], dtype=np.longdouble),
    "void": np.array([b"\x00\x01\x02"], dtype="V3"),
}


@pytest.mark.parametrize("options", [{}, {"format": "npz"}, {"format": "npz", "compressed": True}, {"mmap": True}],
                         ids=["npy", "npz", "npz-compressed", "npy-mmap"])
@pytest.mark.parametrize("name", sorted(EDGE_ARRAYS))
def test_edge_arrays_round_trip_exactly_through_files(host: PluginHost, store: Any, name: str, options: dict[str, Any]) -> None:
    array = EDGE_ARRAYS[name]
    record, restored = store_round_trip(host, store, array, **options)
    assert record.format == options.get("format", "npy")
    assert_same_array(array, restored)


@pytest.mark.parametrize("name", sorted(EDGE_ARRAYS))
def test_edge_arrays_round_trip_through_results(host: PluginHost, store: Any, name: str) -> None:
    array = EDGE_ARRAYS[name]
    packed, restored = store_round_trip(host, store, array, "result")
    assert packed.is_result
    assert_same_array(array, restored, exact_padding=False)


def test_views_memmaps_and_read_only_arrays_pack_without_being_touched(host: PluginHost, store: Any, tmp_path: Any) -> None:
    base = np.arange(60, dtype="<f4").reshape(6, 10)
    view = base[::2, 1::3]
    frozen = base.copy()
    frozen.flags.writeable = False
    mapped = np.lib.format.open_memmap(str(tmp_path / "m.npy"), mode="w+", dtype="<i4", shape=(20,))
    mapped[:] = np.arange(20)
    for obj in (view, frozen, mapped):
        before = np.array(obj, copy=True)
        for artifact_type in ("file", "result"):
            _, restored = store_round_trip(host, store, obj, artifact_type)
            assert type(restored) is np.ndarray
            assert restored.flags.c_contiguous
            assert np.array_equal(restored, obj)
            assert restored.dtype == obj.dtype
        assert np.array_equal(before, obj)
    assert not frozen.flags.writeable


def test_npz_holds_one_array_named_after_the_key(host: PluginHost, store: Any) -> None:
    zeros = np.zeros(100_000)
    plain, _ = store_round_trip(host, store, zeros, format="npz", key="plain")
    packed, _ = store_round_trip(host, store, zeros, format="npz", compressed=True, key="packed")
    assert packed.size < plain.size / 50
    assert packed.instructions == {"format": "npz"}
    with np.load(store.data_item(packed).local()) as archive:
        assert archive.files == ["packed"]
        assert np.array_equal(archive["packed"], zeros)


def test_file_preview_is_small_and_describes_the_array(host: PluginHost, store: Any) -> None:
    array = np.asfortranarray(np.arange(10_000, dtype=">f8").reshape(100, 100))
    record, _ = store_round_trip(host, store, array)
    assert record.preview == {"dtype": ">f8", "shape": [100, 100], "order": "F", "head": [0.0, 1.0, 2.0, 3.0, 4.0]}
    text = np.array(["x" * 1000] * 3)
    record, _ = store_round_trip(host, store, text)
    assert record.preview == {"dtype": "<U1000", "shape": [3], "order": "C"}


def test_collections_of_arrays_unbundle_into_one_artifact_each(host: PluginHost, store: Any) -> None:
    bundle = {"weights": np.ones((20, 3)), "bias": np.zeros(3)}
    with staging(store):
        packed = pack_outputs(bundle, "*layer", host=host)
    assert [(p.key, p.producer.plugin, p.artifact_type) for p in packed] == [
        ("layer-weights", "numpy", "file"), ("layer-bias", "numpy", "result"),
    ]
    for p in packed:
        p.clear()


# -- pickles ---------------------------------------------------------------------------------------

OBJECT_ARRAYS = {
    "object": np.array([1, "two", {"three": 3}, None], dtype=object),
    "object-2d": np.array([[1, 2], [3, [4]]], dtype=object),
    "structured-with-object": np.array([(1, "a")], dtype=[("n", "i4"), ("o", "O")]),
}


@pytest.mark.parametrize("fmt", ["npy", "npz"])
@pytest.mark.parametrize("name", sorted(OBJECT_ARRAYS))
def test_object_arrays_need_the_pickle_opt_in(host: PluginHost, store: Any, name: str, fmt: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("SATCHEL_ALLOW_PICKLE", raising=False)
    array = OBJECT_ARRAYS[name]
    with staging(store), pytest.warns(PickleFallbackWarning, match="Python objects"):
        packed = host.pack(array, "objs", "file", {"format": fmt})
    record = log_packed(store, "proj", packed)
    assert record.instructions == {"format": fmt, "pickled": True}
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        unpack_record(store, record, np.ndarray, host=host)
    restored = unpack_record(store, record, np.ndarray, host=host, allow_pickle=True)
    assert_same_array(array, restored)


@pytest.mark.parametrize("fmt", ["npy", "npz"])
def test_object_arrays_from_a_plain_file_are_refused_too(host: PluginHost, tmp_path: Any, fmt: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("SATCHEL_ALLOW_PICKLE", raising=False)
    path = str(tmp_path / f"objs.{fmt}")
    array = OBJECT_ARRAYS["object"]
    np.save(path, array) if fmt == "npy" else np.savez(path, only=array)
    item = DataItem.from_local_path(path)
    with pytest.raises(PickleNotAllowedError):
        host.unpack(item, producer=None, artifact_type=None, obj_type=np.ndarray)
    restored = host.unpack(item, producer=None, artifact_type=None, obj_type=np.ndarray, allow_pickle=True)
    assert restored.tolist() == array.tolist()


def test_object_arrays_cannot_be_memory_mapped(host: PluginHost) -> None:
    with pytest.raises(PackingError, match="cannot be memory-mapped; drop mmap=True"):
        host.pack(OBJECT_ARRAYS["object"], "objs", "file", {"mmap": True})


# -- memory mapping --------------------------------------------------------------------------------


def test_mmap_option_makes_unpacking_map_the_stored_file_read_only(host: PluginHost, store: Any) -> None:
    array = np.arange(1000, dtype=">f8").reshape(10, 100)
    record, restored = store_round_trip(host, store, array, mmap=True)
    assert record.instructions == {"format": "npy", "mmap_mode": "r"}
    assert isinstance(restored, np.memmap)
    assert restored.mode == "r"
    assert not restored.flags.writeable
    assert_same_array(array, restored)
    with pytest.raises(ValueError, match="read-only"):
        restored[0, 0] = 1.0


def test_memmap_type_hint_maps_without_the_pack_option(host: PluginHost, store: Any) -> None:
    array = np.arange(50, dtype="<i2")
    record, restored = store_round_trip(host, store, array, obj_type=np.memmap)
    assert record.instructions == {"format": "npy"}
    assert isinstance(restored, np.memmap)
    assert not restored.flags.writeable
    assert_same_array(array, restored)


def test_a_writing_mmap_mode_is_refused(host: PluginHost, tmp_path: Any) -> None:
    path = str(tmp_path / "a.npy")
    np.save(path, np.arange(3))
    with pytest.raises(UnpackingError, match=r"instruction 'mmap_mode' is 'r\+', not a read-only mode \(a mapping must never write to the stored file\); use one of 'r', 'c'"):
        host.plugin("numpy").unpack_file(DataItem.from_local_path(path), mmap_mode="r+")


def test_large_array_round_trips_and_memory_maps(host: PluginHost, store: Any) -> None:
    array = np.random.default_rng(7).standard_normal(50 * 2**20 // 8)  # 50 MiB
    record, restored = store_round_trip(host, store, array)
    assert record.size == array.nbytes + 128  # the .npy header is padded to 128 bytes
    assert np.array_equal(array, restored)
    mapped = unpack_record(store, record, np.memmap, host=host)
    assert isinstance(mapped, np.memmap)
    assert np.array_equal(array, mapped)
    del mapped


# -- options and errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "csv"}, "numpy does not take format='csv' for artifact type 'file'; format is one of 'npy', 'npz'"),
        ({"compressed": True}, "compressed=True applies to format='npz'"),
        ({"format": "npz", "mmap": True}, "mmap=True needs format='npy'"),
        ({"format": "npz", "compressed": "yes"}, "'compressed' and 'mmap' take True or False"),
    ],
)
def test_bad_packing_options_say_what_would_work(host: PluginHost, options: dict[str, Any], message: str) -> None:
    with pytest.raises(PackingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        host.pack(np.arange(20), "arr", "file", options)


def test_the_declared_format_choices_are_the_formats_written() -> None:
    from satchel_numpy import _files

    assert _files.FORMATS == NumpyArrayPackager.OPTION_CHOICES["format"]


def test_unknown_option_names_the_valid_ones(host: PluginHost) -> None:
    with pytest.raises(UnknownPackingKwargError, match="valid options: format, compressed, mmap"):
        host.pack(np.arange(20), "arr", "file", {"dtype": "f4"})


def test_npy_and_npz_written_by_numpy_unpack_by_type_hint(host: PluginHost, tmp_path: Any) -> None:
    array = np.arange(6, dtype=">i4").reshape(2, 3)
    np.save(tmp_path / "a.npy", array)
    np.savez_compressed(tmp_path / "b.npz", x=array)
    for name in ("a.npy", "b.npz"):
        restored = host.unpack(DataItem.from_local_path(tmp_path / name), producer=None, artifact_type=None,
                               obj_type=np.ndarray)
        assert_same_array(array, restored)


def test_npz_of_several_arrays_is_refused_with_their_names(host: PluginHost, tmp_path: Any) -> None:
    np.savez(tmp_path / "many.npz", a=np.zeros(2), b=np.ones(2))
    with pytest.raises(UnpackingError, match=r"2 arrays \['a', 'b'\].*'\*key' hint"):
        host.unpack(DataItem.from_local_path(tmp_path / "many.npz"), producer=None, artifact_type=None,
                    obj_type=np.ndarray)


@pytest.mark.parametrize("content", [b"not an array", b"\x93NUMPY\x01\x00broken", b"PK\x03\x04broken"])
def test_files_that_are_not_arrays_are_refused(host: PluginHost, tmp_path: Any, content: bytes) -> None:
    path = tmp_path / "thing.npy"
    path.write_bytes(content)
    with pytest.raises(UnpackingError, match=r"'thing\.npy'"):
        host.unpack(DataItem.from_local_path(path), producer=None, artifact_type=None, obj_type=np.ndarray)


# -- scalars ---------------------------------------------------------------------------------------

SCALARS = [
    np.bool_(True), np.int8(-128), np.uint8(255), np.int16(-2), np.uint16(7), np.int32(-(2**31)), np.uint32(2**32 - 1),
    np.int64(-(2**63)), np.uint64(2**64 - 1), np.longlong(5), np.ulonglong(6), np.intc(3),
    np.float16(0.1), np.float32(1.5), np.float32("nan"), np.float64(-0.0), np.float64("-inf"), np.longdouble(1) / 3,
    np.complex64(1 - 2j), np.complex128(complex(np.nan, np.inf)), np.clongdouble(1) / 3,
    np.datetime64("2024-02-29T12:34:56.789", "ms"), np.datetime64("NaT"), np.datetime64("NaT", "ns"),
    np.datetime64(2**62, "Y"), np.datetime64("-0001-01-01", "D"), np.timedelta64(-5, "ps"), np.timedelta64("NaT", "s"),
    np.str_("héllo"), np.str_("a\x00"), np.str_(""), np.bytes_(b"\x00\xffz\x00"),
    np.zeros(1, dtype=[("a", ">i4"), ("b", "U2")])[0], np.void(b"\x01\x02"),
]


@pytest.mark.parametrize("scalar", SCALARS, ids=[f"{type(s).__name__}-{i}" for i, s in enumerate(SCALARS)])
def test_numpy_scalars_are_results_of_the_same_type(host: PluginHost, store: Any, scalar: np.generic) -> None:
    packed, restored = store_round_trip(host, store, scalar, artifact_type=None, obj_type=type(scalar))
    assert packed.is_result
    assert packed.producer.plugin == "numpy-scalars"
    assert_same_scalar(scalar, restored)


def test_scalar_results_are_readable(host: PluginHost) -> None:
    assert host.pack(np.float32(1.5), "r").value == 1.5
    assert host.pack(np.datetime64("2024-02-29", "D"), "r").value == "2024-02-29"
    assert host.pack(np.int64(7), "r").instructions == {"dtype": "<i8"}


@pytest.mark.parametrize("scalar", [np.float64(1.0), np.complex128(1j), np.str_("x"), np.bytes_(b"x"), np.bool_(False)])
def test_numpy_packs_scalars_that_subclass_python_types(host: PluginHost, scalar: np.generic) -> None:
    explanation = host.explain(scalar)
    assert explanation.winner is not None
    assert explanation.winner.plugin == "numpy-scalars"


@settings(max_examples=50)
@given(numpy_scalars())
def test_any_scalar_survives_json_text(scalar: np.generic) -> None:
    host = PluginHost(load_entry_points=False, load_defaults=False)
    host.register(NumpyScalarPackager, name="numpy-scalars")
    packed = host.pack(scalar, "s")
    restored = host.unpack_result(json_trip(packed.value), producer=packed.producer,
                                  instructions=json_trip(packed.instructions))
    assert_same_scalar(scalar, restored)


def test_scalars_holding_objects_are_no_result(host: PluginHost) -> None:
    record = np.array([(1, "a")], dtype=[("n", "i4"), ("o", "O")])[0]
    with pytest.raises(PackingError, match="holds Python objects"):
        host.pack(record, "s", "result")


def test_no_warning_for_ordinary_arrays(host: PluginHost, store: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store_round_trip(host, store, np.arange(100))


# -- through log hints and runs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "name", "instructions"),
    [
        ("w : file[format=npz, compressed=True]", "w.npz", {"format": "npz"}),
        ("w : file[mmap=True]", "w.npy", {"format": "npy", "mmap_mode": "r"}),
        ("w", "w.npy", {"format": "npy"}),
    ],
)
def test_log_hints_reach_the_packer(host: PluginHost, hint: str, name: str, instructions: dict[str, Any]) -> None:
    import satchel

    packed = satchel.pack(np.ones((4, 4)), hint, host=host)
    try:
        assert packed.producer.plugin == "numpy"
        assert [f.name for f in packed.artifact.iter_files()] == [name]
        assert packed.instructions == instructions
    finally:
        packed.clear()


def _fit(n: int = 100) -> tuple[np.ndarray[Any, Any], np.float64, np.ndarray[Any, Any]]:
    weights = np.random.default_rng(0).standard_normal((n, 8))
    return weights, weights.std(), np.array([1, 2, 3], dtype=">i2")


def _use(weights: np.ndarray[Any, Any], spread: np.float64, small: np.ndarray[Any, Any]) -> float:
    assert isinstance(weights, np.memmap)
    assert not weights.flags.writeable
    assert type(spread) is np.float64
    assert small.dtype.str == ">i2"
    return float(weights[:10].sum())


def test_a_run_logs_and_receives_arrays_and_scalars(host: PluginHost, tmp_path: Any) -> None:
    import satchel
    from satchel.host import set_host

    previous = set_host(host)
    try:
        project = satchel.get_or_create_project("demo", store=tmp_path / "store")
        run = project.run(_fit, returns=["weights : file[mmap=True]", "spread", "small"])
        assert sorted(run.outputs) == ["weights"]
        assert type(run.results["spread"]) is np.float64
        assert_same_array(_fit()[2], run.results["small"])
        used = project.run(_use, inputs={"weights": run.outputs["weights"]},
                           params={"spread": run.results["spread"], "small": run.results["small"]}, returns=["total"])
        assert used.results["total"] == pytest.approx(float(_fit()[0][:10].sum()))
    finally:
        set_host(previous)


# -- verified reads: one pass, hashed as read, wrapped where it lies -------------------------------


@pytest.mark.parametrize("name", sorted(EDGE_ARRAYS))
def test_a_stored_npy_is_byte_for_byte_what_np_save_writes(host: PluginHost, store: Any, name: str) -> None:
    array = EDGE_ARRAYS[name]
    record, _restored = store_round_trip(host, store, array)
    expected = io.BytesIO()
    np.save(expected, array)
    assert expected.getvalue() == store.read_bytes(record)


def test_a_loaded_array_is_writable_and_the_callers_own(host: PluginHost, store: Any) -> None:
    array = np.arange(300_000, dtype="f8").reshape(1000, 300)
    record, restored = store_round_trip(host, store, array)
    assert restored.flags.writeable
    restored[0, 0] = -1.0
    again = unpack_record(store, store.get_artifact(record.uri), np.ndarray, host=host)
    assert 0.0 == again[0, 0]
    np.testing.assert_array_equal(array, again)


def test_a_blob_corrupted_after_a_good_load_fails_the_next_load(host: PluginHost, store: Any) -> None:
    from satchel.errors import IntegrityError
    from satchel.testing import corrupt_blob

    array = np.arange(200_000, dtype="i8")
    record, restored = store_round_trip(host, store, array)
    np.testing.assert_array_equal(array, restored)
    corrupt_blob(store, record.files[0])
    with pytest.raises(IntegrityError, match=r"file 'arr\.npy' is corrupt"):
        unpack_record(store, record, np.ndarray, host=host)


def test_an_npy_whose_header_promises_more_than_the_file_holds_is_refused(host: PluginHost, tmp_path: Any) -> None:
    good = io.BytesIO()
    np.save(good, np.arange(100, dtype="f8"))
    (tmp_path / "short.npy").write_bytes(good.getvalue()[:-8])
    item = DataItem.from_local_path(tmp_path / "short.npy")
    with pytest.raises(UnpackingError, match=r"'short\.npy' is not a readable \.npy file: its header describes 100 items of float64 \(928 bytes with the header\) but the file has 920 bytes"):
        NumpyArrayPackager().unpack_file(item, format="npy")
