import io
import unittest

import pytest

from examples.porting import tea_prices
from examples.porting.tests import test_tea_prices as ported_tests

EXAMPLE = tea_prices


@pytest.mark.reader
@pytest.mark.parametrize(("tea", "price"), [("green", "12.50"), ("oolong", "18.00")])
def test_a_known_tea_has_its_price(server, tea, price):
    resp = server.fetch(f"/price/{tea}")
    assert (resp.status, resp.text) == (200, f"{tea}: {price} yuan a pot\n")
    assert resp.headers["Content-Type"] == tea_prices.TEXT


@pytest.mark.reader
def test_the_librarys_error_reaches_the_handler_as_a_404(server):
    resp = server.fetch("/price/puer")
    assert (resp.status, resp.text) == (404, "no price for that tea\n")


@pytest.mark.parametrize("path", ["/price/Green", "/price/%3Cb%3E", "/price/", "/price/a/b"])
def test_other_paths_are_tornados_404(server, path):
    assert server.fetch(path).status == 404


def test_the_ported_unittest_module_passes_in_process():
    """Appendix A's ported tests (examples/porting/tests), run here as unittest runs them."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(ported_tests)
    result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    assert (result.testsRun, result.wasSuccessful()) == (2, True)
