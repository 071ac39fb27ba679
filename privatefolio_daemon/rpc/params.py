"""Validate call parameters against a method's type hints, and describe them as JSON Schema.

Each annotation is compiled once, when the method is registered, into a checker that walks the
value and returns the first problem as text, or ``None``. The same walk yields the JSON Schema
that ``rpc.discover`` publishes. See docs/decisions/0002-param-validation.md for why this is not
pydantic.
"""

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

from privatefolio_daemon.rpc.callbacks import RemoteCallback, RemoteFunction

Checker = Callable[[Any, str], str | None]


@dataclass(frozen=True, slots=True)
class AtLeast:
    """``Annotated[int, AtLeast(0)]``: a number no smaller than ``minimum``."""

    minimum: int


@dataclass(frozen=True, slots=True)
class AtMost:
    """``Annotated[int, AtMost(100)]``: a number no larger than ``maximum``."""

    maximum: int


Count = Annotated[int, AtLeast(0)]
"""A limit, a page or a page size: a whole number, 0 or more."""

_JSON_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def describe(value: Any) -> str:
    if isinstance(value, RemoteCallback):
        return "a function"
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def compile_checker(annotation: Any) -> Checker:
    """A checker for values of ``annotation``; its messages name the path of the bad value."""
    if annotation is Any or annotation is object:
        return _check_json_value
    if annotation == RemoteFunction:
        return _expect(lambda v: isinstance(v, RemoteCallback), "a function reference")
    if annotation is bool:
        return _expect(lambda v: isinstance(v, bool), "a boolean")
    if annotation is int:
        return _check_integer
    if annotation is float:
        return _expect(lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number")
    if annotation is str:
        return _expect(lambda v: isinstance(v, str), "a string")
    if annotation is None or annotation is type(None):
        return _expect(lambda v: v is None, "null")
    origin = get_origin(annotation)
    if origin is Annotated:
        return _annotated_checker(annotation)
    if origin in (Union, types.UnionType):
        return _union_checker(get_args(annotation))
    if origin is Literal:
        return _literal_checker(get_args(annotation))
    if origin in (list, typing.List):  # noqa: UP006
        return _list_checker(get_args(annotation))
    if origin in (dict, typing.Dict):  # noqa: UP006
        return _dict_checker(get_args(annotation))
    if origin in (Required, NotRequired):
        return compile_checker(get_args(annotation)[0])
    if typing.is_typeddict(annotation):
        return _typed_dict_checker(annotation)
    if annotation is list:
        return _expect(lambda v: isinstance(v, list), "an array")
    if annotation is dict:
        return _expect(lambda v: isinstance(v, dict), "an object")
    raise TypeError(f"RPC parameters cannot be annotated with {annotation!r}")


#: The largest integer a parameter may hold (SQLite's); JSON integers of 2^64 and up arrive as
#: floats, so this is also the bound of what the daemon reads exactly.
MAX_INTEGER = 2**63 - 1


def _check_json_value(value: Any, path: str) -> str | None:
    """Any value a frame can hold; a function reference is not one (it cannot be stored)."""
    if isinstance(value, RemoteCallback):
        return f"{path} must be a JSON value, not a function"
    return None


def _check_integer(value: Any, path: str) -> str | None:
    # JSON readers give integers up to 2^64 - 1 and floats beyond; SQLite stores 64 bits signed.
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if whole and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return f"{path} must be from -{MAX_INTEGER} to {MAX_INTEGER}, not {int(value)}"
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if isinstance(value, float):
        return f"{path} must be an integer, not {value!r}"
    return f"{path} must be an integer, not {describe(value)}"


def _expect(test: Callable[[Any], bool], wanted: str) -> Checker:
    def check(value: Any, path: str) -> str | None:
        return None if test(value) else f"{path} must be {wanted}, not {describe(value)}"

    return check


def _annotated_checker(annotation: Any) -> Checker:
    base = compile_checker(annotation.__origin__)
    low, high = _bounds(annotation)
    wanted = _range_text(low, high)
    # Beyond 64 bits, the range named is the annotation's within SQLite's: a count
    # "from -9223372036854775807" would say that negative counts are fine.
    widest = _range_text(
        -MAX_INTEGER if low is None else low, MAX_INTEGER if high is None else high
    )
    integer = annotation.__origin__ is int

    def check(value: Any, path: str) -> str | None:
        if integer and _is_whole(value) and abs(value) > MAX_INTEGER:
            return f"{path} must be an integer {widest}, not {int(value)}"
        problem = base(value, path)
        if problem is None and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            return f"{path} must be {wanted}, not {value}"
        return problem

    return check


def _range_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"from {low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _bounds(annotation: Any) -> tuple[int | None, int | None]:
    """The ``AtLeast`` and ``AtMost`` of an ``Annotated`` number, if it has them."""
    low = high = None
    for extra in annotation.__metadata__:
        if isinstance(extra, AtLeast):
            low = extra.minimum
        elif isinstance(extra, AtMost):
            high = extra.maximum
    return low, high


def _union_checker(options: tuple[Any, ...]) -> Checker:
    checkers = [compile_checker(option) for option in options]
    wanted = " or ".join(_schema_name(option) for option in options)

    def check(value: Any, path: str) -> str | None:
        problems = [checker(value, path) for checker in checkers]
        if any(problem is None for problem in problems):
            return None
        structural = [p for p in problems if p and not p.startswith(f"{path} must be")]
        return structural[0] if structural else f"{path} must be {wanted}, not {describe(value)}"

    return check


def _literal_checker(allowed: tuple[Any, ...]) -> Checker:
    shown = ", ".join(repr(option) for option in allowed)

    def check(value: Any, path: str) -> str | None:
        if isinstance(value, bool) != any(isinstance(option, bool) for option in allowed):
            return f"{path} must be one of {shown}"
        return None if value in allowed else f"{path} must be one of {shown}"

    return check


def _list_checker(args: tuple[Any, ...]) -> Checker:
    item = compile_checker(args[0]) if args else None

    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, list):
            return f"{path} must be an array, not {describe(value)}"
        if item is not None:
            for index, element in enumerate(value):
                problem = item(element, f"{path}[{index}]")
                if problem:
                    return problem
        return None

    return check


