"""Opens a noVNC console URL in headless Chromium, waits for the guest's
screen to be drawn, types a line into it and saves a screenshot.

    novnc_type.py URL TEXT SCREENSHOT.png

Prints how many sampled pixels of the canvas are lit (0 means blank) and
exits non-zero when the screen never drew.
"""
import sys
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from chromium import LIT_PIXELS, start, stop


def main():
    url, text, screenshot = sys.argv[1:4]
    driver = start("1280,900")
    try:
        driver.get(url)
        lit = -1
        deadline = time.time() + 90
        while time.time() < deadline:
            lit = driver.execute_script(LIT_PIXELS)
            if lit and lit > 20:
                break
            time.sleep(0.5)
        print(f"lit pixels: {lit}")
        if not lit or lit <= 20:
            driver.save_screenshot(screenshot)
            print(driver.execute_script("return document.body.innerText"), file=sys.stderr)
            sys.exit(2)
        canvas = driver.find_element(By.CSS_SELECTOR, "#noVNC_container canvas")
        ActionChains(driver).move_to_element(canvas).click().perform()
        for character in text:
            ActionChains(driver).send_keys(character).perform()
            time.sleep(0.05)
        ActionChains(driver).send_keys("\n").perform()
        time.sleep(3)
        driver.save_screenshot(screenshot)
    finally:
        stop(driver)


if __name__ == "__main__":
    main()
