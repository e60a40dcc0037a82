"""The book's static HTML edition (`python -m book.build_html`)."""
