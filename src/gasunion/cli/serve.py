"""``gasunion serve`` (the coordination service) and ``gasunion admin ...`` (parties, tokens,
the audit check) — see ``docs/service.md``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

from gasunion.cli._core import CliError, Command, Group, JsonFlag, Ui, app

DbOpt = Annotated[str | None, typer.Option(
    "--db", metavar="URL", help="Database URL: sqlite:///FILE, or a PostgreSQL URL "
    "(docs/service.md). Default: $GASUNION_DB, else the file gasunion-service.db here.")]

admin_app = typer.Typer(name="admin", cls=Group, no_args_is_help=True,
                        help="Administer the coordination service's database: parties, API "
                        "tokens, the audit chain.")
app.add_typer(admin_app, name="admin")


def _engine(db: str | None, must_exist: bool = False) -> Engine:
    """The migrated database of ``--db`` (SQLite: created on first use unless
    ``must_exist``); an unusable URL or file is bad input (exit 2) naming --db."""
    try:
        from gasunion.service.admin import open_db
    except ModuleNotFoundError as exc:
        raise CliError("missing_dependency", f"the service needs its extra: pip install "
                       f"'gasunion[service]' ({exc})") from None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

    from gasunion.service.db import resolve_url

    url = resolve_url(db)
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise CliError("bad_option", f"--db {url}: not a database URL ({exc}); give "
                       "sqlite:///FILE or postgresql+psycopg://user:password@host/db") from None
    if must_exist and backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database)).expanduser()
        if not path.is_file():
            raise CliError("bad_input", f"--db {url}: no such database file ({path})")
    try:
        return open_db(url)
    except NoSuchModuleError:
        raise CliError("bad_option", f"--db {url}: unknown database kind {backend!r}; give "
                       "sqlite:///FILE or postgresql+psycopg://user:password@host/db") from None
    except DatabaseError as exc:
        why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CliError("bad_input", f"--db {url}: cannot use this database ({why})") from None


def _problem(exc: Exception) -> CliError:
    from gasunion.service.problems import Problem

    if isinstance(exc, Problem):
        return CliError("bad_input", exc.detail)
    raise exc


@app.command("serve", cls=Command, short_help="Run the multi-party coordination service.")
def serve_cmd(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help=(
        "Load the Central Asia parties and border points and print each party's new API "
        "token (shown once); the Central Asia network serves the hydraulic check."))] = False,
    network: Annotated[str | None, typer.Option("--network", metavar="FILE", help=(
        "The union's network (any format gasunion reads) for the hydraulic check of a gas "
        "day."))] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help=(
        "Server processes (each a Python interpreter; writers queue on a lock, so several "
        "processes are safe on one SQLite file). 2 on a 2-core machine serves about twice "
        "the requests of 1."))] = 1,
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log",
        help="Log every request (uvicorn's access log; costs ~20 % of throughput).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) on a SQLite file (created
    and migrated on first start) or PostgreSQL."""
    ui = Ui("serve", as_json=as_json)
    with ui.guard():
        engine = _engine(db)
        from gasunion.service.app import DEMO_NETWORK, create_app, union_network
        from gasunion.service.db import resolve_url

        url = resolve_url(db)
        # a file path (made absolute: worker processes may start elsewhere) or the demo's
        source = (os.path.abspath(network) if network is not None
                  else DEMO_NETWORK if demo else None)
        net = union_network(source)  # a bad file: exit 2 naming it (ui.guard)
        if network is not None and net is not None:
            from gasunion.cli.commands import _invalid

            report = net.validate()
            if not report.ok:  # refused now, not as a 500 at the first hydraulic check
                raise _invalid(Path(network), report, " for the hydraulic check")
        if demo:
            from gasunion.service.admin import load_demo

            tokens = load_demo(engine)
            if as_json:
                ui.emit_ok(db=url, url=f"http://{host}:{port}", workers=workers,
                           tokens=tokens)
            else:
                ui.line("API tokens (shown once; keep them):")
                for party, token in tokens.items():
                    ui.line(f"  {party:<14} {token}")
        elif as_json:
            ui.emit_ok(db=url, url=f"http://{host}:{port}", workers=workers, tokens={})
        engine.dispose()
        import uvicorn

        ui.message(f"serving {url} on http://{host}:{port} with {workers} worker"
                   f"{'s' if workers > 1 else ''} (docs at /docs)")
        if workers == 1:
            uvicorn.run(create_app(url, migrate_db=False, network=net), host=host, port=port,
                        access_log=access_log)
            return
        from gasunion.service.app import ENV_DB, ENV_NETWORK

        # each worker process builds its own app from these (the file was checked above)
        os.environ[ENV_DB] = url
        if source is None:
            os.environ.pop(ENV_NETWORK, None)
        else:
            os.environ[ENV_NETWORK] = source
        uvicorn.run("gasunion.service.app:app_from_env", factory=True, workers=workers,
                    host=host, port=port, access_log=access_log)


@admin_app.command("create-party", cls=Command)
def create_party_cmd(
    party_id: Annotated[str, typer.Argument(metavar="ID", help="The party's id.")],
    name: Annotated[str, typer.Option(help="Readable name (default: the id).")] = "",
    role: Annotated[str, typer.Option(metavar="tso|shipper|admin", help="Role.")] = "shipper",
    country: Annotated[str, typer.Option(help="Country code.")] = "XX",
    db: DbOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a party (exit 2 if the id exists or the role is unknown)."""
    ui = Ui("admin create-party", as_json=as_json)
    with ui.guard():
        from gasunion.service.admin import create_party

        if role not in ("tso", "shipper", "admin"):
            raise CliError("bad_option", f"--role {role}: choose tso, shipper or admin")
        engine = _engine(db)
        try:
            row = create_party(engine, party_id, name or party_id, role, country)
        except Exception as exc:
            raise _problem(exc) from None
        finally:
            engine.dispose()
        if as_json:
            ui.emit_ok(party=row)
        else:
            ui.line(f"created party {party_id} ({role})")


@admin_app.command("create-token", cls=Command)
def create_token_cmd(
    party_id: Annotated[str, typer.Argument(metavar="PARTY", help="The party's id.")],
    db: DbOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API token for PARTY and print it (shown once; only its hash is stored)."""
    ui = Ui("admin create-token", as_json=as_json)
    with ui.guard():
        from gasunion.service.admin import create_token

        engine = _engine(db)
        try:
            token = create_token(engine, party_id)
        except Exception as exc:
            raise _problem(exc) from None
        finally:
            engine.dispose()
        if as_json:
            ui.emit_ok(party_id=party_id, token=token)
        else:
            ui.line(token)


@admin_app.command("verify-audit", cls=Command)
def verify_audit_cmd(db: DbOpt = None, as_json: JsonFlag = False) -> None:
    """Recompute the audit log's hash chain: exit 0 if it verifies, else 1 (naming the row)."""
    ui = Ui("admin verify-audit", as_json=as_json)
    with ui.guard():
        from gasunion.service.admin import verify_audit

        engine = _engine(db, must_exist=True)
        try:
            v = verify_audit(engine)
        finally:
            engine.dispose()
        if not v.ok:
            raise CliError("audit_broken", f"the audit chain is broken at row {v.broken_seq}: "
                           f"{v.reason} ({v.rows} rows checked)", diagnosis=[v.as_dict()],
                           shown=True)  # the message says it all; the record is in --json
        if as_json:
            ui.emit_ok(audit=v.as_dict())
        else:
            ui.line(f"the audit chain verifies ({v.rows} rows)")
