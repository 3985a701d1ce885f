"""A bigger form app: word frequencies, with static files and a helper for every template."""

import asyncio
import re
import sys
from collections import Counter
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

# ANCHOR: settings
BASE = Path(__file__).parent
MAX_BODY_SIZE = 256 * 1024
MAX_TITLE = 80
MAX_TEXT = 20_000
TOP_CHOICES = ("10", "25", "50")
COMMON = frozenset(
    """
    a an and are as at be but by for from had has have he her him his i if in into is it its me my
    no not of on or our she so than that the their them then there they this to us was we were
    what when which who will with would you your
    """.split()
)
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# ANCHOR_END: settings


class StaticFiles(tornado.web.StaticFileHandler):
    """A NUL byte in a file name gets a 400, not the 500 of Tornado 6.5.9, 6.5.10, 6.6.0, 6.6.1."""

    def validate_absolute_path(self, root, absolute_path):
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "a file name cannot contain a NUL byte")
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code, **kwargs):
        # Say why, in plain text: Tornado's own reasons repeat the path that was asked for.
        _, error, _ = kwargs.get("exc_info", (None, None, None))
        if isinstance(error, tornado.web.HTTPError) and status_code < 500 and error.get_message():
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {error.get_message()}\n")
        else:
            super().write_error(status_code, **kwargs)


def count_words(text, skip_common):
    words = (word.casefold() for word in WORD.findall(text))
    return Counter(word for word in words if not (skip_common and word in COMMON))


def percent(part, whole):
    return f"{100 * part / whole:.1f}%"


def check(form):
    """An error message for each field that is missing or wrong."""
    errors = {}
    if len(form["title"]) > MAX_TITLE:
        errors["title"] = f"Please keep the title to {MAX_TITLE} characters."
    if not form["text"]:
        errors["text"] = "Please paste some text."
    elif len(form["text"]) > MAX_TEXT:
        errors["text"] = (
            f"This text has {len(form['text']):,} characters; the limit is {MAX_TEXT:,}."
        )
    if form["top"] not in TOP_CHOICES:
        errors["top"] = "Please choose one of the listed sizes."
    return errors


class BaseHandler(tornado.web.RequestHandler):
    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        namespace.update(percent=percent, max_title=MAX_TITLE, max_text=MAX_TEXT)
        return namespace

    def render_form(self, form, errors):
        self.render("wordfreq_form.html", form=form, errors=errors, top_choices=TOP_CHOICES)


class FormHandler(BaseHandler):
    def get(self):
        form = {"title": "", "text": "", "top": "10", "skip_common": True}
        self.render_form(form, errors={})


class ReportHandler(BaseHandler):
    def get(self):
        # Nothing was submitted: send the visitor to the form.
        self.redirect("/")

    def post(self):
        form = {
            "title": self.get_argument("title", ""),
            "text": self.get_argument("text", ""),
            "top": self.get_argument("top", ""),
            "skip_common": self.get_argument("skip_common", "") == "on",
        }
        errors = check(form)
        if not errors:
            counts = count_words(form["text"], form["skip_common"])
            if counts:
                self.render(
                    "wordfreq_report.html",
                    title=form["title"],
                    characters=len(form["text"]),
                    total=counts.total(),
                    distinct=len(counts),
                    top=counts.most_common(int(form["top"])),
                )
                return
            errors["text"] = "There are no words left to count in this text."
        self.set_status(400)
        self.render_form(form, errors)


def make_app():
    return tornado.web.Application(
        [(r"/", FormHandler), (r"/report", ReportHandler)],
        template_path=BASE / "templates",
        static_path=BASE / "static",
        static_handler_class=StaticFiles,
    )


async def main(port):
    app = make_app()
    app.listen(port, address="127.0.0.1", max_body_size=MAX_BODY_SIZE)
    print(f"Listening on http://localhost:{port}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    define("port", default=8000, type=int, help="TCP port to listen on")
    try:
        tornado.options.parse_command_line()
        if not 0 < options.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {options.port}")
    except (tornado.options.Error, ValueError) as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(options.port))
