"""Snakemake script: raw rows of one table (an experiment, or the appendix's read and readwrite) -> results/summary/<table>.csv."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench import experiments
    from mpbench.output import write_csv_atomic

    sm = snakemake  # noqa: F821
    name = experiments.TABLES[sm.wildcards.experiment]
    raw = pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True)
    summary = experiments.present(name).summarize(raw, sm.params.ci_level)
    # Each row says why its point stopped repeating (precise, max_repeats, time or fixed).
    from mpbench.present.common import add_stops

    keys = list(experiments.points(name, experiments.section(name, sm.config))[0])
    summary = add_stops(summary, raw, keys)
    write_csv_atomic(summary, sm.output[0])
