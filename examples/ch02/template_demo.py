"""The template language on its own, before any server: Template, generate, Loader, escaping."""

from pathlib import Path

import tornado.template

BASE = Path(__file__).parent


def first_template():
    template = tornado.template.Template("Hello, {{ name }}! {{ 6 * 7 }}")
    return template.generate(name="Ada")


def escaping(name):
    text = "Hello, {{ name }}!"
    escaped = tornado.template.Template(text)
    verbatim = tornado.template.Template(text, autoescape=None)
    return escaped.generate(name=name), verbatim.generate(name=name)


def from_file(**values):
    loader = tornado.template.Loader(str(BASE / "templates"))
    return loader.load("greeting.html").generate(**values)


def main():
    print(first_template())
    for output in escaping("<b>Ada</b>"):
        print(output.decode())
    print(from_file(name="Grace", cities=["Lisbon", "Kyoto & Nara"]).decode(), end="")


if __name__ == "__main__":
    main()
