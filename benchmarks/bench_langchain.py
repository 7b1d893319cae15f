"""Benchmark satchel-langchain against LangChain's own JSON: pack+store and load+verify of a ChatPromptTemplate.

Baseline for pack+store: ``langchain_core.load.dumpd`` + ``json.dump`` to a file + one sha256 pass over
it. Baseline for load+verify: read+hash the file, ``json.loads``, then ``langchain_core.load.load`` with
an explicit ``allowed_objects`` list. satchel: ``host.pack`` inside ``staging(store)`` + ``log_packed``
(its pack also loads the JSON back once to prove it round-trips), then ``store.get_artifact`` +
``unpack_record`` (its own allow-list walk, then the same ``load``). Two templates: a small chat prompt
(system, placeholder, human) and a large one (200 messages and a 50-example few-shot section, which
the baseline cannot serialise, so it is left out there).

    python benchmarks/bench_langchain.py            # best of 7, 50 operations per timing
    python benchmarks/bench_langchain.py --quick    # best of 3, 10 operations per timing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from typing import Any

from harness import duel, pack_and_log, plugin_host, sha256_file, unpack_artifact


def small_chat() -> Any:
    from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

    return ChatPromptTemplate.from_messages(
        [("system", "You are {role}. Answer in {{JSON}}."), MessagesPlaceholder("history", optional=True), ("human", "{question}")]
    ).partial(role="a helpful assistant")


def large_chat(with_few_shot: bool) -> Any:
    from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate

    entries: list[Any] = [(("human", "ai")[i % 2], f"Turn {i}: " + "lorem ipsum " * 20 + f"{{v{i}}}") for i in range(200)]
    if with_few_shot:
        examples = [{"q": f"question {i}", "a": f"answer {i}"} for i in range(50)]
        example_prompt = ChatPromptTemplate.from_messages([("human", "{q}"), ("ai", "{a}")])
        entries.insert(1, FewShotChatMessagePromptTemplate(examples=examples, example_prompt=example_prompt))
    return ChatPromptTemplate.from_messages(entries)


# -- the operations measured -----------------------------------------------------------------------


def _allowed() -> list[type]:
    from langchain_core.prompts import (
        AIMessagePromptTemplate,
        ChatPromptTemplate,
        HumanMessagePromptTemplate,
        MessagesPlaceholder,
        PromptTemplate,
        SystemMessagePromptTemplate,
    )

    return [ChatPromptTemplate, PromptTemplate, MessagesPlaceholder, SystemMessagePromptTemplate, HumanMessagePromptTemplate, AIMessagePromptTemplate]


def baseline_pack(prompt: Any, path: str) -> str:
    from langchain_core.load import dumpd

    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dumpd(prompt), handle, indent=2, ensure_ascii=False)
    return sha256_file(path)


def baseline_load(path: str, allowed: list[type]) -> Any:
    from langchain_core.load import load

    with open(path, "rb") as handle:
        data = handle.read()
    hashlib.sha256(data).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load(json.loads(data), allowed_objects=allowed, secrets_from_env=False)


def satchel_pack(host: Any, store: Any, prompt: Any) -> Any:
    return pack_and_log(host, store, prompt, "prompt", "prompt", {})


def satchel_load(host: Any, store: Any, uri: str, obj_type: type) -> Any:
    return unpack_artifact(host, store, uri, obj_type)


# -- main ------------------------------------------------------------------------------------------


def _row(name: str, base: float, mine: float) -> str:
    return f"{name:<34} {base * 1e3:>10.3f} {mine * 1e3:>10.3f} {mine / base:>7.2f}x"


def measure(label: str, prompt: Any, host: Any, store: Any, path: str, repeat: int, ops: int) -> None:
    """Print pack+store, pack alone and load+verify of ``prompt``: baseline, satchel, ratio."""
    from langchain_core.load import dumpd

    allowed = _allowed()
    obj_type = type(prompt)
    record = satchel_pack(host, store, prompt)
    baseline_pack(prompt, path)
    assert satchel_load(host, store, record.uri, obj_type) == prompt
    assert baseline_load(path, allowed) == prompt
    print(f"-- {label}: {len(prompt.messages)} messages, {os.path.getsize(path) / 1024:.1f} KiB of JSON")
    print(_row("pack+store", *duel(repeat, lambda: baseline_pack(prompt, path), lambda: satchel_pack(host, store, prompt), ops=ops)))
    print(_row("pack only (no store; vs dumpd)", *duel(
        repeat,
        lambda: json.dumps(dumpd(prompt), indent=2, ensure_ascii=False),
        lambda: host.pack(prompt, "prompt", "prompt", {}).clear(),
        ops=ops,
    )))
    print(_row("load+verify", *duel(
        repeat, lambda: baseline_load(path, allowed), lambda: satchel_load(host, store, record.uri, obj_type), ops=ops
    )))


def measure_few_shot(host: Any, store: Any, repeat: int, ops: int) -> None:
    """satchel alone: LangChain's dumpd writes few-shot templates as 'not_implemented'."""
    prompt = large_chat(True)
    record = satchel_pack(host, store, prompt)
    assert satchel_load(host, store, record.uri, type(prompt)) == prompt
    packing = duel(repeat, lambda: None, lambda: satchel_pack(host, store, prompt), ops=ops)[1]
    loading = duel(repeat, lambda: None, lambda: satchel_load(host, store, record.uri, type(prompt)), ops=ops)[1]
    print("-- 200 messages + 50-example few-shot (no baseline: dumpd cannot serialise few-shot templates)")
    print(f"{'pack+store':<34} {'-':>10} {packing * 1e3:>10.3f}")
    print(f"{'load+verify':<34} {'-':>10} {loading * 1e3:>10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="best of 3, 10 operations per timing")
    parser.add_argument("--repeat", type=int, help="best of N timings (default 7, or 3 with --quick; at least 3)")
    args = parser.parse_args()
    repeat = max(3, args.repeat or (3 if args.quick else 7))
    ops = 10 if args.quick else 50

    from satchel.store import Store

    host = plugin_host("langchain")
    workdir = tempfile.mkdtemp(prefix="bench-langchain-", dir=os.getcwd())
    try:
        store = Store(os.path.join(workdir, "store"))
        path = os.path.join(workdir, "prompt.json")
        print(f"satchel-langchain vs dumpd/json+sha256 and json/load: best of {repeat}, {ops} operations per timing")
        print(f"{'operation (ms per operation)':<34} {'baseline':>10} {'satchel':>10} {'ratio':>8}")
        measure("small chat", small_chat(), host, store, path, repeat, ops)
        measure("200 messages", large_chat(False), host, store, path, repeat, ops)
        measure_few_shot(host, store, repeat, ops)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
