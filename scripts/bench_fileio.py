"""Snakemake script: time one (experiment, loops, workers) point of the file experiments.

The top level is guarded: under the spawn and forkserver start methods every
Pool worker imports the main module, and an unguarded script would re-run
itself in each of them.
"""

import sys

if __name__ == "__main__":
    import time

    STARTED = time.monotonic()
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import logging
    import multiprocessing

    from mpbench.output import write_rows_atomic
    from mpbench.precision import policy_for
    from mpbench.runner import RAW_COLUMNS, run_point

    # Under forkserver the server imports the workloads once, not every child.
    multiprocessing.set_forkserver_preload(["mpbench.workloads"])
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    sm = snakemake  # noqa: F821
    from mpbench import timing

    # Spawned workers must not re-run this script's Snakemake preamble (see timing.children_skip_main).
    timing.children_skip_main()

    # A hanging worker fails the job after this long instead of blocking it for ever
    # (read from the config, not a param, so changing it re-measures nothing).
    timing.set_run_timeout(sm.config["run_timeout_s"])
    timing.point_deadline(
        sm.config["point_timeout_s"],
        f"{sm.wildcards.operation} loops={sm.wildcards.loops} workers={sm.wildcards.workers}",
    )
    # Repeat until precise, within this point's share of budget_minutes (a
    # resource, not a param: a new budget re-measures nothing), and past it with
    # time that points which finished early left (mpbench.credit).
    from mpbench.credit import Credit

    policy = policy_for(
        sm.config,
        time_cap_s=sm.resources.time_cap_s,
        started=STARTED,
        credit=Credit(f"{sm.wildcards.operation}/loops{sm.wildcards.loops}_workers{sm.wildcards.workers}"),
    )
    rows = run_point(
        sm.wildcards.operation,
        int(sm.wildcards.loops),
        int(sm.wildcards.workers),
        src=sm.input.data,
        scratch_dir=sm.params.scratch_dir,
        repeats=policy,
        warmup=sm.params.warmup,
        data=sm.params.data,
        **sm.params.condition,
    )
    policy.leave_rest(time.monotonic() - STARTED)
    write_rows_atomic(rows, sm.output[0], RAW_COLUMNS)
