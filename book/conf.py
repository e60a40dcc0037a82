"""Sphinx configuration of the book's HTML edition (myst-nb and the Jupyter Book theme).

Build it from the repository root (the README's command); it takes seconds and runs nothing:

    .venv/bin/sphinx-build -q -b html -c book . _build/html     # -> _build/html/index.html

The source folder is the repository root, so the chapters are read where they are
(chapters/*.ipynb, committed executed: nb_execution_mode "off"); everything but the table
of contents (book/_toc.yml) is excluded. The edition is fully offline: MathJax 2 is served
from a copy beside the pages (the jupyter-server-mathjax package), the CDN widget manager
and require.js are not loaded, and book/edition.py turns each widget into a note that says
it needs a running kernel (every interactive figure has a static twin in its chapter).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # book.edition: the notebook reader and the offline assets

project = "Recurrent Neural Networks from Scratch"
author = "The authors of Recurrent Neural Networks from Scratch"
copyright = "2026, " + author + " (prose and figures CC BY 4.0, code MIT)"

extensions = ["myst_nb", "sphinx_external_toc", "sphinxcontrib.bibtex", "sphinx_book_theme",
              "book.edition"]

# The table of contents: book/index.md, then every chapter notebook (a glob, so new chapters
# join the sidebar as they land), the exercises and the bibliography. Files not in it are skipped.
root_doc = "book/index"
external_toc_path = "book/_toc.yml"
external_toc_exclude_missing = True
exclude_patterns = [".venv", "_build", ".git", ".ci", "data", "exercises", "tests", "benchmarks",
                    "rnnlib", "models", "README.md", "**.ipynb_checkpoints"]

# Notebooks: never executed here; read through book.edition, which drops progress-bar widgets
# and replaces other widgets by a note (a page has no kernel to move them).
nb_execution_mode = "off"
nb_custom_formats = {".ipynb": "book.edition.read_notebook"}
nb_ipywidgets_js = {}  # no require.js and no widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# One bibliography for the book (book/bibliography.md lists it all).
bibtex_bibfiles = ["references.bib"]  # relative to this folder
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# MathJax 2 from beside the pages (book.edition copies it into _static/mathjax). The package has
# no TeX web fonts, so MathJax is told to use STIX-Web. The classes are the ones myst-parser
# marks its math with, so that only equations are typeset (not dollar signs in code outputs).
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processRefs": False, "processEnvironments": False,
                "processClass": "tex2jax_process|mathjax_process|math|output_area",
                "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None},
}

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "use_download_button": True,   # each chapter's notebook (and the page as PDF via print)
    "use_fullscreen_button": False,
    "show_toc_level": 2,           # the in-page contents on the right
    "home_page_in_toc": True,
    "navigation_with_keys": False,
    "navbar_persistent": [],       # one search box, in the sidebar
}
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = True  # the download button offers the committed .ipynb from _sources/
