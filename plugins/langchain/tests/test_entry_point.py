"""The installed distribution's entry points load, are selected for their types, and import no LangChain."""

from __future__ import annotations

from satchel.host import PluginHost
from satchel.testing import EntryPointContract


class TestEntryPoints(EntryPointContract):
    distribution = "satchel-langchain"
    entry_points = {
        "langchain": "satchel_langchain:LangChainPackager",
        "langchain-decline": "satchel_langchain:LangChainDeclinePackager",
    }
    heavy_modules = ("langchain_core",)


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
    assert "langchain" == host.select_packer(ChatPromptTemplate)
    assert "langchain-decline" == host.select_packer(RunnableLambda)
    assert "pickle" == host.select_packer(RunnableLambda, "object")
