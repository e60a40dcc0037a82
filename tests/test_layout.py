"""rnnlib's layout is the book's map: the recurrent core at the top, the encoder-decoder in
rnnlib/seq2seq/, one module per application in rnnlib/apps/. Imports run one way, down."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "rnnlib"
MODULES = sorted(p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py"))
MAX_LINES = 280   # about 250: a longer module should be one idea (CONTRIBUTING.md)


def layer(module):
    """0 for the core (rnnlib/*.py), 1 for rnnlib/seq2seq/, 2 for rnnlib/apps/."""
    return {"seq2seq": 1, "apps": 2}.get(module.split("/")[0] if "/" in module else "", 0)


def imported_rnnlib_modules(module):
    """The rnnlib modules or packages `module` (a path under rnnlib/) imports, as dotted names."""
    path = PKG / module
    package = ["rnnlib"] + module.split("/")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "rnnlib"}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            if name.split(".")[0] != "rnnlib":
                continue
            out.add(name)
            if not node.module:          # from . import x, y: each x is a module
                out |= {f"{name}.{a.name}" for a in node.names}
    return out


def layer_of_name(dotted):
    parts = dotted.split(".")
    return {"seq2seq": 1, "apps": 2}.get(parts[1], 0) if len(parts) > 1 else 0


def test_the_import_resolver_sees_relative_and_absolute_imports(tmp_path):
    # The checks below are only as good as this resolver: apps/music.py's imports, by hand.
    assert {"rnnlib.experiments", "rnnlib.utils", "rnnlib.apps.pianoroll"} <= imported_rnnlib_modules("apps/music.py")
    assert "rnnlib.seq2seq" in imported_rnnlib_modules("apps/translation.py")
    assert layer("apps/music.py") == 2 and layer("seq2seq/models.py") == 1 and layer("layers.py") == 0


@pytest.mark.parametrize("module", [m for m in MODULES if not m.endswith("__init__.py")])
def test_imports_run_down(module):
    """The core never imports seq2seq or apps; seq2seq never imports apps."""
    upward = sorted(n for n in imported_rnnlib_modules(module) if layer_of_name(n) > layer(module))
    assert not upward, (f"rnnlib/{module} imports {upward}: a lower layer may not depend on a higher one "
                        "(core < seq2seq < apps); move the shared code down into the core instead")


@pytest.mark.parametrize("module", MODULES)
def test_modules_stay_small(module):
    n = len((PKG / module).read_text().splitlines())
    assert n <= MAX_LINES, f"rnnlib/{module} has {n} lines: split it by job (CONTRIBUTING.md)"


def readme_tree():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The library: `rnnlib`"):]
    block = section[section.index("```") + 3:]
    block = block[: block.index("```")]
    names, folder = set(), ""
    for line in block.splitlines()[1:]:
        m = re.match(r"( *)(\S+)", line)
        if not m or not (m.group(2).endswith(".py") or m.group(2).endswith("/")):
            continue
        indent, name = len(m.group(1)), m.group(2)
        if name.endswith("/"):
            folder = name
        else:
            names.add((folder if indent > 2 else "") + name)
    return names


def test_readme_library_section_mirrors_the_tree():
    # a folder's line stands for its __init__.py
    expected = {m for m in MODULES if not (m.endswith("/__init__.py"))}
    assert readme_tree() == expected, "README's library tree and rnnlib/ differ"


def test_package_map_names_every_module():
    doc = ast.get_docstring(ast.parse((PKG / "__init__.py").read_text()))
    for module in MODULES:
        if module.endswith("__init__.py"):
            continue
        stem = module[:-3].replace("/", ".")
        short = stem.split(".")[-1]
        assert stem in doc or (layer(module) == 0 and re.search(rf"\b{short}\b", doc)) or \
            (layer(module) == 1 and "seq2seq" in doc and short in (PKG / "seq2seq/__init__.py").read_text()), \
            f"rnnlib/__init__.py's map does not name {module}"


def test_top_level_names_the_chapters_use():
    import rnnlib
    for name in ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "fit", "seed_everything", "show",
                 "claim", "book_seed", "default_device", "TBPTTLoss"]:
        assert hasattr(rnnlib, name), name
    # subpackages are imported with rnnlib, so rnnlib.apps.x and rnnlib.seq2seq.y need no import of their own
    assert rnnlib.apps.translation.MODELS_DIR == ROOT / "models"
    assert rnnlib.seq2seq.make_model is rnnlib.seq2seq.models.make_model
