"""The installed distribution's entry point loads, is selected for its types (and refuses other
LangChain objects), and imports no LangChain."""

from __future__ import annotations

import subprocess
import sys

from satchel import PluginHost
from satchel.testing import EntryPointContract


class TestEntryPoints(EntryPointContract):
    distribution = "satchel-langchain"
    entry_points = {"langchain": "satchel_langchain.packagers:LangChainPackager"}
    heavy_modules = ("langchain_core",)


def test_real_discovery_lists_and_selects_the_plugin() -> None:
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableLambda

    host = PluginHost()
    assert "langchain" in host.names
    assert "langchain-decline" not in host.names
    infos = {info.name: info for info in host.infos()}
    assert ("satchel-langchain", None) == (infos["langchain"].distribution, infos["langchain"].error)
    assert infos["langchain"].packing_artifact_types == ["file", "prompt"]
    assert "langchain" == host.select_packer(ChatPromptTemplate)
    # Another LangChain object: the same plugin wins, with a refusal instead of the pickle fallback.
    assert "langchain" == host.select_packer(RunnableLambda)
    winner = host.explain_type(RunnableLambda).winner
    assert winner is not None and winner.refusal is not None
    assert winner.reason.startswith("wins, and refuses it: satchel-langchain packs prompt templates")
    assert "pickle" == host.select_packer(RunnableLambda, "object")


def _explain(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "satchel", "explain", "--type", "langchain_core.runnables.RunnableLambda", *args],
        capture_output=True, text=True, check=False,
    )
    assert 0 == done.returncode, done.stderr
    return done.stdout


def test_satchel_explain_shows_the_refusal_winning_over_the_pickle() -> None:
    lines = _explain().splitlines()
    winner = next(line for line in lines if line.startswith(" ->"))
    assert ["langchain", "9", "wins,", "and", "refuses", "it:"] == winner.split()[1:7]
    assert "satchel-langchain packs prompt templates (PromptTemplate, ChatPromptTemplate" in winner
    assert "is not one of them. LangChain objects are not pickled silently" in winner
    pickle = next(line for line in lines if line.split()[:1] == ["pickle"])
    assert "accepts, but ranks lower (fallback ranks last)" in pickle


def test_satchel_explain_with_object_asked_for_shows_the_pickle_winning() -> None:
    output = _explain("--artifact-type", "object")
    assert "=> pickle packs it as 'object'" in output
    assert "refuses" not in output


def test_satchel_explain_ends_by_saying_a_refused_type_is_refused() -> None:
    output = _explain()
    assert "=> langchain packs it" not in output
    assert "=> langchain refuses it: packing fails with that message" in output
