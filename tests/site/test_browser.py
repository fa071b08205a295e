"""The built site in a real browser (headless Chromium), opened from file:// as a reader might.

The seed post (60 figures, 640x480 stand-ins) must load every image through its relative
srcset/src, fit a phone's width, follow the light/dark choice, and open its figures in the
gallery viewer (next, close, URL fragment, Back) or, without JavaScript, as the full image.
The home page's cover must be sharp. No page may log a console error. Screenshots are saved
under .cache/screenshots/ for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from generator.settings import SiteSettings
from generator.site.build import build_site
from tests.site.helpers import SEED_URL_PATH, THEME, stand_in, write_post, write_seed_bundle

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".cache" / "screenshots"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
WAIT_S = 20  # the longest any one step may take before the test fails (never a timing assert)


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    seed = write_seed_bundle(root / "content", size=(640, 480))
    stand_in(seed / "images" / "howitworks.png", 0, (360, 120))  # the seed's cover, as small
    cover = write_post(root / "content", "cover", title="A wide cover", date="2030-01-01",
                       body='{{<img src="images/wide">}}')
    stand_in(cover / "images" / "wide.png", 7, (2400, 1200))
    build_site(root / "content", root / "site",
               SiteSettings(title="Галерея", language="ru", image_widths=(320, 800, 1600)),
               theme_dir=THEME, cache_dir=root / ".cache", drafts=True)
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for tool in ("chromium", "chromedriver"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install chromium chromium-driver "
                        "(make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def fresh_state(browser: webdriver.Chrome) -> Iterator[None]:
    """Each test starts with no stored theme, JavaScript on, the system's light scheme, and
    ends with no console error logged."""
    browser.get("about:blank")  # a fresh page load, whatever the last test left open
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "light"}]})
    browser.get_log("browser")  # drop what earlier tests logged
    yield
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    browser.execute_script("try { localStorage.clear() } catch (e) {}")
    assert errors == []


def open_page(browser: webdriver.Chrome, page: Path, width: int = 1280, scale: float = 1,
              fragment: str = "") -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 844 if width < 500 else 900, "deviceScaleFactor": scale,
        "mobile": width < 500})
    browser.get(page.as_uri() + fragment)
    WebDriverWait(browser, WAIT_S).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


def screenshot(browser: webdriver.Chrome, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def background(browser: webdriver.Chrome) -> int:
    colour = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    return sum(int(part) for part in colour[colour.index("(") + 1:-1].split(",")[:3])


def fragment(browser: webdriver.Chrome) -> str:
    return browser.execute_script("return location.hash")


def viewer_open(browser: webdriver.Chrome) -> bool:
    return browser.execute_script("return !!window.pswp && pswp.opener.isOpen")  # shown in full


def viewer_closed(browser: webdriver.Chrome) -> bool:
    return browser.execute_script("return !document.querySelector('.pswp')")


# The pixel width of the file an <img> shows: naturalWidth of an image chosen from a srcset with
# `w` descriptors is in CSS pixels (divided by the density the browser picked), so read the `w` of
# the candidate that is its currentSrc instead.
PIXEL_WIDTH = """
    const img = arguments[0], srcset = arguments[1];
    for (const candidate of srcset.split(',')) {
      const [url, width] = candidate.trim().split(/\\s+/);
      if (new URL(url, document.baseURI).href === img.currentSrc) return parseInt(width);
    }
    return img.naturalWidth;
"""


def pixel_width(browser: webdriver.Chrome, image: object, srcset: str) -> int:
    return browser.execute_script(PIXEL_WIDTH, image, srcset)


def shown_image(browser: webdriver.Chrome) -> dict:
    """The viewer's current image once loaded: its URL, sizes and its figure's caption."""
    WebDriverWait(browser, WAIT_S).until(lambda b: b.execute_script(
        "const img = pswp.currSlide.content.element;"
        "return img && img.complete && img.naturalWidth > 0"))
    return browser.execute_script("""
        const img = pswp.currSlide.content.element, box = img.getBoundingClientRect();
        return {src: img.currentSrc, width: box.width, image: img,
                srcset: pswp.currSlide.data.element.dataset.pswpSrcset,
                caption: document.querySelector('.pswp__custom-caption').textContent,
                figure: pswp.currSlide.data.element.closest('figure').id};
    """)


def press(browser: webdriver.Chrome, key: str) -> None:
    """A key press as a reader's keyboard sends it (to the focused element)."""
    ActionChains(browser).send_keys(key).perform()


