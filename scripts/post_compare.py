"""Snakemake script: the post's appendix B beside the measured tables (table, csv, figure)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench import post
    from mpbench.environment import recorded_cores
    from mpbench.output import write_csv_atomic, write_text_atomic

    sm = snakemake  # noqa: F821
    summaries = {"read": pd.read_csv(sm.input.read), "readwrite": pd.read_csv(sm.input.readwrite)}
    cores = recorded_cores(sm.input.environment)
    comparison = post.compare(post.load(), summaries)
    write_csv_atomic(comparison, sm.output.summary)
    write_text_atomic(sm.output.table, post.table(comparison, sm.params.language))
    post.plot(comparison, cores, [sm.output.png, sm.output.svg], sm.params.language)
