"""A first form and template: write a postcard, get it back as a page."""

import asyncio
import re
import sys
from pathlib import Path

import tornado.options
import tornado.web
from tornado.options import define, options

BASE = Path(__file__).parent
MAX_BODY_SIZE = 16 * 1024
LIMITS = {"to": 40, "sender": 40, "city": 40, "message": 500}
WEATHER = {"sunny": "Sunny", "cloudy": "Cloudy", "rainy": "Rainy", "snowy": "Snowy"}


def paragraphs(text):
    """The text split at blank lines, without empty pieces."""
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def check(values):
    """An error message for each field that is missing or wrong."""
    errors = {}
    for name, limit in LIMITS.items():
        if not values[name]:
            errors[name] = "Please fill this in."
        elif len(values[name]) > limit:
            errors[name] = f"Please keep this to {limit} characters (it has {len(values[name])})."
    if values["weather"] not in WEATHER:
        errors["weather"] = "Please choose one of the listed kinds of weather."
    return errors


class BaseHandler(tornado.web.RequestHandler):
    def render_form(self, values, errors):
        self.render(
            "postcard_form.html",
            values=values,
            errors=errors,
            limits=LIMITS,
            weather_names=WEATHER,
        )


class FormHandler(BaseHandler):
    def get(self):
        # Query arguments may pre-fill the form, as the "reply" link does.
        values = {name: self.get_argument(name, "")[:limit] for name, limit in LIMITS.items()}
        values["weather"] = "sunny"
        self.render_form(values, errors={})


class PostcardHandler(BaseHandler):
    def post(self):
        values = {name: self.get_argument(name, "") for name in [*LIMITS, "weather"]}
        errors = check(values)
        if errors:
            self.set_status(400)
            self.render_form(values, errors)
            return
        self.render("postcard.html", paragraphs=paragraphs, weather_names=WEATHER, **values)


def make_app():
    return tornado.web.Application(
        [(r"/", FormHandler), (r"/postcard", PostcardHandler)],
        template_path=BASE / "templates",
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
