"""Two (then three) real headless Chromium pages chat through `wippy run apps/`.

Run by scripts/test.sh; needs Debian's chromium and chromium-driver and PyPI's selenium.
Usage: python3 chat_test.py PATH/TO/wippy
"""
import os
import signal
import socket
import subprocess
import sys
import time

os.environ.setdefault("SE_OFFLINE", "true")  # use the system chromedriver, never download one
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed, failed = 0, 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name} {detail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def wait_for(driver, what, condition, timeout=15):
    try:
        WebDriverWait(driver, timeout).until(lambda d: condition(d))
        return True
    except Exception:
        print(f"# timed out waiting for {what}")
        return False


def messages(driver):
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#messages li")]


def main():
    wippy = sys.argv[1]
    port = free_port()
    server = subprocess.Popen([wippy, "run", "apps/", "--addr", f"127.0.0.1:{port}"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    a = b = c = None
    try:
        a = browser()
        a.get(url)
        check("page A is served and connects",
              wait_for(a, "A online", lambda d: d.find_element(By.ID, "status").text == "online"))
        check("A's welcome counts 1 user",
              wait_for(a, "A count", lambda d: d.find_element(By.ID, "count").text == "1"))
        b = browser()
        b.get(url)
        check("B's welcome counts 2 users",
              wait_for(b, "B count", lambda d: d.find_element(By.ID, "count").text == "2"))

        a.find_element(By.ID, "text").send_keys("hello from A")
        a.find_element(By.ID, "send").click()
        check("B sees A's message as Anonymous",
              wait_for(b, "chat at B", lambda d: "Anonymous: hello from A" in messages(d)), messages(b))
        check("A sees its own message too",
              wait_for(a, "chat at A", lambda d: "Anonymous: hello from A" in messages(d)), messages(a))
        b.find_element(By.ID, "text").send_keys("hi A")
        b.find_element(By.ID, "send").click()
        check("A sees B's answer",
              wait_for(a, "answer at A", lambda d: "Anonymous: hi A" in messages(d)), messages(a))

        b.quit()
        b = None
        time.sleep(0.5)
        c = browser()
        c.get(url)
        check("after B left, a newcomer counts 2 users (A and itself)",
              wait_for(c, "C count", lambda d: d.find_element(By.ID, "count").text == "2"))
        a.save_screenshot(os.path.join(ROOT, ".build", "chat-page.png"))
    finally:
        for driver in (a, b, c):
            if driver:
                driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            code = None
        log = server.stderr.read()
        check("wippy stops cleanly on SIGINT", code == 0, f"exit {code}")
        check("the hub returned its shutdown result",
              '"status":"shutdown"' in log, log[-2000:])
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
