"""The install workflow in the dashboard, as a new user does it, in headless
Chromium: log in, upload the ISO (watching the progress bar), launch, answer
the installer in the page's serial console, eject the disc in the media
panel, reboot, give the instance a floating IP, let SSH in, wait for "ready",
and save the disk as an image. A screenshot of every page is saved.

    dashboard_install.py BASE_URL USER PASSWORD ISO PUBLIC_KEY SCREENSHOT_DIR

Every page is checked with axe-core. Prints `ready: COMMAND`, `progress:
MAX%` and `accessibility: N` lines; exits non-zero (saying why) when a step
fails or a page has a serious or critical accessibility violation.
"""
import os
import sys
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from axe_selenium_python import Axe
from chromium import LIT_PIXELS, poll, start, stop
from chromium import terminal_text as page_terminal_text

base, user, password, iso, public_key, shots = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)
driver = start()
step = 0


# Serious or critical accessibility violations, by page (axe-core).
barriers = []


def check_accessibility(page):
    """axe-core on the page as it is, noVNC's own page (Debian's) left out."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run(context={"exclude": [["#vnc"]]})
    for violation in results["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            barriers.append(f"{page}: {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")


def shot(name, element_id=None):
    """Saves the page's top, or the part with `element_id` in view, and
    checks the page's accessibility."""
    global step
    step += 1
    if name != "failure":
        check_accessibility(name)
    if element_id:
        driver.execute_script("document.getElementById(arguments[0]).scrollIntoView({block: 'center'})", element_id)
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.2)
    driver.save_screenshot(os.path.join(shots, f"{step:02d}-{name}.png"))


def fail(message):
    shot("failure")
    print(message, file=sys.stderr)
    print(driver.execute_script("return document.body ? document.body.innerText : ''")[-3000:], file=sys.stderr)
    sys.exit(2)


def wait(condition, seconds, what):
    if not poll(condition, seconds):
        fail(f"timed out waiting for {what}")


def click(css):
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, css), 20, f"the control {css}")
    driver.find_element(By.CSS_SELECTOR, css).click()


def terminal_text():
    return page_terminal_text(driver)


def answer(prompt, text, seconds=120):
    wait(lambda: prompt in terminal_text(), seconds, f"the installer to ask '{prompt}'")
    click("#terminal")
    for character in text:
        ActionChains(driver).send_keys(character).perform()
        time.sleep(0.02)
    ActionChains(driver).send_keys(Keys.ENTER).perform()


