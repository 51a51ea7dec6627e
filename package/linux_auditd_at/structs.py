"""Record classes that cost no more to define than plain ones: what `@dataclass` gives (fields,
`__init__`, `__eq__`, `__hash__`, `__repr__`, `__match_args__`, frozen instances), with the
methods written once here instead of generated for each class.

    class Token(Struct):                  # frozen and hashable, as @dataclass(frozen=True)
        kind: str
        pos: int = 0
        table: Table | None = field(default=None, compare=False, repr=False)

    class Stats(Struct, frozen=False):    # mutable and unhashable, as @dataclass
        files: list[str] = field(default_factory=list)

    replace(token, pos=3)                 # a copy with some fields changed (dataclasses.replace)
    fields(token)                         # the field names, in order (dataclasses.fields)
    isinstance(node, Struct)              # dataclasses.is_dataclass

Every `run` defines some fifty such classes (the SPL tree, the reader's counts, the detection):
Python 3.11's dataclasses compiles each generated method of each class with `exec` at import,
about a millisecond a class, and importing it imports `inspect`; together a third of a run's
start-up. The fields are a class's own annotations (structs do not inherit from one another),
in order; a field without a default may not follow one with a default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

MISSING: Any = object()
"""The default of a field that has none."""


class Field:
    """What `field(...)` returns in a class body; `Struct` reads it when the class is defined."""

    __slots__ = ("default", "default_factory", "compare", "repr")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, compare: bool,
                 repr: bool):
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | None = None,
          compare: bool = True, repr: bool = True) -> Any:
    """A field's default, or the function making a fresh one per instance, and whether it takes
    part in equality and hashing (`compare`) and in the repr, as dataclasses.field's."""
    return Field(default, default_factory, compare, repr)


class _Layout:
    """A struct class's fields: names in order, defaults, factories, those compared and shown."""

    __slots__ = ("names", "defaults", "factories", "compared", "shown")

    def __init__(self, cls: type):
        self.names: tuple[str, ...] = tuple(cls.__dict__.get("__annotations__", {}))
        self.defaults: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        compared, shown = [], []
        for name in self.names:
            spec = cls.__dict__.get(name, MISSING)
            if not isinstance(spec, Field):
                spec = Field(spec, None, True, True)
            self._set_default(cls, name, spec)
            compared += [name] if spec.compare else []
            shown += [name] if spec.repr else []
        self.compared, self.shown = tuple(compared), tuple(shown)

    def _set_default(self, cls: type, name: str, spec: Field) -> None:
        if spec.default_factory is not None:
            self.factories[name] = spec.default_factory
            delattr(cls, name)
        elif spec.default is not MISSING:
            self.defaults[name] = spec.default
            setattr(cls, name, spec.default)
        elif self.defaults or self.factories:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")

    def values(self, cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The fields' values of `cls(*args, **kwargs)`, defaults filled in; a TypeError for
        arguments that do not fit, as a generated __init__ would raise."""
        if len(args) > len(self.names):
            raise TypeError(f"{cls.__name__}() takes {len(self.names)} arguments but {len(args)} were given")
        values = dict(zip(self.names, args, strict=False))
        for name, value in kwargs.items():
            if name not in self.names or name in values:
                raise TypeError(f"{cls.__name__}() got an unexpected or repeated argument {name!r}")
            values[name] = value
        for name in self.names[len(args):]:
            if name not in values:
                values[name] = self._default(cls, name)
        return values

    def _default(self, cls: type, name: str) -> Any:
        if name in self.factories:
            return self.factories[name]()
        if name in self.defaults:
            return self.defaults[name]
        raise TypeError(f"{cls.__name__}() missing argument {name!r}")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Struct:
    """The base of a record class; `frozen=False` in the class line makes its instances mutable
    (and unhashable)."""

    _layout: ClassVar[_Layout]

    def __init_subclass__(cls, *, frozen: bool = True, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        layout = _Layout(cls)
        attributes = {"_layout": layout, "__match_args__": layout.names, **({} if frozen else MUTABLE)}
        for name, value in attributes.items():
            setattr(cls, name, value)

    def __init__(self, *args: Any, **kwargs: Any):
        object.__setattr__(self, "__dict__", self._layout.values(type(self), args, kwargs))

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._layout.compared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._layout.shown)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of frozen {type(self).__name__}")


MUTABLE = {"__setattr__": object.__setattr__, "__delattr__": object.__delattr__, "__hash__": None}
"""What a `frozen=False` struct has instead of Struct's: attributes that can be set, no hash."""


def fields(struct: Struct) -> tuple[str, ...]:
    """The names of `struct`'s fields, in order."""
    return struct._layout.names


S = TypeVar("S", bound=Struct)


def replace(struct: S, **changes: Any) -> S:
    """A copy of `struct` with the fields named in `changes` set to their values."""
    return type(struct)(**{name: getattr(struct, name) for name in struct._layout.names} | changes)
