"""A real headless Chromium loads each page of the site, and each chart draws one mark per row of its data.
Screenshots go to the test's tmp folder."""

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # The `chrome` fixture skips, saying how to get it.
    pass

from warehouse import registry


def load(chrome, url: str, ready: str):
    chrome.get(url)
    WebDriverWait(chrome, 60).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ready))


def test_the_kpi_pages_draw_a_bar_per_row(chrome, live_server, client, tmp_path):
    for path in ("/kpi1", "/kpi2"):
        rows = client.get(path, headers={"Accept": "application/json"}).json
        load(chrome, f"{live_server}{path}", "svg rect.bar")
        assert len(chrome.find_elements(By.CSS_SELECTOR, "svg rect.bar")) == len(rows)
        heights = [float(bar.get_attribute("height")) for bar in chrome.find_elements(By.CSS_SELECTOR, "rect.bar")]
        assert all(height >= 0 for height in heights) and max(heights) > 0
        chrome.save_screenshot(str(tmp_path / f"{path.strip('/')}.png"))


def test_the_criteria_page_draws_a_share_bar_per_answer(chrome, live_server, client, tmp_path):
    result = client.get("/selection_criteria", headers={"Accept": "application/json"}).json
    answers = [answer for segment in result["segments"] for answer in segment["answers"]]
    load(chrome, f"{live_server}/selection_criteria", "svg.share")
    bars = chrome.find_elements(By.CSS_SELECTOR, "svg.share rect.used")
    assert sorted(float(bar.get_attribute("width")) for bar in bars) == sorted(
        round(80 * answer["voucher_uses"] / answer["segment_uses"], 2) for answer in answers
    )
    chrome.save_screenshot(str(tmp_path / "selection_criteria.png"))


def test_every_page_in_the_menu_loads(chrome, live_server, tmp_path):
    load(chrome, f"{live_server}/", "nav a")
    menu = [link.get_attribute("href") for link in chrome.find_elements(By.CSS_SELECTOR, "nav a")]
    pages = ["/", "/quality", *(page.path for domain in registry.domains() for page in domain.pages)]
    assert {link.removeprefix(live_server) for link in menu} >= set(pages)
    for path in pages:
        load(chrome, f"{live_server}{path}", "h1")
        assert "error" not in chrome.title.lower(), path
        chrome.save_screenshot(str(tmp_path / f"page{path.replace('/', '_')}.png"))
