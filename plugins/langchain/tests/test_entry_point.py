"""The installed distribution's entry points load, are selected for their types, and import no LangChain."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from satchel.plugins import PluginHost

EXPECTED = {
    "langchain": "satchel_langchain:LangChainPackager",
    "langchain-decline": "satchel_langchain:LangChainDeclinePackager",
}


def test_entry_points_are_declared() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="satchel") if ep.name in EXPECTED}
    assert found == EXPECTED


def test_real_discovery_lists_and_selects_the_plugins() -> None:
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda

    host = PluginHost()
    assert {"langchain", "langchain-decline"} <= set(host.names)
    infos = {info.name: info for info in host.infos()}
    assert infos["langchain"].distribution == "satchel-langchain"
    assert infos["langchain-decline"].distribution == "satchel-langchain"
    assert infos["langchain"].error is None
    assert infos["langchain"].packing_artifact_types == ["file", "prompt"]
    assert infos["langchain-decline"].packing_artifact_types == []
    assert host.select_packer(ChatPromptTemplate).name == "langchain"
    assert host.select_packer(RunnableLambda).name == "langchain-decline"
    assert host.select_packer(RunnableLambda, "object").name == "pickle"


def test_discovery_does_not_import_langchain() -> None:
    code = (
        "import satchel.plugins as p, sys; h = p.PluginHost(); h.ensure_loaded(); "
        "assert {'langchain', 'langchain-decline'} <= set(h.names), h.names; "
        "assert 'langchain_core' not in sys.modules, 'langchain_core was imported'; "
        "h.infos(); assert 'langchain_core' not in sys.modules, 'listing imported langchain_core'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
