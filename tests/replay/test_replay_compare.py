"""The differential check's row comparison (pure function)."""

from linux_auditd_at.replay.compare import FieldDiff, compare_rows, describe, normalise


def test_same_rows_in_any_order_are_the_same():
    splunk = [{"dest": "a", "count": "1"}, {"dest": "b", "count": "2"}]
    embedded = [{"dest": "b", "count": "2"}, {"dest": "a", "count": "1"}]
    result = compare_rows(splunk, embedded)
    assert result.same and result.matched == 2
    assert describe(result) == []


def test_one_wrong_value_is_one_field_difference_on_the_paired_row():
    splunk = [{"dest": "a", "comm": "at", "count": "1"}, {"dest": "b", "comm": "at", "count": "3"}]
    embedded = [{"dest": "a", "comm": "at", "count": "1"}, {"dest": "b", "comm": "at", "count": "2"}]
    result = compare_rows(splunk, embedded)
    assert result.field_diffs == [FieldDiff(1, "count", "3", "2")]
    assert not result.only_splunk and not result.only_embedded
    assert describe(result) == ["row 1: field 'count': splunk='3' embedded='2'"]


def test_splunk_json_conventions_absent_none_and_single_value_multivalue():
    # Splunk's JSON leaves out null fields and gives a one-value multivalue as a plain string.
    splunk = [{"dest": "a", "exe": "/usr/bin/at"}]
    embedded = [{"dest": "a", "exe": ["/usr/bin/at"], "UID": None}]
    assert compare_rows(splunk, embedded).same


def test_multivalue_order_matters_and_internal_fields_are_ignored():
    assert normalise(["x", "y"]) == ("x", "y")
    assert not compare_rows([{"v": ["x", "y"]}], [{"v": ["y", "x"]}]).same
    assert compare_rows([{"v": "1", "_time": "5"}], [{"v": "1", "_time": "6"}]).same


def test_rows_only_on_one_side_are_listed():
    result = compare_rows([{"dest": "a"}, {"dest": "a"}], [{"dest": "a"}, {"host": "z"}])
    assert result.matched == 1
    # the second Splunk row shares no value with the leftover embedded row: no pairing, two lists
    assert result.only_splunk == [{"dest": "a"}] and result.only_embedded == [{"host": "z"}]
    assert not result.field_diffs
    result = compare_rows([{"dest": "a"}], [])
    assert result.only_splunk == [{"dest": "a"}] and not result.same
    result = compare_rows([], [{"dest": "a"}])
    assert result.only_embedded == [{"dest": "a"}]
    assert describe(result) == ["only in embedded: {'dest': 'a'}"]
    assert describe(result, "expected") == ["only in expected: {'dest': 'a'}"]
