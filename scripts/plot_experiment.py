"""Snakemake script: results/summary/<experiment>.csv -> results/figures/<experiment>.{png,svg}."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json

    import pandas as pd

    from mpbench import experiments

    sm = snakemake  # noqa: F821
    summary = pd.read_csv(sm.input.summary)
    with open(sm.input.environment) as fh:
        cores = json.load(fh)["usable_cores"]
    experiments.get(sm.wildcards.experiment).plot(summary, cores, [sm.output.png, sm.output.svg])
