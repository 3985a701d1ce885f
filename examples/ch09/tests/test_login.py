"""Signing in: a signed cookie says who you are, and a cookie changed by anyone else is ignored."""

import base64

import pytest
from tornado.web import create_signed_value


@pytest.mark.asyncio
async def test_signing_in_sets_a_signed_cookie(mei):
    cookie = mei.cookies["member"]
    assert cookie.startswith("2|") and cookie != "mei"  # version 2 of Tornado's signed values
    page = await mei.fetch("/")
    assert b"Signed in as mei." in page.body


@pytest.mark.asyncio
async def test_a_wrong_password_is_refused(browser):
    await browser.fetch("/login")
    response = await browser.fetch("/login", {"name": "mei", "password": "plum rain"})
    assert response.code == 400
    assert b"Wrong name or password." in response.body
    assert "member" not in browser.cookies


# ANCHOR: tampered
@pytest.mark.asyncio
async def test_a_cookie_edited_by_hand_is_ignored(mei):
    version, *fields, signature = mei.cookies["member"].split("|")
    name = base64.b64encode(b"ravi").decode()  # "ravi" instead of "mei" ...
    fields[-1] = f"{len(name)}:{name}"  # ... with the right length: only the signature is off
    mei.cookies["member"] = "|".join([version, *fields, signature])
    page = await mei.fetch("/")
    assert b"Signed in as" not in page.body
    assert b"Sign in</a> to post." in page.body


@pytest.mark.asyncio
async def test_a_cookie_signed_with_another_secret_is_ignored(browser):
    forged = create_signed_value("not the app's secret", "member", "ravi")
    browser.cookies["member"] = forged.decode()
    page = await browser.fetch("/")
    assert b"Signed in as" not in page.body


# ANCHOR_END: tampered
@pytest.mark.asyncio
async def test_only_members_may_post(browser):
    await browser.fetch("/login")  # for the _xsrf cookie: this test is about the member cookie
    response = await browser.fetch("/posts", {"text": "Hello"})
    assert response.code == 403
    assert response.body == b"403 Forbidden\n"


@pytest.mark.asyncio
async def test_names_and_passwords_have_limits(browser):
    await browser.fetch("/login")
    response = await browser.fetch("/login", {"name": "mei", "password": "x" * 201})
    assert response.code == 400
    assert response.body == b"400 Bad Request: a name is 1-40 characters, a password 1-200\n"
