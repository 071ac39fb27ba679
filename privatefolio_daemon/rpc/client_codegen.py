"""Generating the typed Python client from the method table, so the two never drift apart."""

import inspect
import keyword
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import Method, MethodTable

HEADER = '''"""Typed methods of the daemon's RPC, generated from its method table. Do not edit.

Regenerate with: .venv/bin/python scripts/tools/generate_client.py
"""

from collections.abc import Callable
from typing import Any, Literal


class DaemonMethods:
    async def call(self, method: str, *params: Any) -> Any:
        raise NotImplementedError
'''


def render_type(annotation: Any) -> str:
    if annotation is Any or annotation is object:
        return "Any"
    if annotation == RemoteFunction:
        return "Callable[..., Any]"
    if annotation is None or annotation is type(None):
        return "None"
    if annotation in (str, int, float, bool):
        return str(annotation.__name__)
    if annotation is list:
        return "list[Any]"
    if annotation is dict or typing.is_typeddict(annotation):
        return "dict[str, Any]"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return render_type(args[0])
    if origin in (Union, types.UnionType):
        return " | ".join(render_type(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if origin is list:
        return f"list[{render_type(args[0])}]" if args else "list[Any]"
    if origin is dict:
        return f"dict[{render_type(args[0])}, {render_type(args[1])}]" if args else "dict[str, Any]"
    return "Any"


def python_name(method_name: str) -> str:
    name = method_name.replace(".", "_")
    return f"{name}_" if keyword.iskeyword(name) else name


def render_method(method: Method) -> str:
    params = ["self"]
    for param in method.params:
        text = f"{param.name}: {render_type(param.annotation)}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = "None" if method.returns_nothing else render_type(method.returns)
    arguments = "".join(f", {param.name}" for param in method.params)
    summary = method.doc.partition("\n")[0] or method.name
    call = f"await self.call({method.name!r}{arguments})"
    if returns == "None":
        body = f"        {call}\n"
    elif returns == "Any":
        body = f"        return {call}\n"
    else:
        body = f"        result: {returns} = {call}\n        return result\n"
    return (
        f"\n    async def {python_name(method.name)}({', '.join(params)}) -> {returns}:\n"
        f'        """{summary}"""\n{body}'
    )


def render_client(table: MethodTable) -> str:
    return HEADER + "".join(render_method(method) for method in table)
