"""Snakemake script: tables, summaries, figures, environment -> results/report.md."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json
    import os
    from pathlib import Path

    import pandas as pd

    from mpbench.output import write_text_atomic
    from mpbench.report import render

    sm = snakemake  # noqa: F821
    out_dir = Path(sm.output[0]).parent
    tables = {Path(p).stem: Path(p).read_text(encoding="utf-8") for p in sm.input.tables}
    summaries = {Path(p).stem: pd.read_csv(p) for p in sm.input.summaries}
    raw = pd.concat([pd.read_csv(p) for p in sm.input.raw], ignore_index=True)
    figures = {Path(p).stem: os.path.relpath(p, out_dir) for p in sm.input.figures}
    env = json.loads(Path(sm.input.environment).read_text())
    from mpbench import experiments
    from mpbench.report import experiment_precision_cells

    sections, precision = [], []
    for table, summary, figure in zip(
        sm.input.experiment_tables, sm.input.experiment_summaries, sm.input.experiment_figures
    ):
        module = experiments.present(Path(table).stem)
        precision += experiment_precision_cells(Path(table).stem, pd.read_csv(summary))
        sections.append(
            {
                "title": experiments.spec(Path(table).stem).title,
                "findings": module.findings(pd.read_csv(summary), env, sm.params.config["language"]),
                "table": Path(table).read_text(encoding="utf-8"),
                "figure": os.path.relpath(figure, out_dir),
            }
        )
    from mpbench import post

    seed_section = {
        "sentences": post.differences(pd.read_csv(sm.input.seed_summary), env),
        "table": Path(sm.input.seed_table).read_text(encoding="utf-8"),
        "figure": os.path.relpath(sm.input.seed_figure, out_dir),
        "claims": Path(sm.input.claims).read_text(encoding="utf-8"),
    }
    from mpbench.present import model as model_present

    model_section = model_present.section(
        json.loads(Path(sm.input.model).read_text()),
        pd.read_csv(sm.input.model_predictions),
        Path(sm.input.model_table).read_text(encoding="utf-8"),
        os.path.relpath(sm.input.model_figure, out_dir),
        sm.params.config["language"],
    )
    points = pd.read_csv(sm.input.points)
    write_text_atomic(
        sm.output[0],
        render(
            dict(sm.params.config),
            env,
            tables,
            summaries,
            raw,
            figures,
            sections,
            precision_cells=precision,
            seed_section=seed_section,
            points=points,
            model_section=model_section,
        ),
    )
