"""`language` beyond the tables: the figures' words, the font they need, and the report's note without one.

The findings of each experiment are held to their English twins in its own
tests (figdata.assert_findings_in_both_languages).
"""

from __future__ import annotations

import pytest
from figdata import CJK, capture, texts
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from test_plots import summaries
from test_report import CONFIG, ENV

from mpbench import plots
from mpbench.present.common import WORDS, pick


@pytest.fixture
def no_cjk_font(monkeypatch):
    """matplotlib knows no font with Chinese glyphs, and no package brings one."""
    western = [f for f in font_manager.fontManager.ttflist if f.name not in plots.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", western)
    monkeypatch.setattr(plots, "packaged_fonts", lambda: [])


def _speedup_texts(monkeypatch, tmp_path, language: str) -> list[str]:
    figs = capture(monkeypatch)
    plots.plot_speedup(
        summaries(workers=(1, 4)), 2, [tmp_path / f"{language}.png", tmp_path / f"{language}.svg"], language
    )
    return texts(figs)


def test_without_a_cjk_font_zh_figures_are_english_and_the_report_says_why(no_cjk_font, monkeypatch, tmp_path):
    assert plots.cjk_font() is None
    assert plots.figure_language("zh") == "en" and plots.figure_language("en") == "en"
    words = _speedup_texts(monkeypatch, tmp_path, "zh")
    assert "loops (file operations per run)" in words and not any(CJK.search(w) for w in words)
    assert plots.font_note("en") == ""
    note = plots.font_note("zh")
    assert "no font with Chinese glyphs" in note and "fonts-noto-cjk" in note

    import pandas as pd

    from mpbench.report import render

    raw = pd.DataFrame({"started_at": [1.0], "ended_at": [2.0], "host": ["box"]})
    data = summaries()
    for language, has_note in (("zh", True), ("en", False)):
        text = render(
            {**CONFIG, "language": language},
            ENV,
            {"read": "", "readwrite": ""},
            data,
            raw,
            {"time": "t.png", "speedup": "s.png"},
        )
        assert (f"> **Note:** {note}" in text) is has_note


def test_a_cjk_font_is_found_and_draws_every_chinese_character(monkeypatch, tmp_path):
    """The pinned font package (requirements.txt) brings a font with Chinese glyphs: the zh
    figure's titles, axes and legend are Chinese, and the font has a glyph for each character."""
    font = plots.cjk_font()
    assert font in plots.CJK_FAMILIES, "no font with Chinese glyphs: pip install -r requirements.txt"
    assert plots.figure_language("zh") == "zh" and plots.font_note("zh") == ""
    zh, en = _speedup_texts(monkeypatch, tmp_path, "zh"), _speedup_texts(monkeypatch, tmp_path, "en")
    assert "loops（每次运行的文件操作次数）" in zh and "loops (file operations per run)" in en
    assert not any(CJK.search(w) for w in en)
    chars = {c for w in zh for c in w if CJK.search(c)}
    assert chars
    path = font_manager.findfont(font_manager.FontProperties(family=font), fallback_to_default=False)
    missing = [c for c in sorted(chars) if FT2Font(path).get_char_index(ord(c)) == 0]
    assert not missing, f"{font} ({path}) has no glyph for {''.join(missing)}"


def test_the_shared_words_map_every_verdict_in_both_languages():
    assert WORDS["zh"].keys() == WORDS["en"].keys()
    assert [WORDS["zh"][k] for k in ("holds", "does not hold", "inconclusive")] == ["成立", "不成立", "无法判定"]
    assert pick({"zh": "中", "en": "en"}, "zh") == "中" and pick({"zh": "中", "en": "en"}, "fr") == "en"


def test_the_appendix_findings_in_chinese_keep_the_numbers():
    from figdata import NUMBER
    from test_report import summary

    from mpbench.report import speedup_sentence

    (en,), (zh,) = (speedup_sentence(summary(1.8, 2.2), "read", 2, 0.95, language=lang) for lang in ("en", "zh"))
    assert CJK.search(zh) and "加速比 **2.00×**" in zh
    assert sorted(NUMBER.findall(zh)) == sorted(NUMBER.findall(en))
