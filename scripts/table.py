"""Snakemake script: results/summary/<table>.csv -> the appendix-format markdown table."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench.output import write_text_atomic
    from mpbench.tables import render

    sm = snakemake  # noqa: F821
    summary = pd.read_csv(sm.input[0])
    write_text_atomic(
        sm.output[0],
        render(summary, sm.wildcards.table, sm.params.language, sm.params.cv_threshold, sm.params.precision),
    )
