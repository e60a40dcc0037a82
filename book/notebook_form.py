"""Chapters in the form JupyterLab saves them, so that opening one leaves it unmodified.

A reader's JupyterLab rewrites a notebook when its kernelspec's display name is not the
installed kernel's ("Python 3" becomes "Python 3 (ipykernel)"), which marks the notebook
modified as soon as it opens; and any save passes the notebook through JavaScript's JSON,
which writes a float with an integral value as an integer (a widget's "max": 2.0 becomes 2).
`nbconvert --execute` writes neither form, so after executing a chapter run

    .venv/bin/python -m book.notebook_form chapters/05_gru.ipynb

(tests/test_notebook_form.py checks every chapter and names this command when one differs).
"""
import sys

import nbformat
from jupyter_client.kernelspec import get_kernel_spec


def _integral_floats_as_ints(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    return value


def jupyterlab_form(nb):
    """nb as JupyterLab would save it: the kernel's display name, no integral floats."""
    nb = nbformat.from_dict(_integral_floats_as_ints(nb))
    spec = nb.metadata.get("kernelspec")
    if spec:
        spec["display_name"] = get_kernel_spec(spec["name"]).display_name
    return nb


def text(nb):
    """The file's text (nbformat.write's layout: sorted keys, indent 1, a final newline)."""
    s = nbformat.writes(nb)
    return s if s.endswith("\n") else s + "\n"


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        with open(path, encoding="utf-8") as f:
            before = f.read()
        after = text(jupyterlab_form(nb))
        if after != before:
            with open(path, "w", encoding="utf-8") as f:
                f.write(after)
            print(f"{path}: rewritten in JupyterLab's form")


if __name__ == "__main__":
    main(sys.argv[1:])
