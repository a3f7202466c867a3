"""``cardtool serve``: the office desk, a local web page (``cardtool.desk``)."""

from __future__ import annotations

import logging
import socket
import sys
import webbrowser

import click

from cardtool.cli.register_cmd import ENV_DB
from cardtool.cli.util import app, err, trust_anchor_option
from cardtool.errors import UsageError
from cardtool.i18n import pick
from cardtool.install import require_extra


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the default browser.")
@click.option("--db", "db_url", metavar="URL", envvar=ENV_DB,
              help="The client register: a SQLAlchemy URL (postgresql+psycopg://… for a shared "
                   f"office; default: ${ENV_DB}, else a SQLite file in the user data "
                   "directory).")
@click.option("--desk", default=socket.gethostname, show_default="the host name",
              help="This desk's name in the register and its audit records.")
@click.option("--allow-test-keys", is_flag=True,
              help="Trust test CA keys too (demos through pcscd): at best test-anchor.")
@click.option("-r", "--reader", metavar="NAME|INDEX",
              help="Watch this PC/SC reader only (index or name substring; default: all).")
@click.option("--virtual", "virtual_cards", metavar="KIND[:PERSONA]", multiple=True,
              help="Demo: virtual cards held in turn (repeatable, or comma-separated); the "
                   "page gets a 'next card' button.")
@trust_anchor_option
def serve(port: int, no_browser: bool, db_url: str | None, desk: str, allow_test_keys: bool,
          reader: str | None, virtual_cards: tuple[str, ...],
          trust_anchors: tuple[str, ...]) -> None:
    """Start the office desk in the browser: check cards, keep clients' deadlines.

    Card source: the PC/SC readers (--reader NAME|INDEX to pick one), or --virtual
    KIND[:PERSONA] (repeatable: a demo with virtual cards held in turn). Listens on
    127.0.0.1 only; the address printed carries this session's token.
    """
    require_extra("office", "The office desk (cardtool serve)", "窓口(cardtool serve)")
    from cardtool.desk.server import DeskOptions
    from cardtool.desk.server import serve as run
    from cardtool.trust.options import residence_options as trust_options

    # The desk's log (stderr): reader states, reads, refusals, failures; never a personal
    # value (no card number, name, date of birth or code reaches a log call).
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    a = app()
    source = a.source
    if source.replay is not None or source.record is not None:
        raise UsageError(
            "The desk watches readers or holds virtual cards: --replay and --record are for "
            "one read (cardtool read, office).",
            "窓口はリーダーまたは仮想カードを使います。--replay と --record は1回の読み取り"
            "(cardtool read、office)用です。")
    given = virtual_cards or source.virtual_cards
    virtual = tuple(spec.strip() for item in given for spec in item.split(",") if spec.strip())
    reader = reader or source.reader
    if virtual and reader:
        raise UsageError("Choose one card source: --reader or --virtual.",
                         "カードの取得元は --reader か --virtual のどちらか1つにしてください。")
    options = DeskOptions(desk=desk, port=port, db_url=db_url, reader=reader,
                          virtual=virtual, lang=a.lang, allow_test_keys=allow_test_keys,
                          residence_options=trust_options(
                              trust_anchors, virtual=bool(virtual) or allow_test_keys))

    def ready(url: str) -> None:
        err(pick(("The desk is open at: ", "窓口を開きました: "), a.lang) + url)
        err(pick(("Stop it with Ctrl-C.", "終了: Ctrl-C"), a.lang))
        if not no_browser:
            webbrowser.open(url)

    run(options, ready)
