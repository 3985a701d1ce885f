import tornado.template
import tornado.web

from examples.ch02 import template_demo
from tests.support import run_program, serve_in_thread

EXAMPLE = template_demo
GREETING = "<p>Hello, Grace!</p>\n<ul>\n\n<li>Lisbon</li>\n\n<li>Kyoto &amp; Nara</li>\n\n</ul>\n"


def test_generate_returns_bytes():
    assert template_demo.first_template() == b"Hello, Ada! 42"


def test_a_bare_template_escapes_unless_told_not_to():
    escaped, verbatim = template_demo.escaping("<b>Ada</b>")
    assert escaped == b"Hello, &lt;b&gt;Ada&lt;/b&gt;!"
    assert verbatim == b"Hello, <b>Ada</b>!"
    assert tornado.template.Template("").autoescape == "xhtml_escape"


def test_a_loader_reads_files_and_html_files_lose_their_indentation():
    page = template_demo.from_file(name="Grace", cities=["Lisbon", "Kyoto & Nara"])
    assert page.decode() == GREETING


class Greeting(tornado.web.RequestHandler):
    def get(self):
        self.render("greeting.html", name="<b>Ada</b>", cities=[])


def test_an_application_escapes_by_default_too():
    templates = template_demo.BASE / "templates"
    app = tornado.web.Application([(r"/", Greeting)], template_path=templates)
    with serve_in_thread(app) as server:
        assert "<p>Hello, &lt;b&gt;Ada&lt;/b&gt;!</p>" in server.fetch("/").text


def test_the_script_prints_what_the_book_shows():
    # As the reader runs it: from the repository root, in a terminal.
    printed = run_program("ch02/template_demo.py")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (
        "b'Hello, Ada! 42'\nHello, &lt;b&gt;Ada&lt;/b&gt;!\nHello, <b>Ada</b>!\n" + GREETING
    )
