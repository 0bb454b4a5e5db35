rule calibrate:
    # The machine's own noise floor and its unit costs: no inputs and the
    # highest priority, so it is the first job of a run.
    output:
        "results/calibration.json",
    log:
        "results/logs/calibrate.log",
    priority: 100
    conda:
        "../envs/mpbench.yaml"
    threads: WHOLE_MACHINE
    resources:
        mem_mb=lambda wc: point_mem_mb(4, config["data"]["size_mb"]),
        runtime="10m",
        slurm_extra="'--exclusive'",
    params:
        scratch_dir=config["scratch_dir"],
        size_bytes=int(config["data"]["size_mb"] * 1024 * 1024),
        start_method=config["start_method"],
        workers=max(config["workers"]),
    script:
        "../scripts/calibrate.py"


rule environment:
    input:
        calibration="results/calibration.json",
    output:
        "results/environment.json",
    log:
        "results/logs/environment.log",
    conda:
        "../envs/mpbench.yaml"
    resources:
        mem_mb=300,
        runtime="5m",
    params:
        paths={"data": DATA_FILE, "scratch": config["scratch_dir"]},
        project_dir=workflow.basedir,
        config=config,
    script:
        "../scripts/environment.py"


rule receipt:
    # What the run bought: per point its repetitions, why it stopped, its spread against the floor.
    input:
        raw=lambda wc: [f for name in run_experiments() for f in experiment_raw(name)],
        calibration="results/calibration.json",
    output:
        "results/summary/points.csv",
    log:
        "results/logs/receipt.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        precision=config["precision"],
        ci_level=config["ci_level"],
    script:
        "../scripts/receipt.py"


rule report_md:
    input:
        # The appendix's tables and figures: the report's centre.
        tables=expand("results/tables/{table}.md", table=APPENDIX_TABLES),
        summaries=expand("results/summary/{table}.csv", table=APPENDIX_TABLES),
        raw=lambda wc: experiment_raw("appendix"),
        figures=expand("results/figures/{figure}.png", figure=EXP.spec("appendix").figure_names),
        environment="results/environment.json",
        points="results/summary/points.csv",
        seed_table="results/tables/seed_vs_measured.md",
        seed_summary="results/summary/seed_vs_measured.csv",
        seed_figure="results/figures/seed_vs_measured.png",
        claims="results/tables/claims.md",
        model="results/model.json",
        model_predictions="results/summary/model_predictions.csv",
        model_table="results/tables/model.md",
        model_figure="results/figures/model_predicted_vs_measured.png",
        experiment_tables=lambda wc: expand("results/tables/{name}.md", name=enabled_experiments()),
        experiment_summaries=lambda wc: expand("results/summary/{name}.csv", name=enabled_experiments()),
        experiment_figures=lambda wc: expand("results/figures/{name}.png", name=enabled_experiments()),
    output:
        "results/report.md",
    log:
        "results/logs/report.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        config=config,
    script:
        "../scripts/report.py"


rule html_table:
    input:
        "results/tables/{name}.md",
    output:
        report(
            "results/html/{name}.html",
            caption="../report/table.rst",
            category=table_category,
        ),
    log:
        "results/logs/html/{name}.log",
    wildcard_constraints:
        name="|".join([*EXP.TABLES, *POST_TABLES, *MODEL_TABLES]),
    conda:
        "../envs/mpbench.yaml"
    script:
        "../scripts/html_table.py"
