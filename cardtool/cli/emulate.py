"""``cardtool emulate KIND``: serve a virtual card to pcscd through the vsmartcard vpcd
driver, so any PC/SC program (OpenSC included) sees it in a reader."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from apdu.vpcd import VpcdLink
from cardtool.cli.util import app, err
from cardtool.virtual import make_virtual_card
from cardtool.virtual.faults import FaultPlan, FaultyCard


@click.command()
@click.argument("kind", metavar="KIND")
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
def emulate(kind: str, persona: str | None, slot: int, host: str, latency_ms: float,
            fault_plan: str | None, no_extended: bool) -> None:
    """Serve a virtual card (mynumber, residence, residence2, specified) until Ctrl-C."""
    a = app()
    spec = kind if persona is None else f"{kind}:{persona}"
    card = make_virtual_card(spec)  # a bad kind or persona fails here, before serving
    if fault_plan:
        card = FaultyCard(card, FaultPlan.parse(fault_plan))
    link = VpcdLink(card, host=host, slot=slot, latency_ms=latency_ms,
                    reader_extended=not no_extended)
    link.connect()  # pcscd absent or slot taken: a clear error and exit 2, now

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        link.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    ready = (f"仮想カード {kind} を vpcd スロット {slot}({host}:{link.port})で提供中。Ctrl-C で終了。"
             if a.lang == "ja" else
             f"ready: virtual {kind} card on vpcd slot {slot} ({host}:{link.port}); Ctrl-C to stop")
    click.echo(ready)
    thread = threading.Thread(target=link.serve_forever, daemon=True)
    thread.start()
    while thread.is_alive() and not stop.wait(0.2):
        pass
    link.close()
    thread.join(timeout=5)
    if link.error is not None:
        raise link.error
    err(f"served {link.apdu_count} APDUs" if a.lang != "ja" else f"{link.apdu_count} 件の APDU に応答しました")



