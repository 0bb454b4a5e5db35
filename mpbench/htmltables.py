"""The markdown tables as small HTML pages, so Snakemake's HTML report shows them inline (it offers markdown
only as a download): exactly the markdown the tables use - ``###`` headings, pipe tables, paragraphs,
``**bold**`` and ```code``` - and everything else escaped."""

from __future__ import annotations

import html
import itertools
import re

STYLE = """
body { font-family: -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; font-size: 14px;
       margin: 1em; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th { background: #f2f2f2; text-align: left; }
td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
p { max-width: 60em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em 0; }
"""


def _inline(text: str) -> str:
    out = html.escape(text.strip(), quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().removeprefix("|").removesuffix("|").split("|")]


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?", line.strip()))


def _kind(line: str) -> str:
    if not line.strip():
        return "blank"
    return "heading" if line.startswith("#") else "table" if line.lstrip().startswith("|") else "text"


def _heading(line: str) -> str:
    level = min(len(line) - len(line.lstrip("#")), 6)
    return f"<h{level}>{_inline(line.lstrip('#'))}</h{level}>"


def _td(j: int, cell: str) -> str:
    """A body cell: text other than the first column's aligned left."""
    numeric = re.fullmatch(r"[-+]?[\d.,]+(e[-+]?\d+)?\s*[×%†*]*|n/a", cell.strip())
    return f"<td>{_inline(cell)}</td>" if numeric or j == 0 else f'<td class="text">{_inline(cell)}</td>'


def _table(header: str, rows: list[str]) -> str:
    head = "<thead><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in _cells(header)) + "</tr></thead>"
    body = ["<tr>" + "".join(_td(j, c) for j, c in enumerate(_cells(row))) + "</tr>" for row in rows]
    return "\n".join(["<table>", head, "<tbody>", *body, "</tbody></table>"])


def markdown_to_html(text: str, title: str = "") -> str:
    """A whole HTML page for one markdown table file: a run of lines that start with "|" and whose
    second line is a rule is a table, other lines up to a blank line, heading or table a paragraph."""
    body: list[str] = []
    paragraph: list[str] = []
    for kind, lines in itertools.groupby([*text.splitlines(), ""], _kind):
        lines = list(lines)
        if kind == "text" or (kind == "table" and not (len(lines) > 1 and _is_rule(lines[1]))):
            paragraph += lines
            continue
        if paragraph:
            body.append("<p>" + _inline(" ".join(paragraph)) + "</p>")
            paragraph = []
        if kind == "heading":
            body += [_heading(line) for line in lines]
        elif kind == "table":
            body.append(_table(lines[0], lines[2:]))
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
