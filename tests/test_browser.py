"""The notebooks in a real browser: JupyterLab on 127.0.0.1 driven through headless Chromium.

For every notebook with a widget: open it (it must not be marked modified), run all cells in
fast mode, change each dropdown, slider and checkbox of each widget and click its button, and
check after each change that the widget's output changed; then save, reload the page and check
that every widget still renders. Notebook 07's studio is used as a class would: it draws after a
reload, survives a double click, a new upload, a re-chosen file and a photo without a face, and
gives the keyboard back after drawing (``test_own_face_studio_in_a_real_browser``). Notebooks
without widgets are run in full too (``test_notebook_runs_clean_in_a_real_browser``).
Throughout: no "Error displaying widget", no error output, no stderr output and no TensorFlow
log line in any output (the package silences them), and no SEVERE message in the browser
console. Screenshots land in ``browser-screenshots/`` (git-ignored).

While working on one notebook: ``-k 07`` (or ``-k studio``, ``-k 05``, ...).

Runs under ``make test-browser`` (``INPAINTKIT_BROWSER=1``), which ``.ci/run`` calls after
installing Debian's ``chromium`` and ``chromium-driver`` when missing. Nothing is downloaded at
run time: Selenium is pointed at the system's chromedriver and browser.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "browser-screenshots"
WIDGET_NOTEBOOKS = ["00_data_and_masks.ipynb", "02_semantic_inpainting.ipynb", "05_refinement_gan.ipynb"]
STUDIO_NOTEBOOK = "07_your_own_face.ipynb"
RUN_ONLY_NOTEBOOKS = ["01_train_dcgan.ipynb", "03_poisson_blending.ipynb", "04_shortcomings.ipynb",
                      "06_evaluation.ipynb"]
# TensorFlow's and absl's log lines (as tests/test_quiet.py): none may reach a learner's output.
TF_LOG = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog|cuInit|oneDNN|cuda|tensorflow/", re.MULTILINE)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REQUESTED = os.environ.get("INPAINTKIT_BROWSER", "").strip().lower() in {"1", "true", "yes"}
# Seconds for "run all cells" of one notebook in fast mode (a busy machine may need more).
RUN_TIMEOUT = int(os.environ.get("INPAINTKIT_BROWSER_TIMEOUT", "1800"))
CLICK_TIMEOUT = 300  # seconds for one widget run
UI_TIMEOUT = 120     # seconds for the kernel to answer a stroke, a button or an upload
KERNEL_TIMEOUT = 600  # seconds for a kernel to start (a busy machine is slow)

try:
    import selenium  # noqa: F401
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

_MISSING = [name for name, ok in (("chromium", CHROMIUM), ("chromedriver (Debian: chromium-driver)", CHROMEDRIVER),
                                  ("selenium (pip install -e '.[test]')", HAVE_SELENIUM)) if not ok]
if not REQUESTED:
    pytestmark = pytest.mark.skip(reason="the real-browser test runs under `make test-browser`"
                                  + (f"; missing here: {', '.join(_MISSING)} (`.ci/run` installs chromium "
                                     "and chromium-driver with apt-get)" if _MISSING else ""))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of the notebooks (autosave must not touch the committed ones)."""
    if _MISSING:
        pytest.fail(f"`make test-browser` needs {', '.join(_MISSING)}: apt-get install chromium chromium-driver")
    base = tmp_path_factory.mktemp("lab")
    work = base / "notebooks"
    work.mkdir()
    for name in WIDGET_NOTEBOOKS + [STUDIO_NOTEBOOK] + RUN_ONLY_NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, work / name)
    # what the notebooks read beside them (../results/eval, ../figures/gallery.json, …); none writes there
    for folder in ("results", "experiments", "figures"):
        (base / folder).symlink_to(ROOT / folder, target_is_directory=True)
    settings = base / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Every cell stays in the page, so that an error anywhere can be found in it.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = base / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))  # no pop-up, offline
    documents = base / "settings" / "@jupyterlab" / "docmanager-extension"
    documents.mkdir(parents=True)
    # Saved only when a test saves (Ctrl+S is checked by whether it saves).
    (documents / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    port, token = _free_port(), uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    env.update(INPAINTKIT_FAST="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = open(base / "lab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={base / 'settings'}",
         f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI containers run as root
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600  # a busy machine starts JupyterLab slowly
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start: {(base / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield {"url": url, "token": token, "dir": work}
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(RUN_TIMEOUT)
    SCREENSHOTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def kernel_stopped(browser):
    """After each test, stop its notebook's kernel (its memory, and its CPU if the test failed mid-run)."""
    yield
    try:
        browser.execute_script(_NOTEBOOK + "return w && w.sessionContext && w.sessionContext.shutdown();")
    except Exception as error:  # the test's own failure is the one to report
        print(f"could not shut the kernel down: {error}")


# ----------------------------------------------------------------------------- helpers run in the page
_NOTEBOOK = "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"

_STATE = _NOTEBOOK + """
if (!w || !w.context || !w.context.isReady || !w.content || !w.sessionContext) return null;
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
const cells = w.content.widgets.filter(c => c.model.type === 'code').map(c => ({
    count: c.model.executionCount, outputs: c.model.outputs.toJSON(), source: c.model.sharedModel.getSource()}));
return {dirty: w.context.model.dirty, kernel: kernel ? kernel.status : null, cells: cells};
"""


def _wait(predicate, timeout: float, what: str, interval: float = 0.5):
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except StaleElementReferenceException:  # the widget redrew what the predicate was reading
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _state(driver):
    return driver.execute_script(_STATE)


def _problems(driver, state) -> list[str]:
    """Error outputs, stderr outputs, widget errors in the page, SEVERE console messages."""
    found = []
    for index, cell in enumerate(state["cells"]):
        for output in cell["outputs"]:
            if output.get("output_type") == "error":
                found.append(f"code cell {index}: {output['ename']}: {output['evalue']}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"code cell {index} wrote to stderr: {''.join(output['text'])[:300]!r}")
            if output.get("output_type") == "stream" and (line := TF_LOG.search("".join(output["text"]))):
                found.append(f"code cell {index} shows a TensorFlow log line: {line.string[line.start():][:200]!r}")
    page = driver.execute_script("return document.body.textContent")
    for text in ("Error displaying widget", "model not found"):
        if text in page:
            found.append(f"the page shows {text!r}")
    # Leaving a notebook with unsaved outputs (autosave is off) makes Chrome block JupyterLab's
    # "leave page?" panel and log it: the previous page's goodbye, not a problem of this notebook.
    found += [f"console: {entry['message'][:300]}" for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and "beforeunload" not in entry["message"]]
    return found


def _what_changed(driver, path: Path) -> str:
    """Where JupyterLab's model of an opened notebook differs from the file (for the message)."""
    model = driver.execute_script(_NOTEBOOK + "return w.context.model.toJSON();")
    saved = json.loads(path.read_text())
    found = [f"{key}: {saved.get(key)!r} -> {model.get(key)!r}" for key in ("nbformat", "nbformat_minor", "metadata")
             if saved.get(key) != model.get(key)]
    for cell in model["cells"]:
        cell.get("metadata", {}).pop("trusted", None)  # JupyterLab's session-only flag, never saved
    for index, (a, b) in enumerate(zip(saved["cells"], model["cells"])):
        found += [f"cell {index} {key}: {a.get(key)!r} -> {b.get(key)!r}" for key in sorted(set(a) | set(b))
                  if a.get(key) != b.get(key) and not (key == "source" and "".join(a[key]) == "".join(b[key]))]
    return "; ".join(found[:8]) or "no difference in the JSON"


def _only_python_version(driver, path: Path) -> bool:
    model = driver.execute_script(_NOTEBOOK + "return w.context.model.toJSON();")["metadata"]
    saved = json.loads(path.read_text())["metadata"]
    model.get("language_info", {}).pop("version", None)
    saved.get("language_info", {}).pop("version", None)
    return model == saved


def _open(driver, lab, name: str):
    driver.get(f"{lab['url']}/lab/tree/{name}?token={lab['token']}&reset")
    return _wait(lambda: (s := _state(driver)) and s["kernel"] == "idle" and s, KERNEL_TIMEOUT,
                 f"{name} to open with an idle kernel")


def _widget_roots(driver):
    """The top-level widget boxes that hold controls (tqdm bars are widgets too, without controls)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-vbox'))
            .filter(b => !b.parentElement.closest('.widget-vbox'))
            .filter(b => b.querySelector('select, .noUi-handle, button, input[type=checkbox]'));""")


def _signature(driver, root) -> str:
    return driver.execute_script("""
        const r = arguments[0];
        const images = Array.from(r.querySelectorAll('img')).map(i => i.src.length + ':' + i.src.slice(-80));
        return r.innerText + '|' + images.join(',');""", root)


def _run_button(root):
    from selenium.webdriver.common.by import By

    buttons = root.find_elements(By.CSS_SELECTOR, "button.jupyter-button")
    return buttons[0] if buttons else None


def _settle(driver, root, before: str, what: str):
    """Click the widget's button (if it has one), wait for the kernel, and require a change."""
    button = _run_button(root)
    if button is not None:
        button.click()
        _wait(lambda: button.get_attribute("disabled") is not None or _state(driver)["kernel"] == "busy",
              30, f"the run started by clicking after {what}", interval=0.1)
    _wait(lambda: _state(driver)["kernel"] == "idle" and (button is None or button.get_attribute("disabled") is None)
          and _signature(driver, root) != before, CLICK_TIMEOUT, f"the widget's output to change after {what}")


def _exercise_widget(driver, root, stem: str) -> int:
    """Change every control of one widget; returns the number of changes checked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    changes = 0
    driver.execute_script("arguments[0].scrollIntoView()", root)
    for index, element in enumerate(root.find_elements(By.CSS_SELECTOR, "select")):
        menu = Select(element)
        current = menu.first_selected_option.get_attribute("value")
        other = next(o for o in menu.options if o.get_attribute("value") != current)
        before = _signature(driver, root)
        menu.select_by_value(other.get_attribute("value"))
        _settle(driver, root, before, f"choosing {other.text!r} in dropdown {index}")
        changes += 1
    for index, handle in enumerate(root.find_elements(By.CSS_SELECTOR, ".noUi-handle")):
        before = _signature(driver, root)
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        driver.execute_script("arguments[0].focus()", handle)
        handle.send_keys(Keys.ARROW_LEFT if at_max else Keys.ARROW_RIGHT)
        _settle(driver, root, before, f"moving slider {index}")
        changes += 1
    for index, box in enumerate(root.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")):
        before = _signature(driver, root)
        box.click()
        _settle(driver, root, before, f"clicking checkbox {index}")
        changes += 1
    driver.execute_script("arguments[0].scrollIntoView()", root)
    driver.save_screenshot(str(SCREENSHOTS / f"{stem}-widget.png"))
    return changes


def _run_all(browser, lab, name: str) -> dict:
    """Open a notebook (it must not be marked modified), run all its cells, and require a clean run."""
    stem = Path(name).stem
    state = _open(browser, lab, name)
    if state["dirty"]:
        changed = _what_changed(browser, lab["dir"] / name)
        # The committed metadata names the Python of the machine the notebooks were saved on; on a
        # machine with another patch version JupyterLab records its own, which nothing can prevent.
        assert changed.startswith("metadata:") and changed.count("->") == 1 and _only_python_version(browser, lab["dir"] / name), \
            f"{name} is marked modified on open: {changed}"
    browser.execute_script(_NOTEBOOK + "window.jupyterapp.commands.execute('notebook:run-all-cells');")

    def finished():
        s = _state(browser)
        errors = [o for c in s["cells"] for o in c["outputs"] if o.get("output_type") == "error"]
        return s if errors or (s["kernel"] == "idle" and all(c["count"] for c in s["cells"])) else None

    try:
        state = _wait(finished, RUN_TIMEOUT, f"all cells of {name} to run")
    except AssertionError as timeout:
        cells = _state(browser)["cells"]
        waiting = next((i for i, c in enumerate(cells) if not c["count"]), None)
        browser.save_screenshot(str(SCREENSHOTS / f"{stem}-timeout.png"))
        raise AssertionError(f"{timeout}; code cell {waiting} had not finished "
                             "(INPAINTKIT_BROWSER_TIMEOUT sets the seconds)") from None
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-run.png"))
    assert not (problems := _problems(browser, state)), f"{name} after running all cells:\n" + "\n".join(problems)
    return state


def _save_and_reload(browser, name: str) -> None:
    browser.execute_script(_NOTEBOOK + "return window.jupyterapp.commands.execute('docmanager:save');")
    _wait(lambda: not _state(browser)["dirty"], 60, f"{name} to be saved")
    browser.refresh()
    _wait(lambda: (s := _state(browser)) and s["kernel"] == "idle", KERNEL_TIMEOUT,
          f"{name} to reopen after a reload")
    _wait(lambda: _widget_roots(browser), 60, "the widgets to render again after the reload")


@pytest.mark.parametrize("name", WIDGET_NOTEBOOKS)
def test_widgets_work_in_a_real_browser(lab, browser, name):
    stem = Path(name).stem
    started = time.time()
    state = _run_all(browser, lab, name)
    for index, cell in enumerate(state["cells"]):  # a widget cell shows its figure inside the widget only
        if "_explorer(" in cell["source"] or "pattern_picker(" in cell["source"]:
            stale = [o for o in cell["outputs"] if "image/png" in o.get("data", {})]
            assert not stale, f"{name}: code cell {index} draws a figure beside its widget"
    roots = _widget_roots(browser)
    assert roots, f"{name}: no widget with controls rendered"
    changes = sum(_exercise_widget(browser, root, stem) for root in roots)
    assert changes >= 2
    assert not (problems := _problems(browser, _state(browser))), f"{name} after using its widgets:\n" + \
        "\n".join(problems)

    # A learner reloads the page: saved outputs reference widget models that must still exist.
    _save_and_reload(browser, name)
    time.sleep(3)  # let every saved widget view (progress bars too) try to render
    browser.execute_script("arguments[0].scrollIntoView()", _widget_roots(browser)[-1])
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-reloaded.png"))
    assert not (problems := _problems(browser, _state(browser))), f"{name} after a reload:\n" + "\n".join(problems)
    print(f"{name}: {changes} widget changes checked in {time.time() - started:.0f} s")


@pytest.mark.parametrize("name", RUN_ONLY_NOTEBOOKS)
def test_notebook_runs_clean_in_a_real_browser(lab, browser, name):
    """Issue 38, item 9: run in full in the fast budget, no stderr and no TensorFlow log line anywhere."""
    started = time.time()
    state = _run_all(browser, lab, name)
    assert state["cells"] and all(c["count"] for c in state["cells"])
    print(f"{name}: {len(state['cells'])} code cells ran clean in {time.time() - started:.0f} s")


# ----------------------------------------------------------------------------- notebook 07's studio
_KERNEL = _NOTEBOOK + """
const done = arguments[arguments.length - 1];
const future = w.sessionContext.session.kernel.requestExecute(
    {code: arguments[0], silent: false, store_history: false});
let text = '';
future.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text;
                          if (msg.header.msg_type === 'error') text += 'ERROR ' + msg.content.evalue; };
future.done.then(() => done(text), error => done('ERROR ' + error));
"""

# The studio the notebook built last (the value of its cell, kept in IPython's Out).
_LAST_STUDIO = "[o for o in Out.values() if hasattr(o, 'handlers') and 'client_ready' in o.handlers][-1]"

# Choosing a file: the widget's hidden <input type=file> is given the file as a browser would.
_UPLOAD = """
const [button, encoded, name, type] = arguments;
const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
const file = new File([bytes], name, {type: type, lastModified: 1700000000000});  // the same file: same date
const click = HTMLInputElement.prototype.click;
HTMLInputElement.prototype.click = function () {
    if (this.type !== 'file') return click.call(this);
    HTMLInputElement.prototype.click = click;
    this.value = '';  // as the widget's own click handler does
    const transfer = new DataTransfer();
    transfer.items.add(file);
    this.files = transfer.files;
    this.dispatchEvent(new Event('change'));
};
button.click();
"""

_PIXEL = """
const canvas = arguments[0];
return Array.from(canvas.getContext('2d').getImageData(arguments[1], arguments[2], 1, 1).data);
"""


class _StudioPage:
    """Notebook 07's studio as a learner sees it in the page."""

    def __init__(self, driver):
        self.driver = driver

    @property
    def root(self):
        from selenium.webdriver.common.by import By

        roots = [r for r in _widget_roots(self.driver) if r.find_elements(By.CSS_SELECTOR, ".widget-upload")]
        assert roots, "the studio is not in the page"
        return roots[-1]

    def idle(self) -> bool:
        return _state(self.driver)["kernel"] == "idle"

    def kernel(self, code: str) -> str:
        return self.driver.execute_async_script(_KERNEL, code)

    def runs(self) -> int:
        text = self.kernel(f"print({_LAST_STUDIO}.state['runs'])")
        assert text.strip().isdigit(), f"could not read the studio's runs: {text!r}"
        return int(text)

    def button(self, text: str):
        from selenium.webdriver.common.by import By

        return next(b for b in self.root.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == text)

    def hole(self) -> str:
        from selenium.webdriver.common.by import By

        return next((e.text for e in self.root.find_elements(By.CSS_SELECTOR, ".widget-label")
                     if e.text.startswith(("hole:", "no face"))), "")

    def _mu_slider(self):
        return self.driver.execute_script("""
            return Array.from(arguments[0].querySelectorAll('.widget-slider'))
                .find(s => s.querySelector('.widget-label').textContent.trim() === 'µ');""", self.root)

    def mu(self) -> str:
        from selenium.webdriver.common.by import By

        return self._mu_slider().find_element(By.CSS_SELECTOR, ".widget-readout").text.strip()

    def mu_handle(self):
        from selenium.webdriver.common.by import By

        return self._mu_slider().find_element(By.CSS_SELECTOR, ".noUi-handle")

    def note(self) -> str:
        from selenium.webdriver.common.by import By

        return next((e.text for e in self.root.find_elements(By.CSS_SELECTOR, ".widget-html") if "µ =" in e.text), "")

    def links(self) -> dict[str, bytes]:
        """The download links: file name → the PNG bytes it downloads."""
        from selenium.webdriver.common.by import By

        found = {}
        for link in self.root.find_elements(By.CSS_SELECTOR, "a[download]"):
            href = link.get_attribute("href")
            assert href.startswith("data:image/png;base64,"), href[:40]
            assert link.text == link.get_attribute("download"), "a link's text names its file"
            found[link.get_attribute("download")] = base64.b64decode(href.split(",", 1)[1])
        return found

    def canvas(self):
        from selenium.webdriver.common.by import By

        return self.root.find_element(By.CSS_SELECTOR, "canvas")

    def pixel(self, x: int, y: int) -> list[int]:
        return self.driver.execute_script(_PIXEL, self.canvas(), x, y)

    def stroke(self, points) -> None:
        """Press, drag through ``points`` (offsets from the canvas centre, in screen pixels), release."""
        from selenium.webdriver.common.action_chains import ActionChains

        canvas = self.canvas()
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
        (x, y), rest = points[0], points[1:]
        chain = ActionChains(self.driver).move_to_element_with_offset(canvas, x, y).click_and_hold()
        for x, y in rest:
            chain.move_to_element_with_offset(canvas, x, y)
        chain.release().perform()

    def choose(self, pattern_index: int) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        Select(self.root.find_element(By.CSS_SELECTOR, "select")).select_by_index(pattern_index)

    def upload(self, content: bytes, name: str, kind: str) -> None:
        from selenium.webdriver.common.by import By

        button = self.root.find_element(By.CSS_SELECTOR, ".widget-upload")
        self.driver.execute_script(_UPLOAD, button, base64.b64encode(content).decode(), name, kind)

    def focused(self) -> str:
        return self.driver.execute_script("const a = document.activeElement; return a ? a.tagName : '';")

    def shot(self, stem: str, what: str) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", self.canvas())
        self.driver.save_screenshot(str(SCREENSHOTS / f"{stem}-{what}.png"))


def _png(content: bytes):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB")).astype(int)


def _photos():
    """A public-domain portrait that is not built-in face 0, and a photo without a face (a ramp)."""
    import numpy as np
    from PIL import Image

    from inpaintkit import data, faces

    entry = data._portraits()[3]
    portrait = (data.PORTRAITS_DIR / entry["file"]).read_bytes()
    ramp = np.linspace(0, 255, 160)
    wall = np.stack([np.add.outer(ramp, ramp) / 2, np.tile(ramp, (160, 1)), np.tile(ramp[:, None], (1, 160))], -1)
    buffer = io.BytesIO()
    Image.fromarray(wall.astype(np.uint8)).save(buffer, "PNG")
    assert not faces.detect_faces(wall.astype(np.uint8)), "the face-less photo must have no face"
    return (entry["file"], portrait), ("wall.png", buffer.getvalue())


def _is_red(pixel) -> bool:
    r, g, b, alpha = pixel
    return alpha == 255 and r > g + 60 and r > b + 60


@pytest.mark.parametrize("name", [STUDIO_NOTEBOOK])
def test_own_face_studio_in_a_real_browser(lab, browser, name):
    """Notebook 07's studio used as a class would (issue 39, part 4)."""
    import numpy as np
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from inpaintkit import data, faces, masks

    stem, started = Path(name).stem, time.time()
    (portrait_name, portrait), (wall_name, wall) = _photos()
    state = _run_all(browser, lab, name)
    studio_cell, = [c for c in state["cells"] if "own_face_studio(" in c["source"]]
    assert not [o for o in studio_cell["outputs"] if "image/png" in o.get("data", {})], \
        "a figure is drawn under the studio"
    page = _StudioPage(browser)
    first_face = f"built-in-portrait-{data._portraits()[0]['id']}"

    # It opens as the text says: built-in face 0, the centred square as the hole, its result shown.
    assert page.hole() == "hole: 25.0% of the face"
    assert _is_red(page.pixel(128, 128)) and not _is_red(page.pixel(20, 20)), "the canvas shows the face and hole"
    assert "MAE" in page.root.text and set(page.links()) == {f"{first_face}_refined.png", f"{first_face}_inpainted.png"}
    assert page.mu() == "0.66" and "until you move the slider" in page.note()
    page.shot(stem, "opened")

    # µ follows the hole by the stated rule...
    page.choose(2)  # (3) stripes: the paper's µ is 0.2
    page.button("start from pattern").click()
    _wait(lambda: page.idle() and page.mu() == "0.20", UI_TIMEOUT, "µ to follow pattern (3) to 0.20")
    assert "pattern (3)" in page.note()
    page.button("clear").click()
    _wait(lambda: page.idle() and page.hole() == "hole: 0.0% of the face", UI_TIMEOUT, "clear to empty the hole")
    assert page.mu() == "0.20", "µ changed with no hole to follow"
    page.stroke([(-40, -30), (-20, -30), (0, -30)])
    _wait(lambda: page.idle() and page.hole() != "hole: 0.0% of the face", UI_TIMEOUT, "the mouse to paint a hole")
    _wait(lambda: page.mu() == "0.66" and "drawn hole" in page.note(), UI_TIMEOUT,
          "µ to follow the drawn hole to 0.66")

    # ...and the keyboard works after drawing: Ctrl+S saves the notebook.
    _wait(lambda: page.focused() != "CANVAS", UI_TIMEOUT, "the canvas to give the keyboard back after a stroke")
    assert _state(browser)["dirty"]
    ActionChains(browser).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
    _wait(lambda: not _state(browser)["dirty"], UI_TIMEOUT, "Ctrl+S after drawing to save the notebook")

    # The learner's µ stays through later strokes.
    handle = page.mu_handle()
    browser.execute_script("arguments[0].focus()", handle)
    handle.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: page.idle() and page.mu() == "0.67" and "yours" in page.note(), UI_TIMEOUT, "the learner's µ 0.67")
    page.stroke([(30, 30), (50, 40)])
    _wait(lambda: page.idle(), UI_TIMEOUT, "the second stroke")
    time.sleep(1)
    assert page.mu() == "0.67", "a stroke changed the learner's µ"
    painted = page.hole()

    # A double click runs once, and the links name what they hold. The two clicks are sent before
    # the kernel can answer the first (as over a slow network): the second waits in its queue.
    runs = page.runs()
    browser.execute_script("arguments[0].click(); arguments[0].click();", page.button("inpaint + refine"))
    _wait(lambda: not page.links(), UI_TIMEOUT, "the run to start by putting the last result away")
    _wait(lambda: page.idle() and "MAE" in page.root.text and page.links(), CLICK_TIMEOUT,
          "inpaint + refine after a double click")
    time.sleep(2)
    assert page.runs() == runs + 1, "a double click ran the pipeline twice"
    links = page.links()
    assert set(links) == {f"{first_face}_refined.png", f"{first_face}_inpainted.png"}
    refined, inpainted = _png(links[f"{first_face}_refined.png"]), _png(links[f"{first_face}_inpainted.png"])
    assert refined.shape == inpainted.shape == (64, 64, 3) and not np.array_equal(refined, inpainted)
    assert page.hole() == painted
    page.shot(stem, "result")

    # A new photo: the last result and its links go at once; the same file chosen again is read again.
    expected = faces.frame_photo(portrait, name=portrait_name)
    for attempt in range(2):
        page.upload(portrait, portrait_name, "image/jpeg")
        _wait(lambda: page.idle() and portrait_name in page.root.text and not page.links()
              and "MAE" not in page.root.text, UI_TIMEOUT,
              f"the uploaded photo to replace the face and its result (upload {attempt + 1})")
        if attempt == 0:  # leave a result to be cleared by the second choice of the same file
            page.choose(4)  # (5) the centred square
            page.button("start from pattern").click()
            _wait(lambda: page.idle() and page.hole() == "hole: 25.0% of the face", UI_TIMEOUT, "the centred square")
            page.button("inpaint + refine").click()
            _wait(lambda: page.idle() and page.links() and "running" not in page.root.text, CLICK_TIMEOUT,
                  "inpaint + refine on the uploaded face")
            upload_stem = portrait_name.rsplit(".", 1)[0]
            links = page.links()
            assert set(links) == {f"{upload_stem}_refined.png", f"{upload_stem}_inpainted.png"}
            known = masks.make_mask(5)
            face = data.to_uint8(expected.face).astype(int)
            for file_name, content in links.items():  # each file is this face, with the hole filled
                assert np.abs(_png(content)[known] - face[known]).max() <= 1, f"{file_name} is not the uploaded face"
            page.shot(stem, "upload-result")
    assert _is_red(page.pixel(128, 128)) and page.pixel(20, 20)[:3] != [200, 200, 200]

    # A photo without a face: refused, and the previous face is not inpainted again.
    page.upload(wall, wall_name, "image/png")
    _wait(lambda: page.idle() and f"no face found in {wall_name}" in page.root.text, UI_TIMEOUT,
          "the face-less photo refused")
    assert not page.links() and "MAE" not in page.root.text and page.hole() == "no face"
    assert page.pixel(128, 128)[:3] == [200, 200, 200], "the canvas still shows the previous face"
    runs = page.runs()
    page.button("inpaint + refine").click()
    _wait(lambda: page.idle() and "cannot inpaint: no face yet" in page.root.text, UI_TIMEOUT,
          "a run without a face refused")
    assert not page.links() and page.runs() == runs
    page.shot(stem, "faceless")

    # Back to a built-in face, then a reload: the canvas draws the face and the hole again.
    slider = next(h for h in page.root.find_elements("css selector", ".noUi-handle"))
    browser.execute_script("arguments[0].focus()", slider)
    slider.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: page.idle() and page.hole() == "hole: 25.0% of the face", UI_TIMEOUT, "built-in face 1")
    assert not _problems(browser, _state(browser))
    _save_and_reload(browser, name)
    page = _StudioPage(browser)
    _wait(lambda: _is_red(page.pixel(128, 128)) and page.pixel(20, 20)[3] == 255, UI_TIMEOUT,
          "the canvas to show the face and its hole after the reload")
    page.shot(stem, "reloaded")
    before = page.hole()
    page.stroke([(-100, 90), (-60, 90)])
    _wait(lambda: page.idle() and page.hole() != before, UI_TIMEOUT, "a stroke after the reload to change the hole")
    _wait(lambda: _is_red(page.pixel(48, 218)), UI_TIMEOUT, "the stroke to be drawn on the canvas after the reload")
    page.shot(stem, "reloaded-stroke")
    assert not (problems := _problems(browser, _state(browser))), "after drawing on the reloaded page:\n" + \
        "\n".join(problems)

    # Shift+Enter after drawing runs the active cell (the studio's own, which builds it again).
    _wait(lambda: page.focused() != "CANVAS", UI_TIMEOUT, "the canvas to give the keyboard back after a stroke")
    count = max(c["count"] or 0 for c in _state(browser)["cells"])
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    _wait(lambda: page.idle() and max(c["count"] or 0 for c in _state(browser)["cells"]) > count, RUN_TIMEOUT,
          "Shift+Enter after drawing to run a cell")
    assert not (problems := _problems(browser, _state(browser))), "after Shift+Enter:\n" + "\n".join(problems)
    print(f"{name}: the studio checked in {time.time() - started:.0f} s")
