"""The README's demo: two runs on the embedded store, the second consuming the first's outputs by URI."""

from __future__ import annotations

import os
import sys

import satchel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_handlers import generate_gradient, prepare, summarise, thumbnail  # noqa: E402


def main() -> None:
    project = satchel.get_or_create_project("demo")  # the embedded store in ./.satchel
    print(f"project {project.name!r} in {project.store.url}\n")

    first = project.run(prepare, params={"rows": 2000}, returns=[
        "image : file[format='png']", "features", "table", "prompt", "mean_feature",
    ])
    print(f"run {first.record.name} {first.uid}: {first.status}")
    print(f"  result mean_feature = {first.results['mean_feature']:.4f}")
    for key, uri in first.outputs.items():
        print(f"  {key:<9} {uri}")

    second = project.run(summarise, inputs={
        "image": first.outputs["image"], "features": first.outputs["features"],
        "table": first.outputs["table"], "prompt": first.outputs["prompt"],
    }, returns=["summary : file"])
    summary = project.get_artifact(second.outputs["summary"]).unpack()
    print(f"\nrun {second.record.name} {second.uid}: {second.status}, consumed the four URIs as typed objects:")
    for key, value in summary.items():
        print(f"  {key}: {value}")

    gradient = project.run(generate_gradient, params={"width": 128}, returns=["gradient : file[format=jpeg]"])
    thumb = project.run(thumbnail, inputs={"img": gradient.outputs["gradient"]}, returns=["thumb"])
    print(f"\ngradient {gradient.outputs['gradient']}\nthumb    {thumb.outputs['thumb']}")

    cli = f"{os.path.relpath(sys.executable)} -m satchel --project {project.name}"
    print("\nLook at them:")
    print(f"  {cli} runs")
    print(f"  {cli} artifacts")
    print(f"  {cli} artifacts show {first.outputs['table']}")
    print(f"  {cli} runs show {second.uid}")
    print(f"  {cli} verify")
    print(f"  {os.path.relpath(os.path.join(os.path.dirname(sys.executable), 'satchel'))} ui --project {project.name} --open"
          "   # all of it in a web page (read-only, this machine only)")


if __name__ == "__main__":
    main()
