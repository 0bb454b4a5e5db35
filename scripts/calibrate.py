"""Snakemake script: the machine's noise floor and unit costs -> results/calibration.json.

Guarded: under spawn and forkserver every child imports the main module.
"""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import json
    from pathlib import Path

    from mpbench.calibrate import measure
    from mpbench.environment import hostname
    from mpbench.output import write_text_atomic
    from mpbench.timing import children_skip_main

    children_skip_main()  # spawned workers must not re-run this script's Snakemake preamble

    sm = snakemake  # noqa: F821
    Path(sm.params.scratch_dir).mkdir(parents=True, exist_ok=True)
    result = {
        "host": hostname(),
        **measure(sm.params.scratch_dir, sm.params.size_bytes, sm.params.start_method, workers=sm.params.workers),
    }
    for f in result["floor"]:
        print(f"floor {f['operation']} {f['median']:.4f} s: CV {f['cv']:.2%} over {f['n']} runs", file=sys.stderr)
    write_text_atomic(sm.output[0], json.dumps(result, indent=2) + "\n")
