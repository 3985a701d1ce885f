"""Reading the book's MyST pages: their fenced directives and options."""

import re

FENCE = re.compile(r"^(?P<mark>`{3,}|:{3,})\s*\{(?P<name>[\w-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


def directives(page):
    """(name, argument, options, line number) of every fenced directive on a MyST page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line.strip())
        if not match:
            continue
        options = {}
        for following in lines[number:]:
            option = OPTION.match(following.strip())
            if not option:
                break
            options[option["key"]] = option["value"]
        found.append((match["name"], match["arg"].strip(), options, number))
    return found
