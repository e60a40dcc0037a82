"""The HTML edition as a reader opens it: built from the committed notebooks into a temporary
folder (book/, the README's command), opened from disk (file://) in headless Chromium with
every other request blocked and recorded (a reader may be offline, and the edition promises
to load nothing from another host). The index leads to every chapter in the sidebar and by
next/previous links; each chapter shows all of its figures, its equations typeset by the
MathJax copied beside the pages, its in-page contents and a download of its notebook; and the
search finds the chapters that speak of vanishing gradients, from disk."""
import html
import re
from pathlib import Path

import nbformat
import pytest

from book import edition

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def image_outputs(path):
    nb = nbformat.read(path, as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if WIDGET_VIEW not in o.get("data", {}) and any(k.startswith("image/") for k in o.get("data", {})))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    done = edition.build(out)
    assert done.returncode == 0, f"the build failed:\n{done.stderr[-4000:]}"
    assert {f"{p.stem}.html" for p in CHAPTERS} <= {p.name for p in (out / "chapters").glob("*.html")}
    return out


class OfflinePage:
    """A Playwright page in which only file: and data: URLs load; every other request is
    aborted and kept in `remote`."""

    def __init__(self, context):
        self.remote = []
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.set_default_timeout(60_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def open(self, path, query=""):
        self.page.goto(path.as_uri() + query, wait_until="load")
        return self.page


@pytest.fixture
def offline(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = OfflinePage(context)
    yield page
    context.close()


def test_index_leads_to_every_chapter_in_order(site, offline):
    page = offline.open(site / "index.html")  # a redirect to the book's home page
    page.wait_for_url(re.compile(r"book/index\.html$"))
    sidebar = page.evaluate("() => [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.href)")
    chapters = [h.rsplit("/", 1)[-1] for h in sidebar if "/chapters/" in h]
    assert chapters == [f"{c.stem}.html" for c in CHAPTERS], f"sidebar: {sidebar}"
    assert any(h.endswith("book/exercises.html") for h in sidebar)
    assert any(h.endswith("book/bibliography.html") for h in sidebar)
    page.locator("a.right-next").first.click()
    page.wait_for_url(re.compile(rf"chapters/{CHAPTERS[0].stem}\.html$"))
    page.locator("a.right-next").first.click()
    page.wait_for_url(re.compile(rf"chapters/{CHAPTERS[1].stem}\.html$"))
    page.locator("a.left-prev").first.click()
    page.wait_for_url(re.compile(rf"chapters/{CHAPTERS[0].stem}\.html$"))
    assert not offline.remote, f"requests left the files: {offline.remote}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_shows_figures_equations_contents_and_download(site, offline, notebook):
    page = offline.open(site / "chapters" / f"{notebook.stem}.html")
    page.wait_for_function("() => [...document.querySelectorAll('.cell_output img')].every(i => i.complete)")
    images = page.evaluate("""() => [...document.querySelectorAll('.cell_output img')]
        .map(i => ({width: i.naturalWidth, height: i.naturalHeight}))""")
    assert len(images) == image_outputs(notebook), \
        f"{notebook.stem}: {len(images)} figures on the page, {image_outputs(notebook)} in the notebook"
    assert all(i["width"] > 0 and i["height"] > 0 for i in images), f"{notebook.stem}: a figure did not decode"

    markdown = "".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown")
    if "$" in markdown:
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                               "&& document.querySelectorAll('.MathJax, .MathJax_Display').length > 0")
        text = page.locator("article").inner_text()
        assert "Math Processing Error" not in text, f"{notebook.stem}: MathJax could not typeset an equation"
        untypeset = page.evaluate("() => [...document.querySelectorAll('span.math.notranslate, div.math.notranslate')]"
                                  ".filter(e => !e.querySelector('.MathJax, .MathJax_Display, script')).length")
        assert untypeset == 0, f"{notebook.stem}: {untypeset} equations left as TeX"

    sections = page.locator("nav#pst-page-toc-nav a")
    assert sections.count() >= 2, f"{notebook.stem}: no in-page contents"
    download = page.evaluate("() => [...document.querySelectorAll('a[href$=\".ipynb\"]')].map(a => a.href)")
    assert any(h.endswith(f"_sources/chapters/{notebook.name}") for h in download), download
    assert not offline.remote, f"{notebook.stem}: requests left the files: {offline.remote}"


def page_text(path):
    body = re.search(r'<article class="bd-article">(.*)</article>', path.read_text(encoding="utf-8"), re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", body)).lower()


def test_search_finds_the_chapters_on_vanishing_gradients(site, offline):
    page = offline.open(site / "book" / "index.html")
    page.locator(".bd-sidebar-primary .search-button-field").first.click()  # the sidebar's search box
    box = page.locator(".bd-search input[name=q]").first
    box.fill("vanishing gradient")
    box.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=vanishing\+gradient"))
    page.wait_for_function("() => /Search finished/.test(document.body.innerText)")
    found = page.evaluate("() => [...document.querySelectorAll('#search-results ul.search li > a')]"
                          ".map(a => a.getAttribute('href'))")
    chapters = {h.split("/")[-1].removesuffix(".html") for h in found if h.startswith("chapters/")}
    # a chapter is found when its text has both words (Sphinx stems 'vanishing' to 'vanish')
    expected = {c.stem for c in CHAPTERS
                if {"vanish", "gradient"} <= set(re.findall(r"vanish|gradient", page_text(site / "chapters" / f"{c.stem}.html")))}
    assert {"03_vanishing_exploding", "04_lstm"} <= expected
    assert chapters == expected, f"search listed {sorted(chapters)}, the chapters with both words are {sorted(expected)}"
    assert not offline.remote, f"requests left the files: {offline.remote}"
