"""Examples of your own workload for the custom experiment (docs/experiments/custom.md)."""
