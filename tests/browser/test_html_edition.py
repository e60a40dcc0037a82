"""The static HTML edition as a reader opens it: built from the committed notebooks into a
temporary folder, opened from disk (file://) in headless Chromium with every network request
blocked (a reader may be offline); the index links to every chapter, and each chapter page
shows all of its figures, embedded in the page, and its equations typeset by the MathJax
copied beside the pages."""
from pathlib import Path

import nbformat
import pytest

from book import build_html

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def image_outputs(path):
    nb = nbformat.read(path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if WIDGET_VIEW not in o.get("data", {}) and any(k.startswith("image/") for k in o.get("data", {})))


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    pages = build_html.build(out)
    assert {p.stem for p in CHAPTERS} <= {p.stem for p in pages}
    return out


@pytest.fixture
def offline_page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    # Only the files themselves: CDN scripts (MathJax, require.js) fail as they would offline.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                  else route.abort())
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_index_links_to_every_chapter(edition, offline_page):
    offline_page.goto((edition / "index.html").as_uri())
    links = offline_page.locator(".toc a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # every chapter page built (the fixture checks that every chapter got one), in order
    assert hrefs == sorted(p.name for p in edition.glob("*.html") if p.name != "index.html")
    titles = links.all_inner_texts()
    assert all(t.strip() for t in titles), f"a chapter without a title in the index: {titles}"
    links.first.click()
    offline_page.wait_for_load_state()
    assert offline_page.url.endswith(CHAPTERS[0].stem + ".html")


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_embeds_its_figures(edition, offline_page, notebook):
    offline_page.goto((edition / (notebook.stem + ".html")).as_uri(), wait_until="load")
    images = offline_page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-output img')]
        .map(i => ({embedded: i.src.startsWith('data:image/'), width: i.naturalWidth, height: i.naturalHeight}))""")
    assert len(images) == image_outputs(notebook), \
        f"{notebook.stem}: {len(images)} figures on the page, {image_outputs(notebook)} in the notebook"
    assert all(i["embedded"] for i in images), f"{notebook.stem}: a figure is not embedded as a data URI"
    assert all(i["width"] > 0 and i["height"] > 0 for i in images), f"{notebook.stem}: a figure did not decode"
    assert offline_page.locator(".static-edition-note").first.is_visible()


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_typesets_its_equations_offline(edition, offline_page, notebook):
    markdown = "".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown")
    if "$" not in markdown:
        pytest.skip(f"{notebook.stem} has no equations")
    offline_page.goto((edition / (notebook.stem + ".html")).as_uri(), wait_until="load")
    offline_page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                                   "&& document.querySelectorAll('.MathJax, .MathJax_Display').length > 0")
    text = offline_page.locator("body").inner_text()
    assert "Math Processing Error" not in text, f"{notebook.stem}: MathJax could not typeset an equation"
    assert "$$" not in text, f"{notebook.stem}: a display equation was left as raw TeX"
