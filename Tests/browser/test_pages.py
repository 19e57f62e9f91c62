"""Every demo role logs in, sees its pages, switches language and logs out; axe-core checks every page
visited and allows no serious or critical violation."""
import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from conftest import DEMO_PASSWORD

ACCOUNTS = [
    ("ramavtal@demo.avrop.se", "Frida Ramavtalsförvaltare"),
    ("upphandlare@demo.avrop.se", "Karin Upphandlare"),
    ("avtalsforvaltare@demo.avrop.se", "Johan Avtalsförvaltare"),
    ("leverantor@demo.avrop.se", "Sara Leverantör"),
    ("revisor@demo.avrop.se", "Olle Revisor"),
    ("admin@demo.avrop.se", "Maja Administratör"),
]


def check_accessibility(driver):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{driver.current_url}: " + "; ".join(f"{v['id']}: {v['help']} at {[n['html'] for n in v['nodes']]}" for v in serious)


def login(driver, base, email):
    driver.get(base + "/login")
    check_accessibility(driver)
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    submit(driver, "form.stacked button[type=submit]")


def submit(driver, selector):
    """Clicks a form's button and waits for the page it leads to."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()

    def left(d):
        try:
            page.is_enabled()
            return False
        except WebDriverException:  # stale, or the old document is going away just now
            return True

    WebDriverWait(driver, 15).until(left)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def lang(driver):
    return driver.find_element(By.TAG_NAME, "html").get_attribute("lang")


@pytest.mark.parametrize("email,name", ACCOUNTS)
def test_each_role_logs_in_sees_its_pages_switches_language_and_logs_out(avrop, browser, email, name):
    browser.get(avrop + "/")
    check_accessibility(browser)
    assert lang(browser) == "sv"

    login(browser, avrop, email)
    assert browser.current_url.endswith("/account")
    assert name in browser.page_source
    check_accessibility(browser)

    browser.get(avrop + "/")
    assert name in browser.find_element(By.CSS_SELECTOR, "header.site").text
    nav = browser.find_element(By.CSS_SELECTOR, "header.site nav").text
    assert "Mitt konto" in nav and "Notiser" in nav
    check_accessibility(browser)

    if email.startswith("admin@"):
        browser.get(avrop + "/organization")
        assert "Webhooks" in browser.page_source
        check_accessibility(browser)

    browser.get(avrop + "/notifications")
    check_accessibility(browser)

    # The switch in the header: English, then back to Swedish, on the same page.
    submit(browser, "form[action='/language'] button")
    assert lang(browser) == "en"
    assert "Notifications" in browser.find_element(By.TAG_NAME, "h1").text
    check_accessibility(browser)
    submit(browser, "form[action='/language'] button")
    assert lang(browser) == "sv"

    submit(browser, "form[action='/logout'] button")
    assert "Logga in" in browser.find_element(By.CSS_SELECTOR, "header.site").text
    browser.get(avrop + "/account")
    assert browser.current_url.endswith("/login")


def test_the_public_reads_the_demo_agreement_with_its_lots_in_rank_order(avrop, browser):
    browser.get(avrop + "/agreements")
    check_accessibility(browser)
    browser.find_element(By.LINK_TEXT, "Innovativa lösningar för offentlig verksamhet").click()
    WebDriverWait(browser, 15).until(lambda d: "/agreements/" in d.current_url)
    assert "Anbudsområde 3: Välfärdsteknik i vård och omsorg" in browser.page_source
    assert "Förnyad konkurrensutsättning" in browser.page_source
    check_accessibility(browser)


def test_the_public_searches_the_catalogue_in_swedish_and_narrows_by_trl(avrop, browser):
    browser.get(avrop + "/catalogue")
    check_accessibility(browser)
    browser.find_element(By.ID, "q").send_keys("digitala tjänster")
    submit(browser, "form.search button")
    assert "Digital tjänst för bygglov" in browser.page_source
    check_accessibility(browser)
    browser.get(avrop + "/catalogue?trl=1-3")
    assert "Inga lösningar matchar sökningen." in browser.page_source
    browser.get(avrop + "/catalogue?trl=4-6")
    assert "Medicinteknisk app för KOL" in browser.page_source
    browser.find_element(By.LINK_TEXT, "Medicinteknisk app för KOL").click()
    WebDriverWait(browser, 15).until(lambda d: "/solutions/" in d.current_url)
    assert "Verifiering" in browser.page_source
    check_accessibility(browser)


def test_a_wrong_password_and_a_missing_page_are_readable(avrop, browser):
    browser.get(avrop + "/login")
    browser.find_element(By.ID, "email").send_keys("upphandlare@demo.avrop.se")
    browser.find_element(By.ID, "password").send_keys("inte rätt lösenord alls")
    submit(browser, "form.stacked button[type=submit]")
    assert "E-postadressen eller lösenordet är fel." in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    check_accessibility(browser)
    browser.get(avrop + "/finns-inte")
    assert "Sidan finns inte" in browser.find_element(By.TAG_NAME, "h1").text
    check_accessibility(browser)


def test_a_supplier_submits_a_manager_verifies_and_a_visitor_finds_the_solution(avrop, browser):
    login(browser, avrop, "leverantor@demo.avrop.se")
    browser.get(avrop + "/my/solutions")
    check_accessibility(browser)
    browser.find_element(By.ID, "solution-name").send_keys("Snöröjningsrobot för gångbanor")
    browser.find_element(By.ID, "solution-summary").send_keys("En eldriven robot röjer gång- och cykelbanor nattetid.")
    browser.find_element(By.ID, "solution-tags").send_keys("snöröjning, robot")
    submit(browser, "form[action='/my/solutions'] button[type=submit]")
    assert "/solutions/" in browser.current_url
    solution = browser.current_url
    assert "Utkast" in browser.page_source
    check_accessibility(browser)
    submit(browser, "form[action$='/submit'] button")
    assert "Inskickad för verifiering" in browser.page_source
    submit(browser, "form[action='/logout'] button")

    login(browser, avrop, "ramavtal@demo.avrop.se")
    # The manager's forms: a new agreement, and the demo agreement with its supplier and termination forms.
    browser.get(avrop + "/agreements/new")
    check_accessibility(browser)
    browser.get(avrop + "/agreements")
    browser.find_element(By.LINK_TEXT, "Innovativa lösningar för offentlig verksamhet").click()
    WebDriverWait(browser, 15).until(lambda d: "/agreements/" in d.current_url)
    assert "Avsluta ramavtalet i förtid" in browser.page_source
    check_accessibility(browser)
    browser.get(avrop + "/verification")
    check_accessibility(browser)
    browser.find_element(By.LINK_TEXT, "Snöröjningsrobot för gångbanor").click()
    WebDriverWait(browser, 15).until(lambda d: d.current_url == solution)
    check_accessibility(browser)
    browser.find_element(By.ID, "decision-reasons").send_keys("Pilot i två kommuner vintern 2025/26 med dokumenterat resultat.")
    submit(browser, "button[value=verify]")
    assert "Verifierad" in browser.page_source
    submit(browser, "form[action='/logout'] button")

    browser.get(avrop + "/catalogue")
    browser.find_element(By.ID, "q").send_keys("snöröjningsrobot")
    submit(browser, "form.search button")
    assert "Snöröjningsrobot för gångbanor" in browser.page_source
    check_accessibility(browser)
    browser.find_element(By.LINK_TEXT, "Snöröjningsrobot för gångbanor").click()
    WebDriverWait(browser, 15).until(lambda d: d.current_url == solution)
    assert "Pilot i två kommuner" in browser.page_source
    check_accessibility(browser)
