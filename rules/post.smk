# The post's published appendix B numbers beside this machine's, and its
# conclusions checked against the measurements.


rule post_compare:
    input:
        read="results/summary/read.csv",
        readwrite="results/summary/readwrite.csv",
        environment="results/environment.json",
    output:
        table="results/tables/seed_vs_measured.md",
        summary="results/summary/seed_vs_measured.csv",
        png=report(
            "results/figures/seed_vs_measured.png",
            caption="../report/seed_vs_measured.rst",
            category="The post side by side",
        ),
        svg="results/figures/seed_vs_measured.svg",
    log:
        "results/logs/post_compare.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        language=config["language"],
    script:
        "../scripts/post_compare.py"


rule claims:
    input:
        unpack(
            lambda wc: {
                name: f"results/summary/{name}.csv"
                for name in ("workers_sweep", "crossover", "close_join")
                if name in enabled_experiments()
            }
        ),
        read="results/summary/read.csv",
        readwrite="results/summary/readwrite.csv",
        environment="results/environment.json",
    output:
        table="results/tables/claims.md",
        summary="results/summary/claims.csv",
    log:
        "results/logs/claims.log",
    conda:
        "../envs/mpbench.yaml"
    script:
        "../scripts/claims.py"
