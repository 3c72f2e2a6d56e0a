"""The DynamoDB client's endpoint resolution without JMESPath.

Endpoint resolution is the SDK's other per-operation walk: for every request the SDK evaluates the operation's
context parameters (for TransactWriteItems, `TransactItems[*].[...TableName][]`, the tables it names) with
a JMESPath interpreter, node by node, about as costly as serializing the request. `TableNames` computes the
same lists directly for the operations that declare them, and hands anything else to JMESPath.
"""

from __future__ import annotations

from typing import Any

from botocore import regions

EndpointRulesetResolver: Any = regions.EndpointRulesetResolver
_UNKNOWN = object()  # an argument shaped other than the fast path expects: JMESPath decides
_WRITE_KINDS = ("ConditionCheck", "Put", "Delete", "Update")  # in the order the expression lists them


def _transact_write_tables(args: dict[str, Any]) -> Any:
    """`TransactItems[*].[ConditionCheck.TableName, Put.TableName, Delete.TableName, Update.TableName][]`"""
    items = args.get("TransactItems")
    if type(items) is not list:
        return _UNKNOWN
    tables = []
    for item in items:
        if type(item) is not dict:
            return _UNKNOWN
        for kind in _WRITE_KINDS:
            operation = item.get(kind)
            if operation is not None:
                if type(operation) is not dict:
                    return _UNKNOWN
                table = operation.get("TableName")
                if table is not None:
                    tables.append(table)
    return tables


def _transact_get_tables(args: dict[str, Any]) -> Any:
    """`TransactItems[*].Get.TableName`"""
    items = args.get("TransactItems")
    if type(items) is not list or not all(type(item) is dict for item in items):
        return _UNKNOWN
    gets = [item.get("Get") for item in items]
    if not all(get is None or type(get) is dict for get in gets):
        return _UNKNOWN
    return [table for get in gets if get is not None and (table := get.get("TableName")) is not None]


def _request_item_tables(args: dict[str, Any]) -> Any:
    """`keys(RequestItems)`"""
    requests = args.get("RequestItems")
    return list(requests) if type(requests) is dict else _UNKNOWN


_CONTEXT_PATHS = {
    "TransactItems[*].[ConditionCheck.TableName, Put.TableName, Delete.TableName, Update.TableName][]": (
        _transact_write_tables
    ),
    "TransactItems[*].Get.TableName": _transact_get_tables,
    "keys(RequestItems)": _request_item_tables,
}


class TableNames(EndpointRulesetResolver):
    """The SDK's endpoint resolver, with the context parameters it knows computed directly."""

    def _resolve_param_as_operation_context_param(
        self, param_name: str, operation_model: Any, call_args: Any
    ) -> Any:
        parameters = operation_model.operation_context_parameters  # a list when the operation has none
        if param_name in parameters and type(call_args) is dict:
            fast = _CONTEXT_PATHS.get(parameters[param_name]["path"])
            value = _UNKNOWN if fast is None else fast(call_args)
            if value is not _UNKNOWN:
                return value
        return super()._resolve_param_as_operation_context_param(param_name, operation_model, call_args)
