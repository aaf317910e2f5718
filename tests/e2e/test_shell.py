"""The web shell in a real browser: log in, switch language both ways, create a product,
add a module through htmx, and keep a full-page screenshot that must not be blank."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from tests.e2e.htmx import settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG with the standard library: (width, height, rows)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = depth = colour = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format depth={depth} colour={colour}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                up_left = prev[i - bpp] if i >= bpp else 0
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def assert_not_blank(path: Path) -> None:
    assert path.stat().st_size > 10_000, f"{path} is only {path.stat().st_size} bytes"
    width, height, rows = png_pixels(path)
    bpp = len(rows[0]) // width
    colours, dark = set(), 0
    for row in rows[:: max(1, height // 200)]:
        for x in range(0, width * bpp, bpp * 3):
            pixel = row[x : x + 3]
            colours.add(pixel)
            if sum(pixel) < 200:
                dark += 1
    assert len(colours) > 50, f"{path} looks blank: {len(colours)} colours"
    assert dark > 100, f"{path} has almost no dark (text) pixels"


def test_png_check_fails_on_a_blank_page(tmp_path):
    """The blank-page check itself: a uniform image must fail it."""
    width, height = 400, 300
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    blank = tmp_path / "blank.png"
    blank.write_bytes(png + b"\x00" * 20_000)  # big enough to pass the size check alone
    with pytest.raises(AssertionError):
        assert_not_blank(blank)


def test_shell_journey(live_server, browser, make_user, artifacts):
    make_user("alice", display_name="Alice Wang", password=PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Log in (the browser asks for Chinese, so the page is in zh-Hans).
        page.goto(f"{live_server.url}/")
        assert "/accounts/login/" in page.url
        assert page.locator("h1").inner_text() == "登录 pmloop"
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("#main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("h1").inner_text() == "欢迎，Alice Wang"
        assert page.locator(".empty h2").inner_text() == "从第一个产品开始"

        # Switch to English and back.
        page.click(".langswitch button[value=en]")
        page.wait_for_selector("text=Start with your first product")
        assert page.locator("html").get_attribute("lang") == "en"
        page.click(".langswitch button[value=zh-hans]")
        page.wait_for_selector("text=从第一个产品开始")
        assert page.locator("html").get_attribute("lang") == "zh-Hans"

        # Create a product from the empty state's call to action.
        page.click("text=+ 创建产品")
        page.fill("#id_code", "IMSDK")
        page.fill("#id_name", "IM SDK 即时通讯")
        page.fill("#id_description", "面向企业客户的即时通讯 SDK。")
        page.click("#main form button.btn-primary")
        page.wait_for_selector("text=产品“IM SDK 即时通讯”已创建")
        # htmx (deferred) binds on DOMContentLoaded; the flash can show before that.
        page.wait_for_load_state()
        assert "/modules/" in page.url
        # The switcher now shows it as the current product.
        assert "IM SDK 即时通讯" in page.locator(".switcher-button").inner_text()

        # Add modules without a page load (htmx), then a sub-module under the first.
        url_before = page.url
        page.fill("#add-name", "消息")
        page.press("#add-name", "Enter")
        page.wait_for_selector("text=已添加模块“消息”。")
        settled(page)
        assert page.evaluate("document.activeElement.id") == "add-name"
        page.fill("#add-name", "群组")
        page.press("#add-name", "Enter")
        page.wait_for_selector("text=已添加模块“群组”。")
        settled(page)
        assert page.url == url_before
        first = page.locator("li.node").first
        first.locator(".node-row").first.hover()
        first.locator("summary", has_text="子模块").click()
        first.locator("input[id^=child-]").fill("群聊")
        first.locator("input[id^=child-]").press("Enter")
        page.wait_for_selector("text=已添加模块“群聊”。")
        settled(page)
        assert page.locator("li.node .tree .node-name").first.inner_text() == "群聊"

        # A refused action is shown inline: a duplicate name at the same level.
        page.fill("#add-name", "消息")
        page.press("#add-name", "Enter")
        page.wait_for_selector("#error-add")
        settled(page)
        assert "已有名为“消息”的模块" in page.locator("#error-add").inner_text()

        shot = artifacts / "shell-modules-zh-Hans.png"
        page.screenshot(path=str(shot), full_page=True)
        assert "IM SDK 即时通讯" in page.inner_text("body")
        assert_not_blank(shot)
        assert errors == []
    finally:
        context.close()
