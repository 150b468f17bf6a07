"""The results browser in a real headless Chromium: every page renders, shows its content and logs no error."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from server_test_support import load_json, post_file, reference_files, wait_for_database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture
def browser_url(live_servers) -> str:
    """A live server holding every reference file."""
    url = live_servers(processes=1, threads=4).urls[0]
    for path in reference_files():
        status, reply = post_file(url, path.name, load_json(path))
        assert status == 201, reply
    wait_for_database(url)  # uploads are answered before the tables hold them
    return url


@pytest.fixture
def driver() -> Iterator[object]:
    """Headless Chromium driven by chromedriver, with a fresh profile and the console log captured."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(profile, ignore_errors=True)


def assert_not_blank(png: bytes, where: str) -> None:
    """A page that rendered has text, lines and colours: far from one flat colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    dominant = max(count for count, _ in colours) / (image.width * image.height)
    assert len(colours) > 50, f"{where}: only {len(colours)} colours, the page looks blank"
    assert dominant < 0.97, f"{where}: {dominant:.1%} of the screenshot is one colour, the page looks blank"


def console_errors(chrome: object) -> list[dict]:
    return [entry for entry in chrome.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def visit(chrome: object, url: str, tmp_path: Path, label: str) -> str:
    """Load a page, wait until it is complete, screenshot it and check it; return its text."""
    from selenium.webdriver.support.ui import WebDriverWait

    chrome.get(url)
    WebDriverWait(chrome, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    png = chrome.get_screenshot_as_png()
    (tmp_path / f"{label}.png").write_bytes(png)
    assert_not_blank(png, label)
    errors = console_errors(chrome)
    assert not errors, f"{label}: console errors {errors}"
    return chrome.find_element("tag name", "body").text


@needs_chromium
def test_pages_render_in_chromium(browser_url, driver, tmp_path):
    text = visit(driver, f"{browser_url}/", tmp_path, "index")
    assert "14 runs" in text
    assert "Apple M1 Max" in text

    text = visit(driver, f"{browser_url}/machines", tmp_path, "machines")
    for expected in ("Apple M1 Max", "i7-9700K", "64.0 GiB", "Windows 10", "Darwin 23.2.0"):
        assert expected in text
    assert "Ackermann" in text

    text = visit(driver, f"{browser_url}/benchmarks", tmp_path, "benchmarks")
    assert "time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice" in text

    benchmark = "time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice"
    text = visit(driver, f"{browser_url}/benchmark?{urlencode({'name': benchmark})}", tmp_path, "benchmark")
    assert benchmark in text
    # The SVG plot loaded and has a real size.
    width = driver.execute_script("const i = document.getElementById('plot'); return i.complete && i.naturalWidth;")
    assert width and width > 300
    svg = requests.get(driver.find_element("id", "plot").get_attribute("src"), timeout=30)
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert svg.text.count("<path") > 10  # points and lines were drawn

    text = visit(
        driver, f"{browser_url}/benchmark?{urlencode({'name': benchmark, 'x': 'commit'})}", tmp_path, "commits"
    )
    assert driver.execute_script("return document.getElementById('plot').naturalWidth") > 300

    tracked = "network_tracking_remote_slicing.RemfileContinuousSliceBenchmark.track_network_activity_during_slice"
    text = visit(driver, f"{browser_url}/benchmark?{urlencode({'name': tracked})}", tmp_path, "tracked")
    assert "Quantity" in text

    runs = requests.get(f"{browser_url}/data/runs", timeout=30).json()
    apple = [run["run"] for run in runs if run["machine"].startswith("e9c0")]
    query = urlencode({"base": apple[1], "head": apple[2], "allow_other_machine": "1"})
    text = visit(driver, f"{browser_url}/compare?{query}", tmp_path, "compare")
    assert "Contender against baseline" in text
    verdicts = driver.find_elements("css selector", "table.comparison tbody tr")
    assert len(verdicts) > 5
    marked = {row.get_attribute("class") for row in verdicts}
    # The 2024 runs kept three samples per benchmark: too few for any timing verdict but "uncertain".
    assert marked <= {"faster", "slower", "same", "uncertain"} and "uncertain" in marked
    assert "too few samples" in text


@needs_chromium
def test_swagger_ui_renders_offline(browser_url, driver, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{browser_url}/docs")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements("css selector", ".swagger-ui .opblock"))
    png = driver.get_screenshot_as_png()
    (tmp_path / "docs.png").write_bytes(png)
    assert_not_blank(png, "docs")
    assert not console_errors(driver)
    text = driver.find_element("tag name", "body").text
    assert "/data/contribute" in text and "NWB benchmarks results server" in text
    # Every resource the page loaded came from this server.
    sources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert sources and all(source.startswith(browser_url) for source in sources), sources


def test_the_blank_page_check_can_fail():
    from PIL import Image, ImageDraw

    blank = Image.new("RGB", (400, 300), "white")
    buffer = io.BytesIO()
    blank.save(buffer, format="PNG")
    with pytest.raises(AssertionError, match="blank"):
        assert_not_blank(buffer.getvalue(), "white")
    drawn = blank.copy()
    pen = ImageDraw.Draw(drawn)
    for step in range(0, 300, 3):
        pen.line([(0, step), (400, 300 - step)], fill=(step % 256, (step * 7) % 256, 90), width=2)
    buffer = io.BytesIO()
    drawn.save(buffer, format="PNG")
    assert_not_blank(buffer.getvalue(), "drawn")
