"""A plugin author's mistakes never take the host down, and each says what is wrong and what is right.

Each plugin here is installed as a real distribution (a ``.dist-info`` folder in a temporary site
directory, or a zip file on the path) and found by real discovery in a fresh interpreter, so the
messages are the ones a user of ``satchel plugins`` or a run sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
from wheels import install_plugin, zip_folder

from satchel import Packager
from satchel.entrypoints import FoundEntryPoint, scan_entry_points
from satchel.errors import InvalidPluginError, PluginLoadError
from satchel.host import PluginHost, PluginLoadWarning
from satchel.packagers.base import PackableTypeWarning
from satchel.testing import isolated_host

GOOD = '''\
from satchel import Artifact, Packager


class Tally:
    def __init__(self, count):
        self.count = count


class TallyPackager(Packager):
    PACKABLE_OBJECT_TYPE = Tally

    def pack_result(self, obj, key):
        return {key: obj.count}

    def unpack_result(self, value):
        return Tally(value)
'''

MISSPELT_HOOK = '''\
from satchel import hookimpl


@hookimpl
def satchel_can_pak(obj_type, artifact_type):
    return True
'''

WRONG_ARGUMENT = '''\
from satchel import hookimpl


@hookimpl
def satchel_can_pack(obj_typ):
    return None
'''

RAISES = '''\
"""Imports fine until line 4."""
import os

raise RuntimeError("the plugin's own bug")
'''

PROBE = textwrap.dedent("""\
    import json, warnings
    import satchel
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        host = satchel.get_host()
        host.ensure_loaded()
    print(json.dumps({
        "packed_by": host.pack(41, "answer").producer.plugin,
        "names": host.names,
        "failures": {name: f.message() for name, f in host.failures.items()},
        "warnings": [(str(w.message), w.filename, w.lineno) for w in caught],
    }))
