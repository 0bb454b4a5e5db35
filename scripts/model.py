"""Snakemake script: the cost model fitted on this run (model.json), its predictions of the held-out cells
(csv, table, figure)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json
    from pathlib import Path

    import pandas as pd

    from mpbench import modelfit
    from mpbench.output import write_csv_atomic, write_text_atomic
    from mpbench.present import model as present

    sm = snakemake  # noqa: F821
    raw = modelfit.load_raw(sm.input.raw)
    summaries = {Path(p).stem: pd.read_csv(p) for p in sm.input.summaries}
    env = json.loads(Path(sm.input.environment).read_text())
    model, pred = modelfit.build(raw, summaries, env)
    write_text_atomic(sm.output.model, json.dumps(model, indent=1, ensure_ascii=False) + "\n")
    write_csv_atomic(pred, sm.output.predictions)
    write_text_atomic(sm.output.table, present.table(pred, model, sm.params.language))
    present.plot(pred, [sm.output.png, sm.output.svg], sm.params.language)
