"""What a reader clicks on a page: copy buttons on code blocks, and the theme toggle."""

import pytest
from playwright.sync_api import expect

PROMPT = "$ "


@pytest.fixture
def clipboard(context, site_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)


def copy(page, block, copied_label):
    """Click a block's copy button, wait for it to say it copied; what was copied."""
    block.hover()
    button = block.locator("button.copy-code")
    button.click()
    expect(button).to_have_text(copied_label)
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_button_copies_commands_only(clipboard, page, errors):
    page.goto("zh_CN/ch01.html")
    block = page.locator("div.highlight-console").filter(has_text="HTTP/1.1").first
    lines = block.locator("pre").inner_text().splitlines()
    commands = [line.removeprefix(PROMPT) for line in lines if line.startswith(PROMPT)]
    assert commands and len(commands) < len(lines)
    copied = copy(page, block, "已复制")
    assert PROMPT not in copied
    assert copied.splitlines() == commands
    assert errors == []


def test_copy_button_copies_a_listing_as_shown(clipboard, page, errors):
    page.goto("en/ch01.html")
    block = page.locator("div.highlight-default").first
    shown = block.locator("pre").inner_text()
    assert "\n\n" in shown  # blank lines between functions are copied too
    assert block.locator("button.copy-code").inner_text() == "Copy"
    copied = copy(page, block, "Copied")
    assert copied == shown.removesuffix("\n")
    assert errors == []


def test_copy_button_is_labelled_in_the_edition_language(page):
    page.goto("zh_TW/ch01.html")
    assert page.locator("button.copy-code").first.inner_text() == "複製"


def test_theme_toggle_changes_theme(page, errors):
    page.goto("zh_CN/ch01.html")
    toggle = page.locator("button.theme-toggle:visible").first
    seen = [page.evaluate("document.body.dataset.theme")]
    for _ in range(3):
        toggle.click()
        seen.append(page.evaluate("document.body.dataset.theme"))
    assert seen[1] != seen[0]
    assert {"dark", "light"} <= set(seen)
    assert errors == []
