"""The parts of the HTML edition that are code: a Sphinx extension loaded by book/conf.py.

- `read_notebook`: how myst-nb reads a chapter for a page without a kernel. Widgets need a
  running kernel, so a slider (or any other widget) becomes a note that says so, with the
  static figure beside it in the chapter (DESIGN.md: widgets enrich, never gate); tqdm's
  progress-bar widgets, which without a kernel show only their first "0%", are dropped; and
  a text stream that redrew itself with carriage returns keeps only what a terminal shows.
- `copy_mathjax`: MathJax 2 from the jupyter-server-mathjax package, copied beside the pages
  (conf.py's mathjax_path points there), so equations are typeset offline.
"""
import html
import re
import shutil
from pathlib import Path

import jupyter_server_mathjax
import nbformat

MATHJAX_SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTE_CLASS = "static-edition-note"
NOTE_STYLE = "border-left:4px solid #888;padding:0.3em 0.8em;color:#444"
WIDGET_NOTE = (
    f'<div class="{NOTE_CLASS}" style="{NOTE_STYLE}">'
    "An interactive widget stands here in the notebook ({what}). Sliders need a running kernel: "
    "open this chapter in JupyterLab and run it to move them; the static figure in the text "
    "shows the same point.</div>")


def is_progress_bar(output, state):
    """Whether a widget output is a tqdm progress bar: an HBox holding a Float/IntProgress, or
    (when the notebook kept no widget state) a text form that reads like one ("  0%|")."""
    model_id = output["data"][WIDGET_VIEW].get("model_id")
    model = state.get(model_id, {})
    children = model.get("state", {}).get("children", [])
    names = {state.get(str(c).removeprefix("IPY_MODEL_"), {}).get("model_name") for c in children}
    if model.get("model_name") == "HBoxModel" and names & {"FloatProgressModel", "IntProgressModel"}:
        return True
    return bool(re.search(r"\d+%\|", output["data"].get("text/plain", "")))


def widget_note(output):
    """The note that stands for a widget: its own plain text when the notebook gave it one
    (rnnlib.plot.show_widget), else a sentence around the start of the widget's repr."""
    text = re.sub(r"\s+", " ", output["data"].get("text/plain", "")).strip()
    if text and not re.match(r"^[A-Z]\w*\(", text):  # not a repr such as "VBox(children=(..."
        return f'<div class="{NOTE_CLASS}" style="{NOTE_STYLE}">{html.escape(text)}</div>'
    return WIDGET_NOTE.format(what=html.escape(text[:90]) or "a widget")


def terminal_text(text):
    """What a terminal shows of text written with carriage returns: each line's last redraw."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def static_notebook(nb):
    """nb as read without a kernel (modified in place and returned)."""
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and "\r" in out.get("text", ""):
                out["text"] = terminal_text(out["text"])
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(out)
                continue
            if is_progress_bar(out, state):
                continue
            outputs.append(nbformat.v4.new_output("display_data", data={"text/html": widget_note(out)}))
        cell.outputs = outputs
    return nb


def read_notebook(text):
    """myst-nb's reader for .ipynb files (conf.py: nb_custom_formats)."""
    return static_notebook(nbformat.reads(text, as_version=4))


def copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        shutil.copytree(MATHJAX_SOURCE, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


ROOT = Path(__file__).resolve().parent.parent
# The README's command is `.venv/bin/sphinx-build -q -b html -c book . _build/html`; the
# tests build with the same arguments, warnings as errors (a missing citation key, a broken
# cross-reference or an unreadable notebook fails them).
SPHINX_ARGS = ["-b", "html", "-c", "book", "."]


def build(out, *extra):
    """Build the edition into `out` in a child process, from the repository root, as the
    README's command does; return the finished process (its stderr holds any warning)."""
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "sphinx", "-q", *extra, *SPHINX_ARGS, str(out)],
                          cwd=ROOT, capture_output=True, text=True)
