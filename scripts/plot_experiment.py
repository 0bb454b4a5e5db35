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
    name = experiments.FIGURES[sm.wildcards.figure]
    summaries = {Path(path).stem: pd.read_csv(path) for path in sm.input.summaries}
    cores = recorded_cores(sm.input.environment)
    present, out = experiments.present(name), [sm.output.png, sm.output.svg]
    if experiments.spec(name).figures:
        # Figures named otherwise draw on every summary of the experiment (and of those it uses).
        present.plot(summaries, cores, out, figure=sm.wildcards.figure, language=sm.params.language)
    else:
        present.plot(summaries[name], cores, out, sm.params.language)
