"""Property: whatever a store writer puts in artifact records, run records or a project's config,
a reader that lists, shows, verifies, unpacks and runs with it imports nothing outside satchel, its
plugins and the standard library, starts no process, writes nowhere but the store's own staging
and index and satchel's temp folder, and sees only satchel's own error types.

An audit hook (PEP 578) watches imports, process creation and every file opened for writing or
removed while the reader works.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import satchel
from satchel.cli import main as cli_main
from satchel.errors import SatchelError
from satchel.packing import log_packed, staging
from satchel.project import Project, get_or_create_project
from satchel.store import Store

PLANTED = "satchel_planted_module_q"

# -- the watcher -----------------------------------------------------------------------------------

_watch = threading.local()
_PROCESS_EVENTS = ("os.system", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.fork", "os.startfile")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# event -> which arguments name a path it changes (a link's source is only read)
_PATH_EVENTS = {
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.truncate": (0,), "os.chmod": (0,),
    "shutil.rmtree": (0,), "os.rename": (0, 1), "os.symlink": (1,), "os.link": (1,),
}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    seen: list[tuple[str, str]] | None = getattr(_watch, "seen", None)
    if seen is None:
        return
    if event == "import":
        seen.append(("import", str(args[0])))
    elif event.startswith(_PROCESS_EVENTS):
        seen.append(("process", f"{event} {args[:1]!r}"))
    elif event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing and isinstance(path, (str, bytes, os.PathLike)):
            seen.append(("write", os.fsdecode(path)))
    elif event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            arg = args[index]
            if not isinstance(arg, (str, bytes, os.PathLike)):
                continue
            if event == "os.mkdir" and os.path.isdir(arg):
                continue  # makedirs(exist_ok=True) over a folder that is there changes nothing
            seen.append((event, os.fsdecode(arg)))


sys.addaudithook(_audit)  # hooks cannot be removed; it records only while a test is watching


@contextlib.contextmanager
def watching() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    _watch.seen = seen
    try:
        yield seen
    finally:
        _watch.seen = None


def _allowed_module(name: str) -> bool:
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or top in {
        "satchel", "pluggy", "attrs", "attr", "cattrs", "fsspec", "blake3", "_distutils_hack", "encodings",
    } or top.startswith("_")


# -- a store to attack ----------------------------------------------------------------------------


def produce() -> tuple[int, dict[str, int], str, pathlib.Path]:
    return 3, {"a": 1}, "some text", pathlib.Path(__file__).parent / "fake_plugins"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A store whose blobs are of both digests: an earlier version of one output written with sha256."""
    root = tmp_path_factory.mktemp("pristine") / "store"
    earlier = Store(root, digest="sha256")
    with staging(earlier):
        log_packed(earlier, "demo", satchel.pack({"a": 0}, "counts : file"))
    earlier.close()
    project = get_or_create_project("demo", store=root)
    project.set_pickle_policy("warn")
    project.run(produce, returns=["score", "counts : file", "note : file", "tree : path"], name="make")
    assert [True, True] == [(root / "objects" / name).is_dir() for name in ("blake3", "sha256")]
    return root


def _documents(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(
        [*root.glob("artifacts/*/*/*.json"), *root.glob("runs/*/*.json"), *root.glob("projects/*/project.json")]
    )


# -- hostile edits ----------------------------------------------------------------------------------

hostile_strings = st.sampled_from([
    "../../../../tmp/escaped", "/etc/passwd", "/tmp/satchel-escaped-file", "..", ".", "",
    f"{PLANTED}.Evil", f"{PLANTED}:Evil", "os.system", "subprocess.Popen", "builtins.eval",
    "allow", "forbid", "object", "pickle", "builtins", "paths", "structured",
    "\x1b[31mred\x1b[0m", "a\u202eb", "x" * 300, "C:/x", "dir/../../x", "zip", "tar", "tar.gz",
])
hostile_values = st.recursive(
    st.one_of(
        hostile_strings, st.text(max_size=20), st.none(), st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_strings | st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


@st.composite
def edits(draw: st.DrawFn, documents: int) -> tuple[int, list[tuple[int, Any]]]:
    """Which document to edit, and (which field, new value) pairs by index into its field list."""
    chosen = draw(st.integers(min_value=0, max_value=documents - 1))
    changes = draw(st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), hostile_values), min_size=1, max_size=4))
    return chosen, changes


# -- the property -----------------------------------------------------------------------------------


