"""The markdown tables as small HTML pages, so Snakemake's HTML report shows them inline.

Snakemake's report shows HTML, images and SVG in the page but offers other
files (markdown, CSV) only as downloads.  The tables this pipeline writes use
a small part of markdown - ``###`` headings, pipe tables, paragraphs,
``**bold**`` and ```code``` - and this module turns exactly that into HTML,
escaping everything else.
"""

from __future__ import annotations

import html
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


def _numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+(e[-+]?\d+)?\s*[×%†*]*|n/a", cell.strip()))


def markdown_to_html(text: str, title: str = "") -> str:
    """A whole HTML page for one markdown table file."""
    body: list[str] = []
    lines = text.splitlines()
    i = 0
    paragraph: list[str] = []

    def flush():
        if paragraph:
            body.append("<p>" + _inline(" ".join(paragraph)) + "</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
        elif line.startswith("#"):
            flush()
            level = min(len(line) - len(line.lstrip("#")), 6)
            body.append(f"<h{level}>{_inline(line.lstrip('#'))}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and _is_rule(lines[i + 1]):
            flush()
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            parts = [
                "<table>",
                "<thead><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header) + "</tr></thead>",
                "<tbody>",
            ]
            for row in rows:
                tds = "".join(
                    f"<td>{_inline(c)}</td>" if _numeric(c) or j == 0 else f'<td class="text">{_inline(c)}</td>'
                    for j, c in enumerate(row)
                )
                parts.append(f"<tr>{tds}</tr>")
            parts.append("</tbody></table>")
            body.append("\n".join(parts))
        else:
            paragraph.append(line)
            i += 1
    flush()
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
