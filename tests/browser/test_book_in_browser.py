"""The book as readers meet it: every chapter opened in JupyterLab, in headless Chromium,
run from the menu (Run > Run All Cells), with no error, its figures drawn, and every widget
rendered and responding when moved.

One test per notebook in chapters/, so new chapters are covered as they land. All browser
tests of the JupyterLab book live in this one file: under `pytest -n 2 --dist loadfile` one
worker runs them one after another (one JupyterLab, one kernel at a time) while the other
worker runs the rest of the suite. Running cells never touches the committed notebooks:
JupyterLab serves a temporary copy (see conftest.py).
"""
import re
import time
from pathlib import Path

import nbformat
import pytest

from book import edition

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
OPEN_TIMEOUT = 120   # s: the notebook opens and its kernel starts
RUN_TIMEOUT = 300    # s: Run All Cells on one chapter (each takes 10-40 s alone, training included)
WIDGET_TIMEOUT = 120  # s: a moved widget's figure or text is redrawn

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

NOTEBOOK_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = panel.querySelector('.jp-Toolbar-kernelName');
  const dialog = document.querySelector('.jp-Dialog');
  return {
    status: indicator ? indicator.dataset.status : null,
    kernel: kernel ? kernel.textContent.trim() : '',
    prompts: [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim()),
    dialog: dialog ? dialog.textContent.trim().slice(0, 300) : null,
    dirty: !!document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty'),
  };
}"""

# Error outputs: JupyterLab renders them, like stderr, as application/vnd.jupyter.stderr,
# and tqdm's bars write to stderr too; a traceback is what marks an error.
ERRORS_JS = """(panel) => [...panel.querySelectorAll('.jp-OutputArea-output')]
  .map(o => o.textContent)
  .filter(t => /Traceback \\(most recent call last\\)|Error displaying widget|^\\s*Cell In\\[\\d+\\]/.test(t))
  .map(t => t.slice(0, 2000))"""

IMAGES_JS = """(panel) => [...panel.querySelectorAll('.jp-OutputArea-output img')].map(i => ({
  complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,
  inWidget: !!i.closest('.jupyter-widgets')}))"""

# A cell's widget output, rendered: an output whose child is a widget view (and which is not
# itself inside a widget, as the outputs of an ipywidgets.Output are). A widget that fails
# to render shows its text/plain fallback or "Error displaying widget" instead.
WIDGET_OUTPUTS_JS = """(panel) => [...panel.querySelectorAll('.jp-OutputArea-output')]
  .filter(o => !o.parentElement.closest('.jupyter-widgets'))
  .filter(o => o.querySelector(':scope > .jupyter-widgets'))
  .map(o => ({rendered: !/Error displaying widget|Loading widget/.test(o.textContent),
              text: o.textContent.slice(0, 200)}))"""

# What widgets control: the contents of every ipywidgets.Output in the notebook (figures by
# their image data, printed text by its text), which is where interact/interactive_output
# and observers that write into an Output draw.
CONTROLLED_JS = """(panel) => [...panel.querySelectorAll('.jupyter-widgets.widget-output')].map(o =>
  [...o.querySelectorAll('img')].map(i => i.src).join('|') + '\\n' + o.innerText)"""


def committed_outputs(path):
    """(image outputs outside widgets, widget views other than progress bars) in the committed
    notebook. Training shows its progress as a line of text (rnnlib.train.progress_bar); a
    notebook executed before that change still holds tqdm's widget bars, which are not counted."""
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(edition.WIDGET_STATE, {}).get("state", {})
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = sum(1 for o in outputs if WIDGET_VIEW not in o.get("data", {})
                 and any(k.startswith("image/") for k in o.get("data", {})))
    widgets = sum(1 for o in outputs if WIDGET_VIEW in o.get("data", {}) and not edition.is_progress_bar(o, state))
    return images, widgets


def wait_for(page, predicate, timeout, what, poll=0.5):
    """Poll the notebook's state until predicate(state) holds; fail with the last state."""
    deadline = time.monotonic() + timeout
    while True:
        state = page.evaluate(NOTEBOOK_STATE_JS)
        if state is not None and predicate(state):
            return state
        if state and state["dialog"] and "Select Kernel" in state["dialog"]:
            pytest.fail(f"a kernel-selection dialog appeared while waiting for {what}: {state['dialog']}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last state: {state}")
        time.sleep(poll)


def kernel_ready(state):
    return state["kernel"] not in ("", "No Kernel", "Kernel") and state["status"] == "idle" \
        and not state["dialog"]


def run_finished(state):
    # idle and nothing queued or running ([*]); when a cell fails, JupyterLab stops there and
    # the cells after it keep an empty prompt (the error and unrun-cell checks report that)
    return state["status"] == "idle" and not any("*" in p for p in state["prompts"]) and bool(state["prompts"])


