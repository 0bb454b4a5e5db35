"""mpbench: measure Python multiprocessing on this machine.

The package holds everything the Snakemake rules run, so that worker
functions handed to a Pool are importable by child processes under every
start method (fork, spawn, forkserver), and so that tests can call each
piece directly.
"""

__version__ = "0.1.0"
