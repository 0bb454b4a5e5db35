"""Snakemake script: results/summary/<table>.csv -> results/tables/<table>.md."""

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

    present = experiments.present(experiments.TABLES[sm.wildcards.experiment])
    if hasattr(present, "render"):
        # A table file with notes of its own (the appendix's: repetitions and marks per worker count).
        text = present.render(summary, sm.params.language, sm.params.cv_threshold, sm.params.precision)
    else:
        table = present.table(summary, sm.params.language)
        note = repetitions_note(summary, sm.params.language, sm.params.precision)
        text = table.rstrip("\n") + ("\n\n" + note + "\n" if note else "\n")
    write_text_atomic(sm.output[0], text)