def click_figure(browser: webdriver.Chrome, number: int) -> str:
    """Click the image of figure `number` -> that figure's id."""
    figure = browser.find_elements(By.CSS_SELECTOR, "figure.image")[number]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    figure.find_element(By.TAG_NAME, "img").click()
    return figure.get_attribute("id")


def caption_of(browser: webdriver.Chrome, figure_id: str) -> str:
    return browser.execute_script(
        "return document.getElementById(arguments[0]).querySelector('figcaption').textContent",
        figure_id)


@pytest.mark.parametrize("width", [390, 1280])
def test_seed_post_loads_every_image_and_fits(browser: webdriver.Chrome, seed_site: Path,
                                              width: int) -> None:
    open_page(browser, seed_site / SEED_URL_PATH, width)
    screenshot(browser, f"seed-post-{width}")
    for image in browser.find_elements(By.CSS_SELECTOR, "figure img"):
        browser.execute_script("arguments[0].scrollIntoView()", image)
    # lazy images start loading once scrolled to: wait until each has finished (or failed)
    WebDriverWait(browser, WAIT_S).until(lambda b: b.execute_script(
        "return [...document.querySelectorAll('img')].every(img => img.complete)"))
    unloaded = browser.execute_script("""
        return [...document.querySelectorAll('img')]
          .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.currentSrc);
    """)
    assert browser.execute_script("return document.querySelectorAll('figure img').length") == 60
    assert unloaded == []
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    browser.execute_script("document.querySelector('.footnotes').scrollIntoView()")
    screenshot(browser, f"seed-post-{width}-end")


