"""Snakemake script: the post's conclusions checked against the summaries (table, csv)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench import claims
    from mpbench.environment import recorded_cores
    from mpbench.output import write_csv_atomic, write_text_atomic

    sm = snakemake  # noqa: F821
    summaries = {key: pd.read_csv(path) for key, path in sm.input.items() if key != "environment"}
    cores = recorded_cores(sm.input.environment)
    result = claims.check_all(summaries, cores)
    write_csv_atomic(result, sm.output.summary)
    write_text_atomic(sm.output.table, claims.table(result) + "\n")