def _read_everything(root: pathlib.Path, out: pathlib.Path) -> list[str]:
    """What a reader does with a store: list, show, verify, unpack, export; returns its output URIs."""
    project = Project("demo", get_or_create_project("demo", store=root).store)
    for artifact in project.list_artifacts():
        with contextlib.suppress(SatchelError):
            artifact.unpack()
        with contextlib.suppress(SatchelError):
            artifact.unpack(dict)
    for run in project.list_runs():
        with contextlib.suppress(SatchelError):
            run.results  # noqa: B018 - restoring results is what is under test
        for key in run.outputs:
            with contextlib.suppress(SatchelError, KeyError):
                run.output(key)
    with contextlib.suppress(SatchelError):
        project.store.verify()
    uris = [a.uri for a in project.list_artifacts()]
    for args in (["runs"], ["runs", "--json"], ["artifacts"], ["artifacts", "--json"], ["verify"]):
        _cli(root, *args)
    for uri in uris:
        _cli(root, "artifacts", "show", uri)
        _cli(root, "artifacts", "get", uri, "-o", str(out / "exported"), "--force")
    for run in project.list_runs():
        _cli(root, "runs", "show", run.uid)
    return uris


def _run_with(root: pathlib.Path, uris: list[str]) -> None:
    """A run that consumes the store's outputs by URI (it writes its own record and outputs)."""

    def consume(counts: dict[str, int], note: str, tree: pathlib.Path) -> int:
        return len(counts) + len(note) + len(list(tree.iterdir()))

    inputs = {name: next((u for u in uris if f"/{name}" in u), None) for name in ("counts", "note", "tree")}
    if all(inputs.values()):
        project = get_or_create_project("demo", store=root)
        with contextlib.suppress(SatchelError):
            project.run(consume, inputs=inputs, returns=["n"], raise_on_failure=False)


def _cli(root: pathlib.Path, *args: str) -> int:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli_main(["--store", str(root), "--project", "demo", *args])
    assert code in (0, 1, 2), (args, code, stderr.getvalue())
    assert "Traceback" not in stderr.getvalue(), (args, stderr.getvalue())
    return code


# No shrinking: each example copies and reads a whole store, and the edit that failed is printed.
@settings(max_examples=40, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_records_and_configs_make_a_reader_do_nothing_it_did_not_ask(
    data: st.DataObject, pristine: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "planted-module-ran"
    planted_dir = tmp_path / "planted"
    planted_dir.mkdir(exist_ok=True)
    (planted_dir / f"{PLANTED}.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(planted_dir))
    case = pathlib.Path(tempfile.mkdtemp(dir=tmp_path, prefix="case-"))
    root = case / "store"
    shutil.copytree(pristine, root, symlinks=True)
    (root / "index.sqlite").unlink(missing_ok=True)  # the reader rebuilds it from the files
    documents = _documents(root)
    chosen, changes = data.draw(edits(len(documents)))
    target = documents[chosen]
    document = json.loads(target.read_text())
    fields = _paths(document)
    for where, value in changes:
        if fields:
            with contextlib.suppress(KeyError, IndexError, TypeError):
                _set(document, fields[where % len(fields)], value)
    target.write_text(json.dumps(document))
    temp = tempfile.gettempdir()
    reading_roots = [str(root / "tmp"), str(root / "index.sqlite"), temp, str(case / "exported")]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with watching() as read:
            try:
                uris = _read_everything(root, case)
            except SatchelError:  # satchel's own error: allowed; any other type fails the test
                uris = []
        with watching() as ran:
            _run_with(root, uris)

    assert ([], [], []) == _violations(read, reading_roots), f"reading, after editing {target.relative_to(root)}"
    # A run the reader starts writes its own record and outputs in the store: nowhere else.
    assert ([], [], []) == _violations(ran, [str(root), temp]), f"running, after editing {target.relative_to(root)}"
    assert not marker.exists()
    assert PLANTED not in sys.modules


def _violations(seen: list[tuple[str, str]], roots: list[str]) -> tuple[list[str], list[str], list[str]]:
    imports = sorted({name for kind, name in seen if kind == "import" and not _allowed_module(name)})
    processes = [name for kind, name in seen if kind == "process"]
    writes = sorted({
        f"{kind} {path}" for kind, path in seen
        if kind not in ("import", "process") and not any(os.path.abspath(path).startswith(root) for root in roots)
    })
    return imports, processes, writes
