"""Opens a noVNC console URL in headless Chromium, waits for the guest's
screen to be drawn, types a line into it and saves a screenshot.

    novnc_type.py URL TEXT SCREENSHOT.png

Prints how many sampled pixels of the canvas are lit (0 means blank) and
exits non-zero when the screen never drew.
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

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


def main():
    url, text, screenshot = sys.argv[1:4]
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
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
        driver.quit()


if __name__ == "__main__":
    main()
