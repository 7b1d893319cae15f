"""The test kit catches a plugin author's mistakes, and says what it found.

Each check here runs a contract of ``satchel.testing`` against a packager with one mistake and
asserts the message the author gets.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import strategies as st
from wheels import install_plugin

from satchel import Artifact, Packager
from satchel.errors import InvalidPluginError, PackingError
from satchel.host import PluginLoadWarning
from satchel.testing import EntryPointContract, PackagerContract, isolated_host, run_python

Failed = pytest.fail.Exception


class Note:
    """A value a packager writes as a text file."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"Note({self.text!r})"


class NotePackager(Packager):
    """Notes as text or JSON files; ``upper`` writes the text in capitals (and reads it back as is)."""

    PACKABLE_OBJECT_TYPE = Note
    PACKS_RESULT = False
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"
    OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"format": ("txt", "json")}

    def pack_file(self, obj: Note, key: str, format: str = "txt", upper: bool = False) -> tuple[Artifact, dict[str, Any]]:  # noqa: A002
        import json

        text = obj.text.upper() if upper else obj.text
        body = json.dumps(text) if format == "json" else text
        return Artifact(key=key, body=body, file_name=f"{key}.{format}", format=format), {"format": format}

    def unpack_file(self, data_item: Any, format: str | None = None) -> Note:  # noqa: A002
        import json

        name = data_item.file_names[0]
        text = data_item.read_text()
        return Note(json.loads(text) if (format or name.rpartition(".")[2]) == "json" else text)


def _kit(packager: type[Packager], tmp_path: Path, **attributes: Any) -> PackagerContract:
    """An instance of a contract subclass for ``packager``, its stores under ``tmp_path`` (as the
    kit's own fixture would set them up)."""
    cls = type("TestIt", (PackagerContract,), {"packager": packager, "strategy": st.text(min_size=1).map(Note), **attributes})
    kit = cls()
    kit._stores_root = tmp_path
    kit._made = []
    return kit


def test_options_are_swept_over_their_choices_and_the_other_bool(tmp_path: Path) -> None:
    kit = _kit(NotePackager, tmp_path)
    assert [("file", "format", "json"), ("file", "upper", True)] == kit._option_cases()
    kit.test_round_trip_with_each_option_value(("file", "format", "json"))
    with pytest.raises(AssertionError, match=r"assert Note\('0'\) == Note\('0'\)|assert Note\(") :
        kit.test_round_trip_with_each_option_value(("file", "upper", True))  # capitals do not come back


def test_the_sweep_is_narrowed_by_option_values_and_fixed_options(tmp_path: Path) -> None:
    kit = _kit(NotePackager, tmp_path, option_values={"file": {"upper": ()}}, options={"file": {"format": "json"}})
    assert [] == kit._option_cases()
    with pytest.raises(TypeError) as raised:
        _kit(NotePackager, tmp_path, option_values={"file": {"uper": (True,)}})
    assert (
        "TestIt.option_values names option(s) 'uper' for artifact type 'file', but NotePackager packs ['file'] "
        "and pack_file takes format, upper"
    ) == str(raised.value).rpartition(".<locals>.")[2]


def test_an_option_value_outside_its_choices_is_a_packing_error_naming_them(tmp_path: Path) -> None:
    host = isolated_host(NotePackager, builtins=False)
    with pytest.raises(PackingError) as raised:
        host.pack(Note("n"), "note", "file", {"format": "xml"})
    assert (
        "log hint for 'note': under-test does not take format='xml' for artifact type 'file'; format is one of "
        "'txt', 'json'"
    ) == str(raised.value)
    _kit(NotePackager, tmp_path).test_an_option_value_outside_its_choices_is_refused_naming_them(("file", "format"))


def test_option_choices_for_an_option_no_pack_method_takes_is_an_error() -> None:
    with pytest.raises(InvalidPluginError) as raised:

        class Typo(NotePackager):
            OPTION_CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"fromat": ("txt",)}

    assert (
        "Typo.OPTION_CHOICES names option 'fromat', which no pack method takes (did you mean 'format'?); the pack "
        "methods take format, upper"
    ) == str(raised.value).rpartition(".<locals>.")[2]


