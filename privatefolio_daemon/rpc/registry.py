"""The method table: the single source of truth for the protocol, its docs and the typed client.

Methods are plain async functions (or bound methods) marked with ``@rpc_method``. Their signature
is read once: parameters annotated ``CallContext`` are injected, every other parameter comes from
the call, positionally (both dialects) or by name (JSON-RPC 2.0), and is validated against its
type hint before the function runs.
"""

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from privatefolio_daemon.rpc.errors import InvalidParams
from privatefolio_daemon.rpc.nesting import MAX_PARAM_DEPTH, nests_too_deeply
from privatefolio_daemon.rpc.params import Checker, compile_checker

_MARK = "__rpc_method_name__"
_NOTHING_MARK = "__rpc_none_is_nothing__"
_NO_DEFAULT = inspect.Parameter.empty


class CallContext(Protocol):
    """What a method may ask of the connection that called it."""

    @property
    def dev(self) -> bool: ...

    def add_subscription(self, unsubscribe: Callable[[], None], *callbacks: Any) -> str:
        """Keep ``callbacks`` alive until the subscription ends; returns the subscription id."""
        ...

    def keep_until_called(self, callback: Any) -> None:
        """Keep a one-shot callback alive until it has been called once."""
        ...

    def remove_subscription(self, subscription_id: str) -> bool:
        """End a subscription of this connection; False when there is none with that id."""
        ...

    def paced(self, callback: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
        """``callback``, whose calls wait first while the frames waiting for this client hold
        more than a little: awaited, it sends at the client's pace (a replay of many pages)."""
        ...


F = TypeVar("F", bound=Callable[..., Any])


def rpc_method(name: str | None = None, *, none_is_nothing: bool = False) -> Callable[[F], F]:
    """Mark a function as an RPC method, published under ``name`` or its own name.
    ``none_is_nothing``: a None result leaves ``result`` out, as the original's ``undefined``
    (rpc-methods.md: "… or nothing"), where None is otherwise sent as ``null``."""

    def mark(function: F) -> F:
        setattr(function, _MARK, name or function.__name__)
        setattr(function, _NOTHING_MARK, none_is_nothing)
        return function

    return mark


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: Any
    default: Any
    checker: Checker

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(slots=True)
class Method:
    name: str
    handler: Callable[..., Awaitable[Any]]
    params: list[Param]
    context_param: str | None
    returns: Any
    doc: str
    returns_nothing: bool = field(default=False)
    none_is_nothing: bool = field(default=False)

    def bind(self, args: list[Any] | dict[str, Any], absent: Any) -> dict[str, Any]:
        """Map call arguments to keyword arguments, validating each one."""
        given = self._by_position(args, absent) if isinstance(args, list) else dict(args)
        unknown = [name for name in given if name not in {p.name for p in self.params}]
        if unknown:
            raise InvalidParams(f"Unknown param '{unknown[0]}' for {self.name}")
        bound: dict[str, Any] = {}
        for param in self.params:
            if param.name not in given:
                if param.required:
                    raise InvalidParams(f"Missing param '{param.name}' for {self.name}")
                continue
            value = given[param.name]
            if value is None and not param.required and param.checker(None, "") is not None:
                continue  # a top-level null for an optional param: its default (rpc-methods §1.1)
            if nests_too_deeply(value):
                raise InvalidParams(
                    f"Invalid params: '{param.name}' is nested too deeply "
                    f"(at most {MAX_PARAM_DEPTH} levels)"
                )
            problem = param.checker(value, f"'{param.name}'")
            if problem:
                raise InvalidParams(f"Invalid params: {problem}")
            bound[param.name] = value
        return bound

    def _by_position(self, args: list[Any], absent: Any) -> dict[str, Any]:
        if len(args) > len(self.params):
            raise InvalidParams(
                f"Too many params for {self.name}: expected at most {len(self.params)}, "
                f"received {len(args)}"
            )
        return {
            param.name: value
            for param, value in zip(self.params, args, strict=False)
            if not (isinstance(value, str) and value == absent)
        }


class MethodTable:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}

    def add(self, handler: Callable[..., Awaitable[Any]], name: str | None = None) -> Method:
        published: str = name or getattr(handler, _MARK, None) or handler.__name__
        method = _describe(handler, published)
        if method.name in self._methods:
            raise ValueError(f"RPC method {method.name} is registered twice")
        self._methods[method.name] = method
        return method

    def add_object(self, owner: object) -> None:
        """Register every ``@rpc_method`` of an object (an API module's service class)."""
        for attribute in dir(owner):
            member = getattr(owner, attribute)
            name = getattr(member, _MARK, None)
            if name is not None:
                self.add(member, name)

    def get(self, name: str) -> Method | None:
        return self._methods.get(name)

    def __iter__(self) -> Iterator[Method]:
        return iter(sorted(self._methods.values(), key=lambda method: method.name))

    def __len__(self) -> int:
        return len(self._methods)


def _describe(handler: Callable[..., Awaitable[Any]], name: str) -> Method:
    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"RPC method {name} must be an async function")
    hints = typing.get_type_hints(handler, include_extras=True)
    params: list[Param] = []
    context_param = None
    for parameter in inspect.signature(handler).parameters.values():
        annotation = hints.get(parameter.name, Any)
        if annotation is CallContext:
            context_param = parameter.name
            continue
        checker = compile_checker(annotation)
        params.append(Param(parameter.name, annotation, parameter.default, checker))
    returns = hints.get("return", Any)
    return Method(
        name=name,
        handler=handler,
        params=params,
        context_param=context_param,
        returns=returns,
        doc=inspect.getdoc(handler) or "",
        returns_nothing=returns is type(None) or returns is None,
        none_is_nothing=bool(getattr(handler, _NOTHING_MARK, False)),
    )
