rule generate_data:
    output:
        DATA_FILE,
    log:
        "results/logs/generate_data.log",
    conda:
        "../envs/mpbench.yaml"
    resources:
        # numpy builds the file in memory: random bytes, a lookup, line ends (about 12 x its size).
        mem_mb=int(300 + 12 * config["data"]["size_mb"]),
        runtime="10m",
    params:
        data=config["data"],
    script:
        "../scripts/generate_data.py"
