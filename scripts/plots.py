"""Snakemake script: summaries -> results/figures/{time,speedup}.{png,svg}."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench.environment import recorded_cores
    from mpbench.plots import plot_speedup, plot_time

    sm = snakemake  # noqa: F821
    summaries = {"read": pd.read_csv(sm.input.read), "readwrite": pd.read_csv(sm.input.readwrite)}
    cores = recorded_cores(sm.input.environment)
    ceiling = None
    if "ceiling" in sm.input.keys():
        from mpbench.present.ceiling import ceiling_seconds_per_op

        ceiling = ceiling_seconds_per_op(pd.read_csv(sm.input.ceiling), sm.params.size_bytes)
    plot_time(summaries, [sm.output.time_png, sm.output.time_svg], ceiling, sm.params.language)
    plot_speedup(summaries, cores, [sm.output.speedup_png, sm.output.speedup_svg], sm.params.language)
