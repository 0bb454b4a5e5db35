"""Snakemake script: results/summary/<experiment>.csv -> results/figures/<experiment>.{png,svg}."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench import experiments
    from mpbench.environment import recorded_cores

    sm = snakemake  # noqa: F821
    summary = pd.read_csv(sm.input.summary)
    cores = recorded_cores(sm.input.environment)
    experiments.present(sm.wildcards.experiment).plot(
        summary, cores, [sm.output.png, sm.output.svg], sm.params.language
    )
