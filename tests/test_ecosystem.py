"""Every distribution installed together: an image, an array, a frame and a prompt go through two
runs, from Python and from the command line, with each plugin found through its entry point."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tomllib
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from langchain_core.prompts import ChatPromptTemplate
from PIL import Image

import satchel
from satchel.errors import RunError

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "examples" / "demo_handlers.py"
sys.path.insert(0, str(HANDLERS.parent))

from demo_handlers import prepare, summarise  # noqa: E402

PLUGINS = {
    "pillow": "satchel-pillow", "numpy": "satchel-numpy", "numpy-scalars": "satchel-numpy",
    "pandas": "satchel-pandas", "pandas-series": "satchel-pandas", "langchain": "satchel-langchain",
    "sklearn": "satchel-sklearn",
}
RETURNS = ["image : file[format='png']", "features", "table", "prompt", "mean_feature"]


def test_every_plugin_is_discovered_from_its_installed_distribution() -> None:
    host = satchel.get_host()
    infos = {info.name: info for info in host.infos()}
    assert {name: infos[name].distribution for name in PLUGINS} == PLUGINS
    assert PLUGINS == {info.name: info.distribution for info in host.infos() if info.source == "entry point"}
    assert {} == host.failures


def _plugin_projects() -> dict[str, dict[str, object]]:
    return {
        folder.name: tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        for folder in sorted((ROOT / "plugins").iterdir()) if (folder / "pyproject.toml").exists()
    }


@pytest.mark.parametrize("plugin", sorted(_plugin_projects()))
def test_every_plugin_distribution_has_the_common_shape(plugin: str) -> None:
    """satchel_<name>/: __init__.py re-exports the classes packagers.py holds, the entry points name
    them there, and every other module is a private helper (_*.py)."""
    project = _plugin_projects()[plugin]
    package = f"satchel_{plugin}"
    declared = project["entry-points"]["satchel"]  # type: ignore[index]
    assert all(value.startswith(f"{package}.packagers:") for value in declared.values()), declared
    installed = {ep.name: ep.value for ep in entry_points(group="satchel") if ep.name in declared}
    assert declared == installed
    modules = sorted(path.name for path in (ROOT / "plugins" / plugin / "src" / package).glob("*.py"))
    assert ["__init__.py", "packagers.py"] == [name for name in modules if not name.startswith("_") or name == "__init__.py"]
    root, packagers = importlib.import_module(package), importlib.import_module(f"{package}.packagers")
    for value in declared.values():
        name = value.partition(":")[2]
        assert getattr(packagers, name) is getattr(root, name)
        assert name in root.__all__


def test_a_langchain_chain_is_refused_not_pickled(tmp_path: Path) -> None:
    from langchain_core.runnables import RunnableLambda

    def make_chain() -> RunnableLambda:
        return ChatPromptTemplate.from_messages([("human", "{q}")]) | RunnableLambda(str)

    project = satchel.get_or_create_project("eco", store=str(tmp_path / "store"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", satchel.PickleFallbackWarning)
        with pytest.raises(RunError) as raised:
            project.run(make_chain, returns=["chain"])
    message = str(raised.value)
    assert "'chain': satchel-langchain packs prompt templates" in message
    assert "RunnableSequence is not one of them" in message
    assert "'<key> : object'" in message
    assert [] == project.list_artifacts()


def test_four_kinds_of_object_round_trip_through_two_runs_in_python(tmp_path: Path) -> None:
    project = satchel.get_or_create_project("eco", store=str(tmp_path / "store"))
    first = project.run(prepare, params={"rows": 50}, returns=RETURNS)
    producers = {key: project.get_artifact(uri).producer.plugin for key, uri in first.outputs.items()}
    assert {"image": "pillow", "features": "numpy", "table": "pandas", "prompt": "langchain"} == producers
    assert {"image": "file", "features": "file", "table": "dataset", "prompt": "prompt"} == {
        key: project.get_artifact(uri).kind for key, uri in first.outputs.items()
    }
    second = project.run(summarise, inputs={k: first.outputs[k] for k in ("image", "features", "table", "prompt")}, returns=["summary"])
    assert {
        "image_size": [128, 96], "features_shape": [50, 8],
        "rows_per_city": second.results["summary"]["rows_per_city"],
        "prompt": "Describe these rows: 50",
    } == second.results["summary"]
    assert 50 == sum(second.results["summary"]["rows_per_city"].values())

    image, features, table, prompt, _mean = prepare(rows=50)
    assert np.array_equal(np.asarray(image), np.asarray(project.get_artifact(first.outputs["image"]).unpack()))
    assert np.array_equal(features, project.get_artifact(first.outputs["features"]).unpack())
    pd.testing.assert_frame_equal(table, project.get_artifact(first.outputs["table"]).unpack(), check_exact=True)
    assert prompt == project.get_artifact(first.outputs["prompt"]).unpack(ChatPromptTemplate)


def _cli(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "satchel", "--store", str(store), "--project", "eco", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


def test_the_same_round_trip_from_the_command_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    made = _cli(store, "run", f"{HANDLERS}:prepare", "-p", "rows=40", "--returns", *RETURNS, "--json")
    assert 0 == made.returncode, made.stderr
    outputs = json.loads(made.stdout)["outputs"]
    assert ["features", "image", "prompt", "table"] == sorted(outputs)
    inputs = [arg for key in ("image", "features", "table", "prompt") for arg in ("-i", f"{key}={outputs[key]}")]
    used = _cli(store, "run", f"{HANDLERS}:summarise", *inputs, "--returns", "summary", "--json")
    assert 0 == used.returncode, used.stderr
    summary = json.loads(used.stdout)["results"]["summary"]
    assert ([128, 96], [40, 8], "Describe these rows: 40") == (summary["image_size"], summary["features_shape"], summary["prompt"])
    listed = _cli(store, "artifacts", "--json")
    assert {"pillow", "numpy", "pandas", "langchain"} <= {a["producer"]["plugin"] for a in json.loads(listed.stdout)}
    assert 0 == _cli(store, "verify").returncode


def test_plugins_lists_each_plugin_with_its_types() -> None:
    listed = subprocess.run([sys.executable, "-m", "satchel", "plugins", "--json"], capture_output=True, text=True, check=True)
    by_name = {p["name"]: p for p in json.loads(listed.stdout)}
    assert ["PIL.Image.Image"] == by_name["pillow"]["types"]
    assert "dataset" in by_name["pandas"]["packing_artifact_types"]
    assert "prompt" == by_name["langchain"]["default_packing_artifact_type"]


@pytest.mark.parametrize("command", [["--help"], ["plugins"]])
def test_cli_startup_imports_no_heavy_library(command: list[str]) -> None:
    code = (
        "import sys, runpy; sys.argv = ['satchel', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('satchel', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('PIL', 'numpy', 'pandas', 'pyarrow', 'langchain_core') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True, check=False)
    assert "HEAVY=" == done.stderr.strip().splitlines()[-1]


def test_an_image_from_image_open_is_packed_by_pillow(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8), "red").save(path)
    with Image.open(path) as opened:
        assert "pillow" == satchel.pack(opened, "photo").producer.plugin
