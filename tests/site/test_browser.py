"""The built seed post in a real browser (headless Chromium), opened from file://.

Images must load through their relative srcset/src paths, the page must fit a phone's width,
the dark colour scheme must apply, and a click on a figure must open the full image.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from generator.settings import SiteSettings
from generator.site.build import build_site
from tests.site.helpers import SEED_URL_PATH, THEME, write_seed_bundle

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    write_seed_bundle(root / "content")
    build_site(root / "content", root / "site", SiteSettings(image_widths=(32,)),
               theme_dir=THEME, cache_dir=root / ".cache")
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install chromium chromium-driver (.ci/run)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: webdriver.Chrome, page: Path, width: int = 1280) -> None:
    browser.set_window_size(width, 900)
    browser.get(page.as_uri())


def test_every_image_loads_from_file_url(browser: webdriver.Chrome, seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    for image in browser.find_elements(By.CSS_SELECTOR, "figure img"):
        browser.execute_script("arguments[0].scrollIntoView()", image)
    # lazy images start loading once scrolled to: wait until each has finished (or failed)
    WebDriverWait(browser, 20).until(lambda b: b.execute_script(
        "return [...document.querySelectorAll('img')].every(img => img.complete)"))
    unloaded = browser.execute_script("""
        return [...document.querySelectorAll('img')]
          .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.currentSrc);
    """)
    assert browser.execute_script("return document.querySelectorAll('figure img').length") == 60
    assert unloaded == []


def test_page_fits_a_phone(browser: webdriver.Chrome, seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH, width=390)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_dark_colour_scheme(browser: webdriver.Chrome, seed_site: Path) -> None:
    def background() -> list[int]:
        colour = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor")
        return [int(part) for part in colour[colour.index("(") + 1:-1].split(",")[:3]]

    open_page(browser, seed_site / SEED_URL_PATH)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "light"}]})
    assert sum(background()) > 600
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    assert sum(background()) < 150


def test_clicking_a_figure_opens_the_full_image(browser: webdriver.Chrome,
                                                seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    link = browser.find_elements(By.CSS_SELECTOR, "figure a")[10]
    target = link.get_attribute("href")
    browser.execute_script("arguments[0].scrollIntoView()", link)
    link.find_element(By.TAG_NAME, "img").click()
    assert browser.current_url == target
    assert target.endswith(".png") and "/images/" in target
    assert browser.execute_script("return document.images[0].naturalWidth") == 64


def test_a_link_in_a_caption_stays_in_its_line(browser: webdriver.Chrome, seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    link = browser.find_element(By.CSS_SELECTOR, "figcaption a")
    assert link.value_of_css_property("display") == "inline"
    caption = link.find_element(By.XPATH, "./ancestor::figcaption")
    line_height = float(caption.value_of_css_property("line-height").removesuffix("px"))
    assert caption.size["height"] < 2.5 * line_height  # "Украденная из чужого поста картинка…"
