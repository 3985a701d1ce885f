import re
import shlex
import stat
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import pytest
import tornado.web
from tornado.web import create_signed_value, decode_signed_value

from examples.ch06 import visits_plain, visits_signed
from tests.support import ROOT, run_example, run_program, serve_in_thread

EXAMPLE = visits_signed

OLD = "old-key-" + "o" * 40
NEW = "new-key-" + "n" * 40
DAY = 86400


@pytest.fixture
def keyed(mode, tmp_path):
    """The example signing with {1: OLD}, imported or started with --cookie-keys=FILE."""
    if mode == "in-process":
        with serve_in_thread(visits_signed.make_app({1: OLD})) as srv:
            yield srv
    else:
        keys = tmp_path / "keys.txt"
        keys.write_text(f"# signing keys, oldest first\n\n1 {OLD}\n", encoding="utf-8")
        with run_example("ch06/visits_signed.py", f"--cookie-keys={keys}") as srv:
            yield srv


def signed(value, key_version=1, secret=OLD, age_days=0, name="visits"):
    keys = {key_version: secret}
    then = time.time() - age_days * DAY
    return create_signed_value(
        keys, name, value, clock=lambda: then, key_version=key_version
    ).decode()


def visit(server, cookie_value=None):
    headers = {"Cookie": f'visits="{cookie_value}"'} if cookie_value else {}
    resp = server.fetch("/", headers=headers)
    assert resp.status == 200
    return resp


def morsel(resp):
    return SimpleCookie(resp.headers["Set-Cookie"])["visits"]


def count(resp):
    return int(resp.text.split()[2].rstrip("."))


@pytest.mark.reader
def test_first_visit(server):
    resp = visit(server)
    assert resp.text == "Visit number 1.\nCookie sent: signed with key 1.\n"


@pytest.mark.reader
def test_random_key_is_announced(server):
    if server.process is not None:
        assert "using a random key" in server.output()


def test_cookie_attributes(server):
    cookie = morsel(visit(server))
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] == ""  # plain HTTP: a Secure cookie would never come back
    assert cookie["expires"]
    assert cookie.value.startswith("2|1:1|")  # format version 2, key version 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_production_cookies_are_always_secure(scheme):
    # Behind a proxy (xheaders=True), a forged or passed-through X-Scheme must not matter.
    app = visits_signed.make_app({1: OLD}, production=True)
    with serve_in_thread(app, xheaders=True) as srv:
        resp = srv.fetch("/", headers={"X-Scheme": scheme})
        cookie = SimpleCookie(resp.headers["Set-Cookie"])["__Host-visits"]
        assert cookie["secure"] is True
        assert (cookie["path"], cookie["domain"]) == ("/", "")  # what __Host- requires
        again = srv.fetch("/", headers={"Cookie": f'__Host-visits="{cookie.value}"'})
        assert count(again) == 2


def test_development_mode_never_claims_secure():
    # The teaching simplification: plain http://localhost, whatever the request says.
    with serve_in_thread(visits_signed.make_app({1: OLD}), xheaders=True) as srv:
        resp = srv.fetch("/", headers={"X-Forwarded-Proto": "https"})
    assert morsel(resp)["secure"] == ""


