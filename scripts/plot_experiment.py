"""Snakemake script: an experiment's summaries -> results/figures/<figure>.{png,svg}."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    from pathlib import Path

    import pandas as pd

    from mpbench import experiments
    from mpbench.environment import recorded_cores

    sm = snakemake  # noqa: F821
    summaries = {Path(path).stem: pd.read_csv(path) for path in sm.input.summaries}
    cores = recorded_cores(sm.input.environment)
    experiments.plot(sm.wildcards.figure, summaries, cores, [sm.output.png, sm.output.svg], sm.params.language)
