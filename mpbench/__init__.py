"""mpbench: measure Python multiprocessing on this machine; everything the Snakemake rules run (why a
package: docs/development.md, "Layout")."""

__version__ = "0.1.0"
