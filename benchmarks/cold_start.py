"""Figure 3's cold starts: each function's handler init against the bare imports of the libraries it cannot
do without, as process CPU in fresh interpreters, the median of many runs taken in turns."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys

# Before the handlers load: no EMF metrics printed on stdout between the table's lines.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


from harness import ROOT, Row

from stockroom_local.template import Template

# Per function: the library imports its handler cannot do without (orjson: the DynamoDB client's JSON, see
# stockroom.adapters.dynamodb.wire), timed in a fresh interpreter. X-Ray
# (Tracer) is not among them: the handlers import it only where they trace (stockroom.tracing), nor is
# Powertools Idempotency: it is imported by the first request that carries an Idempotency-Key.
_API_IMPORTS = """
import boto3, botocore.config, orjson, pydantic
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
"""
_BATCH_IMPORTS = """
import boto3, botocore.config, orjson, pydantic
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext
"""
_STREAM_RECORD = (
    "from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord\n"
)
_STREAM_IMPORTS = _BATCH_IMPORTS.replace(
    "import boto3, botocore.config, orjson, pydantic", "import boto3, botocore.config, orjson"
)
_STREAM_IMPORTS += _STREAM_RECORD
# Where the bench also shows what the function's own modules add (its imports made without collections on
# both sides).
SHOW_OWN_SHARE = {"WixInventoryFunction"}
# Functions on no stock path: their figures are reported, not held to the target.
OFF_STOCK_PATH = {"ApiDocsFunction"}
UNAVOIDABLE_IMPORTS = {
    "WixInventoryFunction": _API_IMPORTS,
    "ProspernaStockFunction": _API_IMPORTS,
    "WixReservationsFunction": _API_IMPORTS,
    # The document is generated from the dialects' routers, which import the engine (boto3 among it).
    "ApiDocsFunction": _API_IMPORTS,
    "OrderPlacedFunction": _BATCH_IMPORTS
    + "from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord\n",
    # The stream functions use no pydantic (their records are Powertools' data classes).
    "AvailabilityFunction": _STREAM_IMPORTS,
    # It writes the ledger records to DynamoDB.
    "LedgerFunction": _STREAM_IMPORTS,
    # It publishes to EventBridge, the reclaim writes to DynamoDB.
    "ReservationExpiryFunction": _STREAM_IMPORTS,
    # Its events carry items in Wix's shape (the API's pydantic models).
    "ItemEventsFunction": _BATCH_IMPORTS + _STREAM_RECORD,
    # It looks hashed keys up in DynamoDB.
    "AuthorizerFunction": """
import boto3, botocore.config, orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent, APIGatewayAuthorizerResponse)
from aws_lambda_powertools.utilities.typing import LambdaContext
""",
}

# Both sides start alike (the template read, the environment set), then time only their part: the
# process's CPU time, which is the work of the imports; the wall time adds whatever else the machine runs.
_INIT_PRELUDE = """
import sys, time
from stockroom_local.template import load_template
from stockroom_local.invoke import apply_environment, load_handler
function = load_template().functions[sys.argv[1]]
apply_environment(function)
start = time.process_time()
"""
PROJECT_CODE = [ROOT / "shared", ROOT / "local", ROOT / "functions"]


def compile_project() -> None:
    """Bytecode for the project's modules, as pip compiles the libraries' at install: both sides then load
    compiled code. (Where PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile the handler's
    modules anew and only the handler side would pay for it.)"""
    for folder in PROJECT_CODE:
        compileall.compile_dir(folder, quiet=1)


def init_seconds(code: str, function_id: str) -> float:
    script = _INIT_PRELUDE + code + "\nprint(time.process_time() - start)\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    out = subprocess.run(
        [sys.executable, "-c", script, function_id], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def handler_init_figures(template: Template, runs: int = 11) -> list[Row]:
    compile_project()
    rows = []
    for function_id in sorted(template.functions):
        bare_code = UNAVOIDABLE_IMPORTS.get(function_id)
        if bare_code is None:
            rows.append(Row(f"3. handler init, {function_id}", "no baseline listed", "<= 1.2x", None))
            continue
        handler, bare, bare_no_gc = [], [], []
        for _ in range(runs):  # in turns, so that drift hits both alike
            handler.append(init_seconds("load_handler(function)", function_id))
            bare.append(init_seconds(bare_code, function_id))
            if function_id in SHOW_OWN_SHARE:
                bare_no_gc.append(init_seconds("import gc\ngc.disable()\n" + bare_code, function_id))
        ratio = statistics.median(handler) / statistics.median(bare)
        held = function_id not in OFF_STOCK_PATH
        rows.append(
            Row(
                f"3. handler init, {function_id}" + ("" if held else " (no stock path)"),
                f"{ratio:.2f}x ({statistics.median(handler) * 1000:.0f} ms vs "
                f"{statistics.median(bare) * 1000:.0f} ms CPU of bare library imports)",
                "<= 1.2x" if held else "report",
                ratio <= 1.2 if held else None,
            )
        )
        if bare_no_gc:
            # The handlers import with the collector off (functions/*/app.py): this is what their own
            # modules add, against the same imports made the same way.
            own = statistics.median(handler) / statistics.median(bare_no_gc)
            rows.append(
                Row(
                    "   the same, the bare imports also with the collector off",
                    f"{own:.2f}x (vs {statistics.median(bare_no_gc) * 1000:.0f} ms)",
                    "",
                    None,
                )
            )
    return rows
