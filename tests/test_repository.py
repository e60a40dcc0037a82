"""The repository promises: the README's test command is what CI runs, torch is pinned."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ci_command():
    lines = [l for l in (ROOT / ".ci/run").read_text().splitlines()
             if l.strip() and not l.startswith("#") and "python3 -m venv" in l]
    assert len(lines) == 1, f".ci/run should hold exactly one set-up-and-test line, found {lines}"
    return lines[0].strip()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert ci_command() in readme, f"README does not contain CI's command: {ci_command()}"


def test_ci_command_runs_pytest_on_a_fresh_venv():
    cmd = ci_command()
    assert "pip install -r requirements.txt" in cmd and "pytest" in cmd
    assert "rm -rf .venv" in (ROOT / ".ci/run").read_text()


def test_torch_is_pinned_to_the_local_cpu_build():
    req = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", req, re.M), "requirements.txt must pin torch==2.13.0"


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-e"):
            assert "==" in line, f"unpinned requirement: {line}"


def readme_chapter_links():
    return re.findall(r"\]\((chapters/[^)]+\.ipynb)\)", (ROOT / "README.md").read_text())


def test_readme_table_of_contents_links_every_chapter():
    linked = set(readme_chapter_links())
    notebooks = {f"chapters/{p.name}" for p in (ROOT / "chapters").glob("*.ipynb")}
    assert notebooks - linked == set(), f"chapters missing from the README's table: {sorted(notebooks - linked)}"
    assert linked - notebooks == set(), f"README links to chapters that do not exist: {sorted(linked - notebooks)}"


def test_chapters_find_files_through_rnnlib_not_relative_paths():
    # the browser tests serve a copy of chapters/ alone, and readers may move a notebook
    import json
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert "../" not in code, f"{path.name} reaches outside chapters/ with a relative path"


def test_ci_runs_the_chapters_again_under_avx2_and_another_seed():
    """The second pass: the claims must hold as a typical AVX2 laptop computes them, with another seed."""
    text = (ROOT / ".ci/run").read_text().replace("\\\n", " ")
    lines = [l for l in text.splitlines() if "pytest chapters" in l and not l.lstrip().startswith("#")]
    assert len(lines) == 1, f".ci/run should run the chapters a second time, found {lines}"
    second = lines[0]
    for setting in ("ATEN_CPU_CAPABILITY=avx2", "DNNL_MAX_CPU_ISA=AVX2", "MKL_ENABLE_INSTRUCTIONS=AVX2"):
        assert setting in second, f"the second pass lacks {setting}"
    seed = re.search(r"RNNLIB_SEED=(\d+)", second)
    assert seed and int(seed.group(1)) != 0, "the second pass must use a seed other than the committed 0"
    assert " ".join(second.split()) in " ".join((ROOT / "README.md").read_text().split()), \
        "README does not show the second pass"


def test_citation_file_names_the_book_and_its_version():
    import tomllib
    import yaml
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert citation.get(key), f"CITATION.cff lacks {key}"
    assert citation["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert "Recurrent Neural Networks from Scratch" in (ROOT / "README.md").read_text().splitlines()[0]
    assert citation["title"] == "Recurrent Neural Networks from Scratch"


def test_readme_opens_the_book_with_its_jupyterlab_config():
    # the config the browser tests start JupyterLab with (tests/browser/conftest.py: BOOK_CONFIG)
    readme = (ROOT / "README.md").read_text()
    assert "JUPYTER_CONFIG_PATH=book/jupyter .venv/bin/jupyter lab chapters/" in readme
    assert (ROOT / "book" / "jupyter" / "labconfig" / "page_config.json").is_file()
