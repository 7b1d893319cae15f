"""The entry-point contract: a plugin distribution proves, from a real install, that discovery finds
and loads its plugins, cheaply — checked on its own, whatever else is installed beside it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, ClassVar

from satchel.host import ENTRY_POINT_GROUP, PluginHost
from satchel.testing.support import run_python

__all__ = ["EntryPointContract"]

# The host a check builds, in this process or a child: only the distribution under test's entry
# points (and core's built-ins), so a broken or heavy plugin installed beside it changes nothing.
_HOST = (
    "p.PluginHost(select=lambda ep: __import__('re').sub(r'[-_.]+', '-', ep.distribution or '').lower() "
    "== {distribution!r})"
)


def _normalized(name: str | None) -> str:
    """A distribution name as pip compares them (``Satchel_Polars`` is ``satchel-polars``)."""
    return re.sub(r"[-_.]+", "-", name or "").lower()


class EntryPointContract:
    """What every plugin distribution proves from a real install; subclass it as ``Test…``.

    Set ``distribution`` (e.g. ``"satchel-pillow"``), ``entry_points`` ({name: "module:Class"}) and
    ``heavy_modules`` (the libraries discovery and listing must not import, e.g. ``("PIL",)``;
    with them hidden, each plugin must report them as a missing dependency via ``REQUIRES``).
    Each check sees only this distribution's plugins and core's: another plugin installed in the
    same environment, broken or heavy, does not fail it.
    """

    distribution: ClassVar[str]
    entry_points: ClassVar[Mapping[str, str]]
    heavy_modules: ClassVar[Sequence[str]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.heavy_modules:
            # A plugin that needs no library beyond satchel has no missing dependency to report.
            cls.test_a_missing_library_is_reported_instead_of_crashing = None  # type: ignore[assignment,method-assign]

    def discovering_host(self) -> PluginHost:
        """A host that discovers this distribution's entry points alone (and core's built-ins)."""
        wanted = _normalized(self.distribution)
        return PluginHost(select=lambda ep: _normalized(ep.distribution) == wanted)

    def test_entry_points_are_declared_by_the_installed_distribution(self) -> None:
        found = {
            ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)
            if ep.dist is not None and _normalized(ep.dist.metadata["Name"]) == _normalized(self.distribution)
        }
        declared = {name: ep.value for name, ep in found.items()}
        assert dict(self.entry_points) == declared, (
            f"{self.distribution} declares {declared or 'no satchel entry points'} in the installed "
            f"metadata; the test expects {dict(self.entry_points)}"
        )

    def test_real_discovery_loads_them_from_the_distribution(self) -> None:
        infos = {info.name: info for info in self.discovering_host().infos()}
        for name in self.entry_points:
            assert name in infos, f"discovery found no plugin {name!r} of {self.distribution}; it found {sorted(infos)}"
            assert (_normalized(self.distribution), None) == (_normalized(infos[name].distribution), infos[name].error)
            assert "entry point" == infos[name].source

    def test_discovery_and_listing_import_no_heavy_library(self) -> None:
        host = _HOST.format(distribution=_normalized(self.distribution))
        code = (
            f"import sys, satchel.host as p; h = {host}; h.ensure_loaded(); h.infos(); "
            f"print(sorted(set(h.names) & set({sorted(self.entry_points)!r}))); "
            f"print([m for m in {list(self.heavy_modules)!r} if m in sys.modules])"
        )
        output = run_python(code)
        assert [repr(sorted(self.entry_points)), "[]"] == output.strip().splitlines()

    def test_a_missing_library_is_reported_instead_of_crashing(self) -> None:
        """With the heavy libraries absent, the plugins still load and say what to install."""
        host = _HOST.format(distribution=_normalized(self.distribution))
        code = (
            "import json, sys\n"
            f"for name in {list(self.heavy_modules)!r}:\n"
            "    sys.modules[name] = None  # as if it were not installed\n"
            "import satchel.host as p\n"
            f"infos = {{i.name: i.error for i in {host}.infos()}}\n"
            f"print(json.dumps({{n: infos.get(n) for n in {sorted(self.entry_points)!r}}}))\n"
        )
        errors = json.loads(run_python(code).strip().splitlines()[-1])
        for name in self.entry_points:
            assert "missing dependency" in (errors[name] or ""), (name, errors[name])
            assert "pip install" in errors[name]
