# The seed's other sections (Process, Queue, threads vs processes, Pool API,
# shared memory, Lock, close/join, crossover): one module each in
# mpbench/experiments, one timed job per parameter point, then the same
# summary -> table -> figure path as the appendix tables.


rule bench_experiment:
    input:
        # Experiments that read the pipeline's test file declare needs: [test_file].
        unpack(lambda wc: {"data": DATA_FILE} if EXP.spec(wc.experiment).needs_data else {}),
    output:
        "results/raw/{experiment}/{point}.csv",
    log:
        "results/logs/bench/{experiment}/{point}.log",
    benchmark:
        "results/benchmarks/{experiment}/{point}.tsv"
    wildcard_constraints:
        experiment="|".join(EXP.NAMES),
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
        settings=lambda wc: measure_settings(wc.experiment),
        repeats=lambda wc: repeat_setting(config[wc.experiment]),
        warmup=config["warmup"],
        scratch_dir=config["scratch_dir"],
        start_method=config["start_method"],
        # The condition experiments hold the appendix tables' conditions
        # fixed and vary one of them.
        base=lambda wc: base_condition() if EXP.spec(wc.experiment).file_conditions else {},
    script:
        "../scripts/bench_experiment.py"


rule summarize_experiment:
    input:
        lambda wc: experiment_raw(wc.experiment),
    output:
        "results/summary/{experiment}.csv",
    log:
        "results/logs/aggregate/{experiment}.log",
    wildcard_constraints:
        experiment="|".join(EXP.NAMES),
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
        experiment="|".join(EXP.NAMES),
    conda:
        "../envs/mpbench.yaml"
    params:
        language=config["language"],
        precision=config["precision"],
    script:
        "../scripts/table_experiment.py"


rule plot_experiment:
    input:
        summary="results/summary/{experiment}.csv",
        environment="results/environment.json",
    output:
        png=report(
            "results/figures/{experiment}.png",
            caption="../report/experiment.rst",
            category="{experiment}",
        ),
        svg="results/figures/{experiment}.svg",
    log:
        "results/logs/plots/{experiment}.log",
    wildcard_constraints:
        experiment="|".join(EXP.NAMES),
    conda:
        "../envs/mpbench.yaml"
    params:
        # What the figure shows and how to read it, for the HTML report.
        title=lambda wc: EXP.spec(wc.experiment).title,
        caption=lambda wc: EXP.caption(wc.experiment),
        # Titles, axes and legends: Chinese where a font has the glyphs (plots.figure_language).
        language=config["language"],
    script:
        "../scripts/plot_experiment.py"