def test_a_preview_json_does_not_hold_exactly_fails_the_round_trip(tmp_path: Path) -> None:
    class Sized(NotePackager):
        def pack_file(self, obj: Note, key: str, format: str = "txt", upper: bool = False) -> tuple[Artifact, dict[str, Any]]:  # noqa: A002
            artifact, instructions = super().pack_file(obj, key, format, upper)
            artifact.preview = {"size": (1, len(obj.text))}
            return artifact, instructions

    with pytest.raises(AssertionError) as raised:
        _kit(Sized, tmp_path).test_round_trip("file")
    assert str(raised.value).startswith(
        "pack_file gave an artifact whose preview JSON does not hold exactly: preview['size'] is (1, 1), a "
        "builtins.tuple; the store keeps it as JSON (dicts with text keys, lists, text, finite numbers, booleans, "
        "None), so a reader would get something else"
    )


class Blob:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)


class MisspeltDefault(Packager):
    """Declares a type of its own for the default, but its unpacker reads only files."""

    PACKABLE_OBJECT_TYPE = Blob
    ARTIFACT_TYPES = ("blob",)
    DEFAULT_PACKING_ARTIFACT_TYPE = "blob"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_blob(self, obj: Blob, key: str) -> Artifact:
        return Artifact(key=key, body=obj.data, file_name=f"{key}.bin")

    def pack_file(self, obj: Blob, key: str) -> Artifact:
        return Artifact(key=key, body=obj.data, file_name=f"{key}.bin")

    def unpack_file(self, data_item: Any) -> Blob:
        return Blob(data_item.read_bytes())


def test_a_default_artifact_type_the_class_cannot_unpack_fails_the_kit(tmp_path: Path) -> None:
    kit = _kit(MisspeltDefault, tmp_path, strategy=st.binary().map(Blob))
    with pytest.raises(AssertionError) as raised:
        kit.test_default_artifact_type_round_trips_non_empty_objects()
    assert str(raised.value).startswith(
        "MisspeltDefault packs a test_testing_kit.Blob as 'blob' by default, which it does not unpack (it unpacks "
        "['file']): an output logged with no artifact type could never be read back; define unpack_blob() or "
        "choose one of those"
    )


def test_a_strategy_of_empty_objects_alone_fails_the_default_round_trip(tmp_path: Path) -> None:
    kit = _kit(NotePackager, tmp_path, strategy=st.just(Note("")))
    with pytest.raises(AssertionError) as raised:
        kit.test_default_artifact_type_round_trips_non_empty_objects()
    assert str(raised.value).startswith(
        "every object the strategy drew for NotePackager was empty, so the default round trip proved nothing; "
        "draw non-empty objects too (or override is_empty)"
    )


def test_the_kit_does_not_try_result_on_a_packager_that_declines_it(tmp_path: Path) -> None:
    kit = _kit(NotePackager, tmp_path)
    assert (["file"], []) == (kit._round_trip_types(), kit._pack_only_types())


def test_a_plain_local_file_and_a_record_without_producer_unpack_by_the_type_hint(tmp_path: Path) -> None:
    _kit(NotePackager, tmp_path).test_unpacks_by_type_hint_alone_and_from_a_plain_local_file("file")

    class Forgetful(NotePackager):
        def can_unpack_item(self, data_item: Any, obj_type: Any, artifact_type: Any) -> bool:
            return data_item.record is not None and data_item.record.producer is not None

    with pytest.raises(Exception, match=r"no installed packager can unpack .* into test_testing_kit\.Note"):
        _kit(Forgetful, tmp_path).test_unpacks_by_type_hint_alone_and_from_a_plain_local_file("file")


# -- Assertion rewriting and subprocess output ----------------------------------------------------

AUTHOR_SUITE = '''\
from hypothesis import strategies as st

from satchel import Artifact, Packager
from satchel.testing import PackagerContract


class OffByOne(Packager):
    PACKABLE_OBJECT_TYPE = int
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_file(self, obj, key):
        return Artifact(key=key, body=str(obj), file_name=key + ".txt")

    def unpack_file(self, data_item):
        return int(data_item.read_text()) + 1


class TestOffByOne(PackagerContract):
    packager = OffByOne
    strategy = st.integers()
'''


