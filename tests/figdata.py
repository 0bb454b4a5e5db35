"""What a figure draws, for the tests that check a plot against its summary.

A figure test that only checks that a PNG was written passes for a figure
that draws nothing.  These helpers let it check the numbers instead:
``capture`` keeps every figure a plot function saves (the figures keep their
artists after ``plt.close``), ``drawn_values`` lists the numbers their axes
draw, and ``assert_drawn`` says which of the summary's values are missing.
``spread_runs`` gives synthetic runs a spread, so that the intervals a test
looks for are not the median itself.

The numbers of all axes of a figure are pooled, x and y alike, so a value
that some other element also draws (a loop count on x, the 1x line, an ideal
line) is found even if its own point is missing; test data with values that
no such element draws makes the check sharper.

Only coordinates in data units are taken: a reference line such as
``axhline(1)`` gives its y (data) but not its x (0 and 1, fractions of the
axes), and ``axvline`` the other way round.  Text (labels, annotations) and
legend entries are not data and are left out.

``texts`` lists the words a figure shows, for the tests of its language, and
``assert_findings_in_both_languages`` holds an experiment's Chinese findings to its
English ones: Chinese text, the same numbers in the same formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle


def capture(monkeypatch) -> list:
    """Spy on ``Figure.savefig``: the returned list gets every saved figure once
    (a plot saves the same figure as PNG and SVG), then the real savefig runs."""
    figures: list = []
    real = Figure.savefig

    def spy(self, *args, **kwargs):
        if not any(f is self for f in figures):
            figures.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return figures


def _data_axes(transform, ax) -> tuple[bool, bool]:
    """Whether x and y of an artist drawn with ``transform`` are data coordinates of ``ax``."""
    try:
        # spelled "seperately" before matplotlib 3.10 (kept there as an alias)
        split = getattr(transform, "contains_branch_separately", None) or transform.contains_branch_seperately
        x, y = split(ax.transData)
        return bool(x), bool(y)
    except (AttributeError, ValueError):  # not a 2D transform: take both
        return True, True


def _points(xy, flags) -> list[np.ndarray]:
    """The x column and the y column of an N x 2 array, those that are in data units."""
    xy = np.ma.filled(np.ma.asarray(xy, dtype=float), np.nan).reshape(-1, 2)
    return [xy[:, k] for k in (0, 1) if flags[k]]


def drawn_values(fig) -> np.ndarray:
    """Every finite number the axes of ``fig`` draw in data units (twin axes included):

    - lines (``ax.lines``, also seaborn lines and error-bar caps): x and y;
    - line and polygon collections (error bars, ``hlines``/``vlines``, ``fill_between``): their vertices;
    - other collections (scatter): their offsets;
    - rectangles (bars, vertical or horizontal; ``axhspan``): x, y, width, height, x + width, y + height;
    - other polygons (``axhspan`` in older matplotlib): their vertices.
    """
    parts: list[np.ndarray] = []
    for ax in fig.axes:
        for line in ax.lines:
            parts += _points(line.get_xydata(), _data_axes(line.get_transform(), ax))
        for coll in ax.collections:
            if isinstance(coll, (LineCollection, PolyCollection)):
                flags = _data_axes(coll.get_transform(), ax)
                for path in coll.get_paths():
                    parts += _points(path.vertices, flags)
            else:
                offsets = coll.get_offsets()
                if len(offsets):
                    parts += _points(offsets, _data_axes(coll.get_offset_transform(), ax))
        for patch in ax.patches:
            fx, fy = _data_axes(patch.get_data_transform(), ax)
            if isinstance(patch, Rectangle):
                x, y, w, h = (float(v) for v in (patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()))
                parts += [
                    np.array(v) for v, keep in ((x, fx), (w, fx), (x + w, fx), (y, fy), (h, fy), (y + h, fy)) if keep
                ]
            elif isinstance(patch, Polygon):
                parts += _points(patch.get_xy(), (fx, fy))
    values = np.concatenate([np.ravel(p) for p in parts]) if parts else np.array([])
    return values[np.isfinite(values)]


def spread_runs(raw, by: str = "variant", step: float = 0.04):
    """Synthetic raw rows with a spread of their own per ``by`` group: repetition ``rep`` of the
    k-th group takes 1 + step x ((rep + k) mod 3) times its seconds.  Where every variant's runs
    are scaled alike, the paired ratios are all equal and a speedup's interval is a point, so a
    figure that drew the interval's ends but not the speedup (or the speedup at the wrong place)
    would still show every expected value; with this spread the ends differ from the median."""
    k = raw.groupby(by, sort=True, observed=True).ngroup()
    return raw.assign(seconds=raw["seconds"] * (1 + step * ((raw["rep"] + k) % 3)))


def _flat(expected) -> np.ndarray:
    """Numbers, arrays, Series, frames, or (nested) iterables of them, as one float array."""
    if hasattr(expected, "to_numpy"):
        return np.ravel(expected.to_numpy(dtype=float))
    if isinstance(expected, (int, float, np.number)):
        return np.array([float(expected)])
    if isinstance(expected, np.ndarray):
        return np.ravel(expected.astype(float))
    if isinstance(expected, Iterable) and not isinstance(expected, (str, bytes)):
        parts = [_flat(e) for e in expected]
        return np.concatenate(parts) if parts else np.array([])
    raise TypeError(f"assert_drawn: cannot read numbers from {expected!r}")


def assert_drawn(figs, expected, rtol: float = 1e-6, what: str = "") -> None:
    """Every finite value of ``expected`` is drawn by one of the captured figures
    (``np.isclose`` with ``rtol``, no absolute tolerance)."""
    about = f" ({what})" if what else ""
    assert len(figs) >= 1, f"no figure was saved{about}"
    want = _flat(expected)
    want = want[np.isfinite(want)]
    assert want.size, f"nothing to look for: the expected values are empty or not finite{about}"
    drawn = np.concatenate([drawn_values(f) for f in figs])
    missing = sorted({float(v) for v in want if not np.isclose(drawn, v, rtol=rtol, atol=0).any()})
    assert not missing, (
        f"{len(missing)} of {len(set(want.tolist()))} expected values are not drawn{about}: "
        f"{missing[:20]}{' ...' if len(missing) > 20 else ''}; the figures draw {drawn.size} "
        f"numbers"
    )


#: Chinese characters and full-width punctuation; numbers as the shared formatters write them.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def texts(figs) -> list[str]:
    """Every text the figures show: titles, axis and tick labels, legend entries, annotations."""
    from matplotlib.text import Text

    return [t.get_text() for f in figs for t in f.findobj(Text) if t.get_text().strip()]


def assert_findings_in_both_languages(present, summary, env: dict) -> list[str]:
    """An experiment's findings in Chinese: as many sentences as in English, each with Chinese
    text and the very numbers of its English twin (same formats); returns the Chinese ones."""
    en, zh = present.findings(summary, env, "en"), present.findings(summary, env, "zh")
    assert en and len(zh) == len(en), (en, zh)
    for e, z in zip(en, zh):
        assert CJK.search(z), f"no Chinese in {z!r}"
        assert sorted(NUMBER.findall(z)) == sorted(NUMBER.findall(e)), f"numbers differ:\n{e}\n{z}"
    return zh


def assert_within(figs, slack_px: float = 1.0) -> None:
    """Every title, label, legend and annotation of each saved figure lies inside the figure: nothing is cut off
    at its edges (savefig keeps the figure's size, so text that runs past an edge is lost)."""
    for fig in figs:
        canvas = FigureCanvasAgg(fig)  # a saved figure may be closed: draw it afresh
        canvas.draw()
        renderer, box = canvas.get_renderer(), fig.bbox
        artists = [*fig.texts, *fig.legends, getattr(fig, "_suptitle", None)]
        for ax in fig.axes:
            artists += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
            artists += [ax.get_legend()]
        for artist in artists:
            if artist is None or not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
                continue
            ext = artist.get_window_extent(renderer)
            inside = (
                ext.x0 >= box.x0 - slack_px
                and ext.x1 <= box.x1 + slack_px
                and ext.y0 >= box.y0 - slack_px
                and ext.y1 <= box.y1 + slack_px
            )
            what = artist.get_text() if hasattr(artist, "get_text") else type(artist).__name__
            assert inside, f"{what!r} runs past the figure's edge: {ext} outside {box}"
