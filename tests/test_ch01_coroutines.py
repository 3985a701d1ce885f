import asyncio

from examples.ch01 import coroutines
from tests.support import run_program

EXAMPLE = coroutines

OUTPUT = """\
brew() gave back a coroutine; nothing has run yet
oolong: steeping
oolong: ready
await gave back 'oolong'
green: steeping
black: steeping
black: ready
green: ready
gather gave back ['green', 'black']
"""


def test_calling_a_coroutine_function_runs_nothing(capsys):
    pot = coroutines.brew("oolong", 0)
    assert asyncio.iscoroutine(pot)
    assert capsys.readouterr().out == ""
    assert asyncio.run(pot) == "oolong"
    assert capsys.readouterr().out == "oolong: steeping\noolong: ready\n"


def test_main_waits_for_both_teas_at_once(capsys):
    asyncio.run(coroutines.main())
    assert capsys.readouterr().out == OUTPUT


def test_runs_as_a_reader_runs_it():
    result = run_program("ch01/coroutines.py", timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == OUTPUT
    assert result.stderr == ""
