"""A plugin module with a misspelt hook name."""

from satchel import hookimpl


@hookimpl
def satchel_can_pak(obj_type, artifact_type):  # type: ignore[no-untyped-def]
    return True
