"""The static HTML edition: one page per chapter and an index that links them all."""
import re
from pathlib import Path

from book import build_html

ROOT = Path(__file__).resolve().parent.parent


def test_build_writes_one_page_per_chapter_and_an_index(tmp_path):
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    pages = build_html.build(tmp_path)
    assert sorted(p.name for p in pages) == [c.stem + ".html" for c in chapters]
    assert sorted(p.name for p in tmp_path.glob("*.html")) == sorted(["index.html"] + [p.name for p in pages])
    index = (tmp_path / "index.html").read_text()
    assert re.findall(r'href="([^"]+)"', index) == [c.stem + ".html" for c in chapters]
    for page in pages:
        text = page.read_text()
        assert "static-edition-note" in text
        assert "application/vnd.jupyter.widget-view+json" not in text, f"{page.name}: a widget left for a kernel"
        assert f'src="{build_html.MATHJAX_URL}"' in text, f"{page.name}: MathJax is not loaded from beside the page"
        assert "ajax/libs/mathjax" not in text, f"{page.name}: MathJax still loaded from a CDN"
    assert (tmp_path / "mathjax" / "MathJax.js").is_file()


def test_chapter_title_is_the_first_heading_without_its_number():
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_markdown_cell("# Chapter 3: Vanishing gradients\n\ntext")])
    assert build_html.chapter_title(nb) == "Vanishing gradients"