def _dict_checker(args: tuple[Any, ...]) -> Checker:
    item = compile_checker(args[1]) if len(args) == 2 else None

    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object, not {describe(value)}"
        if item is not None:
            for key, element in value.items():
                problem = item(element, f"{path}.{key}")
                if problem:
                    return problem
        return None

    return check


_CLOSED = "__closed_to_other_keys__"
ClosedType = TypeVar("ClosedType", bound=type)


def closed(typed_dict: ClosedType) -> ClosedType:
    """Mark a ``TypedDict`` parameter whose other keys are refused (a filter, where a misspelt
    key would otherwise widen the result), not ignored as they are by default."""
    setattr(typed_dict, _CLOSED, True)
    return typed_dict


def _typed_dict_checker(annotation: Any) -> Checker:
    hints = typing.get_type_hints(annotation, include_extras=True)
    fields = {name: compile_checker(hint) for name, hint in hints.items()}
    required = frozenset(annotation.__required_keys__)
    is_closed = getattr(annotation, _CLOSED, False)
    known = ", ".join(fields)

    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object, not {describe(value)}"
        for name in required:
            if name not in value:
                return f"{path}.{name} is required"
        for name, element in value.items():
            field = fields.get(name)
            if field is None and is_closed:
                return f"{path} has no key {name!r} (its keys are: {known})"
            if field is not None:
                problem = field(element, f"{path}.{name}")
                if problem:
                    return problem
        return None

    return check


def json_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of an annotation, as published by ``rpc.discover``."""
    if annotation is Any or annotation is object:
        return {}
    if annotation == RemoteFunction:
        return {"type": "object", "description": "a function reference", "x-callback": True}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    if annotation in simple:
        return {"type": simple[annotation]}
    if annotation is dict:
        return {"type": "object"}
    if annotation is None or annotation is type(None):
        return {"type": "null"}
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        schema = json_schema(annotation.__origin__)
        low, high = _bounds(annotation)
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
        return schema
    if origin in (Union, types.UnionType):
        return {"anyOf": [json_schema(option) for option in args]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": json_schema(args[0])} if args else {"type": "array"}
    if origin is dict:
        mapping: dict[str, Any] = {"type": "object"}
        if len(args) == 2:
            mapping["additionalProperties"] = json_schema(args[1])
        return mapping
    if origin in (Required, NotRequired):
        return json_schema(args[0])
    if typing.is_typeddict(annotation):
        hints = typing.get_type_hints(annotation, include_extras=True)
        return {
            "type": "object",
            "title": annotation.__name__,
            "properties": {name: json_schema(hint) for name, hint in hints.items()},
            "required": sorted(annotation.__required_keys__),
            **({"additionalProperties": False} if getattr(annotation, _CLOSED, False) else {}),
        }
    return {}


def _schema_name(annotation: Any) -> str:
    schema = json_schema(annotation)
    if schema.get("x-callback"):
        return "a function reference"
    kind = schema.get("type")
    if kind == "null":
        return "null"
    if kind is None:
        return "a value"
    article = "an" if str(kind)[0] in "aeiou" else "a"
    return f"{article} {kind}"
