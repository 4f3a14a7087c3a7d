"""The dashboard over HTTPS, in headless Chromium that trusts exactly the
cloud's self-signed certificate (its key pinned, nothing else waived):
log in, check the session cookie is Secure, open a running instance and
use both consoles, which must then come over wss://.

    dashboard_tls.py BASE_URL CERTIFICATE USER PASSWORD SERVER_ID SCREENSHOT_DIR

Prints what it checked; exits non-zero on the first failure.
"""
import base64
import hashlib
import os
import subprocess
import sys

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from chromium import LIT_PIXELS, log_in, poll, start, stop, terminal_text

base, certificate, user, password, server, shots = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)

# Chromium trusts a certificate whose public key hashes to this, and only that.
public_key = subprocess.run(["openssl", "x509", "-in", certificate, "-pubkey", "-noout"], check=True, capture_output=True).stdout
der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public_key, check=True, capture_output=True).stdout
pin = base64.b64encode(hashlib.sha256(der).digest()).decode()
driver = start(arguments=(f"--ignore-certificate-errors-spki-list={pin}",))


def fail(reason):
    driver.save_screenshot(os.path.join(shots, "tls-failed.png"))
    print(f"FAILED: {reason}")
    sys.exit(1)


def wait(condition, seconds, what):
    if not poll(condition, seconds):
        fail(f"timed out waiting for {what}")


try:
    if not base.startswith("https://"):
        fail(f"not an HTTPS base: {base}")
    log_in(driver, base, user, password)
    cookies = [c for c in driver.get_cookies() if c["name"] == "nimbus_session"]
    if not cookies or not cookies[0].get("secure") or not cookies[0].get("httpOnly"):
        fail(f"the session cookie is not Secure and HttpOnly: {cookies}")
    print("logged in over HTTPS; the session cookie is Secure and HttpOnly")

    driver.get(f"{base}/dashboard/instances/{server}")
    wait(lambda: "/dev/vda" in terminal_text(driver), 60, "the serial console to show the installer's question")
    driver.find_element(By.ID, "terminal").click()
    ActionChains(driver).send_keys("maybe").send_keys(Keys.ENTER).perform()
    wait(lambda: "Please answer yes or no." in terminal_text(driver), 60, "the installer to answer through the page")
    print("the page's serial console spoke both ways over wss")

    frame = driver.find_element(By.ID, "vnc")
    if not frame.get_attribute("src").startswith("https://"):
        fail(f"noVNC is not served over HTTPS: {frame.get_attribute('src')}")
    driver.switch_to.frame(frame)
    drawn = poll(lambda: (driver.execute_script(LIT_PIXELS) or 0) > 20, 60)
    driver.switch_to.default_content()
    driver.save_screenshot(os.path.join(shots, "tls-instance.png"))
    if not drawn:
        fail("the embedded noVNC console stayed blank")
    print("noVNC drew the installer over wss")
finally:
    stop(driver)
