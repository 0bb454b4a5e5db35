"""Markdown tables become HTML that the Snakemake report shows inline."""

from mpbench.htmltables import markdown_to_html

MD = """### 读：进程数 4（Pool(processes=4)）

| 循环读取次数（次） | 串行执行耗时（秒） | 提升（倍） |
| --- | --- | --- |
| 1 | 0.06128 † | 0.71 |
| 5 | 0.2792 | **holds** <script> |

每格为 6 次重复的中位数；见 `results/summary/read.csv`。
"""


def test_headings_tables_and_paragraphs():
    page = markdown_to_html(MD, "read")
    assert page.startswith("<!DOCTYPE html>") and "<title>read</title>" in page
    assert "<h3>读：进程数 4（Pool(processes=4)）</h3>" in page
    assert "<th>循环读取次数（次）</th>" in page and page.count("<tr>") == 3
    assert "<td>0.06128 †</td>" in page
    assert "<strong>holds</strong> &lt;script&gt;" in page  # markup kept, anything else escaped
    assert "<p>每格为 6 次重复的中位数；见 <code>results/summary/read.csv</code>。</p>" in page
