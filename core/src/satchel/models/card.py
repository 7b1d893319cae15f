"""``model-card.md``: what a model is, how it was made, what it takes and gives, and what it is for.

The sections follow the seed (model details, signature, intended use, integrity) and Hugging
Face's model card template (uses, out-of-scope use, bias, risks and limitations, training details,
evaluation, how to get started). The user's own ``card=`` text fills the sections only they know;
what satchel knows (framework, versions, the run, params, metrics, signature) it writes itself.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

from satchel.errors import SatchelError
from satchel.models.signature import ModelSignature

__all__ = ["CARD_SECTIONS", "card_sections", "render_card"]

#: The sections a user's ``card=`` may fill, by key (a dict), or all as ``intended_use`` (a string).
CARD_SECTIONS = {
    "description": "Description",
    "intended_use": "Intended use",
    "out_of_scope": "Out-of-scope use",
    "training_data": "Training data",
    "evaluation": "Evaluation",
    "limitations": "Bias, risks and limitations",
    "license": "License",
    "authors": "Authors",
}


def card_sections(card: str | Mapping[str, str] | None) -> dict[str, str]:
    """The user's card text by section; a plain string is the intended use."""
    if card is None:
        return {}
    if isinstance(card, str):
        return {"intended_use": card.strip()}
    if not isinstance(card, Mapping):
        raise SatchelError(f"card must be text or a dict of sections ({', '.join(CARD_SECTIONS)}), not {type(card).__name__}")
    unknown = sorted(set(card) - set(CARD_SECTIONS))
    if unknown:
        raise SatchelError(f"card has unknown section(s) {', '.join(unknown)}; the sections are {', '.join(CARD_SECTIONS)}")
    for key, value in card.items():
        if not isinstance(value, str):
            raise SatchelError(f"card section {key!r} must be text, not {type(value).__name__}")
    return {key: value.strip() for key, value in card.items()}


def _escape(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_escape(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_card(
    *,
    name: str,
    version: str,
    framework: str,
    versions: Mapping[str, str],
    model_format: str,
    created: str,
    signature: ModelSignature | None,
    sections: Mapping[str, str],
    run: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    notes: Mapping[str, Any] | None = None,
    requirements: list[str] | None = None,
) -> str:
    """The card's markdown."""
    out = [f"# Model card: {name}", ""]
    if sections.get("description"):
        out += [sections["description"], ""]
    out += ["## Model details", ""]
    details = [
        ("Name", name), ("Version", version), ("Framework", framework), ("Format", model_format),
        *[(f"{dist} version", v) for dist, v in sorted(versions.items())],
        ("Python", platform.python_version()), ("Created", created),
    ]
    if run:
        details.append(("Produced by run", f"{run.get('name', '')} ({run.get('uid', '')})"))
    if sections.get("license"):
        details.append(("License", sections["license"]))
    if sections.get("authors"):
        details.append(("Authors", sections["authors"]))
    out += [_table(("", ""), details), ""]
    for key in ("intended_use", "out_of_scope"):
        out += [f"## {CARD_SECTIONS[key]}", "", sections.get(key) or "Not stated by the model's author.", ""]
    out += ["## Bias, risks and limitations", "", sections.get("limitations") or "Not stated by the model's author.", ""]
    out += ["## Training details", ""]
    if sections.get("training_data"):
        out += [sections["training_data"], ""]
    out += [_table(("Parameter", "Value"), sorted((str(k), v) for k, v in (params or {}).items())) if params else "No parameters recorded.", ""]
    out += ["## Evaluation", ""]
    if sections.get("evaluation"):
        out += [sections["evaluation"], ""]
    out += [_table(("Metric", "Value"), sorted((str(k), v) for k, v in (metrics or {}).items())) if metrics else "No metrics recorded.", ""]
    out += ["## Signature", ""]
    if signature is not None:
        out += [f"Layout: {signature.layout}.", "", _table(("Part", "Name", "Dtype", "Shape"), list(signature.rows())), ""]
    else:
        out += ["No signature: predict() passes payloads to the model unchecked.", ""]
    if notes:
        out += ["## Notes", "", *[f"- {key}: {value}" for key, value in sorted(notes.items())], ""]
    out += ["## Requirements", "", *([f"- `{r}`" for r in requirements] if requirements else ["None beyond Python."]), ""]
    out += [
        "## How to get started", "",
        "```python",
        "import satchel",
        f'model = satchel.load_model("store://models/<project>/{name}")   # verified before anything is loaded',
        "model.predict(payload)                                            # checked against the signature",
        "```", "",
        "Exported (`satchel models export URI DIR`), it runs without satchel:",
        "", "```console", 'python -c "from predict import predict; print(predict(payload))"', "```", "",
        "## Integrity", "",
        "`manifest.json` and `checksum.txt` list every file's sha256; the root digest is sha256 over the files' "
        "digests in sorted path order. Loading verifies all of them first.", "",
    ]
    return "\n".join(out)
