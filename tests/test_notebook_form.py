"""Chapters as a reader's JupyterLab saves them: opening an untouched chapter must not mark it
modified, and saving it must leave no git diff (book/notebook_form.py says what JupyterLab
rewrites). And code a reader need not read is collapsed both in JupyterLab (source_hidden)
and in the HTML edition (the hide-input tag), never in one only."""
from pathlib import Path

import nbformat
import pytest

from book import notebook_form

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_committed_in_the_form_jupyterlab_saves(path):
    nb = nbformat.read(path, as_version=4)
    assert notebook_form.text(notebook_form.jupyterlab_form(nb)) == path.read_text(encoding="utf-8"), (
        f"{path.name} would change when a reader opens and saves it in JupyterLab; "
        f"run `.venv/bin/python -m book.notebook_form chapters/{path.name}`")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_hidden_code_is_hidden_in_jupyterlab_and_in_the_edition_alike(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        tagged = "hide-input" in cell.metadata.get("tags", [])
        hidden = bool(cell.metadata.get("jupyter", {}).get("source_hidden"))
        assert tagged == hidden, (f"{path.name} cell {i}: hide-input tag {tagged}, source_hidden {hidden}; "
                                  "set both or neither")


def test_jupyterlab_form_is_what_jupyterlab_writes():
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"},
                                            "widgets": {"state": {"m": {"max": 1200.0, "value": 1.1}}}})
    form = notebook_form.jupyterlab_form(nb)
    assert form.metadata.kernelspec.display_name == "Python 3 (ipykernel)"
    assert form.metadata.widgets["state"]["m"] == {"max": 1200, "value": 1.1}
    assert isinstance(form.metadata.widgets["state"]["m"]["max"], int)
