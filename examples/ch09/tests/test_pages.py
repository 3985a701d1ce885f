"""Pages: they render, and whatever a user typed comes back as text, never as markup."""

import pytest
from tornado.escape import xhtml_escape

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' autofocus onfocus='alert(1)",
    "&lt;b&gt; already escaped",
]


@pytest.mark.asyncio
async def test_visitors_are_invited_to_sign_in(browser):
    response = await browser.fetch("/")
    assert response.code == 200
    assert b'<a href="/login">Sign in</a> to post.' in response.body


# ANCHOR: escaping
@pytest.mark.asyncio
@pytest.mark.parametrize("text", HOSTILE)
async def test_posts_are_shown_as_text(mei, text):
    posted = await mei.fetch("/posts", {"text": text})
    assert posted.code == 303
    page = (await mei.fetch("/")).body.decode()
    assert xhtml_escape(text) in page
    assert text not in page


@pytest.mark.asyncio
@pytest.mark.parametrize("name", HOSTILE)
async def test_the_name_typed_comes_back_escaped(browser, name):
    await browser.fetch("/login")
    response = await browser.fetch("/login", {"name": name, "password": "wrong"})
    assert response.code == 400
    page = response.body.decode()
    assert f'value="{xhtml_escape(name)}"' in page
    assert name not in page


# ANCHOR_END: escaping
@pytest.mark.asyncio
async def test_an_unknown_page_is_a_404_in_plain_text(browser):
    response = await browser.fetch("/nowhere")
    assert response.code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.body == b"404 Not Found\n"
