# Every experiment - the post's appendix B (read, read & write with the
# overwrite), its other sections and the measurement conditions: one module
# each in mpbench/experiments, one timed job per parameter point, then
# summary -> table -> figure. The raw folders, summaries and tables are
# named by table (an experiment's name, or the appendix's read and
# readwrite), the figures by figure (likewise, or time and speedup).


rule bench_experiment:
    input:
        # Experiments that read the pipeline's test file declare needs: [test_file].
        unpack(lambda wc: {"data": DATA_FILE} if EXP.spec(EXP.TABLES[wc.experiment]).needs_data else {}),
    output:
        "results/raw/{experiment}/{point}.csv",
    log:
        "results/logs/bench/{experiment}/{point}.log",
    benchmark:
        "results/benchmarks/{experiment}/{point}.tsv"
    wildcard_constraints:
        experiment="|".join(EXP.TABLES),
    conda:
        "../envs/mpbench.yaml"
    threads: WHOLE_MACHINE
    resources:
        # A timed job takes its node whole.
        mem_mb=lambda wc: point_mem_mb(64, config["data"]["size_mb"]),
        time_cap_s=lambda wc: point_cap_s(wc.experiment, wc.point),
        runtime=lambda wc: point_runtime(wc.experiment, wc.point),
        slurm_extra="'--exclusive'",
    params:
        # Only what changes how a point is measured: a new sweep value adds a
        # point without re-measuring the others.
        settings=lambda wc: measure_settings(EXP.TABLES[wc.experiment]),
        repeats=lambda wc: repeat_setting(EXP.section(EXP.TABLES[wc.experiment], config)),
        warmup=config["warmup"],
        scratch_dir=config["scratch_dir"],
        start_method=config["start_method"],
        # The appendix's conditions; the condition experiments hold them fixed
        # and vary one of them.
        base=lambda wc: base_condition() if EXP.spec(EXP.TABLES[wc.experiment]).file_conditions else {},
    script:
        "../scripts/bench_experiment.py"


rule summarize_experiment:
    input:
        lambda wc: table_raw(wc.experiment),
    output:
        "results/summary/{experiment}.csv",
    log:
        "results/logs/aggregate/{experiment}.log",
    wildcard_constraints:
        experiment="|".join(EXP.TABLES),
    conda:
        "../envs/mpbench.yaml"
    params:
        ci_level=config["ci_level"],
    script:
        "../scripts/summarize_experiment.py"


rule table_experiment:
    input:
        "results/summary/{experiment}.csv",
    output:
        "results/tables/{experiment}.md",
    log:
        "results/logs/tables/{experiment}.log",
    wildcard_constraints:
        experiment="|".join(EXP.TABLES),
    conda:
        "../envs/mpbench.yaml"
    params:
        language=config["language"],
        precision=config["precision"],
        cv_threshold=config["cv_threshold"],
    script:
        "../scripts/table_experiment.py"


rule plot_experiment:
    input:
        # The summaries of every table of its experiment, and of the experiments it uses that run.
        summaries=lambda wc: [
            f"results/summary/{table}.csv"
            for name in (EXP.FIGURES[wc.figure], *EXP.spec(EXP.FIGURES[wc.figure]).uses)
            if name in run_experiments()
            for table in EXP.spec(name).tables
        ],
        environment="results/environment.json",
    output:
        png=report(
            "results/figures/{figure}.png",
            caption="../report/experiment.rst",
            category=figure_category,
        ),
        svg="results/figures/{figure}.svg",
    log:
        "results/logs/plots/{figure}.log",
    wildcard_constraints:
        figure="|".join(EXP.FIGURES),
    conda:
        "../envs/mpbench.yaml"
    params:
        # What the figure shows and how to read it, for the HTML report.
        title=lambda wc: EXP.spec(EXP.FIGURES[wc.figure]).title,
        caption=lambda wc: EXP.caption(EXP.FIGURES[wc.figure], figure=wc.figure),
        # Titles, axes and legends: Chinese where a font has the glyphs (plots.figure_language).
        language=config["language"],
    script:
        "../scripts/plot_experiment.py"
