"""Hostile instructions: values a store writer could plant in a record's instructions (or a result's
value), and a check that unpacking them either works or raises one of satchel's own errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from satchel.errors import SatchelError
from satchel.packagers.base import Packager
from satchel.store import Store
from satchel.testing.contract import PackagerContract
from satchel.testing.support import PLUGIN_NAME, isolated_host, json_values
from satchel.unpacking import unpack_record

__all__ = ["check_hostile_instructions", "hostile_values"]

def hostile_values(planted_path: str) -> st.SearchStrategy[Any]:
    """Values a store writer might plant: wrong types, huge numbers, paths, control characters, unknown names."""
    strings = st.sampled_from([
        "", ".", "..", "../../planted", planted_path, "a/b", "C:\\x", "\x00", "\x1b[2J", "line\nbreak",
        "nope", "unknown", "rar", "bytes", "str", "float", "dict", "set", "object", "pickle", "x" * 300,
        "nan", "inf", "-inf", "1e400", "-1", "0x10", "utf-8", "rot13", "base64", "cp037", "\udc80",
        "builtins.eval", "os.system", "__import__", "png", "EPS", "eps", "pdf", "jpeg", "tiff", "RGBA", "P",
        "<i8", "O", "|O", "V0", "parquet", "csv", "feather", "category", "datetime64[ns]", "range",
    ])
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**2000),
        st.integers(min_value=-(2**2000), max_value=-(2**63)), st.floats(), strings, st.text(max_size=20),
        st.lists(st.integers() | strings, max_size=4),
        st.dictionaries(st.text(max_size=8) | strings, st.integers() | strings | st.none(), max_size=3),
        json_values(max_leaves=5),
    )


def check_hostile_instructions(
    packager: type[Packager],
    objects: st.SearchStrategy[Any],
    artifact_type: str,
    store: Store,
    planted_path: str,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    max_examples: int | None = None,
    hostile: st.SearchStrategy[Any] | None = None,
    shrink: bool = True,
) -> None:
    """Round-trip an object with the kit, then plant hostile values for its instructions (any keys it
    recorded or the unpack method takes) and, for results, its value: unpacking either works or
    raises one of satchel's own errors. ``shrink=False`` reports the first failure as found, for a
    test that needs only to see one."""
    kit_class = type("Kit", (PackagerContract,), {"packager": packager, "strategy": st.nothing(), "options": options or {}})
    kit = kit_class()
    host = isolated_host(packager, builtins=False)
    instance = host.plugin(PLUGIN_NAME)
    values = hostile if hostile is not None else hostile_values(planted_path)
    limits: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    if not shrink:
        limits.update(phases=[Phase.explicit, Phase.reuse, Phase.generate], report_multiple_bugs=False)

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], **limits)
    @given(objects, st.data())
    def check(obj: Any, data: st.DataObject) -> None:
        if not instance.satchel_can_pack(obj_type=type(obj), artifact_type=artifact_type):
            return
        stored, _restored = kit._round_trip(host, store, obj, artifact_type)
        recorded = dict(stored.instructions)
        method = instance._unpack_methods[artifact_type if artifact_type in instance._unpack_methods else "result"]
        keys = sorted({*recorded, *method.options} - {"type_hint"})
        planted = dict(recorded)
        # Some keys, or (for a result) the value with the recorded instructions kept, or both.
        plant_value = artifact_type == "result" and data.draw(st.booleans(), label="plant the value")
        if keys:
            chosen = st.dictionaries(st.sampled_from(keys), values, min_size=0 if plant_value else 1)
            planted.update(data.draw(chosen, label="planted"))
        hint = data.draw(st.sampled_from([type(obj), None]), label="type hint")
        try:
            if artifact_type == "result":
                value = data.draw(values, label="value") if plant_value else stored.value
                host.unpack_result(value, producer=stored.producer, instructions=planted, obj_type=hint)
            else:
                unpack_record(store, attrs.evolve(stored, instructions=planted), hint, host=host)
        except SatchelError:
            pass  # refusing is right; any other exception fails the test

    check()
