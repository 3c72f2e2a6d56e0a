"""`stockroom serve` and `stockroom invoke`: the template's API and functions on localhost.

The DynamoDB engine is AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL when set, else moto embedded in
this process (which then also answers EventBridge and SQS). An embedded engine lives and dies with its
process: two `stockroom invoke` runs do not share state (each starts from the seed), while two runs
against one endpoint URL do.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from stockroom.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
from stockroom.core.api_keys import (
    DEFAULT_DEV_KEYS,
    configured_keys,
    hash_key,
    mint_key,
    printable_prefix,
    valid_store_id,
)
from stockroom.core.service import utc_now
from stockroom_local.catalog_csv import COLUMNS
from stockroom_local.catalog_io import DEFAULT_API, DEFAULT_KEY, export_command, import_command
from stockroom_local.durable import DataDirInUse
from stockroom_local.engine import ENDPOINT_VARIABLES, Engine, ensure_event_bus, ensure_tables
from stockroom_local.gateway import make_server
from stockroom_local.invoke import invoke
from stockroom_local.streams import StreamPump, subscriptions
from stockroom_local.template import load_template
from stockroom_local.ttl import TtlReaper, ttl_attributes


def _prepare(seed: bool) -> None:
    ensure_tables()
    ensure_event_bus()
    if seed:
        from stockroom_local.seed import seed_demo_data

        seed_demo_data()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server the way Ctrl-C does: workers and engine closed


def _banner_keys() -> str:
    """The development keys the authorizer knows, named as the user set them (at most three)."""
    keys = list(configured_keys())
    if not keys:
        return "Send the header:  Authorization: <a key from `stockroom keys create`>"
    shown = " | ".join(keys[:3]) + (f" (and {len(keys) - 3} more)" if len(keys) > 3 else "")
    return f"Send the header:  Authorization: {shown}"


def serve(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    signal.signal(signal.SIGTERM, _interrupt)
    with Engine.from_env(data_dir=args.data_dir, snapshot_every=args.snapshot_every) as engine:
        _prepare(seed=not args.no_seed)
        server = make_server(template, args.host, args.port)
        # The table's stream, to the functions that subscribe to it (ledger, availability, item events).
        pump = StreamPump([] if args.no_streams else subscriptions(template), server.gateway.invoker).start()
        # DynamoDB deletes expired records by TTL; moto does not (reservation timers need it).
        reaper = TtlReaper(ttl_attributes(template.tables)).start() if engine.embedded else None
        kind = "embedded moto" if engine.embedded else "external"
        if engine.journal is not None:
            kind += f", kept in {args.data_dir}, {engine.replayed} logged change(s) replayed"
        print(f"Stockroom API on {server.url} (DynamoDB: {kind}, {engine.endpoint_url})", flush=True)
        print(f"{_banner_keys()}   (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if reaper is not None:
                reaper.stop()
            pump.stop()
            server.server_close()
    return 0


def invoke_command(args: argparse.Namespace) -> int:
    template = load_template(args.template)
    event = json.loads(Path(args.event).read_text(encoding="utf-8")) if args.event else {}
    with Engine.from_env():
        _prepare(seed=not args.no_seed)
        result = invoke(args.function, event, template)
    # Handlers log to stdout too: the result is always the last line, so scripts can `tail -n1`.
    print(json.dumps(result, default=str), flush=True)
    return 0


def keys_create(args: argparse.Namespace) -> int:
    bad = [store for store in args.store if not valid_store_id(store)]
    if bad:
        # A comma (or any character outside the id alphabet) once made one store read as two.
        names = ", ".join(map(repr, bad))
        print(f"error: not a store id: {names} (1 to 128 of A-Z a-z 0-9 . _ : -)", file=sys.stderr)
        return 2
    with Engine.from_env(data_dir=args.data_dir) as engine:
        ensure_tables()
        key = mint_key()
        DynamoDBApiKeyStore().add(hash_key(key), printable_prefix(key), args.store, utc_now())
        if engine.embedded and engine.journal is None:
            print(
                "warning: this key lives only as long as this command (the embedded engine, in memory); "
                "use --data-dir (with no server holding it) or set AWS_ENDPOINT_URL_DYNAMODB to keep it",
                file=sys.stderr,
            )
    # Printed once, never stored: only its SHA-256 is kept.
    print(f"stores: {', '.join(args.store)}  prefix (to revoke): {printable_prefix(key)}", file=sys.stderr)
    print(key, flush=True)
    return 0


def keys_revoke(args: argparse.Namespace) -> int:
    with Engine.from_env(data_dir=args.data_dir):
        ensure_tables()
        revoked = DynamoDBApiKeyStore().revoke(args.prefix)
    print("revoked" if revoked else f"no key with prefix {args.prefix}", file=sys.stderr)
    return 0 if revoked else 1


DATA_DIR_HELP = (
    "keep the embedded engine's tables in this directory (a write-ahead log, fsynced before each answer, and"
    " snapshots); without it they live in memory only"
)


def main(argv: list[str] | None = None) -> int:
    # Development keys for the local authorizer (deployed, keys live hashed in DynamoDB only).
    os.environ.setdefault("STOCKROOM_API_KEYS", json.dumps(DEFAULT_DEV_KEYS))
    parser = argparse.ArgumentParser(prog="stockroom", description=__doc__.splitlines()[0])
    parser.add_argument("--template", help="SAM template (default: the repo's template.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="serve every API route of the template over HTTP")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=3000)
    serve_parser.add_argument("--no-seed", action="store_true", help="do not load the demo data")
    serve_parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    serve_parser.add_argument(
        "--no-streams",
        action="store_true",
        help="deliver no stream records (the ledger, availability and item events stay idle; benchmarks)",
    )
    serve_parser.add_argument(
        "--snapshot-every", type=int, metavar="N", help="with --data-dir: logged changes between snapshots"
    )
    serve_parser.set_defaults(run=serve)

    invoke_parser = commands.add_parser("invoke", help="run one function once, like `sam local invoke`")
    invoke_parser.add_argument("function", help="the function's logical id in the template")
    invoke_parser.add_argument("-e", "--event", help="JSON file with the event (default: {})")
    invoke_parser.add_argument("--no-seed", action="store_true", help="do not load the demo data")
    invoke_parser.set_defaults(run=invoke_command)

    keys_parser = commands.add_parser("keys", help="mint or revoke API keys (stored hashed in DynamoDB)")
    key_commands = keys_parser.add_subparsers(dest="keys_command", required=True)
    create_parser = key_commands.add_parser(
        "create", help="mint a key for one or more stores; prints it once"
    )
    create_parser.add_argument("--store", action="append", required=True, help="a store id (repeatable)")
    create_parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    create_parser.set_defaults(run=keys_create)
    revoke_parser = key_commands.add_parser("revoke", help="revoke the key with this printable prefix")
    revoke_parser.add_argument("prefix")
    revoke_parser.add_argument("--data-dir", help=DATA_DIR_HELP)
    revoke_parser.set_defaults(run=keys_revoke)

    for name, run, help_text in (
        ("import", import_command, "load a store from a CSV file over the HTTP API (docs: import/export)"),
        ("export", export_command, "write a store's items as CSV over the HTTP API"),
    ):
        io_parser = commands.add_parser(name, help=help_text)
        if name == "import":
            io_parser.add_argument("file", help="CSV with the columns " + ",".join(COLUMNS))
            io_parser.add_argument(
                "--allow-below-reserved",
                action="store_true",
                help="set counts below what reservations hold (else such rows fail HELD_BY_RESERVATIONS)",
            )
        else:
            io_parser.add_argument("--out", help="file to write (default: stdout)")
        io_parser.add_argument("--store", required=True, help="the store id (wix-site-id)")
        io_parser.add_argument(
            "--api", default=os.environ.get("STOCKROOM_API", DEFAULT_API), help="API base URL"
        )
        io_parser.add_argument("--key", default=os.environ.get("STOCKROOM_KEY", DEFAULT_KEY), help="API key")
        io_parser.set_defaults(run=run)

    args = parser.parse_args(argv)
    if getattr(args, "data_dir", None) and any(os.environ.get(v) for v in ENDPOINT_VARIABLES):
        parser.error("--data-dir is for the embedded engine, and AWS_ENDPOINT_URL is set")
    try:
        return int(args.run(args))
    except DataDirInUse as in_use:
        # One engine a directory: a running `stockroom serve` holds it (its banner names its engine).
        print(
            f"error: {in_use}: stop that server first, or point AWS_ENDPOINT_URL_DYNAMODB at its engine"
            " (the URL its banner shows) instead of --data-dir",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
