"""Snakemake script: results/tables/<name>.md -> results/html/<name>.html (shown inline by --report)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    from pathlib import Path

    from mpbench.htmltables import markdown_to_html
    from mpbench.output import write_text_atomic

    sm = snakemake  # noqa: F821
    text = Path(sm.input[0]).read_text(encoding="utf-8")
    write_text_atomic(sm.output[0], markdown_to_html(text, sm.wildcards.name))
