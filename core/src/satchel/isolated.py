"""The process side of an isolated run: ``python -m satchel.isolated REQUEST_JSON``.

The parent (``Function.run(env="isolated")``) resolved the code version, built the environment and
checked the caller's permissions; it passes them here as one JSON argument. This side runs the
function in the same store and project, records the run under the uid the parent chose, and prints
one JSON line: ``{"uid": …, "status": …}``. Nothing here reads a privilege from the store: the
custom packagers and the pickle opt-in come from the parent's request.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from satchel import project as projects
from satchel.functions import Function, FunctionSpec, confirm, resolve
from satchel.runs import execute

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m satchel.isolated REQUEST_JSON (made by Function.run(env='isolated'))", file=sys.stderr)
        return 2
    request: dict[str, Any] = json.loads(args[0])
    project = projects.get_or_create_project(request["project"], request["store"])
    for packager in request.get("packagers", []):
        projects._confirmed.add((project.store.url, project.name, packager["packager"]))
    spec = FunctionSpec(**request["function"])
    confirm(project.store.url, project.name, spec.source)
    function = Function(project, spec)
    scope = project.scope(bool(request.get("allow_pickle")))
    what = f"function {spec.name!r}"
    resolved = resolve(scope, spec.source, spec.handler, spec.requirements, "function", what, load=False)
    handler = resolved.load(what)
    with resolved.active():
        run, _returned = execute(
            scope, handler, params=request.get("params") or {}, inputs=request.get("inputs") or {},
            returns=request.get("returns"), name=request.get("name") or function.name, raise_on_failure=False,
            uid=request["uid"], handler=spec.handler, code=resolved.code, environment=request.get("environment"),
            workflow=request.get("workflow"),
        )
    print(json.dumps({"uid": run.uid, "status": run.status}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
