rule aggregate:
    input:
        lambda wc: raw_files(TABLES[wc.table]),
    output:
        "results/summary/{table}.csv",
    log:
        "results/logs/aggregate/{table}.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        ci_level=config["ci_level"],
        cv_threshold=config["cv_threshold"],
    script:
        "../scripts/aggregate.py"


rule table:
    input:
        "results/summary/{table}.csv",
    output:
        "results/tables/{table}.md",
    log:
        "results/logs/tables/{table}.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        language=config["language"],
        cv_threshold=config["cv_threshold"],
        precision=config["precision"],
    script:
        "../scripts/table.py"
