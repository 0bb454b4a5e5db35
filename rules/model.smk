# The cost model of a Pool run (docs/model.md): fitted on the run's own raw rows (mpbench.model.FIT_TABLES),
# checked on the held-out Pool cells (HELD_OUT_TABLES), never on the rows it was fitted on.


rule model:
    input:
        raw=lambda wc: model_inputs("raw"),
        summaries=lambda wc: model_inputs("summary"),
        environment="results/environment.json",
    output:
        model="results/model.json",
        predictions="results/summary/model_predictions.csv",
        table="results/tables/model.md",
        png=report(
            "results/figures/model_predicted_vs_measured.png",
            caption="../report/model.rst",
            category="Cost model",
        ),
        svg="results/figures/model_predicted_vs_measured.svg",
    log:
        "results/logs/model.log",
    conda:
        "../envs/mpbench.yaml"
    params:
        language=config["language"],
    script:
        "../scripts/model.py"
