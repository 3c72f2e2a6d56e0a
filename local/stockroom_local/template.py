"""Read template.yaml the way the local runtime needs it: functions, API routes and tables."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

# The repo root holds template.yaml; the package lives in <root>/local/stockroom_local (editable install).
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


# What Ref of a pseudo parameter gives locally (the account id is the one API Gateway docs use).
PSEUDO_PARAMETERS = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "stockroom-local",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub...) as their long form."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)  # !GetAtt Res.Attr is short for [Res, Attr]
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    memory_mb: int = 128
    timeout_s: int = 3


@dataclass(frozen=True)
class Route:
    method: str  # upper case; ANY matches every method
    path: str  # API Gateway path template, e.g. /stores/v3/inventory-items/{inventoryItemId}
    function_id: str
    authorizer_id: str | None  # logical id of the Lambda authorizer guarding it, None when open

    @property
    def authorized(self) -> bool:
        return self.authorizer_id is not None


@dataclass(frozen=True)
class Template:
    path: Path
    parameters: dict[str, str]
    functions: dict[str, Function]
    routes: list[Route]
    tables: dict[str, dict[str, Any]]  # logical id (= local table name) -> CloudFormation Properties
    authorizer_function: str | None  # the default authorizer's function, if the API has one
    stage: str = "v1"
    resources: dict[str, Any] = field(default_factory=dict, repr=False)


def read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=CloudFormationLoader)  # a SafeLoader subclass


def load_template(
    path: str | os.PathLike[str] | None = None, parameter_overrides: Mapping[str, str] | None = None
) -> Template:
    """Load template.yaml (STOCKROOM_TEMPLATE, else the repo's) with the local parameter overrides."""
    path = Path(path or os.environ.get("STOCKROOM_TEMPLATE") or DEFAULT_TEMPLATE).resolve()
    doc = read_yaml(path)
    resources: dict[str, Any] = doc.get("Resources", {})
    overrides = parameter_overrides or {}
    parameters = {
        name: str(overrides.get(name, spec.get("Default", "")))
        for name, spec in doc.get("Parameters", {}).items()
    }
    resolver = _Resolver(parameters, resources)
    globals_fn = doc.get("Globals", {}).get("Function", {})

    functions: dict[str, Function] = {}
    routes: list[Route] = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**globals_fn, **resource.get("Properties", {})}
        variables = {
            **globals_fn.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        functions[logical_id] = Function(
            logical_id=logical_id,
            code_uri=(path.parent / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            environment=resolver.environment(logical_id, variables),
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_s=int(props.get("Timeout", 3)),
        )
        routes += _api_routes(logical_id, props.get("Events", {}), resources, doc.get("Globals", {}))

    api_ids = [rid for rid, res in resources.items() if res.get("Type") == "AWS::Serverless::Api"]
    default_authorizer = _authorizer_function(_api_auth(api_ids[0], resources, {}), None) if api_ids else None
    stage = resources[api_ids[0]]["Properties"].get("StageName", "v1") if api_ids else "Prod"
    tables = {
        rid: res.get("Properties", {})
        for rid, res in resources.items()
        if res.get("Type") == "AWS::DynamoDB::Table"
    }
    return Template(path, parameters, functions, routes, tables, default_authorizer, str(stage), resources)


def _api_auth(
    api_id: str | None, resources: Mapping[str, Any], globals_: Mapping[str, Any]
) -> dict[str, Any]:
    if api_id is None:  # the implicit API takes its Auth from Globals.Api
        return dict(globals_.get("Api", {}).get("Auth", {}))
    return dict(resources.get(api_id, {}).get("Properties", {}).get("Auth", {}))


def _authorizer_function(auth: Mapping[str, Any], name: str | None) -> str | None:
    """The logical id of the function behind a Lambda authorizer (the API's default when name is None)."""
    name = name or auth.get("DefaultAuthorizer")
    if not name or name == "NONE":
        return None
    arn = auth.get("Authorizers", {}).get(name, {}).get("FunctionArn")
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    raise ValueError(f"authorizer {name!r} is not a Lambda authorizer of this template (FunctionArn={arn!r})")


def _api_routes(
    function_id: str, events: Mapping[str, Any], resources: Mapping[str, Any], globals_: Mapping[str, Any]
) -> list[Route]:
    routes = []
    for event in events.values():
        if event.get("Type") != "Api":
            continue
        props = event["Properties"]
        rest_api = props.get("RestApiId")
        api_id = rest_api.get("Ref") if isinstance(rest_api, dict) else None
        route_auth = props.get("Auth", {}).get("Authorizer")
        authorizer = _authorizer_function(_api_auth(api_id, resources, globals_), route_auth)
        routes.append(Route(props["Method"].upper(), props["Path"], function_id, authorizer))
    return routes


class _Resolver:
    """Resolves the intrinsics that environment variables use to local values."""

    def __init__(self, parameters: Mapping[str, str], resources: Mapping[str, Any]):
        self.parameters = parameters
        self.resources = resources

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.resources:
            # Locally every resource is named by its logical id: the table InventoryTable, etc.
            return name
        raise KeyError(f"Ref to unknown name {name!r}")

    def value(self, value: Any) -> str:
        if isinstance(value, str | int | float | bool):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, dict) and "Ref" in value:
            return self.ref(value["Ref"])
        if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
            resolved = re.sub(r"\$\{([^}!]+)\}", lambda m: self.ref(m.group(1)), value["Fn::Sub"])
            return self.secret(resolved) if resolved.startswith("{{resolve:secretsmanager:") else resolved
        raise ValueError(f"unsupported intrinsic {value!r}")

    @staticmethod
    def secret(reference: str) -> str:
        """A secret CloudFormation would generate and resolve: locally, a random one for this run. It is
        kept in the environment, so the worker processes started after (which load the template again)
        inherit the same value."""
        name = "STOCKROOM_LOCAL_SECRET_" + hashlib.sha256(reference.encode()).hexdigest()[:12].upper()
        return os.environ.setdefault(name, secrets.token_urlsafe(48))

    def environment(self, function_id: str, variables: Mapping[str, Any]) -> dict[str, str]:
        env = {}
        for key, value in variables.items():
            try:
                env[key] = self.value(value)
            except (KeyError, ValueError) as exc:  # leave it out rather than fail every other function
                log.warning("%s: environment variable %s not set locally: %s", function_id, key, exc)
        return env
