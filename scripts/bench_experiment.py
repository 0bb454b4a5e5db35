"""Snakemake script: time one point of one experiment.

Guarded: under spawn and forkserver every child imports the main module.
"""

import sys

if __name__ == "__main__":
    import time

    STARTED = time.monotonic()
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import logging

    from mpbench import experiments
    from mpbench.output import write_rows_atomic

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    sm = snakemake  # noqa: F821
    from mpbench import timing

    # Spawned workers must not re-run this script's Snakemake preamble (see timing.children_skip_main).
    timing.children_skip_main()

    # A hanging worker fails the job after this long instead of blocking it for ever
    # (read from the config, not a param, so changing it re-measures nothing).
    timing.set_run_timeout(sm.config["run_timeout_s"])
    # The table the point is filed under names its experiment (the appendix's read and readwrite).
    table = sm.wildcards.experiment
    name = experiments.TABLES[table]
    module = experiments.get(name)
    section = experiments.section(name, sm.config)
    point = experiments.find_point(name, section, sm.wildcards.point, table)
    # A hanging point fails with a message naming it: "read loops=4 workers=2" (the table, then the
    # point's fields but the one that names the table).
    split = experiments.spec(name).split
    name_of_split = split.name if split else None
    timing.point_deadline(
        sm.config["point_timeout_s"], " ".join([table, *(f"{k}={v}" for k, v in point.items() if k != name_of_split)])
    )
    # Under forkserver (Linux's default from Python 3.14) every child would
    # otherwise import the module of its task inside the timed Pool start-up;
    # the server imports the worker functions (mpbench.tasks, and the
    # experiment's own for those that keep theirs) once instead.
    import multiprocessing

    multiprocessing.set_forkserver_preload(["mpbench.tasks", module.__name__])
    # Every experiment's Pools and Processes start the way config's
    # start_method says (the seed's fork by default), whatever this Python's
    # default is; each row records it and it is part of the row's hash (runner.finish_rows).
    multiprocessing.set_start_method(sm.params.start_method, force=True)
    extra = {"data_file": sm.input.data} if "data" in sm.input.keys() else {}
    if experiments.spec(name).file_conditions:
        extra["base"] = dict(sm.params.base)
    # Repeat until precise, within this point's share of budget_minutes (a
    # resource, not a param: a new budget re-measures nothing), and past it with
    # time that points which finished early left (mpbench.credit).
    from mpbench.credit import Credit
    from mpbench.precision import policy_for

    policy = policy_for(
        sm.config,
        section,
        time_cap_s=sm.resources.time_cap_s,
        started=STARTED,
        credit=Credit(f"{table}/{sm.wildcards.point}"),
    )
    try:
        rows = module.run(
            point, section, repeats=policy, warmup=sm.params.warmup, scratch_dir=sm.params.scratch_dir, **extra
        )
    except Exception as err:
        # One line where the run is watched (Snakemake's own message only names the log): what failed at which
        # point; the traceback follows in the log.
        what = str(err) if isinstance(err, timing.PointError) else f"{type(err).__name__}: {err}"
        line = what.strip().splitlines()[0] if what.strip() else type(err).__name__
        print(f"mpbench: {table} {sm.wildcards.point}: {line} (traceback: {sm.log[0]})", file=sys.__stderr__)
        raise
    policy.leave_rest(time.monotonic() - STARTED)
    write_rows_atomic(rows, sm.output[0])
