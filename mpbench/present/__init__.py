"""The experiments' presentation: raw rows -> summary -> table, figure and findings, one module per
experiment, with the functions docs/adding-an-experiment.md lists. Nothing here runs inside a timed
region, so these modules import pandas, numpy and the plotting libraries freely (docs/development.md)."""
