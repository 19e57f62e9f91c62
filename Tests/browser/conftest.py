"""Fixtures of the browser tests: one `avrop serve --demo` on its own data directory and port, and a
headless chromium driven by Selenium."""
import os
import shutil
import sys

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from avrop_serve import serving  # noqa: E402

DEMO_PASSWORD = "demo-lösenord-för-webbläsartest"


@pytest.fixture(scope="session")
def avrop():
    """The service with demo data; yields its base URL and stops it (and its database) afterwards."""
    with serving(DEMO_PASSWORD, "avrop-browser-") as base:
        yield base


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
