import pytest

from examples.ch02 import template_tags
from tests.support import run_program

EXAMPLE = template_tags
LETTER = {"to": "Ada", "sender": "Grace", "message": "Short.", "ps": "Bring shoes."}


def test_apply_receives_the_block_as_bytes_and_its_result_is_inserted():
    assert template_tags.wrap(b"one  two\n three") == "one two three"
    words = " ".join(["tram"] * 20)
    lines = template_tags.letter(day="2026-11-25", **LETTER | {"message": words}).splitlines()
    wrapped = lines[2 : lines.index("", 2)]
    assert " ".join(wrapped) == words
    assert max(map(len, wrapped)) <= template_tags.WIDTH < len(words)


def test_try_keeps_a_bad_date_from_breaking_the_letter():
    good = template_tags.letter(day="2026-11-25", **LETTER)
    bad = template_tags.letter(day="next Tuesday", **LETTER)
    assert "Written on Wednesday, 25 November 2026.\nYours, Grace\n" in good
    assert "Written on a day I cannot read: next Tuesday.\nYours, Grace\n" in bad
    assert "Written on Written" not in bad


def test_an_exception_the_template_does_not_catch_still_runs_finally_then_fails():
    with pytest.raises(TypeError):
        template_tags.letter(day=None, **LETTER)


def test_imports_in_the_template():
    letter = template_tags.letter(day="2026-11-25", **LETTER | {"ps": "a " * 40})
    assert "P.S. " + "a " * 13 + "[...]\n" in letter


def test_text_is_not_html_escaped():
    letter = template_tags.letter(day="2026-11-25", **LETTER | {"to": "Ada & <Co>"})
    assert letter.startswith("Dear Ada & <Co>,\n")


def test_the_script_prints_two_letters():
    printed = run_program("ch02/template_tags.py")
    assert printed.returncode == 0, printed.stderr
    first, second = printed.stdout.split("\n\nDear ")
    assert first.startswith("Dear Ada,\n\nThe trams are yellow")
    assert "Written on Wednesday, 25 November 2026." in first
    assert "Written on a day I cannot read: next Tuesday." in second
