"""The Flask side of storage: the request's read-only connection and `flask init-db`.

The only storage module that imports Flask; the scraper never loads it.
"""

import sqlite3

import click
from flask import Flask, current_app, g

from app.db import connection


def get_db() -> sqlite3.Connection:
    """The request's read-only connection, opened lazily and closed at teardown."""
    if "db" not in g:
        g.db = connection.connect(current_app.config["DATABASE"], query_only=True)
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@click.command("init-db")
def init_db_command() -> None:
    """Create the database schema (safe to run again)."""
    connection.init_db(current_app.config["DATABASE"])
    click.echo(f"Initialised {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
