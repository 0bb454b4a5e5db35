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


rule plots:
    input:
        # The raw read/write ceiling, drawn as a reference line when measured.
        unpack(lambda wc: {"ceiling": "results/summary/ceiling.csv"} if "ceiling" in enabled_experiments() else {}),
        read="results/summary/read.csv",
        readwrite="results/summary/readwrite.csv",
        environment="results/environment.json",
    output:
        time_png=report(
            "results/figures/time.png",
            caption="../report/time.rst",
            category="File IO (appendix B)",
        ),
        time_svg="results/figures/time.svg",
        speedup_png=report(
            "results/figures/speedup.png",
            caption="../report/speedup.rst",
            category="File IO (appendix B)",
        ),
        speedup_svg="results/figures/speedup.svg",
    log:
        "results/logs/plots.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        size_bytes=int(config["data"]["size_mb"] * 1024 * 1024),
        language=config["language"],
    script:
        "../scripts/plots.py"


rule receipt:
    # What the run bought: per point its repetitions, why it stopped, its spread against the floor.
    input:
        raw=lambda wc: raw_files(FILE_OPERATIONS) + [f for name in enabled_experiments() for f in experiment_raw(name)],
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
        tables=expand("results/tables/{table}.md", table=TABLES),
        summaries=expand("results/summary/{table}.csv", table=TABLES),
        raw=raw_files(FILE_OPERATIONS),
        figures=["results/figures/time.png", "results/figures/speedup.png"],
        environment="results/environment.json",
        points="results/summary/points.csv",
        seed_table="results/tables/seed_vs_measured.md",
        seed_summary="results/summary/seed_vs_measured.csv",
        seed_figure="results/figures/seed_vs_measured.png",
        claims="results/tables/claims.md",
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
        name="|".join([*TABLES, *POST_TABLES, *EXP.NAMES]),
    conda:
        "../envs/mpbench.yaml"
    script:
        "../scripts/html_table.py"
