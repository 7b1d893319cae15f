"""Benchmark satchel's model packages (satchel-sklearn) against the plain library calls.

The model is a RandomForestRegressor whose files are ~50 MiB (``--quick``: ~10 MiB).

- log+store, joblib: ``project.log_model(format='joblib')`` (the whole package: model file, requirements,
  predict.py, signature and examples, card, manifest, stored) vs ``joblib.dump`` + one sha256 of the file.
- log+store, skops: the same with the default format, vs ``skops.io.dump`` + sha256, and vs the joblib
  baseline (skops' own cost: its writer is slower than joblib's).
- load+verify, joblib: ``satchel.load_model(uri, allow_pickle=True)`` (every file verified, predict-ready)
  vs sha256 of the file + ``joblib.load``; the same for skops (``trusted_types`` given) vs sha256 +
  ``skops.io.get_untrusted_types`` + ``skops.io.load``.
- predict: ``LoadedModel.predict({"X": batch})`` on 1,000 rows (the payload checked against the
  signature first) vs the bare estimator's ``predict(batch)``; a regressor, so both make one call.

    python benchmarks/bench_models.py            # ~50 MiB model
    python benchmarks/bench_models.py --quick    # ~10 MiB model
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from typing import Any

import joblib
import numpy as np
import skops.io
from sklearn.ensemble import RandomForestRegressor

from harness import MIB, duel, plugin_host, print_timings, sha256_file

FEATURES = 10
BATCH = 1_000
TREES_PER_MIB = 30 / 52  # 30 fully grown trees on 20,000 rows make ~52 MiB


def _model(size_mib: int) -> tuple[RandomForestRegressor, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, FEATURES))
    y = X @ rng.standard_normal(FEATURES) + rng.normal(0, 1, len(X))
    trees = max(2, round(size_mib * TREES_PER_MIB))
    return RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1).fit(X, y), X


# -- the operations measured -----------------------------------------------------------------------


def joblib_pack(model: Any, path: str) -> str:
    joblib.dump(model, path)
    return sha256_file(path)


def joblib_load(path: str) -> Any:
    sha256_file(path)
    return joblib.load(path)


def skops_pack(model: Any, path: str) -> str:
    skops.io.dump(model, path)
    return sha256_file(path)


def skops_load(path: str) -> Any:
    sha256_file(path)
    return skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a ~10 MiB model")
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings (default 5, at least 3)")
    args = parser.parse_args()

    import satchel
    from satchel.project import get_or_create_project
    from satchel.store import Store

    plugin_host("sklearn")
    size_mib = 10 if args.quick else 50
    repeat = max(3, args.repeat)
    model, X = _model(size_mib)
    example, batch = X[:5], np.random.default_rng(1).standard_normal((BATCH, FEATURES))
    workdir = tempfile.mkdtemp(prefix="bench-models-", dir=os.getcwd())  # same filesystem as the store
    try:
        paths = {"joblib": os.path.join(workdir, "baseline.joblib"), "skops": os.path.join(workdir, "baseline.skops")}
        stores = iter(range(1_000_000))
        current: dict[str, Any] = {}

        def new_store() -> Any:
            if "store" in current:
                current["store"].close()
                shutil.rmtree(current["folder"], ignore_errors=True)
            current["folder"] = os.path.join(workdir, f"store-{next(stores)}")
            current["store"] = Store(current["folder"])
            current["project"] = get_or_create_project("bench", current["store"])
            return current["project"]

        def fresh(index: int) -> None:
            # Every write is a new file: the baseline's is removed, satchel's store is new (an existing
            # blob would not be written again, which would flatter satchel).
            for path in paths.values():
                if os.path.exists(path):
                    os.remove(path)
            new_store()

        def log(fmt: str) -> Any:
            return current["project"].log_model("forest", model, input_example=example, format=fmt)

        rows: list[tuple[str, float, float]] = []
        base, mine = duel(repeat, lambda: joblib_pack(model, paths["joblib"]), lambda: log("joblib"), before=fresh)
        rows.append(("log+store (joblib)", base, mine))
        skops_base, skops_mine = duel(repeat, lambda: skops_pack(model, paths["skops"]), lambda: log("skops"), before=fresh)
        rows.append(("log+store (skops)", skops_base, skops_mine))
        rows.append(("  skops vs joblib.dump+sha", base, skops_mine))

        joblib_pack(model, paths["joblib"])
        skops_pack(model, paths["skops"])
        project = new_store()
        uris = {fmt: log(fmt).record.uri for fmt in ("joblib", "skops")}
        trust = skops.io.get_untrusted_types(file=paths["skops"])
        size = os.path.getsize(paths["joblib"]) / MIB

        def load(fmt: str) -> Any:
            return satchel.load_model(uris[fmt], store=project.store, allow_pickle=fmt == "joblib", trusted_types=trust)

        loaded = load("joblib")
        np.testing.assert_array_equal(model.predict(batch), loaded.predict({"X": batch})["prediction"])
        base, mine = duel(repeat, lambda: joblib_load(paths["joblib"]), lambda: load("joblib"))
        rows.append(("load+verify (joblib)", base, mine))
        skops_base, skops_mine = duel(repeat, lambda: skops_load(paths["skops"]), lambda: load("skops"))
        rows.append(("load+verify (skops)", skops_base, skops_mine))
        rows.append(("  skops vs sha+joblib.load", base, skops_mine))

        payload = {"X": batch}
        base, mine = duel(repeat * 4, lambda: model.predict(batch), lambda: loaded.predict(payload))
        rows.append((f"predict ({BATCH:,} rows)", base, mine))

        print(f"satchel-sklearn: RandomForestRegressor({model.n_estimators} trees), {size:.1f} MiB as joblib, "
              f"{os.path.getsize(paths['skops']) / MIB:.1f} MiB as skops; best of {repeat}, store under {os.getcwd()}")
        print_timings(rows, 28)
        print("baselines: joblib.dump / skops.io.dump + sha256 of the file; sha256 + joblib.load / "
              "skops.io.get_untrusted_types + load; the bare estimator's predict")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
