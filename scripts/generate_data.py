"""Snakemake script: write the test file (see mpbench.datagen)."""

import sys

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
    sys.path.insert(0, snakemake.scriptdir + "/..")  # noqa: F821
    import time

    from mpbench.config import MIB
    from mpbench.datagen import write_test_file

    data = snakemake.params.data  # noqa: F821
    t0 = time.perf_counter()
    size = write_test_file(snakemake.output[0], int(data["size_mb"] * MIB), data["lines"], data["seed"])  # noqa: F821
    print(f"wrote {size} bytes, {data['lines']} lines in {time.perf_counter() - t0:.3f} s", file=sys.stderr)
