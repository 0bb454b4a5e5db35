"""Snakemake script: results/hosts/*/ -> the speedups of every host side by side."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    from pathlib import Path

    from mpbench import compare
    from mpbench.output import write_csv_atomic, write_text_atomic

    sm = snakemake  # noqa: F821
    frame = compare.load([Path(p).parent for p in sm.input])
    write_csv_atomic(frame, sm.output.summary)
    write_text_atomic(sm.output.table, compare.table(frame))
    compare.plot(frame, [sm.output.png, sm.output.svg])
