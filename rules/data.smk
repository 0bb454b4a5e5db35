rule generate_data:
    output:
        DATA_FILE,
    params:
        data=config["data"],
    log:
        "results/logs/generate_data.log",
    conda:
        "../envs/mpbench.yaml"
    script:
        "../scripts/generate_data.py"
