"""The docs agree with the code: a page per experiment, a configuration reference that is the schema's, links that resolve."""

import re
from pathlib import Path

from mpbench import experiments, reference

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def test_the_configuration_reference_is_generated_from_the_schema():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert reference.generated_part(text) == reference.generate(), (
        "docs/configuration.md differs from the schema: run python -m mpbench.reference docs/configuration.md"
    )


def test_the_reference_lists_every_key_with_its_default():
    text = reference.generate()
    schema = reference.load_schema()
    for key, sub in schema["properties"].items():
        if key in experiments.NAMES:
            for inner in sub["properties"]:
                assert f"| `{key}.{inner}` |" in text
        elif "properties" in sub:
            for inner in sub["properties"]:
                assert f"| `{key}.{inner}` |" in text
        else:
            assert f"| `{key}` | `{reference._value(sub['default'])}` |" in text


def test_every_experiment_has_its_page_and_every_page_an_experiment():
    pages = {p.stem for p in (DOCS / "experiments").glob("*.md")} - {"README"}
    assert pages == set(experiments.ALL)
    index = (DOCS / "experiments" / "README.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in pages:
        assert f"({name}.md)" in index and f"(docs/experiments/{name}.md)" in readme


def _links(path: Path):
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
        if not re.match(r"[a-z]+:", target) and not target.startswith("#"):
            yield target.split("#")[0]


def test_every_relative_link_of_the_readme_and_the_docs_resolves():
    files = [REPO / "README.md", *DOCS.rglob("*.md")]
    broken = [f"{f.relative_to(REPO)} -> {t}" for f in files for t in _links(f) if not (f.parent / t).exists()]
    assert not broken


def test_the_readme_stays_a_front_door():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 300


def test_the_language_key_says_what_it_changes():
    described = reference.load_schema()["properties"]["language"]["description"]
    assert all(word in described for word in ("tables", "figures", "findings", "font")), described
