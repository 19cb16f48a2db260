"""Open notebook 07 in JupyterLab (headless Chromium), run all cells, check that the studio
widget renders (an ipycanvas canvas, no "Error displaying widget") and that a mouse drag on the
canvas paints a hole (the "hole: …%" label changes). Screenshots go to /tmp/labcheck/.

Not part of `make test`: needs selenium, /usr/bin/chromium and /usr/bin/chromedriver. The
notebook is copied to /tmp/labcheck/root so JupyterLab's autosave never touches the repository.

    python scripts/check_widget_in_lab.py
"""
import os, shutil, subprocess, sys, time, json, urllib.request
from pathlib import Path
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

root = str(Path(__file__).resolve().parents[1])
Path("/tmp/labcheck/root").mkdir(parents=True, exist_ok=True)
shutil.copy(Path(root) / "notebooks" / "07_your_own_face.ipynb", "/tmp/labcheck/root/")
env = dict(os.environ, PYTHONPATH=root, INPAINTKIT_FAST="1", INPAINTKIT_CACHE="/tmp/cache-lab", TF_CPP_MIN_LOG_LEVEL="2")
env.pop("INPAINTKIT_DATA", None)
port = 8899
ok = False
lab = subprocess.Popen([str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
                        "--ServerApp.root_dir=/tmp/labcheck/root", "--LabApp.news_url=None", "--allow-root"],
                       env=env, stdout=open("/tmp/labcheck/lab.log", "w"), stderr=subprocess.STDOUT)
try:
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2); break
        except Exception:
            time.sleep(1)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000"):
        options.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.get(f"http://127.0.0.1:{port}/lab/tree/07_your_own_face.ipynb")
    time.sleep(15)
    # Run all cells from the Run menu.
    from selenium.webdriver.common.action_chains import ActionChains
    menus = [m for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if m.text.strip() == "Run"]
    menus[0].click(); time.sleep(1)
    items = [i for i in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item") if i.text.strip().startswith("Run All Cells")]
    print("menu items:", len(items))
    items[0].click()
    deadline = time.time() + 600
    canvases = []
    while time.time() < deadline:
        time.sleep(10)
        canvases = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea canvas")
        errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']") if "Error" in e.text]
        uploads = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea input[type=file]")
        busy = driver.execute_script("return document.querySelectorAll('.jp-InputPrompt').length && Array.from(document.querySelectorAll('.jp-InputPrompt')).some(e => e.textContent.includes('*'))")
        if canvases and uploads and not busy:
            break
    print("canvases:", len(canvases), "file inputs:", len(uploads), "busy:", busy)
    failed = driver.find_elements(By.XPATH, "//*[contains(text(),'Error displaying widget') or contains(text(),'Failed to load model')]")
    print("widget errors:", [f.text for f in failed])
    print("stderr errors:", errors[:3])
    driver.save_screenshot("/tmp/labcheck/shot.png")
    if canvases:
        canvas = canvases[0]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
        time.sleep(1)
        canvas.screenshot("/tmp/labcheck/canvas.png")
        chain = ActionChains(driver)
        chain.move_to_element_with_offset(canvas, -50, -30).click_and_hold()
        for dx in range(-50, 60, 10):
            chain.move_to_element_with_offset(canvas, dx, -30)
        chain.release().perform()
        time.sleep(8)
        canvas.screenshot("/tmp/labcheck/canvas_drawn.png")
        labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".widget-label") if "hole" in e.text]
        print("hole label:", labels)
        ok = bool(labels) and not failed and not errors and labels[0] != "hole: 0.0% of the face"
    driver.quit()
finally:
    lab.terminate(); lab.wait(timeout=30)
print("OK: the widget renders and draws" if ok else "FAILED")
sys.exit(0 if ok else 1)
