"""Benchmark satchel-pillow against Pillow itself: pack+store and load+verify of a large image.

Baseline for pack+store: ``Image.save(path, format, <same encoder settings>)`` + one sha256 pass over
the file. Baseline for load+verify: read + sha256 of the file, then ``Image.open(path).load()``.
satchel: ``host.pack`` inside ``staging(store)`` + ``log_packed`` into a Store on the same filesystem
(it also makes the 128 px thumbnail preview), then ``store.get_artifact`` + ``unpack_record`` (hash
check, decode, plain-Image hand-over). The image is a 4096x4096 RGB "photo" (smooth ramps plus
noise); one pixel changes before every operation, so every write stores new content.

    python benchmarks/bench_pillow.py             # 4096x4096, best of 5
    python benchmarks/bench_pillow.py --quick     # 1024x1024, best of 3
    python benchmarks/bench_pillow.py --peak      # also peak RSS, one fresh process per operation
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from typing import Any

from harness import (
    add_peak_child_arguments,
    duel,
    max_rss,
    pack_and_log,
    plugin_host,
    run_peak_child,
    sha256_file,
    unpack_artifact,
)

# name: (log hint artifact type, packing options, Pillow format, Pillow save arguments, extension)
CASES: dict[str, tuple[str, dict[str, Any], str, dict[str, Any], str]] = {
    "png file": ("file", {"format": "png"}, "PNG", {}, "png"),
    "jpeg file (q95, 4:4:4)": ("file", {"format": "jpeg"}, "JPEG", {"quality": 95, "subsampling": "4:4:4"}, "jpg"),
    "plot (png + preview)": ("plot", {}, "PNG", {}, "png"),
}


def photo(side: int) -> Any:
    """Smooth ramps with noise: compresses like a photograph, neither like noise nor a flat colour."""
    from PIL import Image

    size = (side, side)
    ramps = Image.merge("RGB", [Image.linear_gradient("L").rotate(a).resize(size) for a in (0, 90, 180)])
    return Image.blend(ramps, Image.effect_noise(size, 40).convert("RGB"), 0.25)


# -- the operations measured -----------------------------------------------------------------------


def baseline_pack(img: Any, path: str, pil_format: str, params: dict[str, Any]) -> str:
    img.save(path, format=pil_format, **params)
    return sha256_file(path)


def baseline_load(path: str) -> Any:
    from PIL import Image

    sha256_file(path)
    img = Image.open(path)
    img.load()
    return img


def satchel_pack(host: Any, store: Any, img: Any, artifact_type: str, options: dict[str, Any]) -> Any:
    return pack_and_log(host, store, img, "img", artifact_type, options)


def satchel_load(host: Any, store: Any, uri: str) -> Any:
    from PIL import Image

    return unpack_artifact(host, store, uri, Image.Image)


# -- peak memory, one fresh subprocess per measurement ---------------------------------------------


def _image_from_raw(workdir: str, side: int) -> Any:
    """The benchmark image, read from the raw file the "prepare" child wrote, a band at a time
    (so holding it costs the image and little else)."""
    from PIL import Image

    img = Image.new("RGB", (side, side))
    rows = 256
    with open(os.path.join(workdir, "image.rgb"), "rb") as handle:
        for top in range(0, side, rows):
            band = min(rows, side - top)
            img.paste(Image.frombytes("RGB", (side, band), handle.read(side * band * 3)), (0, top))
    return img


def _peak_child(mode: str, case: str, side: int, workdir: str, uri: str | None) -> None:
    """Run one operation in this (fresh) process and print its peak RSS in bytes as JSON."""
    from satchel.store import Store

    artifact_type, options, pil_format, params, ext = CASES[case]
    out: dict[str, Any] = {}
    store = Store(os.path.join(workdir, "store"))
    path = os.path.join(workdir, f"peak.{ext}")
    if mode == "prepare":
        with open(os.path.join(workdir, "image.rgb"), "wb") as handle:
            handle.write(photo(side).tobytes())
    elif mode in ("hold", "baseline-pack", "pack"):
        img = _image_from_raw(workdir, side)
        if mode == "baseline-pack":
            baseline_pack(img, path, pil_format, params)
        elif mode == "pack":
            out["uri"] = satchel_pack(plugin_host("pillow"), store, img, artifact_type, options).uri
    elif mode == "baseline-load":
        assert baseline_load(path).size == (side, side)
    elif mode == "load":
        assert uri is not None
        assert satchel_load(plugin_host("pillow"), store, uri).size == (side, side)
    out["peak"] = max_rss()
    print(json.dumps(out))


def _peak(mode: str, case: str, side: int, workdir: str, uri: str | None = None) -> dict[str, Any]:
    return run_peak_child(__file__, mode, "--case", case, "--side", str(side), "--workdir", workdir, uri=uri)


def _measure(case: str, host: Any, store: Any, img: Any, workdir: str, repeat: int) -> list[tuple[str, float, float, int]]:
    """Time pack+store and load+verify of one case against its baseline."""
    artifact_type, options, pil_format, params, ext = CASES[case]
    path = os.path.join(workdir, f"baseline.{ext}")

    def touch(i: int) -> None:  # new content every time, so the store cannot skip a duplicate
        img.putpixel((i % img.size[0], 0), (i % 256, 0, 0))

    base_pack, mine_pack = duel(
        repeat, lambda: baseline_pack(img, path, pil_format, params),
        lambda: satchel_pack(host, store, img, artifact_type, options), before=touch,
    )
    uri = satchel_pack(host, store, img, artifact_type, options).uri
    baseline_pack(img, path, pil_format, params)
    loaded = satchel_load(host, store, uri)
    assert (loaded.size, loaded.mode) == (img.size, img.mode)
    base_load, mine_load = duel(repeat, lambda: baseline_load(path), lambda: satchel_load(host, store, uri))
    size = os.path.getsize(path)
    return [(f"{case}: pack+store", base_pack, mine_pack, size), (f"{case}: load+verify", base_load, mine_load, size)]


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 1024x1024 image, best of 3")
    parser.add_argument("--repeat", type=int, default=None, help="best of N timings (default 5, --quick 3; at least 3)")
    parser.add_argument("--peak", action="store_true", help="also measure peak RSS in fresh subprocesses")
    add_peak_child_arguments(parser)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--side", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child, args.case, args.side, args.workdir, args.uri)
        return

    from satchel.store import Store

    side = 1024 if args.quick else 4096
    repeat = max(3, args.repeat or (3 if args.quick else 5))
    host = plugin_host("pillow")
    workdir = tempfile.mkdtemp(prefix="bench-pillow-", dir=os.getcwd())  # same filesystem as the store
    try:
        # Peak memory first, while this process is still small: a child started by fork/vfork + exec
        # reports at least its parent's peak RSS at that moment (Linux keeps it across exec).
        peaks = _peaks(side, workdir) if args.peak else None

        store = Store(os.path.join(workdir, "store"))
        img = photo(side)
        rows: list[tuple[str, float, float, int]] = []
        for case in CASES:
            rows += _measure(case, host, store, img, workdir, repeat)

        print(f"satchel-pillow: {side}x{side} RGB image, best of {repeat}, store under {os.getcwd()}")
        print(f"{'operation':<44}{'file':>9}{'baseline':>12}{'satchel':>12}{'ratio':>8}")
        for name, base, mine, size in rows:
            print(f"{name:<44}{size / (1 << 20):>7.1f}MB{base * 1000:>10.1f}ms{mine * 1000:>10.1f}ms{mine / base:>7.2f}x")
        print("baseline: Image.save (same encoder settings) + sha256 of the file; read+sha256 + Image.open().load()")
        if peaks is not None:
            mib = float(1 << 20)
            print(
                f"\npeak RSS, MiB (fresh process each; Pillow holds the {side}x{side} RGB image in "
                f"{side * side * 4 / mib:.0f} MiB, 4 bytes a pixel):"
            )
            print(f"  {'':<24}{'hold':>7}{'save+sha':>10}{'pack+store':>12}{'read+load':>11}{'load+verify':>13}")
            for case, (held, saved, packed, loaded_base, loaded) in peaks.items():
                print(
                    f"  {case:<24}{held / mib:>7.0f}{saved / mib:>10.0f}{packed / mib:>12.0f}"
                    f"{loaded_base / mib:>11.0f}{loaded / mib:>13.0f}"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _peaks(side: int, workdir: str) -> dict[str, tuple[int, int, int, int, int]]:
    """Peak RSS of holding the image and of each operation, per case, one fresh process each."""
    first = next(iter(CASES))
    _peak("prepare", first, side, workdir)
    found = {}
    for case in CASES:
        shutil.rmtree(os.path.join(workdir, "store"), ignore_errors=True)
        held = _peak("hold", case, side, workdir)["peak"]
        saved = _peak("baseline-pack", case, side, workdir)["peak"]
        packed = _peak("pack", case, side, workdir)
        loaded_base = _peak("baseline-load", case, side, workdir)["peak"]
        loaded = _peak("load", case, side, workdir, packed["uri"])["peak"]
        found[case] = (held, saved, packed["peak"], loaded_base, loaded)
    return found


if __name__ == "__main__":
    main()
