"""Snakemake script: results/summary/<experiment>.csv -> results/tables/<experiment>.md."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import pandas as pd

    from mpbench import experiments
    from mpbench.output import write_text_atomic

    sm = snakemake  # noqa: F821
    summary = pd.read_csv(sm.input[0])
    from mpbench.present.common import repetitions_note

    table = experiments.present(sm.wildcards.experiment).table(summary, sm.params.language)
    note = repetitions_note(summary, sm.params.language, sm.params.precision)
    write_text_atomic(sm.output[0], table.rstrip("\n") + ("\n\n" + note + "\n" if note else "\n"))
