"""The OpenRPC document of a method table, served by ``rpc.discover``."""

import inspect
from typing import Any

from privatefolio_daemon.rpc.params import json_schema
from privatefolio_daemon.rpc.registry import MethodTable


def openrpc_document(table: MethodTable, *, title: str, version: str) -> dict[str, Any]:
    methods = []
    for method in table:
        summary, _, description = method.doc.partition("\n")
        params = []
        for param in method.params:
            entry: dict[str, Any] = {
                "name": param.name,
                "required": param.required,
                "schema": json_schema(param.annotation),
            }
            if not param.required and param.default is not inspect.Parameter.empty:
                entry["schema"] = {**entry["schema"], "default": _json_default(param.default)}
            params.append(entry)
        result_schema = {"type": "null"} if method.returns_nothing else json_schema(method.returns)
        methods.append(
            {
                "name": method.name,
                "summary": summary.strip(),
                "description": description.strip(),
                "paramStructure": "either",
                "params": params,
                "result": {"name": "result", "schema": result_schema},
            }
        )
    return {
        "openrpc": "1.3.2",
        "info": {"title": title, "version": version},
        "methods": methods,
    }


def _json_default(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return repr(value)