def test_viewer_opens_goes_next_and_closes_naming_the_image_in_the_url(
        browser: webdriver.Chrome, seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    first = click_figure(browser, 10)
    WebDriverWait(browser, WAIT_S).until(viewer_open)
    shown = shown_image(browser)
    assert shown["figure"] == first and fragment(browser) == f"#{first}"
    assert shown["caption"] == caption_of(browser, first)
    assert ".webp" in shown["src"]  # from the srcset, as large as shown or the largest there is
    assert pixel_width(browser, shown["image"], shown["srcset"]) >= min(shown["width"], 640)
    assert shown["width"] > 640  # enlarged to fill the screen
    screenshot(browser, "viewer-1280")

    press(browser, Keys.ARROW_RIGHT)
    second = browser.find_elements(By.CSS_SELECTOR, "figure.image")[11].get_attribute("id")
    WebDriverWait(browser, WAIT_S).until(lambda b: fragment(b) == f"#{second}")
    assert shown_image(browser)["caption"] == caption_of(browser, second)

    press(browser, Keys.ESCAPE)
    WebDriverWait(browser, WAIT_S).until(viewer_closed)
    WebDriverWait(browser, WAIT_S).until(lambda b: fragment(b) == "")
    assert browser.current_url == (seed_site / SEED_URL_PATH).as_uri()


def test_back_button_closes_the_viewer_and_stays_on_the_post(browser: webdriver.Chrome,
                                                              seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    click_figure(browser, 3)
    WebDriverWait(browser, WAIT_S).until(viewer_open)
    browser.back()
    WebDriverWait(browser, WAIT_S).until(viewer_closed)
    assert browser.current_url == (seed_site / SEED_URL_PATH).as_uri()


def test_a_shared_address_opens_the_viewer_at_its_image(browser: webdriver.Chrome,
                                                        seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH, fragment="#image-braid")
    WebDriverWait(browser, WAIT_S).until(viewer_open)
    assert shown_image(browser)["figure"] == "image-braid"
    press(browser, Keys.ESCAPE)
    WebDriverWait(browser, WAIT_S).until(viewer_closed)
    assert fragment(browser) == ""


def test_viewer_at_phone_width_fits_and_swipes(browser: webdriver.Chrome,
                                               seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH, width=390, scale=3)
    first = click_figure(browser, 20)
    WebDriverWait(browser, WAIT_S).until(viewer_open)
    shown = shown_image(browser)
    assert 380 <= shown["width"] <= 390  # the screen's width
    assert pixel_width(browser, shown["image"], shown["srcset"]) == 640  # 390 x 3: the largest
    screenshot(browser, "viewer-390")
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    try:
        for kind, x in (("touchStart", 300), ("touchMove", 200), ("touchMove", 80),
                        ("touchEnd", 80)):
            points = [] if kind == "touchEnd" else [{"x": x, "y": 400}]
            browser.execute_cdp_cmd("Input.dispatchTouchEvent",
                                    {"type": kind, "touchPoints": points})
        WebDriverWait(browser, WAIT_S).until(lambda b: fragment(b) not in ("", f"#{first}"))
        assert shown_image(browser)["figure"] != first
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_without_javascript_a_click_opens_the_full_image(browser: webdriver.Chrome,
                                                         seed_site: Path) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    open_page(browser, seed_site / SEED_URL_PATH)
    link = browser.find_elements(By.CSS_SELECTOR, "figure a")[10]
    target = link.get_attribute("href")
    link.find_element(By.TAG_NAME, "img").click()
    assert browser.current_url == target
    assert target.endswith(".png") and "/images/" in target


def test_theme_toggle_overrides_the_system_and_is_remembered(browser: webdriver.Chrome,
                                                             seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    assert background(browser) > 600  # the system's light scheme
    toggle = browser.find_element(By.CSS_SELECTOR, ".theme-toggle")
    assert toggle.is_displayed()
    toggle.click()
    assert background(browser) < 150
    open_page(browser, seed_site / "index.html")
    assert background(browser) < 150  # remembered on the next page
    screenshot(browser, "home-dark-1280")
    browser.find_element(By.CSS_SELECTOR, ".theme-toggle").click()
    assert background(browser) > 600


def test_system_dark_scheme_is_the_default(browser: webdriver.Chrome, seed_site: Path) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    open_page(browser, seed_site / SEED_URL_PATH)
    assert background(browser) < 150
    browser.find_element(By.CSS_SELECTOR, ".theme-toggle").click()  # the reader picks light
    assert background(browser) > 600


@pytest.mark.parametrize(("width", "scale"), [(1280, 1), (1280, 2), (390, 3)])
def test_home_covers_are_sharp(browser: webdriver.Chrome, seed_site: Path, width: int,
                               scale: int) -> None:
    """A cover is shown from a file at least as wide as it is shown x the device pixel ratio;
    a small one (the seed's 360 px) is not stretched: sharp at least at ratio 1."""
    open_page(browser, seed_site / "index.html", width, scale)
    covers = browser.find_elements(By.CSS_SELECTOR, ".summary .cover picture")
    assert len(covers) == 2  # the wide cover's post, then the seed post
    for number, cover in enumerate(covers if scale == 1 else covers[:1]):
        image = cover.find_element(By.TAG_NAME, "img")
        browser.execute_script("arguments[0].scrollIntoView()", image)
        WebDriverWait(browser, WAIT_S).until(lambda b, image=image: b.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image))
        shown = browser.execute_script("return arguments[0].getBoundingClientRect().width",
                                       image)
        srcset = cover.find_element(By.TAG_NAME, "source").get_attribute("srcset")
        assert shown > 300 and pixel_width(browser, image, srcset) >= shown * scale, number
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, f"home-{width}-x{scale}")


def test_a_link_in_a_caption_stays_in_its_line(browser: webdriver.Chrome, seed_site: Path) -> None:
    open_page(browser, seed_site / SEED_URL_PATH)
    link = browser.find_element(By.CSS_SELECTOR, "figcaption a")
    assert link.value_of_css_property("display") == "inline"
    caption = link.find_element(By.XPATH, "./ancestor::figcaption")
    line_height = float(caption.value_of_css_property("line-height").removesuffix("px"))
    assert caption.size["height"] < 2.5 * line_height  # "Украденная из чужого поста картинка…"
