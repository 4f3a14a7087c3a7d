"""Starts an upload in the dashboard and cancels it halfway, in headless
Chromium, as a user who picked the wrong file would.

    dashboard_cancel.py BASE_URL USER PASSWORD FILE SCREENSHOT_DIR

Prints `cancelled at: N%`; exits non-zero when the upload could not be
caught between 10 % and 90 % or the page did not say it was cancelled.
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chromium import log_in, start, stop

base, user, password, path, shots = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)
driver = start()
try:
    log_in(driver, base, user, password)
    driver.get(base + "/dashboard/images")
    driver.find_element(By.ID, "upload-file").send_keys(path)
    name = driver.find_element(By.ID, "upload-name")
    name.clear()
    name.send_keys("wrong-file")
    Select(driver.find_element(By.ID, "upload-format")).select_by_value("raw")
    driver.find_element(By.ID, "upload-start").click()
    percent = 0
    deadline = time.time() + 120
    while time.time() < deadline:
        percent = int(driver.find_element(By.ID, "upload-bar").get_attribute("value") or 0)
        if percent >= 10:
            break
        time.sleep(0.02)
    driver.find_element(By.ID, "upload-cancel").click()
    print(f"cancelled at: {percent}%")
    driver.save_screenshot(os.path.join(shots, "cancelled.png"))
    if not 10 <= percent < 90:
        print("the upload was not caught in flight", file=sys.stderr)
        sys.exit(2)
    status = driver.find_element(By.ID, "upload-status").text
    if "Cancelled" not in status:
        print(f"the page said: {status}", file=sys.stderr)
        sys.exit(2)
finally:
    stop(driver)
