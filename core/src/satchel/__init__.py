"""satchel: pack what ML and data functions return into stored, versioned, verifiable artifacts."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from satchel._version import __version__

if TYPE_CHECKING:
    from satchel.answers import Offer, PackagerInfo
    from satchel.artifacts import (
        Artifact,
        ArtifactRecord,
        ArtifactType,
        CodeArtifact,
        DatasetArtifact,
        DirArtifact,
        ModelArtifact,
        ObjectArtifact,
        Packed,
        PlotArtifact,
        PromptArtifact,
    )
    from satchel.dataitem import DataItem
    from satchel.functions import Function
    from satchel.hookspecs import hookimpl, hookspec
    from satchel.host import PluginHost, PluginLoadWarning, get_host
    from satchel.loghints import LogHint, format_log_hint, parse_log_hint
    from satchel.models.package import LoadedModel
    from satchel.models.signature import ModelSignature
    from satchel.packagers.base import PackableTypeWarning, Packager
    from satchel.packagers.pickle import PickleFallbackWarning
    from satchel.packing import explain, pack, pack_outputs
    from satchel.project import Project, get_or_create_project, handler, load_model, load_project
    from satchel.runs import Run
    from satchel.store import Store
    from satchel.uri import ArtifactURI, parse_uri

__all__ = [
    "Artifact",
    "ArtifactRecord",
    "ArtifactType",
    "ArtifactURI",
    "CodeArtifact",
    "DataItem",
    "DatasetArtifact",
    "DirArtifact",
    "Function",
    "LoadedModel",
    "LogHint",
    "ModelArtifact",
    "ModelSignature",
    "ObjectArtifact",
    "Offer",
    "PackableTypeWarning",
    "Packager",
    "PackagerInfo",
    "Packed",
    "PickleFallbackWarning",
    "PlotArtifact",
    "PluginHost",
    "PluginLoadWarning",
    "Project",
    "PromptArtifact",
    "Run",
    "Store",
    "__version__",
    "explain",
    "format_log_hint",
    "get_host",
    "get_or_create_project",
    "handler",
    "hookimpl",
    "hookspec",
    "load_model",
    "load_project",
    "pack",
    "pack_outputs",
    "parse_log_hint",
    "parse_uri",
]

# Public names live in small modules, imported on first use so `import satchel` stays cheap.
_LAZY = {
    "hookimpl": "satchel.hookspecs", "hookspec": "satchel.hookspecs",
    "Packager": "satchel.packagers.base", "PackableTypeWarning": "satchel.packagers.base",
    "PickleFallbackWarning": "satchel.packagers.pickle",
    "Offer": "satchel.answers",
    "PluginLoadWarning": "satchel.host", "Packed": "satchel.artifacts", "DataItem": "satchel.dataitem",
    "LogHint": "satchel.loghints", "parse_log_hint": "satchel.loghints", "format_log_hint": "satchel.loghints",
    "explain": "satchel.packing", "pack": "satchel.packing", "pack_outputs": "satchel.packing",
    "PackagerInfo": "satchel.answers", "PluginHost": "satchel.host", "get_host": "satchel.host",
    "Project": "satchel.project", "get_or_create_project": "satchel.project",
    "Run": "satchel.runs", "handler": "satchel.project",
    "Function": "satchel.functions", "load_project": "satchel.project",
    "LoadedModel": "satchel.models.package", "ModelSignature": "satchel.models.signature",
    "load_model": "satchel.project",
    "Store": "satchel.store", "ArtifactURI": "satchel.uri", "parse_uri": "satchel.uri",
    **{
        name: "satchel.artifacts"
        for name in (
            "Artifact", "ArtifactRecord", "ArtifactType", "CodeArtifact", "DatasetArtifact", "DirArtifact",
            "ModelArtifact",
    "ModelSignature", "ObjectArtifact", "PlotArtifact", "PromptArtifact",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'satchel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
