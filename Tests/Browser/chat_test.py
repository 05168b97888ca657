"""Two (then three) real headless Chromium pages chat through `wippy run apps/`; then two pages
chat over HTTPS and WSS (a self-signed certificate made here with openssl, accepted by the browser).

Run by scripts/test.sh; needs Debian's chromium and chromium-driver and PyPI's selenium.
Usage: python3 chat_test.py PATH/TO/wippy
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
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


def browser(accept_test_certificate=False):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    if accept_test_certificate:
        options.add_argument("--ignore-certificate-errors")
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


def start(wippy, *extra):
    """`wippy run apps/` on a free loopback port; the process and the port, once it listens."""
    port = free_port()
    server = subprocess.Popen([wippy, "run", "apps/", "--addr", f"127.0.0.1:{port}", *extra], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, port


def stop(server):
    server.send_signal(signal.SIGINT)
    try:
        code = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        code = None
    return code, server.stderr.read()


def tls_chat(wippy):
    """The chat page over HTTPS and its socket over WSS, with a certificate made for the test."""
    folder = tempfile.mkdtemp()
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stderr=subprocess.DEVNULL)
    server, port = start(wippy, "--tls-cert", cert, "--tls-key", key)
    url = f"https://127.0.0.1:{port}/"
    a = b = None
    try:
        health = subprocess.run(["curl", "-s", "--max-time", "60", "--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}",
                                 url + "healthz"], capture_output=True, text=True)
        check("curl --cacert gets 200 over HTTPS", health.stdout == "200", health.stdout)
        a = browser(accept_test_certificate=True)
        a.get(url)
        check("HTTPS page A connects over WSS",
              wait_for(a, "A online", lambda d: d.find_element(By.ID, "status").text == "online"))
        check("page A is https (its socket wss)", a.execute_script("return location.protocol") == "https:")
        b = browser(accept_test_certificate=True)
        b.get(url)
        check("HTTPS page B counts 2 users",
              wait_for(b, "B count", lambda d: d.find_element(By.ID, "count").text == "2"))
        a.find_element(By.ID, "text").send_keys("hello over wss")
        a.find_element(By.ID, "send").click()
        check("B sees A's message over WSS",
              wait_for(b, "chat at B", lambda d: "Anonymous: hello over wss" in messages(d)), messages(b))
    finally:
        for driver in (a, b):
            if driver:
                driver.quit()
        code, log = stop(server)
        check("wippy with TLS stops cleanly on SIGINT", code == 0, f"exit {code} {log[-2000:]}")


def main():
    wippy = sys.argv[1]
    server, port = start(wippy)
    url = f"http://127.0.0.1:{port}/"
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
        code, log = stop(server)
        check("wippy stops cleanly on SIGINT", code == 0, f"exit {code}")
        check("the hub returned its shutdown result",
              '"status":"shutdown"' in log, log[-2000:])
    tls_chat(wippy)
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