try:
    driver.get(base + "/")
    wait(lambda: "/dashboard/login" in driver.current_url, 10, "the login page")
    shot("login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    click("form[action='/dashboard/login'] button")
    wait(lambda: driver.current_url.endswith("/dashboard/instances"), 10, "the instances page after login")
    shot("instances-empty")

    # Upload the ISO and watch the bar reach 100 %.
    driver.get(base + "/dashboard/images")
    driver.find_element(By.ID, "upload-file").send_keys(iso)
    name = driver.find_element(By.ID, "upload-name")
    name.clear()
    name.send_keys("demo-iso")
    Select(driver.find_element(By.ID, "upload-format")).select_by_value("iso")
    click("#upload-start")
    highest = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            done = "Uploaded" in driver.find_element(By.ID, "upload-status").text
            # Read after the status, so the last value (set before it) is seen.
            highest = max(highest, int(driver.find_element(By.ID, "upload-bar").get_attribute("value") or 0))
            if done:
                break
        except Exception:
            pass
        time.sleep(0.05)
    print(f"progress: {highest}%")
    shot("upload-done")
    if highest < 100:
        fail(f"the progress bar stopped at {highest} %")
    wait(lambda: "active" in driver.find_element(By.CSS_SELECTOR, "main table").text, 15, "the image to be listed as active")
    shot("images")
    # The image page says what the disc is, read at upload.
    driver.get(driver.find_element(By.LINK_TEXT, "demo-iso").get_attribute("href"))
    wait(lambda: "Recognised as" in driver.find_element(By.TAG_NAME, "main").text, 10, "the image page")
    if "nimbus-demo 1.0" not in driver.find_element(By.CSS_SELECTOR, "dl.facts").text:
        fail("the image page does not say the disc is the demo OS")
    shot("image-iso")

    # Launch from the ISO.
    driver.get(base + "/dashboard/instances/new")
    driver.find_element(By.ID, "name").send_keys("browser-vm")
    Select(driver.find_element(By.ID, "image")).select_by_visible_text("demo-iso (iso)")
    flavors = Select(driver.find_element(By.ID, "flavor"))
    flavors.select_by_visible_text(next(o.text for o in flavors.options if o.text.startswith("m1.tiny")))
    Select(driver.find_element(By.ID, "key_name")).select_by_value("mykey")
    shot("launch-form")
    click("form#launch button[type=submit]")
    wait(lambda: "/dashboard/instances/" in driver.current_url and driver.find_elements(By.ID, "state"), 15, "the instance page")
    instance_url = driver.current_url
    wait(lambda: "ACTIVE" in driver.find_element(By.ID, "status").text, 120, "the instance to be ACTIVE")
    driver.get(instance_url)  # the consoles appear once it runs

    # The installer, in the page's serial console.
    answer("Install to /dev/vda?", "yes", seconds=180)
    shot("installer-console", "terminal")

    # The graphical console, embedded: noVNC draws the installer's screen.
    shot("graphical-console", "vnc")
    driver.switch_to.frame(driver.find_element(By.ID, "vnc"))
    lit = -1
    deadline = time.time() + 60
    while time.time() < deadline and not (lit and lit > 20):
        lit = driver.execute_script(LIT_PIXELS)
        time.sleep(0.5)
    driver.switch_to.default_content()
    print(f"lit pixels: {lit}")
    if not lit or lit <= 20:
        fail("the embedded noVNC console stayed blank")
    answer("Hostname [nimbus-demo]:", "browser-install")
    answer("SSH public key for root", public_key)
    answer("Eject the installation disc now?", "no", seconds=240)
    wait(lambda: "Press Enter to reboot." in terminal_text(), 60, "the installer's last screen")
    shot("installer-done", "terminal")

    # Eject in the media panel, then reboot into the installed disk.
    click("#media button[name=op][value=eject]")
    wait(lambda: "(empty)" in driver.find_element(By.ID, "media").text, 15, "the drive to be empty")
    shot("ejected", "media")
    click("button[name=action][value=reboot-hard]")
    wait(lambda: "requested" in driver.find_element(By.CSS_SELECTOR, ".notice").text, 15, "the reboot to be accepted")

    # Reach it: a floating IP and SSH let in, each one click; then "ready".
    click("button[name=action][value=floating-ip]")
    wait(lambda: "reachable at" in driver.find_element(By.CSS_SELECTOR, ".notice").text, 15, "a floating IP")
    click("button[name=action][value=allow-ssh]")
    wait(lambda: "port 22 is open" in driver.find_element(By.CSS_SELECTOR, ".notice").text, 15, "SSH to be let in")
    wait(lambda: driver.find_element(By.ID, "ready").is_displayed(), 240, "the ready panel")
    shot("ready")
    print("ready: " + driver.find_element(By.ID, "ready-command").text)

    # The installed disk as an image.
    image_name = driver.find_element(By.ID, "image_name")
    image_name.clear()
    image_name.send_keys("browser-golden")
    click("form input[value=snapshot] ~ button")
    wait(lambda: "Saving the disk" in driver.find_element(By.CSS_SELECTOR, ".notice").text, 15, "the snapshot to start")
    shot("snapshot")
    driver.get(base + "/dashboard/images")
    wait(lambda: "browser-golden" in driver.find_element(By.CSS_SELECTOR, "main").text, 30, "the new image in the list")
    shot("images-with-snapshot")
    driver.get(driver.find_element(By.CSS_SELECTOR, "main table a").get_attribute("href"))
    shot("image")

    # A narrow window (a phone, a side panel): the instance page still reads.
    driver.get(instance_url)
    # (Headless Chromium keeps a window at least about 480 px wide.)
    driver.set_window_size(420, 900)
    wait(lambda: driver.find_elements(By.ID, "state"), 10, "the instance page in a narrow window")
    width, window = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    shot("instance-narrow")
    driver.set_window_size(1280, 800)
    if width > window:
        fail(f"the instance page is {width} px wide in a {window} px window")

    # The project's other pages, each looked at and checked.
    for page in ("overview", "network", "keypairs", "flavors"):
        driver.get(f"{base}/dashboard/{page}")
        wait(lambda: driver.find_elements(By.TAG_NAME, "h1"), 10, f"the {page} page")
        shot(page)
    # The error page: an instance that does not exist, said in words.
    driver.get(base + "/dashboard/instances/00000000-0000-0000-0000-000000000000")
    wait(lambda: driver.find_elements(By.TAG_NAME, "h1"), 10, "the error page")
    if "could not be found" not in driver.find_element(By.TAG_NAME, "main").text:
        fail("the error page does not say the instance could not be found")
    shot("not-found")
    print(f"accessibility: {len(barriers)} serious or critical")
    if barriers:
        fail("accessibility barriers:\n" + "\n".join(barriers))
except SystemExit:
    raise
except Exception as error:  # a missing control, a page that did not load
    fail(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
finally:
    stop(driver)
