"""What a reader clicks on a page: copy buttons on console transcripts, and the theme toggle."""

PROMPT = "$ "


def test_copy_button_copies_commands_only(context, page, errors, site_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    page.goto("zh_CN/ch01.html")
    block = page.locator("div.highlight-console").filter(has_text="HTTP/1.1").first
    lines = block.locator("pre").inner_text().splitlines()
    commands = [line.removeprefix(PROMPT) for line in lines if line.startswith(PROMPT)]
    assert commands and len(commands) < len(lines)
    block.hover()
    block.locator("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert PROMPT not in copied
    assert copied.splitlines() == commands
    assert errors == []


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
