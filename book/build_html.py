"""Build the static HTML edition of the book: one page per chapter plus an index.

    .venv/bin/python -m book.build_html            # -> _build/html/index.html
    .venv/bin/python -m book.build_html --out DIR

The pages are converted from the committed, executed notebooks in chapters/ with
nbconvert's HTML exporter; nothing is re-executed, so the build takes seconds. Figures are
embedded as data URIs, so a page is one self-contained file. Widgets need a live kernel:
each interactive figure is replaced by a note saying so (DESIGN.md: every interactive
figure has a static twin in the chapter), and training progress bars, which are widgets
that only show their initial 0% without a kernel, are dropped. The equations are typeset
by MathJax 2, copied next to the pages from the jupyter-server-mathjax package, so the
edition reads offline too (nbconvert's default loads MathJax from a CDN).
"""
import argparse
import copy
import html
import re
import shutil
from pathlib import Path

import jupyter_server_mathjax
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
OUT = ROOT / "_build" / "html"

# MathJax 2.7 as the jupyter-server-mathjax package ships it: the TeX/MathML config with
# HTML-CSS output and the STIX-Web fonts (the package has no TeX web fonts, so say which to use)
MATHJAX_SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
MATHJAX_FONTS = ('<script>window.MathJax = {"HTML-CSS": {availableFonts: [], webFont: "STIX-Web", '
                 'imageFont: null}};</script>\n')

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTE_CLASS = "static-edition-note"
STATIC_BANNER = (
    f'<div class="{NOTE_CLASS}" style="border:1px solid #bbb;background:#f6f6f6;padding:0.5em 1em;'
    'margin:0.5em 0">This is the static edition of the book: it shows the outputs of the '
    "committed notebook and runs nothing. Sliders and other widgets need a live kernel: open "
    "the chapter in JupyterLab and choose <em>Run &gt; Run All Cells</em> (see the README). "
    'Every interactive figure also has a static twin in the text. <a href="index.html">Contents</a></div>')
WIDGET_NOTE = (
    f'<div class="{NOTE_CLASS}" style="border-left:4px solid #888;padding:0.3em 0.8em;color:#444">'
    "An interactive widget stands here in the notebook ({what}). It needs a live kernel: open "
    "this chapter in JupyterLab and run it to move it. The static figure nearby shows the same "
    "point.</div>")


def chapter_notebooks(chapters=CHAPTERS):
    """The chapter notebooks in reading order (their file names start with the number)."""
    return sorted(Path(chapters).glob("*.ipynb"))


def chapter_title(nb):
    """The text of the notebook's first Markdown heading, without a leading 'Chapter N:'."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#+\s+(.+?)\s*$", cell.source, re.M)
            if m:
                return re.sub(r"^Chapter\s+\d+\s*[:.]\s*", "", m.group(1))
    return None


def _is_progress_bar(model_id, state):
    # tqdm.auto's bar is an HBox whose children include a FloatProgress (or IntProgress)
    model = state.get(model_id, {})
    children = model.get("state", {}).get("children", [])
    names = {state.get(str(c).removeprefix("IPY_MODEL_"), {}).get("model_name") for c in children}
    return model.get("model_name") == "HBoxModel" and bool(names & {"FloatProgressModel", "IntProgressModel"})


def static_notebook(nb):
    """A copy of nb for reading without a kernel: widget outputs become notes, progress bars go."""
    nb = copy.deepcopy(nb)
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
                continue
            text = out["data"].get("text/plain", "")
            if _is_progress_bar(view.get("model_id"), state) or re.search(r"\d+%\|", text):
                continue
            what = html.escape(re.sub(r"\s+", " ", text)[:90]) or "a widget"
            outputs.append(nbformat.v4.new_output(
                "display_data", data={"text/html": WIDGET_NOTE.format(what=what)}))
        cell.outputs = outputs
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(STATIC_BANNER))
    return nb


def _index_page(entries):
    rows = "\n".join(
        f'<li><span class="num">{html.escape(num)}</span> '
        f'<a href="{html.escape(page)}">{html.escape(title)}</a></li>'
        for num, title, page in entries)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Recurrent Neural Networks from Scratch</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}}
ol{{list-style:none;padding:0}} .num{{display:inline-block;width:2.5em;color:#666}}</style>
</head><body>
<h1>Recurrent Neural Networks from Scratch</h1>
<p>The static edition: every chapter as the committed notebook shows it, outputs and figures
included. To run the code and move the sliders, open the notebooks in JupyterLab
(see the README).</p>
<h2>Contents</h2>
<ol class="toc">
{rows}
</ol>
</body></html>
"""


def build(out=OUT, chapters=CHAPTERS):
    """Write one HTML page per chapter notebook and index.html into out; return the pages."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(MATHJAX_SOURCE, out / "mathjax", dirs_exist_ok=True)
    exporter = HTMLExporter(template_name="lab", mathjax_url=MATHJAX_URL)
    entries, pages = [], []
    for path in chapter_notebooks(chapters):
        nb = nbformat.read(path, as_version=4)
        title = chapter_title(nb) or path.stem
        body, _ = exporter.from_notebook_node(static_notebook(nb), resources={"metadata": {"name": title}})
        loader = f'<script src="{MATHJAX_URL}">'
        if loader not in body:
            raise RuntimeError(f"{path.name}: nbconvert's page no longer loads MathJax from {MATHJAX_URL}")
        body = body.replace(loader, MATHJAX_FONTS + loader, 1)
        page = out / (path.stem + ".html")
        page.write_text(body, encoding="utf-8")
        entries.append((path.stem.split("_")[0], title, page.name))
        pages.append(page)
    (out / "index.html").write_text(_index_page(entries), encoding="utf-8")
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    pages = build(args.out)
    print(f"{len(pages)} chapters -> {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
