# Machines compared: every run files its appendix summaries under
# results/hosts/<host>/; copy other machines' folders there and run
#   snakemake --cores 1 compare


rule publish_host:
    input:
        read="results/summary/read.csv",
        readwrite="results/summary/readwrite.csv",
        environment="results/environment.json",
    output:
        read="results/hosts/{host}/summary/read.csv",
        readwrite="results/hosts/{host}/summary/readwrite.csv",
        environment="results/hosts/{host}/environment.json",
    log:
        "results/logs/publish_host/{host}.log",
    wildcard_constraints:
        host=re.escape(HOST),
    conda:
        "../envs/mpbench.yaml"
    shell:
        "(cp {input.read:q} {output.read:q} && cp {input.readwrite:q} {output.readwrite:q}"
        " && cp {input.environment:q} {output.environment:q}) > {log:q} 2>&1"


rule compare:
    input:
        # This host's folder (made by this run) and every folder copied in.
        lambda wc: sorted(
            {f"results/hosts/{HOST}/environment.json"} | {str(d / "environment.json") for d in compare_hosts()}
        ),
    output:
        table="results/tables/compare_hosts.md",
        summary="results/summary/compare_hosts.csv",
        png=report(
            "results/figures/compare_hosts.png",
            caption="../report/compare_hosts.rst",
            category="Machines compared",
        ),
        svg="results/figures/compare_hosts.svg",
    log:
        "results/logs/compare.log",
    conda:
        "../envs/mpbench.yaml"
    script:
        "../scripts/compare.py"
