"""Snakemake script: raw rows of one appendix table -> results/summary/<table>.csv."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench.output import write_csv_atomic
    from mpbench.stats import summarize

    sm = snakemake  # noqa: F821
    raw = pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True)
    summary = summarize(raw, sm.wildcards.table, sm.params.ci_level)
    write_csv_atomic(summary, sm.output[0])
    unstable = summary.filter(regex=r"_cv$").max(axis=1)
    for row, cv in zip(summary.itertuples(), unstable):
        if cv > sm.params.cv_threshold:
            print(
                f"warning: {sm.wildcards.table} loops={row.loops} workers={row.workers}: CV {cv:.0%} above {sm.params.cv_threshold:.0%}",
                file=sys.stderr,
            )
