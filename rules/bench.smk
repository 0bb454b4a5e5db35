rule bench_fileio:
    input:
        data=DATA_FILE,
    output:
        "results/raw/{operation}/loops{loops}_workers{workers}.csv",
    log:
        "results/logs/bench/{operation}/loops{loops}_workers{workers}.log",
    benchmark:
        "results/benchmarks/{operation}/loops{loops}_workers{workers}.tsv"
    wildcard_constraints:
        operation="|".join(FILE_OPERATIONS),
    conda:
        "../envs/mpbench.yaml"
    threads: WHOLE_MACHINE
    resources:
        # From the config, for a scheduler; a timed job takes its node whole.
        mem_mb=lambda wc: point_mem_mb(wc.workers, config["data"]["size_mb"]),
        # This point's share of budget_minutes (see mpbench/plan.py); a
        # resource, so a new budget re-measures nothing.
        time_cap_s=lambda wc: point_cap_s(wc.operation, f"loops{wc.loops}_workers{wc.workers}"),
        runtime=lambda wc: point_runtime(wc.operation, f"loops{wc.loops}_workers{wc.workers}"),
        slurm_extra="'--exclusive'",
    params:
        # Everything that changes how this point is measured; a change
        # re-measures exactly the points it affects.
        repeats=repeat_setting(),
        warmup=config["warmup"],
        data=config["data"],
        scratch_dir=config["scratch_dir"],
        condition=base_condition(),
    script:
        "../scripts/bench_fileio.py"
