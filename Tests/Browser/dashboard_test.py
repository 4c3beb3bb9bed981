#!/usr/bin/env python3
"""The dashboard in a real browser (Debian's chromium, headless, driven by chromium-driver).

Starts `smsagent demo --serve` on a free loopback port, opens the printed login address, then from
the pages: sees both simulated modems, sends one SMS, uploads and queues a campaign, watches it
finish, and resolves the waiting review item as an opt-out. After each step it checks what the
page shows AND what the simulated network received (the demo prints one `network:` line per SMS).
Screenshots go to $SMSAGENT_ARTEFACTS (default .build/browser-artefacts/); they are not committed.

Usage: python3 Tests/Browser/dashboard_test.py [path/to/smsagent]   (exit status 0 = passed)
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "smsagent")
ARTEFACTS = os.environ.get("SMSAGENT_ARTEFACTS", os.path.join(ROOT, ".build", "browser-artefacts"))
os.makedirs(ARTEFACTS, exist_ok=True)


class Demo:
    """`smsagent demo --serve` as a child process; its stdout lines collected as they come."""

    def __init__(self):
        self.process = subprocess.Popen([BINARY, "demo", "--serve", "--listen", "127.0.0.1:0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = []
        self.arrivals = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.login = self.wait_line("dashboard: ", 120).split("dashboard: ", 1)[1].strip()
        self.base = self.login.split("/login", 1)[0]
        self.token = self.login.split("token=", 1)[1]

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self.arrivals.put(line)
        self.arrivals.put(None)

    def wait_line(self, needle, seconds=30):
        deadline = time.monotonic() + seconds
        while True:
            for line in self.lines:
                if needle in line:
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the demo never printed {needle!r}; output:\n" + "\n".join(self.lines))
            try:
                if self.arrivals.get(timeout=remaining) is None:
                    raise AssertionError(f"the demo exited before printing {needle!r}:\n" + "\n".join(self.lines))
            except queue.Empty:
                pass

    def api(self, path):
        request = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def browser(width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--lang=en-GB"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


def shot(driver, name):
    driver.save_screenshot(os.path.join(ARTEFACTS, name + ".png"))


def text_of(driver, selector):
    # Live updates (SSE) re-render lists: read again if the element was replaced meanwhile.
    for attempt in range(20):
        try:
            return driver.find_element(By.CSS_SELECTOR, selector).text
        except StaleElementReferenceException:
            if attempt == 19:
                raise
            time.sleep(0.05)


def main():
    demo = Demo()
    driver = browser()
    # The page re-renders lists as live events arrive: an element found a moment ago may be gone.
    wait = WebDriverWait(driver, 30, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])
    step = "start"
    try:
        # 1. Log in with the printed address: a cookie, then the dashboard without the token in the URL.
        step = "login"
        driver.get(demo.login)
        wait.until(lambda d: d.current_url.rstrip("/") == demo.base or d.current_url.startswith(demo.base + "/#"))
        assert "token=" not in driver.current_url
        assert driver.execute_script("return document.cookie") == "", "the session cookie must be HttpOnly"

        # 2. Overview: both simulated modems, live.
        step = "overview"
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ov-modems tbody tr")) == 2)
        modems = text_of(driver, "#ov-modems tbody")
        assert "shop-a" in modems and "shop-b" in modems, modems
        wait.until(lambda d: "●" in text_of(d, "#live"))
        shot(driver, "1-overview")

        # 3. Send one SMS, with the live preview first.
        step = "send"
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="send"]').click()
        driver.find_element(By.ID, "send-to").send_keys("06 12 34 56 78")
        driver.find_element(By.ID, "send-text").send_keys("Votre commande n°1042 est prête")
        driver.find_element(By.CSS_SELECTOR, '#send-class option[value="notification"]').click()
        wait.until(lambda d: "encoding" in text_of(d, "#send-preview"))
        preview = text_of(driver, "#send-preview")
        assert "+33612345678" in preview and "verdict: send" in preview, preview
        shot(driver, "2-send-preview")
        driver.find_element(By.ID, "send-submit").click()
        wait.until(lambda d: "State: sent" in text_of(d, "#send-result"))
        demo.wait_line("→ +33612345678 [1 part] Votre commande n°1042 est prête")
        shot(driver, "3-send-sent")

        # 4. A campaign from a CSV file: preview (one invalid number), queue, watch it finish.
        step = "campaign"
        csv = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
        csv.write("phone,first_name\n06 12 34 56 01,Marie\n+33612345602,Paul\n06 12 34,Broken\n")
        csv.close()
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="campaigns"]').click()
        driver.find_element(By.ID, "campaign-name").send_keys("galettes")
        driver.find_element(By.ID, "campaign-file").send_keys(csv.name)
        driver.find_element(By.ID, "campaign-template").send_keys("Bonjour {first_name}, -20% sur les galettes !")
        driver.find_element(By.ID, "campaign-preview-button").click()
        wait.until(EC.presence_of_element_located((By.ID, "campaign-summary")))
        summary = text_of(driver, "#campaign-summary")
        assert summary.startswith("3 recipients") and "1 invalid" in summary, summary
        assert "STOP" in text_of(driver, "#campaign-preview table"), "marketing text shows its STOP footer"
        shot(driver, "4-campaign-preview")
        driver.find_element(By.ID, "campaign-submit").click()
        wait.until(lambda d: "2 queued" in text_of(d, "#campaign-result"))
        progress = '#campaign-list [data-campaign="galettes"] progress'
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, progress) and
                   d.find_element(By.CSS_SELECTOR, progress).get_attribute("value") == "2")
        assert "2 sent" in text_of(driver, '#campaign-list [data-campaign="galettes"]')
        demo.wait_line("→ +33612345601 [1 part] Bonjour Marie, -20% sur les galettes !")
        demo.wait_line("→ +33612345602 [1 part] Bonjour Paul, -20% sur les galettes !")
        assert demo.api("/api/v1/campaigns/galettes")["sent"] == 2
        shot(driver, "5-campaign-progress")

        # 5. The review queue: one click records the opt-out.
        step = "review"
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="replies"]').click()
        item = '#review-list li[data-id] button[data-action="optout"]'
        wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, item)))
        assert "stop les promos" in text_of(driver, "#review-list")
        shot(driver, "6-review")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, item).click() or True)   # again if re-rendered
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#review-list li[data-id]"))
        assert demo.api("/api/v1/optouts/%2B33612345609")["opted_out"] is True
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="optouts"]').click()
        wait.until(lambda d: "+33612345609" in text_of(d, "#optout-table tbody"))
        shot(driver, "7-optouts")

        # 6. Credits: what the SMS cost, and the page in French.
        step = "credits"
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="credits"]').click()
        wait.until(lambda d: text_of(d, "#cr-balance") == str(demo.api("/api/v1/credits")["balance"]))
        assert int(text_of(driver, "#cr-spent")) >= 3
        driver.find_element(By.ID, "lang").click()
        wait.until(lambda d: text_of(d, 'nav a[data-page="send"]') == "Envoyer")
        shot(driver, "8-credits-fr")

        # 7. A phone-sized screen: the navigation wraps, nothing needs a horizontal scroll.
        step = "phone"
        driver.set_window_size(390, 844)
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-page="overview"]').click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ov-modems tbody tr")) == 2)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
        shot(driver, "9-phone")

        # 8. Sign out: the cookie is gone, the API refuses the page from then on.
        step = "logout"
        driver.set_window_size(1280, 900)
        driver.find_element(By.ID, "logout").click()
        wait.until(lambda d: not d.find_element(By.ID, "banner").get_attribute("hidden"))
        status = driver.execute_script(
            "return fetch('/api/v1/modems', {credentials: 'same-origin', headers: {'X-Smsagent-Request': '1'}}).then(r => r.status)")
        assert status == 401, f"after signing out the API answered {status}"
        shot(driver, "10-signed-out")
        print(f"browser test passed; screenshots in {ARTEFACTS}")
        return 0
    except Exception as error:
        shot(driver, f"failed-{step}")
        print(f"browser test FAILED at step {step}: {error!r}", file=sys.stderr)
        print("demo output:\n" + "\n".join(demo.lines), file=sys.stderr)
        return 1
    finally:
        driver.quit()
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
