"""XSRF: a form posted without the token from the _xsrf cookie is refused with 403."""

import pytest


# ANCHOR: xsrf
@pytest.mark.asyncio
async def test_a_post_without_the_token_is_refused(mei):
    response = await mei.fetch("/posts", {"text": "Hello"}, xsrf=False)
    assert response.code == 403
    assert response.body == b"403 Forbidden: '_xsrf' argument missing from POST\n"


@pytest.mark.asyncio
async def test_a_post_with_a_wrong_token_is_refused(mei):
    response = await mei.fetch("/posts", {"text": "Hello", "_xsrf": "guessed"})
    assert response.code == 403
    assert response.body == b"403 Forbidden: XSRF cookie does not match POST argument\n"


@pytest.mark.asyncio
async def test_a_post_with_the_token_is_accepted(mei):
    response = await mei.fetch("/posts", {"text": "Hello"})
    assert response.code == 303
    assert response.headers["Location"] == "/"


# ANCHOR_END: xsrf
