from urllib.parse import urlencode, urlsplit

import pytest

from examples.ch06 import attacker, xsrf_board
from tests.support import run_example, run_program, serve_in_thread

EXAMPLE = attacker


def attack_form(server):
    page = server.page("/")
    form = page.find("form", id="prize")
    fields = {field["name"]: field["value"] for field in form.find_all("input")}
    return page, form, fields


@pytest.mark.reader
def test_the_page_is_labelled_and_submits_itself(server):
    page, form, fields = attack_form(server)
    assert "XSRF demonstration from chapter 6" in page.find(class_="label").get_text()
    assert (form["method"], form["action"]) == ("post", "http://localhost:8000/notes")
    assert list(fields) == ["text"]  # no _xsrf token: the attacker cannot know it
    assert 'getElementById("prize").submit()' in page.find("script").string


def test_the_attack_fails_against_the_board():
    """Replay the attack page's form as the victim's browser would send it."""
    with serve_in_thread(xsrf_board.make_app()) as board:
        with serve_in_thread(attacker.make_app(target=board.url)) as evil:
            _, form, fields = attack_form(evil)
        assert form["action"] == f"{board.url}/notes"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{evil.port}",
            "Sec-Fetch-Site": "cross-site",
        }
        path = urlsplit(form["action"]).path
        resp = board.fetch(path, method="POST", body=urlencode(fields), headers=headers)
        assert resp.status == 403
        assert board.fetch("/").html.select("#notes li") == []


def test_target_option():
    with run_example("ch06/attacker.py", "--target=http://127.0.0.1:8123/") as evil:
        _, form, _ = attack_form(evil)
        assert form["action"] == "http://127.0.0.1:8123/notes"
        assert "attacking http://127.0.0.1:8123/" in evil.output()


@pytest.mark.parametrize(
    "url", ["http://localhost:8000", "http://localhost:8000/", "http://127.0.0.1:9"]
)
def test_local_targets(url):
    assert attacker.check_target(url) == url.rstrip("/")


def test_a_target_is_rebuilt_from_its_host_and_port():
    assert attacker.check_target("http://127.0.0.1") == "http://127.0.0.1:80"
    assert attacker.check_target("http://localhost:08000/") == "http://localhost:8000"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com:8000",
        "http://localhost.example.com",
        "ftp://localhost",
        "http://localhost:8000/admin",
        "localhost:8000",
        "http://localhost:8000/?next=x",  # the form's action would become ...?next=x/notes
        "http://localhost:8000?",
        "http://localhost:8000#top",
        "http://localhost:8000/#",
        # urlsplit() sees localhost in these; a browser sees the host evil.example.
        "http://evil.example\\@localhost:8000",
        "http://evil.example\\@localhost:8000/",
        "http://evil.example@localhost:8000",
        "http://user:pass@localhost:8000",
        "http://localhost:8000\\@evil.example",
        "http://localhost:99999",
        "http://localhost:",
        "http://localhost:0",
    ],
)
def test_other_targets_are_refused(url):
    with pytest.raises(ValueError, match="the target must look like http://localhost:8000"):
        attacker.check_target(url)
    with pytest.raises(ValueError):
        attacker.make_app(target=url)


def test_bad_target_is_a_one_line_error():
    done = run_program("ch06/attacker.py", "--target=https://example.com", timeout=30)
    assert done.returncode == 1
    assert done.stderr == (
        "error: the target must look like http://localhost:8000, not 'https://example.com'\n"
    )


@pytest.mark.reader
def test_the_evil_site_sets_no_policy(server):
    # It is the attacker's own page: nothing makes it restrict itself, and its inline script
    # is the attack. The board's policy protects the board's pages, not this one.
    resp = server.fetch("/")
    assert resp.headers["Content-Security-Policy"] is None
