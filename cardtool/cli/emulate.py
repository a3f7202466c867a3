"""``cardtool emulate``: serve a card to pcscd through the vsmartcard vpcd driver, so any
PC/SC program (OpenSC included) sees it in a reader: a virtual card (``KIND``), optionally
recording the session (``--record``), or a recorded session (``--replay``)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from apdu.errors import TraceError
from apdu.simulators import RecordingCard, ReplayCard
from apdu.trace import NoRedaction
from apdu.transport.replay import MATCH_MODES, STRICT, ReplayTransport
from apdu.transport.virtual import CardSimulator
from apdu.vpcd import VpcdLink
from cardtool import TOOL_NAME
from cardtool.cli.util import app, err
from cardtool.errors import UsageError
from cardtool.sources import default_redactor
from cardtool.virtual import make_virtual_card
from cardtool.virtual.faults import FaultPlan, FaultyCard


def _usage(en: str, ja: str) -> UsageError:
    return UsageError(en, ja)


@click.command()
@click.argument("kind", metavar="[KIND]", required=False)
@click.option("--persona", metavar="NAME|FILE[+QUIRK...]",
              help="A persona name in fixtures/personas/ or a persona file (default per kind); "
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
    record = record or a.source.record
    replay = replay or a.source.replay
    redact = a.source.redact and not no_redact
    if replay is not None:
        if kind is not None or persona or fault_plan or record:
            raise _usage("--replay serves a recorded session: give no KIND, --persona, "
                         "--faults or --record with it.",
                         "--replay は記録したセッションを提供します。KIND、--persona、--faults、"
                         "--record と一緒には指定できません。")
    elif kind is None:
        raise _usage("Give a KIND (mynumber, residence, residence2, specified) or --replay TRACE.",
                     "KIND(mynumber、residence、residence2、specified)か --replay TRACE を指定してください。")
    elif match != STRICT:
        raise _usage("--match applies to --replay.", "--match は --replay と一緒に指定します。")

    holder: list[VpcdLink] = []
    stop = threading.Event()
    replay_card: ReplayCard | None = None
    recording: RecordingCard | None = None
    card: CardSimulator
    if replay is not None:
        # A malformed trace or a secure-messaging session without host randomness fails
        # here, with one line and exit 6, before anything is served.
        transport = ReplayTransport(replay, match=match)

        def on_error(_error: TraceError) -> None:
            stop.set()
            for link in holder:
                link.stop()  # the 6F 00 being answered still goes out

        replay_card = ReplayCard(transport, on_error=on_error)
        card = replay_card
        what = f"replay of {replay} ({match})"
        what_ja = f"{replay} の再生({match})"
    else:
        assert kind is not None
        spec = kind if persona is None else f"{kind}:{persona}"
        card = make_virtual_card(spec)  # a bad kind or persona fails here, before serving
        if fault_plan:
            card = FaultyCard(card, FaultPlan.parse(fault_plan))
        what, what_ja = f"virtual {kind} card", f"仮想カード {kind} "
    link = VpcdLink(card, host=host, slot=slot, latency_ms=latency_ms,
                    reader_extended=not no_extended)
    link.connect()  # pcscd absent or slot taken: a clear error and exit 2, now
    if record is not None:
        if not redact:
            err(a.msg("no_redact_warning"))
        recording = RecordingCard(card, record, tool=TOOL_NAME, source=f"emulate {kind}"
                                  + (f":{persona}" if persona else ""),
                                  redactor=default_redactor() if redact else NoRedaction())
        link.card = recording
    holder.append(link)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        link.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ready = (f"{what_ja}を vpcd スロット {slot}({host}:{link.port})で提供中。Ctrl-C で終了。"
             if a.lang == "ja" else
             f"ready: {what} on vpcd slot {slot} ({host}:{link.port}); Ctrl-C to stop")
    click.echo(ready, nl=True)
    thread = threading.Thread(target=link.serve_forever, daemon=True)
    thread.start()
    try:
        while thread.is_alive() and not stop.wait(0.2):
            pass
        link.close()
        thread.join(timeout=5)
    finally:
        if recording is not None:
            recording.close()
    if link.error is not None:
        raise link.error
    if replay_card is not None and replay_card.error is not None:
        raise replay_card.error
    if replay_card is not None and match == STRICT and not replay_card.finished:
        served, total = replay_card.replay.exchanges_served, replay_card.replay.exchanges_recorded
        err(f"the program stopped after {served} of the {total} recorded exchanges"
            if a.lang != "ja" else f"記録された {total} 件の交換のうち {served} 件で終わりました")
    if recording is not None:
        err(f"recorded {recording.exchanges} exchanges to {record}" if a.lang != "ja"
            else f"{recording.exchanges} 件の交換を {record} に記録しました")
    err(f"served {link.apdu_count} APDUs" if a.lang != "ja" else f"{link.apdu_count} 件の APDU に応答しました")
