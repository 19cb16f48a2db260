"""The widgets in a real browser: JupyterLab on 127.0.0.1 driven through headless Chromium.

For every notebook with a widget: open it (it must not be marked modified), run all cells in
fast mode, change each dropdown, slider and checkbox of each widget and click its button, and
check after each change that the widget's output changed; then save, reload the page and check
that every widget still renders. Throughout: no "Error displaying widget", no error output, no
stderr output (TensorFlow's start-up logs are silenced by the package) and no SEVERE message
in the browser console. Screenshots land in ``browser-screenshots/`` (git-ignored).

Runs under ``make test-browser`` (``INPAINTKIT_BROWSER=1``), which ``.ci/run`` calls after
installing Debian's ``chromium`` and ``chromium-driver`` when missing. Nothing is downloaded at
run time: Selenium is pointed at the system's chromedriver and browser.
"""
from __future__ import annotations

import json
import os
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
WIDGET_NOTEBOOKS = ["00_data_and_masks.ipynb", "02_semantic_inpainting.ipynb", "05_refinement_gan.ipynb",
                    "07_your_own_face.ipynb"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REQUESTED = os.environ.get("INPAINTKIT_BROWSER", "").strip().lower() in {"1", "true", "yes"}
RUN_TIMEOUT = 900   # seconds for "run all cells" of one notebook in fast mode
CLICK_TIMEOUT = 300  # seconds for one widget run

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
    for name in WIDGET_NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, work / name)
    settings = base / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Every cell stays in the page, so that an error anywhere can be found in it.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = base / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))  # no pop-up, offline
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
    deadline = time.time() + 120
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
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
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
    page = driver.execute_script("return document.body.textContent")
    for text in ("Error displaying widget", "model not found"):
        if text in page:
            found.append(f"the page shows {text!r}")
    found += [f"console: {entry['message'][:300]}" for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE"]
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
    return _wait(lambda: (s := _state(driver)) and s["kernel"] == "idle" and s, 180, f"{name} to open with an idle kernel")


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


def _exercise_own_face(driver, root, stem) -> int:
    """Notebook 07's studio, used as a learner would: start from a pattern, clear, paint a hole
    with the mouse on the canvas, run inpaint + refine, switch the built-in face. Each step must
    change what the widget shows."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def hole() -> str:
        return next((e.text for e in root.find_elements(By.CSS_SELECTOR, ".widget-label") if "hole" in e.text), "")

    def button(text: str):
        return next(b for b in root.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == text)

    def idle():
        return _state(driver)["kernel"] == "idle"

    driver.execute_script("arguments[0].scrollIntoView()", root)
    Select(root.find_element(By.CSS_SELECTOR, "select")).select_by_index(0)  # (1) random square
    before = hole()
    button("start from pattern").click()
    _wait(lambda: idle() and hole() != before and "0.0%" not in hole(), 60, "a pattern to become the hole")
    button("clear").click()
    _wait(lambda: idle() and hole() == "hole: 0.0% of the face", 60, "clear to empty the hole")
    canvas = root.find_element(By.CSS_SELECTOR, "canvas")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
    chain = ActionChains(driver).move_to_element_with_offset(canvas, -40, -30).click_and_hold()
    for dx in range(-40, 50, 10):
        chain.move_to_element_with_offset(canvas, dx, -30)
    chain.release().perform()
    _wait(lambda: idle() and hole() != "hole: 0.0% of the face", 60, "the mouse to paint a hole")
    painted = hole()
    before = _signature(driver, root)
    button("inpaint + refine").click()
    _wait(lambda: idle() and "MAE" in root.text and "download the refined face" in root.text
          and _signature(driver, root) != before, CLICK_TIMEOUT, "inpaint + refine on the painted hole")
    driver.save_screenshot(str(SCREENSHOTS / f"{stem}-widget.png"))
    slider = next(h for h in root.find_elements(By.CSS_SELECTOR, ".noUi-handle"))  # the built-in face
    before = _signature(driver, root)
    driver.execute_script("arguments[0].focus()", slider)
    from selenium.webdriver.common.keys import Keys

    slider.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: idle() and _signature(driver, root) != before, 120, "another built-in face to be framed")
    assert painted.startswith("hole: ") and painted != "hole: 0.0% of the face"
    return 5


@pytest.mark.parametrize("name", WIDGET_NOTEBOOKS)
def test_widgets_work_in_a_real_browser(lab, browser, name):
    stem = Path(name).stem
    started = time.time()
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

    state = _wait(finished, RUN_TIMEOUT, f"all cells of {name} to run")
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-run.png"))
    assert not (problems := _problems(browser, state)), f"{name} after running all cells:\n" + "\n".join(problems)

    for index, cell in enumerate(state["cells"]):  # a widget cell shows its figure inside the widget only
        if "_explorer(" in cell["source"] or "pattern_picker(" in cell["source"]:
            stale = [o for o in cell["outputs"] if "image/png" in o.get("data", {})]
            assert not stale, f"{name}: code cell {index} draws a figure beside its widget"
    roots = _widget_roots(browser)
    assert roots, f"{name}: no widget with controls rendered"
    exercise = _exercise_own_face if stem.startswith("07_") else _exercise_widget
    changes = sum(exercise(browser, root, stem) for root in roots)
    assert changes >= 2
    assert not (problems := _problems(browser, _state(browser))), f"{name} after using its widgets:\n" + \
        "\n".join(problems)

    # A learner reloads the page: saved outputs reference widget models that must still exist.
    browser.execute_script(_NOTEBOOK + "return window.jupyterapp.commands.execute('docmanager:save');")
    _wait(lambda: not _state(browser)["dirty"], 60, f"{name} to be saved")
    browser.refresh()
    _wait(lambda: (s := _state(browser)) and s["kernel"] == "idle", 180, f"{name} to reopen after a reload")
    _wait(lambda: _widget_roots(browser), 60, "the widgets to render again after the reload")
    time.sleep(3)  # let every saved widget view (progress bars too) try to render
    browser.execute_script("arguments[0].scrollIntoView()", _widget_roots(browser)[-1])
    browser.save_screenshot(str(SCREENSHOTS / f"{stem}-reloaded.png"))
    assert not (problems := _problems(browser, _state(browser))), f"{name} after a reload:\n" + "\n".join(problems)
    print(f"{name}: {changes} widget changes checked in {time.time() - started:.0f} s")
    browser.execute_script(_NOTEBOOK + "return w.sessionContext.shutdown();")  # free the kernel's memory