@pytest.mark.reader
def test_production_option(mode, tmp_path):
    if mode == "in-process":
        running = serve_in_thread(visits_signed.make_app({1: OLD}, production=True))
    else:
        keys = tmp_path / "keys.txt"
        keys.write_text(f"1 {OLD}\n", encoding="utf-8")
        running = run_example("ch06/visits_signed.py", f"--cookie-keys={keys}", "--production")
    with running as srv:
        resp = srv.fetch("/")
    assert SimpleCookie(resp.headers["Set-Cookie"])["__Host-visits"]["secure"] is True


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("example", [visits_plain, visits_signed], ids=["plain", "signed"])
@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/", 200), ("GET", "/nowhere", 404), ("POST", "/", 405)]
)
def test_security_headers_on_every_answer(server, method, path, status):
    resp = server.fetch(path, method=method, body=b"" if method == "POST" else None)
    assert resp.status == status
    assert {name: resp.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS


@pytest.mark.reader
def test_counter_follows_its_own_cookie(keyed):
    value = None
    for number in range(1, 4):
        resp = visit(keyed, value)
        assert count(resp) == number
        value = morsel(resp).value
    assert decode_signed_value({1: OLD}, "visits", value) == b"3"


@pytest.mark.reader
def test_a_value_signed_with_the_key_is_believed(keyed):
    resp = visit(keyed, signed("41"))
    assert resp.text == (
        "Visit number 42.\nCookie received: signed with key 1.\nCookie sent: signed with key 1.\n"
    )


def test_forged_plain_number_is_ignored(keyed):
    resp = keyed.fetch("/", headers={"Cookie": "visits=1000000"})
    assert count(resp) == 1


def test_tampered_value_is_ignored(keyed):
    good = signed("41")
    forged = good.replace("4:NDE=", "4:OTk=")  # base64 of "41" -> "99", same signature
    assert forged != good
    assert count(visit(keyed, forged)) == 1


def test_tampered_signature_is_ignored(keyed):
    good = signed("41")
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert count(visit(keyed, forged)) == 1


def test_unknown_key_is_ignored(keyed):
    assert count(visit(keyed, signed("41", key_version=7, secret="x" * 40))) == 1


def test_key_version_claim_cannot_borrow_a_key(keyed):
    # A cookie that claims key 1 but was signed with another secret.
    assert count(visit(keyed, signed("41", key_version=1, secret="y" * 40))) == 1


def test_cookie_for_another_name_is_ignored(keyed):
    assert count(visit(keyed, signed("41", name="user"))) == 1


def test_expired_cookie_is_ignored(keyed):
    assert count(visit(keyed, signed("41", age_days=29))) == 42
    assert count(visit(keyed, signed("41", age_days=31))) == 1


def test_version_1_cookies_are_refused(keyed):
    old_style = create_signed_value(OLD, "visits", "41", version=1).decode()
    assert count(visit(keyed, old_style)) == 1


def test_why_min_version_2_matters():
    # Without min_version=2, a dict of keys meets a v1-looking value with an AssertionError:
    # a 500 for anyone who sends "visits=abc".
    with pytest.raises(AssertionError):
        decode_signed_value({1: OLD}, "visits", "abc")
    assert decode_signed_value({1: OLD}, "visits", "abc", min_version=2) is None


@pytest.mark.parametrize("value", ["2|", "2|1:1|x", "2|9999999999:1|", "|||", "2|1:x|1:1|"])
def test_garbage_is_ignored(keyed, value):
    assert count(visit(keyed, value)) == 1


def test_signed_but_not_a_number_starts_over(keyed):
    assert count(visit(keyed, signed("many"))) == 1


def test_key_rotation():
    with serve_in_thread(visits_signed.make_app({1: OLD})) as before:
        value = morsel(visit(before)).value
    # The new key signs from now on; the old one still verifies cookies already out there.
    with serve_in_thread(visits_signed.make_app({1: OLD, 2: NEW})) as during:
        resp = visit(during, value)
        assert resp.text.splitlines() == [
            "Visit number 2.",
            "Cookie received: signed with key 1.",
            "Cookie sent: signed with key 2.",
        ]
        value = morsel(resp).value
        assert value.startswith("2|1:2|")
    # Once every cookie has been re-signed or has expired, the old key can go.
    with serve_in_thread(visits_signed.make_app({2: NEW})) as after:
        assert count(visit(after, value)) == 3
        assert count(visit(after, signed("41"))) == 1


def test_read_keys(tmp_path):
    keys = tmp_path / "keys.txt"
    lines = [f"1 {OLD}", f"# retired: 0 {'z' * 40}", f"   # indented: 3 {'y' * 40}", f"2 {NEW}  "]
    keys.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert visits_signed.read_keys(keys) == {1: OLD, 2: NEW}


def test_the_key_file_commands_make_a_private_file(tmp_path):
    """The chapter's command creates the file readable by its owner only, whatever the umask
    of the terminal; its command for step 1 of a rotation adds version 2 and keeps version 1,
    and the file stays private."""
    shown = [ROOT / "examples/ch06/cookie-keys.steps.console"]
    shown.append(ROOT / "examples/ch06/key-rotation.steps.console")
    transcripts = "".join(path.read_text(encoding="utf-8") for path in shown)
    pattern = r"^\$ (\(umask 077; python -c .*? >>? cookie-keys\.txt\))$"
    commands = list(dict.fromkeys(re.findall(pattern, transcripts, re.MULTILINE)))
    assert [" >> " in command for command in commands] == [False, True]
    keys = tmp_path / "cookie-keys.txt"
    for command, versions in zip(commands, [[1], [1, 2]], strict=True):
        command = command.replace("python", shlex.quote(sys.executable), 1)
        subprocess.run(["sh", "-c", f"umask 022; {command}"], cwd=tmp_path, check=True, timeout=30)
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        assert list(visits_signed.read_keys(keys)) == versions


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no keys found"),
        ("# nothing\n", "no keys found"),
        (f"{OLD}\n", "write each key as 'VERSION KEY'"),
        ("1 short\n", "write each key as 'VERSION KEY'"),
        (f"one {OLD}\n", "write each key as 'VERSION KEY'"),
        (f"\u00b21 {OLD}\n", "write each key as 'VERSION KEY'"),  # isdigit() says yes
        (f"1\u00b2 {OLD}\n", "write each key as 'VERSION KEY'"),
        (f"\u0661 {OLD}\n", "write each key as 'VERSION KEY'"),  # an Arabic-Indic one
        (f"2 {OLD}\n02 {NEW}\n", "key version 2 appears twice"),  # not a silent replacement
        (f"1 {OLD}\n1 {OLD}\n", "key version 1 appears twice"),
    ],
)
def test_bad_key_files(tmp_path, content, message):
    keys = tmp_path / "keys.txt"
    keys.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        visits_signed.read_keys(keys)
    assert str(raised.value).startswith(f"{keys}: ")  # the message names the file


@pytest.mark.parametrize("problem", ["missing", "bad"])
def test_bad_key_file_is_a_one_line_error(tmp_path, problem):
    keys = tmp_path / "keys.txt"
    if problem == "bad":
        keys.write_text("1 short\n", encoding="utf-8")
    done = run_program("ch06/visits_signed.py", f"--cookie-keys={keys}", timeout=30)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.splitlines()) == 1


def test_production_needs_a_key_file():
    """A random key in production would sign everyone out at each restart, and two processes
    would not accept each other's cookies."""
    done = run_program("ch06/visits_signed.py", "--production", timeout=30)
    assert done.returncode == 1
    assert done.stderr == "error: --production needs --cookie-keys, keys that last\n"


def test_the_transcripts_forgery_fails_only_by_its_signature(keyed):
    """The forged value in visits_signed.console is refused for its signature alone: with a
    real signature in place of "forged", the same fields are believed, today and for decades."""
    transcript = (ROOT / "examples/ch06/visits_signed.console").read_text(encoding="utf-8")
    forged = re.search(r"visits=\"(2\|[^\"]*\|forged)\"", transcript)[1]
    assert count(visit(keyed, forged)) == 1
    fields = forged.removesuffix("forged")
    signature = tornado.web._create_signature_v2(OLD, fields).decode()
    assert count(visit(keyed, fields + signature)) == 1_000_000
