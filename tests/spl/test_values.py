"""How values leave the engine: Splunk's JSON results print numbers as strings."""

from __future__ import annotations

import pytest

from linux_auditd_at.spl.values import all_text, as_text, as_texts, format_number, to_number, to_result


@pytest.mark.parametrize(("number", "text"), [
    (3, "3"),
    (1795915736.369, "1795915736.369"),   # _time keeps its milliseconds
    (1795915800.0, "1795915800"),         # an integral float prints without ".0"
    (6.5, "6.5"),
    (10 / 3, "3.3333333333333335"),       # UNVERIFIED pin: shortest round-trip repr
    (1e16, "1e+16"),                      # UNVERIFIED pin: large floats switch to exponent form
])
def test_format_number(number, text):
    assert format_number(number) == text


@pytest.mark.parametrize("values", [
    [1795915736.369, 1795915800.0, -0.0, 1e16, 1e300, float("inf"), 5e-05, 10 / 3, -3.0],  # floats alone
    [1795915736.369, "1795915800", 3, True, None],
    ["at", "1795915800", ""],
    [],
])
def test_as_texts_is_as_text_of_each_value(values):
    assert as_texts(values) == [as_text(value) for value in values]
    assert all_text(values) == all(type(value) is str for value in values)


@pytest.mark.parametrize(("text", "number"), [
    ("10", 10), ("-3", -3), ("+4", 4), ("2.5", 2.5), (".5", 0.5), ("1e3", 1000.0), (" 7 ", 7),
    ("0x1F", None), ("abc", None), ("", None), ("nan", None), ("1.2.3", None),
])
def test_to_number(text, number):
    assert to_number(text) == number


def test_to_result_shapes():
    assert to_result(None) is None
    assert to_result(["a"]) == "a"          # a one-value multivalue is a plain string
    assert to_result(["a", 2]) == ["a", "2"]
    assert to_result(1.5) == "1.5"


def test_numbers_too_long_for_python_are_infinite():
    """Python refuses to convert integers of more than 4,300 digits; a double cannot hold them."""
    assert to_number("9" * 5000) == float("inf")
    assert to_number("-" + "9" * 5000) == float("-inf")
    assert to_number("9" * 400) == int("9" * 400)  # within Python's limit: exact, as before
    assert format_number(10 ** 5000) == "inf" and format_number(-(10 ** 5000)) == "-inf"