def test_a_failing_kit_assertion_shows_the_values_it_compared(tmp_path: Path) -> None:
    (tmp_path / "test_author.py").write_text(AUTHOR_SUITE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_author.py", "-k", "test_round_trip and file"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert 1 == done.returncode, done.stdout + done.stderr
    assert "E       assert 0 == 1" in done.stdout, done.stdout


def test_a_check_run_in_a_child_python_shows_its_stderr() -> None:
    with pytest.raises(Failed) as raised:
        run_python("import sys\nsys.stderr.write('Traceback: the detail\\n')\nsys.exit(3)")
    assert str(raised.value).startswith(
        "a fresh Python running the check exited with status 3; its stderr:\nTraceback: the detail\n-- the code it ran:\n"
    )


# -- EntryPointContract: the distribution under test, alone ----------------------------------------

TALLY = '''\
from satchel import Packager


class TallyPackager(Packager):
    PACKABLE_OBJECT_TYPE = "tallylib.Tally"
    REQUIRES = {"tallylib": "tallylib"}

    def pack_result(self, obj, key):
        return {key: obj.count}
'''


def _neighbours(site: Path) -> None:
    """Plugins installed beside the one under test: misspelt, broken, and one importing its heavy library."""
    install_plugin(site, "tallylib", "1.0", {}, {"tallylib.py": "class Tally:\n    count = 1\n"})
    install_plugin(site, "satchel-typo", "0.1", {"typo": "satchel_typo"}, {
        "satchel_typo.py": "from satchel import hookimpl\n\n@hookimpl\ndef satchel_can_pak(obj_type):\n    return None\n",
    })
    install_plugin(site, "satchel-broken", "0.1", {"broken": "satchel_broken"}, {"satchel_broken.py": "raise ImportError('nope')\n"})
    install_plugin(site, "satchel-greedy", "0.1", {"greedy": "satchel_greedy:Greedy"}, {
        "satchel_greedy.py": "import tallylib\nfrom satchel import Packager\n\nclass Greedy(Packager):\n    PACKABLE_OBJECT_TYPE = tallylib.Tally\n",
    })


def test_entry_point_contract_checks_the_distribution_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    install_plugin(site, "satchel-tally", "1.0", {"tally": "satchel_tally:TallyPackager"}, {"satchel_tally.py": TALLY})
    _neighbours(site)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))

    class TestTally(EntryPointContract):
        distribution = "Satchel_Tally"  # as pip compares names: the same distribution
        entry_points: ClassVar[dict[str, str]] = {"tally": "satchel_tally:TallyPackager"}
        heavy_modules = ("tallylib",)

    contract = TestTally()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PluginLoadWarning)  # the neighbours' failures are not loaded, not said
            contract.test_entry_points_are_declared_by_the_installed_distribution()
            contract.test_real_discovery_loads_them_from_the_distribution()
            contract.test_discovery_and_listing_import_no_heavy_library()
            contract.test_a_missing_library_is_reported_instead_of_crashing()
        assert "satchel_greedy" not in sys.modules and "satchel_broken" not in sys.modules
    finally:
        sys.modules.pop("satchel_tally", None)  # imported from this test's site, which goes away


def test_entry_point_contract_shows_the_child_s_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    source = TALLY + textwrap.dedent('''
        def describe(self):
            raise RuntimeError("describe is broken")

        TallyPackager.describe = describe
    ''')
    install_plugin(site, "satchel-tally", "1.0", {"tally": "satchel_tally:TallyPackager"}, {"satchel_tally.py": source})
    monkeypatch.setenv("PYTHONPATH", str(site))

    class TestTally(EntryPointContract):
        distribution = "satchel-tally"
        entry_points: ClassVar[dict[str, str]] = {"tally": "satchel_tally:TallyPackager"}

    with pytest.raises(Failed) as raised:
        TestTally().test_discovery_and_listing_import_no_heavy_library()
    message = str(raised.value)
    assert message.startswith("a fresh Python running the check exited with status 1; its stderr:\nTraceback")
    assert f'File "{site / "satchel_tally.py"}", line 12, in describe' in message
    assert "RuntimeError: describe is broken" in message
