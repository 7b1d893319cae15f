"""A handler's type hint asks for another type than the one stored: one plugin converts what another
wrote (an image as an array, a CSV file as a frame), and anything else is an error naming the
artifact, what it holds and the hint, before the handler runs."""

from __future__ import annotations

import pathlib
import tempfile
from typing import Any

import numpy as np
import pandas as pd
import PIL.Image
import pytest

import satchel
from satchel.errors import RunError, UnpackingError


@pytest.fixture(autouse=True)
def temp_dir_in_tmp_path(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Whatever satchel puts in the system temp directory (an unpacked path's copy) lands under ``tmp_path``."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: pathlib.Path) -> satchel.Project:
    return satchel.get_or_create_project("conversions", store=tmp_path / "store")


def gradient() -> PIL.Image.Image:
    """A 6x4 RGB image whose every pixel differs, so a wrong conversion cannot go unnoticed."""
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    return PIL.Image.fromarray(pixels, "RGB")


def table() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Oslo", "Lima", "Pune"], "rows": [3, 1, 4], "share": [0.375, 0.125, 0.5]})


# -- An image arrives as an array ----------------------------------------------------------------


@pytest.mark.parametrize("hint", ["image", "image : file[format=png]", "image : file[format=tiff]"])
def test_an_array_handler_given_a_stored_image_receives_its_pixels(project: satchel.Project, hint: str) -> None:
    image_uri = project.log(gradient(), hint).uri
    seen: list[Any] = []

    def stats(arr: np.ndarray) -> float:
        seen.append(arr)
        return float(arr.mean())

    run = project.run(stats, inputs={"arr": image_uri}, returns=["mean"])
    (arr,) = seen
    assert (np.ndarray, (4, 6, 3), np.dtype(np.uint8)) == (type(arr), arr.shape, arr.dtype)
    assert np.array_equal(np.asarray(gradient()), arr)
    assert float(np.asarray(gradient()).mean()) == run.results["mean"]


def test_an_image_asked_for_as_an_image_is_still_an_image(project: satchel.Project) -> None:
    image_uri = project.log(gradient(), "image").uri
    restored = project.get_artifact(image_uri).unpack(PIL.Image.Image)
    assert isinstance(restored, PIL.Image.Image)
    assert np.array_equal(np.asarray(gradient()), np.asarray(restored))


def test_an_image_asked_for_as_a_data_frame_is_an_error_naming_all_three(project: satchel.Project) -> None:
    image_uri = project.log(gradient(), "image").uri
    with pytest.raises(UnpackingError) as raised:
        project.get_artifact(image_uri).unpack(pd.DataFrame)
    message = str(raised.value)
    assert image_uri in message
    assert "holds a PIL.Image.Image, packed by 'pillow'" in message
    assert "the type hint asks for pandas.DataFrame" in message


# -- A table file arrives as a DataFrame ---------------------------------------------------------


WRITERS = {
    "csv": lambda frame, path: frame.to_csv(path, index=False),
    "parquet": lambda frame, path: frame.to_parquet(path, index=False),
    "json": lambda frame, path: frame.to_json(path, orient="records"),
    "feather": lambda frame, path: frame.to_feather(path),
}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_a_frame_handler_given_a_logged_table_file_receives_its_rows(
    project: satchel.Project, tmp_path: pathlib.Path, fmt: str
) -> None:
    path = tmp_path / f"cities.{fmt}"
    WRITERS[fmt](table(), path)
    stored = project.log(path, "data : path")
    assert ("paths", fmt) == (stored.producer.plugin, stored.format)
    seen: list[Any] = []

    def rows(df: pd.DataFrame) -> int:
        seen.append(df)
        return len(df)

    run = project.run(rows, inputs={"df": stored.uri}, returns=["count"])
    (df,) = seen
    assert pd.DataFrame is type(df)
    pd.testing.assert_frame_equal(table(), df)
    assert 3 == run.results["count"]


def test_a_logged_csv_path_still_arrives_as_a_path_when_a_path_is_asked_for(
    project: satchel.Project, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "cities.csv"
    table().to_csv(path, index=False)
    uri = project.log(path, "data : path").uri
    restored = project.get_artifact(uri).unpack(pathlib.Path)
    assert isinstance(restored, pathlib.Path)
    assert path.read_text() == restored.read_text()


def test_a_text_file_asked_for_as_a_data_frame_is_an_error(project: satchel.Project, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("city,rows\nOslo,3\n")
    uri = project.log(path, "notes : path").uri
    with pytest.raises(UnpackingError) as raised:
        project.get_artifact(uri).unpack(pd.DataFrame)
    message = str(raised.value)
    assert uri in message
    assert "packed by 'paths'" in message
    assert "the type hint asks for pandas.DataFrame" in message


def test_a_file_recorded_as_csv_that_is_not_one_is_an_error_naming_what_was_tried(
    project: satchel.Project, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\x00\x01 not, a\n\"table")
    uri = project.log(path, "broken : path").uri
    with pytest.raises(UnpackingError) as raised:
        project.get_artifact(uri).unpack(pd.DataFrame)
    assert uri in str(raised.value)
    assert "tried converting with 'pandas'" in str(raised.value)


# -- Anything else stays an error, and the handler never runs ------------------------------------


def test_an_image_handler_given_an_array_fails_before_the_handler_runs(project: satchel.Project) -> None:
    array_uri = project.log(np.arange(24, dtype=np.uint8).reshape(4, 6), "pixels : file").uri
    called: list[Any] = []

    def f(img: PIL.Image.Image) -> None:
        called.append(img)

    with pytest.raises(RunError) as raised:
        project.run(f, inputs={"img": array_uri})
    assert [] == called
    message = str(raised.value)
    assert array_uri in message
    assert "holds a numpy.ndarray, packed by 'numpy'" in message
    assert "the type hint asks for PIL.Image.Image" in message
    (failed,) = project.list_runs()
    assert "failed" == failed.status
