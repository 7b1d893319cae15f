"""Code artifacts: a run from cached code, the first resolution of a 5 MiB archive, an isolated run.

Run: python benchmarks/bench_code.py [--repeat N]
Each figure is printed beside the plain call doing the same work, measured in the same run:
- a run of a function from a cached code artifact against `project.run` of the same function
  imported here, and a plain call of it (target: within 2 ms of `project.run`);
- the first resolution of a 5 MiB archive (verified fetch, checked extraction, read-only tree)
  against `zipfile` extracting it plus hashing it (target: within 1.2x);
- an isolated run in a cached environment against the same run in this process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile

from harness import MIB, duel, print_timings

TRAINER = "import utils\n\ndef main(p1: int = 1) -> int:\n    return utils.double(p1)\n"
UTILS = "def double(x):\n    return 2 * x\n"


def _archive(path: str, size: int) -> None:
    """``size`` bytes of zip (within 1%): the two modules, 60 more, and data files (a vocabulary, weights)."""
    weights = MIB
    for _attempt in range(3):
        _write_archive(path, weights)
        weights += size - os.path.getsize(path)


def _write_archive(path: str, weights: int) -> None:
    rng = random.Random(7)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("trainer.py", TRAINER)
        archive.writestr("utils.py", UTILS)
        for index in range(60):
            body = "".join(f"def f{index}_{j}(x):\n    return x * {j} + {index}\n\n" for j in range(200))
            archive.writestr(f"pkg/mod{index}.py", body)
        archive.writestr("pkg/__init__.py", "")
        words = " ".join(f"w{rng.randrange(10**6)}" for _ in range(200_000))
        archive.writestr("data/vocab.txt", words)
        archive.writestr("data/weights.bin", rng.randbytes(weights), compress_type=zipfile.ZIP_STORED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-code-")
    os.environ["SATCHEL_CACHE_DIR"] = os.path.join(work, "cache")
    try:
        run_all(work, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(work: str, repeat: int) -> None:
    import satchel
    from satchel.code import cache, loader
    from satchel.store import Store

    project = satchel.get_or_create_project("bench", Store(os.path.join(work, "store")))
    sys.path.insert(0, work)
    with open(os.path.join(work, "bench_utils_here.py"), "w") as handle:
        handle.write(UTILS)
    import bench_utils_here

    def imported(p1: int = 1) -> int:
        return bench_utils_here.double(p1)

    small = os.path.join(work, "my_pkg.zip")
    with zipfile.ZipFile(small, "w") as archive:
        archive.writestr("trainer.py", TRAINER)
        archive.writestr("utils.py", UTILS)
    artifact = project.log_code_file("my_pkg_code", local_path=small)
    fn = project.set_function(artifact.uri, name="trainer", handler="trainer:main")
    fn.run(params={"p1": 1}, returns=["x"])  # resolve once: the cache is warm from here on

    plain = duel(repeat * 20, lambda: imported(5), lambda: imported(5), ops=1)[0]
    local, cached = duel(
        repeat, lambda: project.run(imported, params={"p1": 5}, returns=["x"]),
        lambda: fn.run(params={"p1": 5}, returns=["x"]),
    )
    width = 58
    print("Runs (best of", repeat, "alternating)")
    print_timings([
        ("project.run(imported function) vs plain call", plain, local),
        ("function from a cached code artifact vs plain call", plain, cached),
        ("function from a cached code artifact vs project.run", local, cached),
    ], width)
    print(f"  -> a cached code artifact costs {(cached - local) * 1e3:+.2f} ms over project.run (target: within 2 ms)")

    big = os.path.join(work, "big.zip")
    _archive(big, 5 * MIB)
    record = project.log_code_file("big_code", local_path=big).record
    code_root = os.path.join(work, "cache", "code")
    plain_out = os.path.join(work, "plain-out")

    def plain_extract() -> None:
        with open(big, "rb") as handle:
            hashlib.file_digest(handle, "sha256").hexdigest()
        with zipfile.ZipFile(big) as archive:
            archive.extractall(plain_out)

    def fresh() -> None:
        shutil.rmtree(plain_out, ignore_errors=True)
        for name in os.listdir(code_root) if os.path.isdir(code_root) else []:
            cache.remove_tree(os.path.join(code_root, name))
        cache._checked.clear()

    def first_resolution() -> None:
        cache.code_tree(project.store, record)

    base, mine = duel(repeat, plain_extract, first_resolution, before=lambda _i: fresh())
    print()
    print(f"First resolution of a {os.path.getsize(big) / MIB:.1f} MiB archive ({len(zipfile.ZipFile(big).namelist())} files)")
    print_timings([("verified fetch + checked extract vs zipfile + sha256", base, mine)], width)
    print("  -> target: within 1.2x")

    isolated_fn = project.set_function(artifact.uri, name="trainer-isolated", handler="trainer:main")
    started = time.perf_counter()
    isolated_fn.run(params={"p1": 1}, returns=["x"], env="isolated")
    first = time.perf_counter() - started
    iso_repeat = max(3, repeat // 5)
    local_run, isolated = duel(
        iso_repeat, lambda: fn.run(params={"p1": 5}, returns=["x"]),
        lambda: isolated_fn.run(params={"p1": 5}, returns=["x"], env="isolated"),
    )
    loader._kept.clear()
    print()
    print(f"Isolated run (environment for satchel alone; first run, building it: {first * 1e3:.0f} ms)")
    print_timings([("isolated run, cached environment vs the same run here", local_run, isolated)], width)
    print(f"  -> a new interpreter costs {(isolated - local_run) * 1e3:+.0f} ms over running here")


if __name__ == "__main__":
    main()
