"""{% try %}, {% import %} and {% apply %} in a plain-text letter, rendered without a server."""

import textwrap
from pathlib import Path

import tornado.template

BASE = Path(__file__).parent
WIDTH = 36


def wrap(block):
    """What {% apply wrap %} does to the block's output, which arrives as bytes."""
    return textwrap.fill(" ".join(block.decode().split()), WIDTH)


def letter(**values):
    # Plain text for a terminal or an email, never sent as HTML: no HTML escaping.
    loader = tornado.template.Loader(str(BASE / "templates"), autoescape=None)
    return loader.load("letter.txt").generate(wrap=wrap, **values).decode()


def main():
    message = (
        "The trams are yellow, the hills are steep and the custard tarts are still warm "
        "when they reach the table."
    )
    ps = "Bring an umbrella and comfortable shoes for the hills."
    print(letter(to="Ada", sender="Grace", day="2026-11-25", message=message, ps=ps), end="")
    print(letter(to="Ada", sender="Grace", day="next Tuesday", message=message, ps=ps), end="")


if __name__ == "__main__":
    main()
