"""What the browser tests share: headless Chromium from Debian, driven by
selenium, and a check that a noVNC canvas shows something."""
import os
import signal
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# How many sampled pixels of the page's canvas are lit (-1: no canvas yet).
LIT_PIXELS = """
const canvas = document.querySelector('#noVNC_container canvas') || document.querySelector('canvas');
if (!canvas || canvas.width < 100 || canvas.height < 100) return -1;
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let lit = 0;
for (let i = 0; i < data.length; i += 4 * 101) {
    if (data[i] + data[i + 1] + data[i + 2] > 96) lit++;
}
return lit;
"""


def start(window="1280,800", arguments=()):
    """A headless Chromium of the given window size, with more command-line arguments."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={window}", *arguments):
        options.add_argument(argument)
    # chromedriver and the Chromium it starts in a process group of their own,
    # so that stop() can end them all when quitting hangs.
    service = Service("/usr/bin/chromedriver", popen_kw={"start_new_session": True})
    return webdriver.Chrome(service=service, options=options)


def stop(driver, seconds=30):
    """Quits the browser; if that has not ended within `seconds` (Chromium
    has been seen to hang on exit with consoles open), kills chromedriver and
    every Chromium process with it, so a test never waits on a browser."""
    quitting = threading.Thread(target=driver.quit, daemon=True)
    quitting.start()
    quitting.join(seconds)
    if quitting.is_alive():
        print(f"the browser did not quit within {seconds} s; killed")
        try:
            os.killpg(driver.service.process.pid, signal.SIGKILL)
        except (ProcessLookupError, AttributeError):
            pass


def log_in(driver, base, user, password):
    """Logs in to the dashboard at `base` through its login form."""
    driver.get(base + "/dashboard/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/login'] button").click()
    # The session cookie arrives with the answer to the form: a page asked
    # for before that would be answered with the login page again.
    WebDriverWait(driver, 30).until(lambda d: not d.current_url.rstrip("/").endswith("/dashboard/login"))


def poll(condition, seconds):
    """Whether `condition()` came true within `seconds` (exceptions count as
    not yet: the page may be reloading)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(0.3)
    return False


def terminal_text(driver):
    """What the page's serial console has received so far."""
    return driver.execute_script("const t = document.getElementById('terminal'); return t ? (t.dataset.received || '') : ''")
