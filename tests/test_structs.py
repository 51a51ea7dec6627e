"""Struct classes behave as the dataclasses they replace: fields, defaults, equality, hashing,
repr, pattern matching, frozenness, copies and pickling."""

from __future__ import annotations

import copy
import pickle

import pytest

from linux_auditd_at.structs import Struct, field, fields, replace


class Point(Struct):
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str | None = field(default=None, compare=False, repr=False)


class Other(Struct):
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


class Counts(Struct, frozen=False):
    seen: int = 0
    names: list[str] = field(default_factory=list)


def test_arguments_by_position_and_keyword_with_defaults():
    assert Point(1) == Point(x=1, y=0, tags=())
    assert (Point(1, 2, ("a",)).y, Point(1, tags=("a",)).tags) == (2, ("a",))
    assert fields(Point(1)) == ("x", "y", "tags", "note")
    assert Point.y == 0 and Point.note is None and not hasattr(Point, "tags")


@pytest.mark.parametrize("call", [lambda: Point(), lambda: Point(1, 2, (), None, 5),
                                  lambda: Point(1, x=1), lambda: Point(1, z=1)])
def test_arguments_that_do_not_fit_are_a_type_error(call):
    with pytest.raises(TypeError):
        call()


def test_a_field_without_default_after_one_with_a_default_is_refused():
    with pytest.raises(TypeError, match="'b' without a default"):
        type("Bad", (Struct,), {"__annotations__": {"a": "int", "b": "int"}, "a": 0})


def test_equality_and_hash_by_class_and_compared_fields():
    assert Point(1, note="a") == Point(1, note="b")
    assert hash(Point(1, note="a")) == hash(Point(1, note="b"))
    assert Point(1) != Point(2)
    assert Point(1) != Other(1), "the same values in another class are not equal"
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_repr_shows_the_fields_shown():
    assert repr(Point(1, note="hidden")) == "Point(x=1, y=0, tags=())"


def test_pattern_matching_by_position():
    match Point(3, 4):
        case Point(x, y):
            assert (x, y) == (3, 4)
        case _:
            pytest.fail("no match")


def test_frozen_instances_refuse_changes():
    point = Point(1)
    with pytest.raises(AttributeError, match="cannot assign"):
        point.x = 2  # type: ignore[misc]  # assigning a frozen field is what is tried
    with pytest.raises(AttributeError, match="cannot delete"):
        del point.x  # type: ignore[misc]  # as is deleting one


def test_mutable_instances_change_and_are_unhashable():
    counts, other = Counts(), Counts()
    counts.seen += 1
    counts.names.append("a")
    assert counts == Counts(1, ["a"]) and other.names == [], "each instance gets its own list"
    with pytest.raises(TypeError):
        hash(counts)


def test_replace_copy_and_pickle_keep_the_class_and_values():
    point = Point(1, 2, ("a",), "n")
    assert replace(point, y=5) == Point(1, 5, ("a",)) and replace(point, y=5).note == "n"
    for copied in (copy.copy(point), copy.deepcopy(point), pickle.loads(pickle.dumps(point))):
        assert copied == point and copied.note == "n" and type(copied) is Point
    assert pickle.loads(pickle.dumps(Counts(2, ["b"]))) == Counts(2, ["b"])