def click_menu(page, menu, item):
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    page.locator(".lm-Menu .lm-Menu-item:visible",
                 has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$"))).first.click()


@pytest.fixture
def page(browser, lab):
    from playwright.sync_api import expect
    expect.set_options(timeout=60_000)  # Playwright's 5 s default is too short for training cells
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    lab.shutdown_kernels()


def controls(panel):
    """(kind, locator) for every widget a reader can move: sliders, dropdowns, checkboxes,
    toggle buttons, text boxes."""
    found = []
    for kind, selector in [("slider", ".jupyter-widgets.widget-slider"),
                           ("dropdown", ".jupyter-widgets.widget-dropdown"),
                           ("checkbox", ".jupyter-widgets.widget-checkbox"),
                           ("toggle buttons", ".widget-toggle-buttons"),
                           ("text", ".jupyter-widgets.widget-text")]:
        loc = panel.locator(selector)
        found += [(kind, loc.nth(i)) for i in range(loc.count())]
    return found


def move(kind, widget):
    """Move one widget the way a reader would; return (description, before, after)."""
    label = next((line.strip(" \u200b") for line in widget.inner_text().split("\n") if line.strip(" \u200b")), "")
    if kind == "slider":
        # keyboard on the focused handle; the readout (or, when hidden, the handle's ARIA value)
        # shows the value. A slider already at its maximum moves left instead.
        handle = widget.locator(".noUi-handle").first
        readout = widget.locator(".widget-readout:visible")
        value = (lambda: readout.first.inner_text()) if readout.count() else \
            (lambda: handle.get_attribute("aria-valuenow"))
        before = value()
        handle.scroll_into_view_if_needed()
        handle.focus()
        for key in ("ArrowRight", "ArrowLeft"):
            handle.press(key)
            handle.press(key)
            if value() != before:
                break
        return label, before, value()
    if kind == "dropdown":
        select = widget.locator("select").first
        before = select.input_value()
        options = select.locator("option").all_inner_texts()
        other = next(o for o in options if o != before)
        select.select_option(label=other)
        return label, before, select.input_value()
    if kind == "text":
        # a reader types a new sentence and presses Enter (continuous_update=False sends it then)
        box = widget.locator("input").first
        before = box.input_value()
        box.fill(before + " indeed")
        box.press("Enter")
        return label, before, box.input_value()
    if kind == "checkbox":
        box = widget.locator("input[type=checkbox]").first
        before = box.is_checked()
        box.click()
        return label, str(before), str(box.is_checked())
    buttons = widget.locator("button")
    before = widget.locator("button.mod-active").first.inner_text()
    other = next(i for i in range(buttons.count()) if buttons.nth(i).inner_text() != before)
    buttons.nth(other).click()
    return label, before, buttons.nth(other).inner_text()


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_runs_in_jupyterlab_with_figures_and_working_widgets(notebook, lab, page):
    committed_images, committed_widgets = committed_outputs(notebook)
    t0 = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/{notebook.name}?reset&token={lab.token}")
    page.locator(PANEL).wait_for(timeout=OPEN_TIMEOUT * 1000)
    wait_for(page, kernel_ready, OPEN_TIMEOUT, "the kernel name and an idle kernel")
    time.sleep(1.0)  # the kernel's metadata reaches the notebook model as the session starts
    opened = page.evaluate(NOTEBOOK_STATE_JS)
    panel = page.locator(PANEL)
    # JupyterLab marks a notebook modified on opening when it would rewrite it (a kernel display
    # name not the installed kernel's): the reader would be asked to save an untouched chapter.
    assert not opened["dirty"], f"{notebook.name}: opening it marked it modified (see book/notebook_form.py)"

    # Start from empty outputs, so everything checked below comes from this run.
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function("""() => !document.querySelector(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')""")
    t_run = time.monotonic()
    click_menu(page, "Run", "Run All Cells")
    state = wait_for(page, lambda s: any("*" in p or re.search(r"\d", p) for p in s["prompts"]),
                     60, "the first cell to start")
    state = wait_for(page, run_finished, RUN_TIMEOUT, "Run All Cells to finish", poll=1.0)
    time.sleep(1.0)  # let the last outputs and widget views render
    state = wait_for(page, run_finished, 30, "the kernel to stay idle")
    run_s = time.monotonic() - t_run

    # No error: none rendered, and none in the notebook JupyterLab saves (error outputs).
    errors = panel.evaluate(ERRORS_JS)
    assert not errors, f"{notebook.name}: error outputs after Run All Cells:\n" + "\n---\n".join(errors)
    click_menu(page, "File", "Save( Notebook)?")
    wait_for(page, lambda s: not s["dirty"], 60, "the notebook to be saved")
    saved = nbformat.read(lab.root / notebook.name, as_version=4)
    # every code cell ran (read from the saved notebook: a cell whose input is collapsed,
    # source_hidden, shows no prompt on the page)
    unrun = [i for i, c in enumerate(c for c in saved.cells if c.cell_type == "code") if c.execution_count is None]
    assert not unrun, f"{notebook.name}: code cells {unrun} did not run (prompts {state['prompts']})"
    saved_errors = [f"{o.ename}: {o.evalue}" for c in saved.cells if c.cell_type == "code"
                    for o in c.get("outputs", []) if o.output_type == "error"]
    assert not saved_errors, f"{notebook.name}: error outputs in the saved notebook: {saved_errors}"

    # Figures: all decoded, as many outside widgets as the committed notebook has.
    page.wait_for_function("""() => [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img')].every(i => i.complete)""")
    images = panel.evaluate(IMAGES_JS)
    broken = [i for i in images if not (i["width"] > 0 and i["height"] > 0)]
    assert not broken, f"{notebook.name}: {len(broken)} of {len(images)} figures did not render: {broken}"
    static = [i for i in images if not i["inWidget"]]
    assert len(static) == committed_images, \
        f"{notebook.name}: {len(static)} figures rendered, the committed notebook has {committed_images}"

    # Widgets: every widget view rendered (sliders, outputs), as many as committed; no progress
    # bar is a widget any more (an untrusted notebook would show its first frame, "0%").
    views = panel.evaluate(WIDGET_OUTPUTS_JS)
    assert all(v["rendered"] for v in views), f"{notebook.name}: widgets not rendered: {views}"
    assert len(views) == committed_widgets, \
        f"{notebook.name}: {len(views)} widget views rendered, the committed notebook has {committed_widgets}"

    # Each control moved changes what it controls (a figure or printed text in an Output).
    moved = []
    for kind, widget in controls(panel):
        before = panel.evaluate(CONTROLLED_JS)
        label, value_before, value_after = move(kind, widget)
        assert value_after != value_before, f"{notebook.name}: {kind} {label!r} did not move ({value_before})"
        deadline = time.monotonic() + WIDGET_TIMEOUT
        while panel.evaluate(CONTROLLED_JS) == before:
            if time.monotonic() > deadline:
                pytest.fail(f"{notebook.name}: moving {kind} {label!r} from {value_before} to {value_after} "
                            f"changed no figure or text in any ipywidgets.Output within {WIDGET_TIMEOUT} s "
                            "(print in an observer goes to the log console, not the notebook: write into "
                            "an ipywidgets.Output)")
            time.sleep(0.5)
        wait_for(page, run_finished, WIDGET_TIMEOUT, f"the kernel after moving {label!r}")
        after = panel.evaluate(CONTROLLED_JS)
        changed = [("figure" if a.split("\n")[0] != b.split("\n")[0] else "text")
                   for a, b in zip(after, before) if a != b] or ["outputs"]
        assert not panel.evaluate(ERRORS_JS), f"{notebook.name}: moving {label!r} raised an error"
        page.wait_for_function("""() => [...document.querySelectorAll(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .widget-output img')].every(i => i.complete && i.naturalWidth > 0)""")
        moved.append(f"{kind} {label!r} {value_before} -> {value_after}: {'/'.join(sorted(set(changed)))} changed")

    print(f"\n[browser] {notebook.stem}: run all {run_s:.1f} s, test {time.monotonic() - t0:.1f} s, "
          f"{len(static)} figures, {len(views)} widget views; " + ("; ".join(moved) or "no movable widgets"))


def test_book_jupyterlab_has_no_course_tools_and_no_news(lab, page):
    """The README's command adds book/jupyter to JupyterLab's config: a reader opening a chapter
    sees no nbgrader (menu, Validate button, assignment panels, warnings about its missing
    config) and no news pop-up over the notebook's corner."""
    notebook = CHAPTERS[0]
    page.goto(f"{lab.url}/lab/tree/{notebook.name}?reset&token={lab.token}")
    page.locator(PANEL).wait_for(timeout=OPEN_TIMEOUT * 1000)
    wait_for(page, kernel_ready, OPEN_TIMEOUT, "the kernel name and an idle kernel")
    time.sleep(3.0)  # the news question, when enabled, appears a moment after start
    menus = page.locator(".lm-MenuBar-item").all_inner_texts()
    assert "File" in menus and not any("nbgrader" in m.lower() for m in menus), menus
    toolbar = page.locator(f"{PANEL} .jp-NotebookPanel-toolbar").inner_text()
    assert "Validate" not in toolbar, f"nbgrader's Validate button is on the notebook toolbar: {toolbar!r}"
    sidebars = page.evaluate("() => [...document.querySelectorAll('.jp-SideBar .lm-TabBar-tab')]"
                             ".map(t => (t.getAttribute('title') || '') + ' ' + t.textContent)")
    assert not any(re.search(r"assignment|nbgrader|course", s, re.I) for s in sidebars), sidebars
    toasts = page.locator(".Toastify__toast").all_inner_texts()
    assert not any("news" in t.lower() for t in toasts), f"a news pop-up: {toasts}"
    log = lab.log.read_text(errors="replace")
    assert "nbgrader" not in log.lower(), "nbgrader's server extensions were loaded:\n" + \
        "\n".join(line for line in log.splitlines() if "nbgrader" in line.lower())
