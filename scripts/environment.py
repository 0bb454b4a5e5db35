"""Snakemake script: capture the machine's facts into results/environment.json."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json

    from mpbench.environment import capture
    from mpbench.output import write_text_atomic

    sm = snakemake  # noqa: F821
    env = capture(dict(sm.params.paths), sm.params.project_dir, dict(sm.params.config))
    # The machine's noise floor, measured at the start of the run.
    with open(sm.input.calibration, encoding="utf-8") as fh:
        env["calibration"] = json.load(fh)
    write_text_atomic(sm.output[0], json.dumps(env, indent=2) + "\n")
