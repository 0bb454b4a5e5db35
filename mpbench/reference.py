"""The configuration reference, generated from the schema: every key's default, what it allows and what it does,
between two markers of docs/configuration.md (how to regenerate it: docs/development.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from .config import _allowed, load_schema
from .tables import markdown_table

BEGIN = "<!-- BEGIN generated from mpbench/schemas by `python -m mpbench.reference docs/configuration.md` -->"
END = "<!-- END generated -->"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _rows(properties: dict, prefix: str = "") -> list[list[str]]:
    rows = []
    for key, sub in properties.items():
        if sub.get("type") == "object" and "properties" in sub and not prefix:
            rows += _rows(sub["properties"], f"{key}.")
            continue
        default = f"`{_value(sub['default'])}`" if "default" in sub else "the top-level value"
        rows.append([f"`{prefix}{key}`", default, _cell(_allowed(sub)), _cell(sub.get("description", ""))])
    return rows


COLUMNS = ["key", "default", "allowed", "what it does"]


def generate(schema: dict | None = None) -> str:
    """The reference as markdown: the top-level keys, then one section per experiment."""
    from . import experiments

    schema = schema or load_schema()
    props = schema["properties"]
    top = {k: v for k, v in props.items() if k not in experiments.NAMES}
    out = ["## Top-level keys", "", markdown_table(COLUMNS, _rows(top))]
    for name in experiments.NAMES:
        section = props[name]
        out += [
            "",
            f"## {name}",
            "",
            _cell(section.get("description", "")),
            "",
            f"Its page: [experiments/{name}.md](experiments/{name}.md).",
            "",
            *[
                f"- with `preset: {preset}`: `{_value(values)}` (a key set in the section wins)"
                for preset, values in section.get("x-experiment", {}).get("presets", {}).items()
            ],
            "",
            markdown_table(COLUMNS, _rows(section["properties"], f"{name}.")),
        ]
    return "\n".join(out) + "\n"


def generated_part(text: str) -> str:
    """What lies between the markers of ``text`` (empty when they are missing)."""
    if BEGIN not in text or END not in text:
        return ""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def rewrite(path: Path) -> None:
    """Replace the generated part of ``path`` with the schema's current reference."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n\n{generate()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/configuration.md"))
