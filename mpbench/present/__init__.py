"""The experiments' presentation: raw rows -> summary -> table, figure and findings.

``mpbench/present/<name>.py`` is the other half of the experiment
``mpbench/experiments/<name>.py`` (its measurement), with

``summarize(raw, level) -> DataFrame``
    one row per point and variant: median, interval, CV, n, speedup (see
    :func:`mpbench.present.common.summarize_variants`);
``table(summary, language) -> str``, ``plot(summary, cores, out_paths, language)``,
``findings(summary, env, language) -> list[str]``
    the markdown table, the figure and the report's computed sentences, in the
    config's ``language`` (each module keeps its words, ``{"zh": ..., "en": ...}``;
    a figure is drawn in ``plots.figure_language(language)``).

An experiment of several tables or figures (the appendix: tables ``read``
and ``readwrite``, figures ``time`` and ``speedup``) has
``plot(summaries, cores, out_paths, figure=...)``, the summaries by table;
``render(summary, language, cv_threshold, precision) -> str``, where a
module has it, is the whole table file with its own notes.

Nothing here runs inside a timed region, so these modules import pandas,
numpy and the plotting libraries freely; the measurement modules import
only the standard library (and numpy where the workload is numpy).
"""
