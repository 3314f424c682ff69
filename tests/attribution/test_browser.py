"""A real headless Chromium draws one waterfall bar per ranked row on the attribution page, from a link or the form."""

import json
from urllib.parse import urlencode

import pytest

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # The `chrome` fixture skips, saying how to get it.
    pass

WAIT_SECONDS = 60
BARS = "svg#waterfall .bar.contribution"
ROWS = "table#ranks tbody tr"


@pytest.fixture(scope="module")
def causes(casino):
    return json.loads(casino.causes_path.read_text())["causes"]


def question(causes: list[dict], kind: str, endpoint: str) -> dict:
    """Return the sidecar's question to `endpoint` about the first cause of `kind`, whose top rank names it."""
    cause = next(cause for cause in causes if cause["kind"] == kind)
    return next(asked for asked in cause["questions"] if asked["endpoint"] == endpoint)


def wait(driver):
    return WebDriverWait(driver, WAIT_SECONDS)


def first_rank(driver, column: str) -> str:
    """Return the text of `column` in the ranks table's first row."""
    headers = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "table#ranks thead th")]
    return (
        driver.find_element(By.CSS_SELECTOR, f"{ROWS}:first-child")
        .find_elements(By.TAG_NAME, "td")[headers.index(column)]
        .text
    )


def assert_one_bar_per_rank(driver) -> int:
    bars = driver.find_elements(By.CSS_SELECTOR, BARS)
    rows = driver.find_elements(By.CSS_SELECTOR, ROWS)
    assert len(bars) == len(rows) > 0
    return len(rows)


def assert_no_console_errors(driver) -> None:
    # The page has no favicon; the browser's request for one is not the page's fault.
    errors = [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]
    assert errors == []


def screenshot(driver, path) -> None:
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 0


@pytest.mark.slow
def test_a_link_to_a_group_question_draws_one_bar_per_rank_led_by_the_cause(chrome, live_server, causes, tmp_path):
    asked = question(causes, "bank_dark", "/grouprankdimensions")
    chrome.get(f"{live_server}{asked['endpoint']}?{urlencode(asked['params'])}")

    wait(chrome).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg#waterfall")))
    assert_one_bar_per_rank(chrome)
    assert first_rank(chrome, "value") == asked["expect"]["value"]
    assert_no_console_errors(chrome)
    screenshot(chrome, tmp_path / "waterfall.png")


@pytest.mark.slow
def test_the_form_filled_in_like_a_person_answers_with_a_waterfall(chrome, live_server, causes, tmp_path):
    asked = question(causes, "zone_uncarded_bet_drop", "/grouprankmetrics")
    date, zone = asked["params"]["date_target"], asked["params"]["zone"]
    chrome.get(f"{live_server}/attribution")

    Select(chrome.find_element(By.CSS_SELECTOR, "select#endpoint")).select_by_value("grouprankmetrics")
    date_input = chrome.find_element(By.CSS_SELECTOR, "#date_target")
    date_input.send_keys(date)
    if date_input.get_attribute("value") != date:
        # A date input takes keys in the browser's locale order (mm/dd/yyyy in en-US), not ISO.
        chrome.execute_script("arguments[0].value = arguments[1]", date_input, date)
    zone_input = chrome.find_element(By.CSS_SELECTOR, "#zone")
    if zone_input.tag_name == "select":
        Select(zone_input).select_by_value(zone)
    else:
        zone_input.send_keys(zone)
    chrome.find_element(By.CSS_SELECTOR, "form#question button[type=submit]").click()

    wait(chrome).until(expected_conditions.url_contains("date_target="))
    wait(chrome).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg#waterfall")))
    assert f"date_target={date}" in chrome.current_url and f"zone={zone}" in chrome.current_url
    assert_one_bar_per_rank(chrome)
    assert date in chrome.find_element(By.CSS_SELECTOR, "#answer h2").text
    assert first_rank(chrome, "metric") == asked["expect"]["metric"]
    assert_no_console_errors(chrome)
    screenshot(chrome, tmp_path / "form-waterfall.png")
