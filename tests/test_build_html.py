"""The HTML edition (Sphinx with myst-nb and the Jupyter Book theme, configured in book/):
built from the committed notebooks without running them, in seconds; one page per chapter
with every chapter in the navigation; fully offline (MathJax beside the pages, no script or
style sheet from any other host); widgets replaced by notes; a search index; the exercises
page and the bibliography. What a reader sees in a browser is tests/browser/test_html_edition.py."""
import re
import time
from pathlib import Path

import nbformat
import pytest

from book import edition

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
ASSIGNMENTS = sorted(p for p in (ROOT / "exercises" / "release").glob("*/*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    t0 = time.monotonic()
    done = edition.build(out, "-W", "--keep-going")
    seconds = time.monotonic() - t0
    assert done.returncode == 0, f"the build failed or warned:\n{done.stderr[-4000:]}"
    print(f"\n[book] built in {seconds:.1f} s")
    return out


def page(site, name):
    return (site / name).read_text(encoding="utf-8")


def test_the_edition_never_executes_a_notebook():
    import runpy
    conf = runpy.run_path(str(ROOT / "book" / "conf.py"))
    assert conf["nb_execution_mode"] == "off", "the edition shows the committed outputs; it must not re-run chapters"


def test_readme_shows_the_build_command():
    command = "sphinx-build -q " + " ".join(edition.SPHINX_ARGS) + " _build/html"
    assert command in (ROOT / "README.md").read_text(), f"README does not show {command!r}"


def test_every_chapter_has_a_page_in_the_navigation_in_order(site):
    assert page(site, "index.html").strip().startswith('<meta http-equiv="Refresh"')
    home = page(site, "book/index.html")
    linked = re.findall(r'href="\.\./chapters/([^"#]+)\.html"', home)
    assert list(dict.fromkeys(linked)) == [c.stem for c in CHAPTERS]
    for chapter in CHAPTERS:
        text = page(site, f"chapters/{chapter.stem}.html")
        title = next(c.source for c in nbformat.read(chapter, as_version=4).cells if c.cell_type == "markdown")
        heading = re.match(r"#\s+(.+)", title).group(1)
        assert f"<title>{heading}" in text.replace("&#8212;", "—").replace("&amp;", "&") or heading[:20] in text


def test_pages_load_nothing_from_another_host(site):
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert not remote, f"{path.relative_to(site)} loads {remote}"
    assert (site / "_static" / "mathjax" / "MathJax.js").is_file()
    chapter = page(site, "chapters/03_vanishing_exploding.html")
    assert 'src="../_static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"' in chapter
    assert "require.min.js" not in chapter and "html-manager" not in chapter


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_widgets_become_notes_and_progress_bars_go(site, chapter):
    nb = nbformat.read(chapter, as_version=4)
    state = nb.metadata.get("widgets", {}).get(edition.WIDGET_STATE, {}).get("state", {})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    interactive = [o for o in outputs if not edition.is_progress_bar(o, state)]
    text = page(site, f"chapters/{chapter.stem}.html")
    assert WIDGET_VIEW not in text, "a widget view was left for a widget manager the page does not load"
    assert text.count(f'class="{edition.NOTE_CLASS}"') == len(interactive)
    assert not re.search(r"\b0%\|", text), "a progress bar's first frame is on the page"


def test_the_download_button_offers_each_chapters_notebook(site):
    for chapter in CHAPTERS:
        text = page(site, f"chapters/{chapter.stem}.html")
        assert f"_sources/chapters/{chapter.name}" in text
        assert (site / "_sources" / "chapters" / chapter.name).read_bytes() == chapter.read_bytes()


def test_search_index_covers_the_chapters(site):
    index = page(site, "searchindex.js")
    assert all(f'"chapters/{c.stem}"' in index for c in CHAPTERS)
    assert '"vanish"' in index


def test_exercises_page_links_every_student_notebook(site):
    text = page(site, "book/exercises.html")
    assert ASSIGNMENTS, "no released assignments found"
    for notebook in ASSIGNMENTS:
        links = re.findall(rf'href="(\.\./_downloads/[0-9a-f]+/{re.escape(notebook.name)})"', text)
        assert links, f"the exercises page does not link {notebook.relative_to(ROOT)}"
        assert (site / "book" / links[0]).resolve().read_bytes() == notebook.read_bytes()


def test_bibliography_lists_every_entry_of_references_bib(site):
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    assert len(keys) == len(set(keys)), "a key appears twice in references.bib"
    text = page(site, "book/bibliography.html")
    entries = re.findall(r'<div class="citation" id="([^"]+)"', text) or re.findall(r'<dt class="label" id="([^"]+)"', text)
    assert len(entries) == len(keys), f"{len(entries)} entries on the bibliography page, {len(keys)} in references.bib"


def test_reader_drops_progress_bars_keeps_the_last_redraw_and_notes_widgets():
    bar = {"output_type": "display_data", "metadata": {},
           "data": {WIDGET_VIEW: {"model_id": "a", "version_major": 2, "version_minor": 0},
                    "text/plain": "  0%|          | 0/1200 [00:00<?, ?it/s]"}}
    slider = {"output_type": "display_data", "metadata": {},
              "data": {WIDGET_VIEW: {"model_id": "b", "version_major": 2, "version_minor": 0},
                       "text/plain": "VBox(children=(FloatSlider(value=1.1),))"}}
    told = {"output_type": "display_data", "metadata": {},  # rnnlib.plot.show_widget's form
            "data": {WIDGET_VIEW: {"model_id": "c", "version_major": 2, "version_minor": 0},
                     "text/plain": "[A slider for rho: run the chapter to move it.]"}}
    stream = {"output_type": "stream", "name": "stderr", "text": "a:  10%|#\ra: 100%|##########| 10/10\n"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x", outputs=[nbformat.from_dict(o) for o in (bar, slider, told, stream)])])
    out = edition.read_notebook(nbformat.writes(nb)).cells[0].outputs
    assert len(out) == 3
    assert edition.NOTE_CLASS in out[0].data["text/html"] and "FloatSlider" in out[0].data["text/html"]
    assert "needs a running kernel" in out[0].data["text/html"] or "need a running kernel" in out[0].data["text/html"]
    assert out[1].data["text/html"].endswith(">[A slider for rho: run the chapter to move it.]</div>")
    assert out[2].text == "a: 100%|##########| 10/10\n"


def bib_entries():
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return [(re.search(r"author\s*=\s*\{(.*?)\},?\n", e, re.S), re.search(r"year\s*=\s*\{(\d{4})\}", e))
            for e in re.split(r"\n(?=@)", text) if e.startswith("@")]


def plain(text):
    """Lower-case ASCII without BibTeX's braces and accent commands: {\\"u} -> u, ë -> e."""
    import unicodedata
    text = re.sub(r"\\.|[{}\"]", "", text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_every_paper_a_chapter_lists_is_in_references_bib(chapter):
    """Each item of a chapter's "Papers" (or "Sources") list whose first author and year can be
    read ("S. Hochreiter and J. Schmidhuber (1997) ...") has an entry by that author in that year."""
    entries = [(plain(a.group(1)), y.group(1)) for a, y in bib_entries() if a and y]
    items = []
    for cell in nbformat.read(chapter, as_version=4).cells:
        section = re.search(r"^## (?:Papers|Sources)[^\n]*\n(.*?)(?=^## |\Z)", cell.source, re.M | re.S)
        if cell.cell_type == "markdown" and section:
            items += [i.strip() for i in re.split(r"\n- ", "\n" + section.group(1)) if i.strip()]
    missing = []
    for item in items:
        first = re.match(r"(?:[A-Z]\.(?:-[A-Z]\.)?\s?)+([A-Z][\w'\-]+)", item)
        year = re.search(r"\b(1[89]\d\d|20\d\d)\b", item)
        if first and year and not any(plain(first.group(1)) in a and y == year.group(1) for a, y in entries):
            missing.append(f"{first.group(1)} {year.group(1)}: {item[:70]}")
    assert not missing, f"{chapter.name} lists papers that book/references.bib lacks: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_code_tagged_hide_input_is_collapsed_on_the_page(site, chapter):
    nb = nbformat.read(chapter, as_version=4)
    tagged = sum("hide-input" in c.metadata.get("tags", []) for c in nb.cells)
    text = page(site, f"chapters/{chapter.stem}.html")
    collapsed = re.findall(r'<div class="cell tag_hide-input[^"]*">\s*<details class="[^"]*\bhide above-input">', text)
    assert len(collapsed) == tagged, f"{len(collapsed)} collapsed code cells on the page, {tagged} tagged hide-input"
