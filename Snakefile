# mpbench: Python multiprocessing, measured on this machine.
# The rules live in rules/*.smk, the code they run in mpbench/ (see README.md).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/experiments.smk"
include: "rules/post.smk"
include: "rules/model.smk"
include: "rules/compare.smk"
include: "rules/report.smk"


# A fresh ledger for the time points leave to each other (mpbench.credit);
# not run for a dry run or on a cluster's nodes.
onstart:
    from mpbench.credit import start_run

    start_run()


rule all:
    default_target: True
    input:
        all_outputs(),


# Everything but the timed jobs (and the test file) runs where Snakemake runs;
# on a cluster only the timed jobs and the test file go to the scheduler.
localrules:
    all,
    summarize_experiment,
    table_experiment,
    plot_experiment,
    receipt,
    report_md,
    html_table,
    post_compare,
    claims,
    model,
    publish_host,
    compare,
