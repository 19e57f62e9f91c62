"""Fixtures of the browser tests: one `avrop serve --demo` on its own data directory and port, and a
headless chromium driven by Selenium."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

DEMO_PASSWORD = "demo-lösenord-för-webbläsartest"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def avrop():
    """The service with demo data; yields its base URL and stops it (and its database) afterwards."""
    binary = os.environ["AVROP_BINARY"]
    directory = tempfile.mkdtemp(prefix="avrop-browser-")
    port = free_port()
    env = dict(os.environ, AVROP_DEMO_PASSWORD=DEMO_PASSWORD, AVROP_LOG_LEVEL="warning")
    log = open(os.path.join(directory, "serve.log"), "w")
    process = subprocess.Popen(
        [binary, "serve", "--demo", "--port", str(port), "--data-dir", os.path.join(directory, "data")],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError("avrop serve did not become ready:\n" + open(log.name).read())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=sv-SE"):
        options.add_argument(argument)
    # A Swedish browser, as most of Avrop's users have (headless chromium ignores --lang).
    options.add_experimental_option("prefs", {"intl.accept_languages": "sv-SE,sv"})
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
