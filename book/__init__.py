"""The book's HTML edition (Sphinx config in conf.py, its code in edition.py) and its JupyterLab config (jupyter/)."""
