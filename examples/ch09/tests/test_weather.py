"""Calling another service: a slow, absent or broken weather service is a 504 or a 502."""

import json

import pytest


@pytest.mark.asyncio
async def test_the_weather_where_the_club_meets(browser):
    response = await browser.fetch("/weather")
    assert response.code == 200
    assert json.loads(response.body) == {"city": "Hangzhou", "sky": "light rain", "temp_c": 24}


# ANCHOR: failures
@pytest.mark.asyncio
@pytest.mark.parametrize("weather_timeout", [0.5])  # overrides the fixture: a short wait
async def test_a_slow_service_is_a_504(browser, weather):
    weather.behaviour = "slow"  # and nobody sets weather.release
    response = await browser.fetch("/weather")
    assert response.code == 504
    assert json.loads(response.body) == {"error": "the weather service did not answer in 0.5 s"}


@pytest.mark.asyncio
async def test_a_service_that_is_down_is_a_502(browser, weather):
    await weather.stop()
    response = await browser.fetch("/weather")
    assert response.code == 502
    assert json.loads(response.body) == {"error": "the weather service cannot be reached"}


@pytest.mark.asyncio
async def test_garbage_from_the_service_is_a_502(browser, weather):
    weather.behaviour = "garbage"
    response = await browser.fetch("/weather")
    assert response.code == 502
    assert json.loads(response.body) == {"error": "the weather service hung up or sent garbage"}


# ANCHOR_END: failures
