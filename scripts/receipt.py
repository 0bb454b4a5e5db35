"""Snakemake script: every point's raw rows -> results/summary/points.csv (what the run bought)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json
    from pathlib import Path

    import pandas as pd

    from mpbench.output import write_csv_atomic
    from mpbench.receipt import point_row, points_table

    sm = snakemake  # noqa: F821
    calibration = json.loads(Path(sm.input.calibration).read_text())
    rows = [
        point_row(
            Path(path).parent.name,
            Path(path).stem,
            pd.read_csv(path),
            calibration,
            sm.params.precision,
            sm.params.ci_level,
        )
        for path in sm.input.raw
    ]
    write_csv_atomic(points_table(rows, sm.params.precision, sm.params.ci_level), sm.output[0])
