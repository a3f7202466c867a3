"""``cardtool emulate``: serve a card to pcscd through the vsmartcard vpcd driver, so any
PC/SC program (OpenSC included) sees it in a reader: a virtual card (``KIND``), optionally
recording the session (``--record``), or a recorded session (``--replay``)."""

from __future__ import annotations

import signal
from types import FrameType

import click

from cardtool.cli.util import app, err
from cardtool.i18n import Messages
from cardtool.services.emulation import MATCH_MODES, STRICT, Emulation, EmulationRequest

MESSAGES = Messages({
    "ready": ("ready: {what} on vpcd slot {slot} ({host}:{port}); Ctrl-C to stop",
              "{what_ja}を vpcd スロット {slot}({host}:{port})で提供中。Ctrl-C で終了。"),
    "left_early": ("the program stopped after {served} of the {total} recorded exchanges",
                   "記録された {total} 件の交換のうち {served} 件で終わりました"),
    "recorded": ("recorded {n} exchanges to {path}", "{n} 件の交換を {path} に記録しました"),
    "served": ("served {n} APDUs", "{n} 件の APDU に応答しました"),
})


@click.command()
@click.argument("kind", metavar="[KIND]", required=False)
@click.option("--persona", metavar="NAME|FILE[+QUIRK...]",
              help="A built-in persona name (cardtool/virtual/personas/) or a persona file (default per kind); "
                   "+QUIRK adds a card quirk (cardtool/virtual/quirks.py).")
@click.option("--slot", type=click.IntRange(0, 15), default=0, show_default=True,
              help="vpcd slot: TCP port 35963 + SLOT on --host.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where pcscd's vpcd listens (cardtool connects to it; it binds nothing).")
@click.option("--latency-ms", type=click.FloatRange(0, 10_000), default=0.0,
              help="Model an NFC link: this delay per APDU plus each byte at 424 kbit/s.")
@click.option("--faults", "fault_plan", metavar="PLAN",
              help="Misbehave by a fault plan (see cardtool/virtual/faults.py), e.g. remove-after@5.")
@click.option("--no-extended", is_flag=True, default=False,
              help="Model a reader that cannot carry extended-length APDUs (answers 67 00 to them).")
@click.option("--record", "record", metavar="TRACE", type=click.Path(dir_okay=False),
              help="Record the card side of the session to a trace (PINs and personal data "
                   "redacted unless --no-redact).")
@click.option("--no-redact", is_flag=True, default=False,
              help="With --record: keep secrets and personal data (marked in the header).")
@click.option("--replay", "replay", metavar="TRACE", type=click.Path(dir_okay=False),
              help="Serve a recorded session (any trace format) instead of a virtual card.")
@click.option("--match", type=click.Choice(MATCH_MODES), default=STRICT, show_default=True,
              help="With --replay: strict (in order) or by-command (the recorded response "
                   "of the same command, in any order).")
def emulate(kind: str | None, persona: str | None, slot: int, host: str, latency_ms: float,
            fault_plan: str | None, no_extended: bool, record: str | None, no_redact: bool,
            replay: str | None, match: str) -> None:
    """Serve a virtual card (mynumber, residence, residence2, specified) or, with --replay,
    a recorded session, until Ctrl-C. A replay that diverges answers 6F 00 and exits 6."""
    a = app()
    emulation = Emulation(EmulationRequest(
        kind=kind, persona=persona, slot=slot, host=host, latency_ms=latency_ms,
        fault_plan=fault_plan, no_extended=no_extended, record=record or a.source.record,
        redact=a.source.redact and not no_redact, replay=replay or a.source.replay,
        match=match))
    request = emulation.request
    if request.record is not None and not request.redact:
        err(a.msg("no_redact_warning"))

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        emulation.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ready = MESSAGES("ready", a.lang, what=emulation.what, what_ja=emulation.what_ja, slot=slot,
                     host=host, port=emulation.port)
    click.echo(ready, nl=True)
    result = emulation.serve()
    if result.replay_left_early is not None:
        served, total = result.replay_left_early
        err(MESSAGES("left_early", a.lang, served=served, total=total))
    if result.recorded is not None:
        err(MESSAGES("recorded", a.lang, n=result.recorded, path=request.record))
    err(MESSAGES("served", a.lang, n=result.apdu_count))
