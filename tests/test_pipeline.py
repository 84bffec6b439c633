"""The parser runs in a child process; whatever goes wrong there must surface in the importer."""
import os

import pytest

from importer.errors import DamagedInputError
from importer.jobs.imports import parsed_in_child


def records_then(ending):
    def make_reader(progress):
        yield from range(300)
        ending()
    return make_reader


def test_records_cross_in_order():
    assert list(parsed_in_child(records_then(lambda: None), "test.xml")) == list(range(300))


def test_an_error_in_the_parser_is_raised_after_the_records_before_it():
    def fail():
        raise ValueError("damaged at line 7")

    received = []
    with pytest.raises(ValueError, match="line 7"):
        for record in parsed_in_child(records_then(fail), "test.xml"):
            received.append(record)
    assert received == list(range(300))


def test_a_record_that_cannot_cross_fails_the_import():
    def make_reader(progress):
        yield 1
        yield lambda: None  # not picklable

    with pytest.raises(Exception, match="pickle"):
        list(parsed_in_child(make_reader, "test.xml"))


def test_a_parser_that_dies_is_reported_not_waited_for():
    with pytest.raises(DamagedInputError, match="test.xml: the parser process ended unexpectedly .exit code 3"):
        list(parsed_in_child(records_then(lambda: os._exit(3)), "test.xml"))
