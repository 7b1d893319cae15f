"""``satchel new-plugin``: write a new packager plugin distribution, ready to test and publish."""

from __future__ import annotations

import os

from satchel.cli.context import EXIT_OK, Context
from satchel.cli.json_output import print_json
from satchel.scaffold import plugin_names, write_plugin

__all__ = ["cmd_new_plugin"]


def cmd_new_plugin(ctx: Context) -> int:
    args = ctx.args
    target = write_plugin(args.name, args.type_name, args.dir)
    names = plugin_names(args.name)
    packed = args.type_name or f"{names.module}.example.Example"
    if ctx.json:
        print_json({
            "path": str(target), "distribution": names.distribution, "entry_point": names.entry_point,
            "module": names.module, "packager": f"{names.module}.packagers:{names.class_name}", "type": packed,
        })
        return EXIT_OK
    relative = os.path.relpath(target)
    shown = str(target) if relative.startswith("..") else relative
    print(f"wrote {names.distribution} in {shown}: entry point {names.entry_point!r}, packing {packed}")
    if args.type_name:
        qualname = args.type_name.rpartition(".")[2]
        print("placeholders to replace (as written they round-trip only a type made from its own text):")
        print(f"  src/{names.module}/_codec.py   writes str(obj), reads {qualname}(text)")
        print(f"  tests/test_packager.py   draws st.from_type({qualname})")
    else:
        print(f"it packs a stand-in type, {packed}: replace it with yours in src/{names.module}/_codec.py and the tests")
    print("next:")
    print(f"  cd {shown} && pip install -e '.[test]' && pytest")
    print(f"  satchel plugins                 # lists {names.entry_point!r}")
    return EXIT_OK