""")


def _environment(*paths: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k != "SATCHEL_DISABLE_PLUGINS"}
    return {**inherited, "PYTHONPATH": os.pathsep.join([*map(str, paths), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _probe(*paths: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=_environment(*paths))
    assert 0 == done.returncode, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    return seen


def _plugins_listing(*paths: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "satchel", "plugins"], capture_output=True, text=True, env=_environment(*paths),
    )
    return done.returncode, done.stdout, done.stderr


def test_a_misspelt_hook_name_is_reported_with_its_distribution_and_the_right_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, "satchel-typo", "0.2.0", {"typo": "satchel_typo"}, {"satchel_typo.py": MISSPELT_HOOK})
    install_plugin(site, "satchel-tally", "1.0.0", {"tally": "satchel_tally:TallyPackager"}, {"satchel_tally.py": GOOD})
    seen = _probe(site)
    assert (
        "satchel plugin 'typo' (satchel-typo 0.2.0) failed to load with satchel 0.1.0: InvalidPluginError: "
        "unknown hook 'satchel_can_pak' in plugin 'typo' (did you mean 'satchel_can_pack'?); satchel's hooks are "
        "satchel_can_pack, satchel_can_unpack, satchel_describe, satchel_pack, satchel_priority, "
        "satchel_render_preview, satchel_unpack, satchel_unpack_result"
    ) == seen["failures"]["typo"]
    assert ("tally" in seen["names"], "typo" in seen["names"], "builtins") == (True, False, seen["packed_by"])


def test_satchel_plugins_lists_a_plugin_with_a_misspelt_hook_as_failed_and_keeps_working(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, "satchel-typo", "0.2.0", {"typo": "satchel_typo"}, {"satchel_typo.py": MISSPELT_HOOK})
    code, out, err = _plugins_listing(site)
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert 0 == code, err
    assert "FAILED to load: InvalidPluginError: unknown hook 'satchel_can_pak' in plugin 'typo' (did you mean 'satchel_can_pack'?)" in rows["typo"]
    assert {"builtins", "pickle", "typo"} <= set(rows)


def test_a_hook_argument_the_hook_does_not_pass_is_named_with_the_ones_it_does() -> None:
    import types

    plugin = types.ModuleType("wrong_argument")
    exec(WRONG_ARGUMENT, plugin.__dict__)
    host = isolated_host(builtins=False)
    with pytest.raises(InvalidPluginError) as raised:
        host.register(plugin, name="wrong")
    assert (
        "hook 'satchel_can_pack' of plugin 'wrong' takes argument(s) 'obj_typ', which the hook does not pass "
        "(did you mean 'obj_type'?); it passes obj_type, artifact_type (take only the ones you need)"
    ) == str(raised.value)
    assert "wrong" not in host.names


def test_an_entry_point_to_a_missing_module_is_quoted_with_where_it_is_declared(tmp_path: Path) -> None:
    site = tmp_path / "site"
    declared = install_plugin(site, "satchel-gone", "3.1", {"gone": "satchel_gon:Packager"}, {"satchel_gone.py": GOOD})
    seen = _probe(site)
    assert (
        f"satchel plugin 'gone' (satchel-gone 3.1) failed to load with satchel 0.1.0: entry point "
        f"`gone = satchel_gon:Packager` (declared in {declared} of satchel-gone 3.1) names module 'satchel_gon', "
        "which cannot be found: No module named 'satchel_gon'"
    ) == seen["failures"]["gone"]


def test_an_entry_point_to_a_missing_attribute_says_which_name_was_meant(tmp_path: Path) -> None:
    site = tmp_path / "site"
    declared = install_plugin(site, "satchel-tally", "1.0.0", {"tally": "satchel_tally:TallyPackgr"}, {"satchel_tally.py": GOOD})
    seen = _probe(site)
    assert (
        f"satchel plugin 'tally' (satchel-tally 1.0.0) failed to load with satchel 0.1.0: entry point "
        f"`tally = satchel_tally:TallyPackgr` (declared in {declared} of satchel-tally 1.0.0) names 'TallyPackgr', "
        "which 'satchel_tally' does not have (did you mean 'TallyPackager'?)"
    ) == seen["failures"]["tally"]


def test_a_plugin_whose_import_raises_shows_the_file_and_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    declared = install_plugin(site, "satchel-buggy", "0.1", {"buggy": "satchel_buggy"}, {"satchel_buggy.py": RAISES})
    seen = _probe(site)
    assert (
        "satchel plugin 'buggy' (satchel-buggy 0.1) failed to load with satchel 0.1.0: RuntimeError: the plugin's "
        f"own bug (raised at {site / 'satchel_buggy.py'}, line 4, importing entry point `buggy = satchel_buggy` "
        f"(declared in {declared} of satchel-buggy 0.1))"
    ) == seen["failures"]["buggy"]


def test_a_syntax_error_in_a_plugin_shows_the_file_and_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, "satchel-syntax", "0.1", {"syntax": "satchel_syntax"}, {"satchel_syntax.py": "x = 1\ndef broken(:\n"})
    seen = _probe(site)
    assert f"SyntaxError: invalid syntax (satchel_syntax.py, line 2) (raised at {site / 'satchel_syntax.py'}, line 2" in seen["failures"]["syntax"]


def test_the_load_warning_points_at_the_line_that_asked_for_the_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install_plugin(tmp_path, "satchel-buggy", "0.1", {"buggy": "satchel_buggy"}, {"satchel_buggy.py": RAISES})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("satchel.host._entry_points", lambda: scan_entry_points("satchel", [str(tmp_path)]))
    host = PluginHost()
    line = sys._getframe().f_lineno + 2
    with pytest.warns(PluginLoadWarning, match="the plugin's own bug") as caught:
        host.ensure_loaded()
    assert [(__file__, line)] == [(w.filename, w.lineno) for w in caught if issubclass(w.category, PluginLoadWarning)]


def test_a_plugin_in_a_zip_file_on_the_path_is_discovered_and_loaded(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, "satchel-tally", "1.0.0", {"tally": "satchel_tally:TallyPackager"}, {"satchel_tally.py": GOOD})
    archive = zip_folder(site, tmp_path / "plugins.zip")
    found = [(e.name, e.value, e.distribution, e.version) for e in scan_entry_points("satchel", [str(archive)])]
    assert [("tally", "satchel_tally:TallyPackager", "satchel-tally", "1.0.0")] == found
    seen = _probe(archive)
    assert ("tally" in seen["names"], {}) == (True, seen["failures"])


def test_the_scan_and_importlib_metadata_agree_with_a_zip_and_a_folder_on_the_path(tmp_path: Path) -> None:
    from importlib.metadata import distributions

    folder, zipped = tmp_path / "folder", tmp_path / "zipped"
    install_plugin(folder, "satchel-a", "1.0", {"a": "satchel_a"}, {"satchel_a.py": ""})
    install_plugin(zipped, "satchel-b", "2.0", {"b": "satchel_b", "c": "satchel_b:C"}, {"satchel_b.py": ""})
    install_plugin(zipped, "satchel-a", "9.9", {"shadowed": "satchel_a"}, {})  # a later satchel-a: not seen
    paths = [str(folder), str(zip_folder(zipped, tmp_path / "b.zip"))]
    expected = []
    seen: set[str] = set()
    for dist in distributions(path=paths):
        if dist.metadata["Name"] not in seen:
            seen.add(dist.metadata["Name"])
            expected += [(ep.name, ep.value, dist.metadata["Name"]) for ep in dist.entry_points if ep.group == "satchel"]
    assert sorted(expected) == [(e.name, e.value, e.distribution) for e in scan_entry_points("satchel", paths)]
    assert [("a", "satchel-a"), ("b", "satchel-b"), ("c", "satchel-b")] == [(n, d) for n, _v, d in sorted(expected)]


def test_a_custom_finder_s_distributions_are_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import DistributionFinder, PathDistribution

    declared = install_plugin(tmp_path, "satchel-found", "4.0", {"found": "satchel_found:Thing"}, {})

    class Finder(DistributionFinder):
        """Finds one distribution that is on no sys.path entry (as a bundler's finder would)."""

        def find_spec(self, *args: Any, **kwargs: Any) -> None:
            return None

        def find_distributions(self, context: Any = None) -> list[PathDistribution]:
            return [PathDistribution(declared.parent)]

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    found = [(e.name, e.value, e.distribution, e.version, e.declared_in) for e in scan_entry_points("satchel")]
    assert ("found", "satchel_found:Thing", "satchel-found", "4.0", str(declared)) in found


class _Plain(Packager):
    PACKABLE_OBJECT_TYPE = int

    def satchel_can_pak(self) -> None:  # an unmarked method: not a hook, not an error
        return None


def test_a_project_custom_packager_with_a_bad_hook_is_skipped_or_fails_if_mandatory() -> None:
    from satchel import hookimpl

    class Bad(Packager):
        PACKABLE_OBJECT_TYPE = int

        @hookimpl
        def satchel_can_pak(self) -> None:
            return None

    base = isolated_host()
    with pytest.warns(PluginLoadWarning, match=r"'custom-bad' \(unknown distribution\) .*unknown hook 'satchel_can_pak'"):
        child = base.derive([("custom-bad", Bad, None), ("fine", _Plain, None)])
    assert ("custom-bad" in child.failures, "fine" in child.names) == (True, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        child = base.derive([("custom-bad", Bad, None)])
    with pytest.raises(PluginLoadError, match="unknown hook 'satchel_can_pak'.*marked mandatory"):
        child.require("custom-bad")


def test_found_entry_points_say_where_they_are_declared() -> None:
    assert "declared in /x/entry_points.txt of d 1" == FoundEntryPoint("n", "m", "d", "1", declared_in="/x/entry_points.txt").where()
    assert "in satchel's DEFAULT_PLUGINS" == FoundEntryPoint("n", "m", "satchel", "1", source="builtin").where()


# -- Packager classes: mistakes caught when the class is defined, or when its type's module is imported --


def test_a_misspelt_pack_method_is_an_error_at_class_definition() -> None:
    with pytest.raises(InvalidPluginError) as raised:

        class Typo(Packager):
            PACKABLE_OBJECT_TYPE = int
            DEFAULT_PACKING_ARTIFACT_TYPE = "fiel"

            def pack_fiel(self, obj: int, key: str) -> None:
                return None

    assert (
        "Typo.pack_fiel is for artifact type 'fiel', which neither satchel nor the class declares (did you mean "
        "'file'?); satchel's artifact types are result, object, file, path, dir, plot, dataset, model, code, prompt. "
        "A class that adds a type declares it: ARTIFACT_TYPES = ('fiel',)"
    ) == _unqualified(str(raised.value))


def _unqualified(message: str) -> str:
    """The message with a class defined inside a test named as a user's module-level class would be."""
    return message.rpartition(".<locals>.")[2]


def test_a_misspelt_unpack_method_is_an_error_too() -> None:
    with pytest.raises(InvalidPluginError, match=r"Typo\.unpack_plto is for artifact type 'plto'.*did you mean 'plot'\?"):

        class Typo(Packager):
            PACKABLE_OBJECT_TYPE = int

            def unpack_plto(self, data_item: Any) -> None:
                return None


def test_a_declared_artifact_type_is_packed_and_a_declared_but_unused_one_is_an_error() -> None:
    from satchel import Artifact

    class Tensors(Packager):
        PACKABLE_OBJECT_TYPE = bytes
        ARTIFACT_TYPES = ("tensor",)
        DEFAULT_PACKING_ARTIFACT_TYPE = "tensor"

        def pack_tensor(self, obj: bytes, key: str) -> Artifact:
            return Artifact(key=key, body=obj, file_name=f"{key}.bin")

    assert "tensor" == isolated_host(Tensors, builtins=False).pack(b"x", "t").artifact_type
    with pytest.raises(InvalidPluginError) as raised:

        class Unused(Packager):
            PACKABLE_OBJECT_TYPE = bytes
            ARTIFACT_TYPES = ("tensr",)

    assert (
        "Unused.ARTIFACT_TYPES declares 'tensr', but the class has no pack_<type> or unpack_<type> method for it; "
        "it packs ['result'] and unpacks ['result']"
    ) == _unqualified(str(raised.value))


class Picture:
    """Not a JSON value: its packager declines `result`."""


class _PicturePackager(Packager):
    PACKABLE_OBJECT_TYPE = Picture
    PACKS_RESULT = False
    DEFAULT_PACKING_ARTIFACT_TYPE = "file"
    DEFAULT_UNPACKING_ARTIFACT_TYPE = "file"

    def pack_file(self, obj: Picture, key: str) -> Any:
        from satchel import Artifact

        return Artifact(key=key, body=b"picture", file_name=f"{key}.bin")

    def unpack_file(self, data_item: Any) -> Picture:
        return Picture()


def test_a_packager_that_declines_result_is_not_listed_as_packing_it(capsys: pytest.CaptureFixture[str]) -> None:
    from satchel.cli import main
    from satchel.errors import PackagerNotFoundError
    from satchel.host import set_host

    host = isolated_host(("pictures", _PicturePackager))
    previous = set_host(host)
    try:
        assert 0 == main(["plugins"])
    finally:
        set_host(previous)
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("pictures"))
    assert ["pictures", "satchel-test-plugin", "0.0.0", "3", "file*", "file"] == row.split()[:6]
    assert (["file"], ["file"]) == (_PicturePackager().packing_artifact_types, _PicturePackager().unpacking_artifact_types)
    with pytest.raises(PackagerNotFoundError, match=r"no installed packager packs .*Picture as 'result'"):
        isolated_host(_PicturePackager, builtins=False).pack(Picture(), "p", "result")


def test_declining_result_and_defining_pack_result_contradict_each_other() -> None:
    with pytest.raises(InvalidPluginError, match=r"Both sets PACKS_RESULT = False but defines pack_result\(\); remove one of the two"):

        class Both(Packager):
            PACKABLE_OBJECT_TYPE = int
            PACKS_RESULT = False

            def pack_result(self, obj: int, key: str) -> dict[str, Any]:
                return {key: obj}


def test_a_packable_type_name_its_module_lacks_is_reported_once_when_the_module_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    class Frames(Packager):
        PACKABLE_OBJECT_TYPE = "fakepolars.DataFrme"

    host = isolated_host(("frames", Frames), builtins=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not imported yet: nothing to say, nothing said
        assert "frames" not in [c.plugin for c in host.explain_type(int).candidates if c.accepted]
    module = types.ModuleType("fakepolars")
    module.DataFrame = type("DataFrame", (), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fakepolars", module)
    line = sys._getframe().f_lineno + 2
    with pytest.warns(PackableTypeWarning) as caught:
        host.explain_type(float)
    expected = (
        "Frames.PACKABLE_OBJECT_TYPE names 'fakepolars.DataFrme', which does not exist: 'fakepolars' has no "
        "attribute 'DataFrme' (did you mean 'DataFrame'?); the packager packs nothing of that name until it is corrected"
    )
    assert [(expected, __file__, line)] == [(_unqualified(str(w.message)), w.filename, w.lineno) for w in caught]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once is enough
        host.explain_type(str)
    assert expected == _unqualified({info.name: info.error for info in host.infos()}["frames"] or "")


def test_a_packable_type_in_a_submodule_not_yet_imported_is_not_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    (tmp_path / "lazypkg").mkdir()
    (tmp_path / "lazypkg" / "__init__.py").write_text("")
    (tmp_path / "lazypkg" / "shapes.py").write_text("class Square:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Lazy(Packager):
        PACKABLE_OBJECT_TYPE = "lazypkg.shapes.Square"

    host = isolated_host(("lazy", Lazy), builtins=False)
    importlib.import_module("lazypkg")  # the package, not yet the submodule that holds the type
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            host.explain_type(int)
        shapes = importlib.import_module("lazypkg.shapes")
        assert "lazy" == host.select_packer(shapes.Square)
    finally:
        for name in ("lazypkg.shapes", "lazypkg"):
            sys.modules.pop(name, None)


def test_a_project_s_custom_packager_with_a_bad_hook_warns_or_if_mandatory_stops_the_run(tmp_path: Path) -> None:
    import satchel

    project = satchel.get_or_create_project("mistakes", store=str(tmp_path / "store"))
    project.add_custom_packager("custom_packagers.MisspeltHookPackager")
    with pytest.warns(PluginLoadWarning, match=r"'custom_packagers\.MisspeltHookPackager' .*unknown hook 'satchel_can_pak'"):
        assert "custom_packagers.MisspeltHookPackager" not in project.host.names
    assert 1 == project.run(lambda: 1, returns=["one"]).results["one"]  # runs go on without it
    project.remove_custom_packager("custom_packagers.MisspeltHookPackager")
    project.add_custom_packager("custom_packagers.MisspeltHookPackager", is_mandatory=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        with pytest.raises(PluginLoadError, match=r"unknown hook 'satchel_can_pak'.*it is marked mandatory, so nothing ran"):
            project.host  # noqa: B018 - building the project's host is what fails
