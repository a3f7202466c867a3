"""Generate a seeded corpus of recorded traces for ``cardtool trace check``.

Every trace is a real session: cardtool's own reading code (``read_mynumber``,
``read_card``, the PIN guard, signing) drives a virtual card through
``apdu.session.Session``, recorded by ``RecordingTransport`` with the default redaction.
Most are My Number cards (several personas); some are residence cards of both generations
and 特定在留カード (secure messaging, the card number's VERIFY). Sessions mix reading the
card, the text AP (PIN), the card face (照合番号), the signing certificate, signing, PIN
status and a mistyped-then-right PIN, with card resets between tasks, on readers with and
without extended-length APDUs. The card's own randomness (residence-card challenges) is
not seeded; what is sent and where the violations are is.

A few percent of the traces carry a planted violation (a wrong-format PIN, a blind VERIFY,
a lockout, an unredacted trace, a card that miscounts, a torn or broken file...). Each
scenario knows, from what it sent, which findings the checker must report and where;
``manifest.json`` lists them so a test can compare the checker's findings with them
exactly. Clean sessions must produce no finding at all.

    python -m bench.make_corpus OUT_DIR [--traces 10000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from apdu.command import CommandApdu
from apdu.ins import INS
from apdu.session import Session
from apdu.trace import NoRedaction
from apdu.transport.recording import RecordingTransport
from apdu.transport.virtual import VirtualTransport
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.jpki import compute_signature, digest_info_sha256
from cardtool.errors import CardtoolError
from cardtool.policy.guard import PinGuard
from cardtool.policy.rules import key_label
from cardtool.policy.table import SECRETS
from cardtool.secret_format import KeyRef, Secret
from cardtool.services.read import ReadOptions, read_card, read_mynumber
from cardtool.services.read_residence import ResidenceOptions
from cardtool.sources import default_redactor
from cardtool.virtual import make_virtual_card
from cardtool.virtual.card_os import CardOS
from cardtool.virtual.mynumber import VirtualMyNumberCard, virtual_secret
from cardtool.virtual.nonconformant import Blocked63C0Card, CountUpCard, NoDecrementCard
from cardtool.virtual.persona import Persona

TOOL = "cardtool-bench"
TRACES_PER_DIRECTORY = 250
CLEAN_PERSONAS = ("default", "default", "default", "expiring-soon", "foreign-alias", "under15",
                  "one-try-left", "blocked")
DEFAULT_VIOLATION_RATE = 0.04


@dataclass
class Planted:
    path: str
    exchange: int | None
    rule: str
    key: str = ""
    #: Compared only when not None (e.g. the JSON error text of a broken line is not).
    detail: str | None = None
    detail_prefix: str | None = None


def _key(name: str, application: str | None = None) -> tuple[Secret, KeyRef, str]:
    secret = SECRETS[name]
    key = secret.key_in(application) if application else secret.keys[0]
    return secret, key, key_label(secret.name, key.application)


class Recorder:
    """One trace being recorded: the card, the session and what was verified since the
    last reset (so clean tasks never verify a key twice in one power cycle)."""

    def __init__(self, card: CardOS, path: Path, *, extended: bool, redact: bool = True,
                 description: str = "virtual card") -> None:
        self.virtual = card
        transport = VirtualTransport(card, description=description)
        transport.supports_extended = extended
        self.rec = RecordingTransport(transport, path, tool=TOOL,
                                      redactor=default_redactor() if redact else NoRedaction())
        self.session = Session(self.rec)
        self.card = MyNumberCard(self.session)
        self.guard = PinGuard(self.card)
        self.verified: set[str] = set()

    @property
    def n(self) -> int:
        """The number of the last exchange written."""
        return self.rec.writer.exchanges

    def reset(self) -> None:
        self.rec.reset()
        self.forget_selection()
        self.verified.clear()

    def forget_selection(self) -> None:
        """After code that used its own card object, ours no longer knows what is selected."""
        self.card = MyNumberCard(self.session)
        self.guard = PinGuard(self.card)

    @property
    def is_mynumber(self) -> bool:
        return isinstance(self.virtual, VirtualMyNumberCard)

    def fresh_for(self, *labels: str) -> None:
        if self.verified.intersection(labels):
            self.reset()

    def secret_value(self, secret: Secret) -> str:
        value = virtual_secret(self.virtual, secret)
        if value is None:
            raise KeyError(secret.name)
        return value

    def close(self) -> None:
        self.rec.close()


# --- clean tasks -----------------------------------------------------------------------


def task_read(r: Recorder, rng: random.Random) -> None:
    text, face, sign_cert = rng.random() < 0.4, rng.random() < 0.35, rng.random() < 0.25
    face_key = rng.choice(("number-b", "number-a"))
    labels = ([key_label("text", "text")] if text else []) + (
        [key_label(face_key, "visual")] if face else []) + (
        [key_label("sign", "jpki")] if sign_cert else [])
    r.fresh_for(*labels)
    # The guard may refuse one secret (blocked, last try) after others were verified: count
    # them all as verified, so the next task that needs one of them resets first.
    with contextlib.suppress(CardtoolError):
        read_mynumber(r.session, r.rec.atr, ReadOptions(text=text, face=face, face_key=face_key,
                                                         sign_cert=sign_cert),
                      r.secret_value, card=r.card)
    r.verified.update(labels)


def task_status(r: Recorder, rng: random.Random) -> None:
    for secret in SECRETS.values():
        for key in secret.keys:
            r.guard.status(secret, key)


def task_sign(r: Recorder, rng: random.Random) -> None:
    secret, key, label = _key("auth")
    r.fresh_for(label)
    try:
        r.guard.ask_and_verify(r.guard.status(secret, key), r.secret_value)
    except CardtoolError:
        return
    r.verified.add(label)
    digest = digest_info_sha256(rng.randbytes(32))
    compute_signature(r.card, ids.JpkiEF.AUTH_KEY, digest)


WRONG_VALUES = {"auth": "0000", "text": "0000", "sign": "WRONG123"}


def task_typo(r: Recorder, rng: random.Random) -> None:
    """The user mistypes once, then gets it right: one failure, allowed by the policy."""
    secret, key, label = _key(rng.choice(("auth", "text", "sign")))
    r.fresh_for(label)
    with contextlib.suppress(CardtoolError):
        r.guard.verify(secret, key, WRONG_VALUES[secret.name])
    try:
        r.guard.verify(secret, key, r.secret_value(secret))
    except CardtoolError:
        return
    r.verified.add(label)


def task_read_card(r: Recorder, rng: random.Random) -> None:
    """``cardtool read`` on a residence card or a 特定在留カード: authentication with the card
    number (secure messaging) and the card's fields."""
    # The APDUs are the corpus; OCR of a first-generation front sends none (and would spend
    # seconds of Tesseract per card), so it is left out.
    read_card(r.rec, ReadOptions(), r.secret_value,
              lambda: _card_number(r.virtual), ResidenceOptions(ocr=False))
    r.forget_selection()


def _card_number(card: CardOS) -> str:
    number = getattr(card, "card_number", None)  # a residence card keeps it as bytes
    if isinstance(number, bytes):
        return number.decode("ascii")
    persona: Persona | None = getattr(card, "persona", None)  # a 特定在留カード: its persona
    return (persona.card_number if persona else None) or ""


CLEAN_TASKS: tuple[tuple[Callable[[Recorder, random.Random], None], int], ...] = (
    (task_read, 6), (task_status, 2), (task_sign, 2), (task_typo, 1))


def clean_tasks(r: Recorder, rng: random.Random, count: int, *, typos: bool = True) -> None:
    if not r.is_mynumber:  # a residence card: reading it is all there is to do
        for i in range(count):
            if i and rng.random() < 0.7:
                r.reset()
            task_read_card(r, rng)
        return
    extra = [(task_read_card, 2)] if r.virtual.kind == "specified" else []  # type: ignore[attr-defined]
    chosen = [(t, w) for t, w in (*CLEAN_TASKS, *extra) if typos or t is not task_typo]
    tasks = [t for t, _ in chosen]
    weights = [w for _, w in chosen]
    for i in range(count):
        if i and rng.random() < 0.7:
            r.reset()
        rng.choices(tasks, weights)[0](r, rng)


# --- planted violations ------------------------------------------------------------------
# Each returns the findings it must cause. They send raw APDUs where cardtool's own code
# would refuse to (that is the point), through the same session.


def _raw_verify(r: Recorder, key: KeyRef, data: bytes) -> None:
    r.card.select(key.aid)
    r.session.transmit(CommandApdu(0x00, INS.VERIFY, 0x00, 0x80 | key.key_ef, data))


def plant_format_length(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("auth")
    r.guard.status(secret, key)
    _raw_verify(r, key, b"12345")
    return [Planted(rel, r.n, "pin-format", label, "length 5")]


def plant_format_charset(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("sign")
    r.guard.status(secret, key)
    _raw_verify(r, key, r.secret_value(secret).lower().encode())
    return [Planted(rel, r.n, "pin-format", label, "characters")]


def plant_unknown_key(r: Recorder, rel: str) -> list[Planted]:
    r.card.select(ids.JPKI_AID)
    r.session.transmit(CommandApdu(0x00, INS.VERIFY, 0x00, 0x80 | 0x1F, b"1234"))
    return [Planted(rel, r.n, "unknown-key", "jpki/EF 001F")]


def plant_blind(r: Recorder, rel: str) -> list[Planted]:
    """First thing in the trace: a VERIFY without asking the counter first."""
    secret, key, label = _key("text")
    _raw_verify(r, key, r.secret_value(secret).encode())
    r.verified.add(label)
    return [Planted(rel, r.n, "blind-verify", label)]


def plant_last_try(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("auth")  # the persona has one try left
    r.fresh_for(label)
    r.guard.status(secret, key)
    _raw_verify(r, key, r.secret_value(secret).encode())
    r.verified.add(label)
    return [Planted(rel, r.n, "last-try", label)]


def plant_lockout(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("auth")
    r.guard.status(secret, key)
    found = []
    for _ in range(3):
        _raw_verify(r, key, b"9999")
    found += [Planted(rel, r.n, "last-try", label),
              Planted(rel, r.n, "repeated-failures", label, "3 in a row"),
              Planted(rel, r.n, "key-blocked", label)]
    _raw_verify(r, key, b"9999")
    found.append(Planted(rel, r.n, "verify-blocked", label))
    return found


def plant_verify_blocked(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("auth")  # blocked in the persona
    r.guard.status(secret, key)
    _raw_verify(r, key, r.secret_value(secret).encode())
    return [Planted(rel, r.n, "verify-blocked", label)]


def plant_reverify(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("text")
    r.fresh_for(label)
    r.guard.verify(secret, key, r.secret_value(secret))
    r.guard.verify(secret, key, r.secret_value(secret))
    r.verified.add(label)
    return [Planted(rel, r.n, "reverify", label)]


def plant_repeated(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("sign")
    r.fresh_for(label)
    r.guard.status(secret, key)
    for _ in range(3):
        _raw_verify(r, key, b"WRONG123")
    found = [Planted(rel, r.n, "repeated-failures", label, "3 in a row")]
    _raw_verify(r, key, r.secret_value(secret).encode())
    r.verified.add(label)
    return found


def plant_counter_step(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("text")  # NoDecrementCard
    r.guard.status(secret, key)
    _raw_verify(r, key, b"0000")
    return [Planted(rel, r.n, "counter-step", label, "3 -> 3")]


def plant_counter_up(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("auth")  # CountUpCard
    r.guard.status(secret, key)
    _raw_verify(r, key, b"0000")
    return [Planted(rel, r.n, "max-above-policy", label, "4 > 3"),
            Planted(rel, r.n, "counter-increased", label, "3 -> 4")]


def plant_blocked_sw(r: Recorder, rel: str) -> list[Planted]:
    secret, key, label = _key("text")  # Blocked63C0Card, text blocked in the persona
    r.guard.status(secret, key)
    _raw_verify(r, key, r.secret_value(secret).encode())
    return [Planted(rel, r.n, "verify-blocked", label),
            Planted(rel, r.n, "blocked-wrong-sw", label, "SW 63C0")]


def plant_unredacted(r: Recorder, rel: str) -> list[Planted]:
    """Recorded with --no-redact: the text PIN and the My Number end up in the trace (the
    findings are read from the finished file: see ``_unredacted_findings``)."""
    label = key_label("text", "text")
    r.fresh_for(label)
    with contextlib.suppress(CardtoolError):
        read_mynumber(r.session, r.rec.atr, ReadOptions(text=True), r.secret_value, card=r.card)
    r.verified.add(label)
    return []


def plant_residence_unredacted(r: Recorder, rel: str) -> list[Planted]:
    """A residence card read recorded with --no-redact: the card number's VERIFY data
    (secure messaging, CLA 08 P2 86) is in the trace."""
    task_read_card(r, random.Random(0))
    return []


def _unredacted_findings(path: Path, rel: str, my_number: str) -> list[Planted]:
    """What an unredacted trace leaks, found by plain text search: every VERIFY with data
    holds a secret, every response with the holder's digits shows the My Number."""
    found = []
    number_hex = my_number.encode().hex().upper()
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        event = json.loads(line)
        if event.get("type") != "exchange":
            continue
        command = event["command"]
        if command[2:4] == "20" and len(command) > 10:
            found.append(Planted(rel, event["n"], "secret-unredacted"))
        if number_hex and number_hex in event["response"][:-4]:
            found.append(Planted(rel, event["n"], "my-number-visible"))
    return found


Plant = Callable[[Recorder, str], list[Planted]]


@dataclass(frozen=True)
class Scenario:
    name: str
    plant: Plant
    persona: str = "default"
    card: str = "mynumber"  # a virtual card kind
    first: bool = False  # must come before any other task
    redact: bool = True
    #: The card miscounts failures: the clean tasks around must not fail a VERIFY on it.
    faulty: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("format-length", plant_format_length),
    # Only the length of a redacted secret is visible: the charset breach needs --no-redact.
    Scenario("format-charset", plant_format_charset, redact=False),
    Scenario("unknown-key", plant_unknown_key),
    Scenario("blind", plant_blind, first=True),
    Scenario("last-try", plant_last_try, persona="one-try-left"),
    Scenario("lockout", plant_lockout),
    Scenario("verify-blocked", plant_verify_blocked, persona="blocked"),
    Scenario("reverify", plant_reverify),
    Scenario("repeated", plant_repeated),
    Scenario("counter-step", plant_counter_step, card=NoDecrementCard.kind, faulty=True),
    Scenario("counter-up", plant_counter_up, card=CountUpCard.kind, faulty=True),
    Scenario("blocked-sw", plant_blocked_sw, persona="blocked", card=Blocked63C0Card.kind,
             faulty=True),
    Scenario("residence-unredacted", plant_residence_unredacted, persona="residence2-default",
             card="residence2", redact=False),
    Scenario("unredacted", plant_unredacted, redact=False),
    Scenario("torn", lambda r, rel: []),
    Scenario("broken", lambda r, rel: []),
)


# --- the corpus ----------------------------------------------------------------------------

_CARDS: dict[str, CardOS] = {}


def make_card(kind: str, persona: str) -> CardOS:
    """A fresh card (fresh counters) for every trace; building one from scratch costs a few
    milliseconds of key loading, so a prototype per kind and persona is copied."""
    import copy

    spec = f"{kind}:{persona}"
    prototype = _CARDS.get(spec)
    if prototype is None:
        card = make_virtual_card(spec)
        assert isinstance(card, CardOS)
        prototype = _CARDS[spec] = card
    return copy.deepcopy(prototype)


def _clean_card(rng: random.Random) -> tuple[str, str]:
    """Mostly My Number cards; some residence cards (both generations) and 特定在留カード."""
    draw = rng.random()
    if draw < 0.04:
        return "residence", "residence-default"
    if draw < 0.08:
        return "residence2", rng.choice(("residence2-default", "residence2-soon"))
    if draw < 0.12:
        return "specified", "specified-default"
    return "mynumber", rng.choice(CLEAN_PERSONAS)


def _tear(path: Path, rng: random.Random) -> int:
    """Cut the last line in the middle, as a crash while writing would. Returns its line
    number."""
    lines = path.read_bytes().split(b"\n")[:-1]
    last = lines[-1]
    cut = rng.randrange(1, len(last) - 1)
    path.write_bytes(b"\n".join([*lines[:-1], last[:cut]]))
    return len(lines)


def _is_exchange(line: bytes) -> bool:
    return line.startswith(b'{"type":"exchange"')


def _break(path: Path, rng: random.Random) -> tuple[int, int]:
    """Put a line that is not JSON somewhere after the header. Returns (its line number,
    the exchanges before it)."""
    lines = path.read_bytes().split(b"\n")[:-1]
    at = rng.randrange(1, len(lines))
    before = sum(1 for line in lines[1:at] if _is_exchange(line))
    lines.insert(at, b'{"type":"exchange","n":' + b"\x22oops")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return at + 1, before


def write_trace(out: Path, index: int, rng: random.Random, scenario: Scenario | None
                ) -> tuple[str, list[Planted], int]:
    rel = f"{index // TRACES_PER_DIRECTORY:03d}/trace-{index:05d}.jsonl"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    kind, persona = (scenario.card, scenario.persona) if scenario else _clean_card(rng)
    card = make_card(kind, persona)
    r = Recorder(card, path, extended=rng.random() < 0.4,
                 redact=scenario.redact if scenario else True,
                 description=f"virtual {kind}:{persona}")
    tasks = rng.randint(3, 10)
    typos = not (scenario is not None and scenario.faulty)
    planted: list[Planted] = []
    try:
        if scenario is not None and scenario.first:
            planted += scenario.plant(r, rel)
            clean_tasks(r, rng, tasks, typos=typos)
        elif scenario is not None:
            before = rng.randint(0, tasks)
            clean_tasks(r, rng, before, typos=typos)
            if before:
                r.reset()
            planted += scenario.plant(r, rel)
            clean_tasks(r, rng, tasks - before, typos=typos)
        else:
            clean_tasks(r, rng, tasks)
    finally:
        r.close()
    exchanges = r.n
    if scenario is not None and not scenario.redact:
        persona_of_card: Persona | None = getattr(card, "persona", None)
        my_number = persona_of_card.my_number if persona_of_card else None
        planted += _unredacted_findings(path, rel, my_number or "")
    if scenario is not None and scenario.name == "torn":
        last = path.read_bytes().split(b"\n")[-2]
        line = _tear(path, rng)
        planted.append(Planted(rel, None, "trace-torn", "", f"line {line}"))
        exchanges -= _is_exchange(last)
    elif scenario is not None and scenario.name == "broken":
        line, exchanges = _break(path, rng)
        planted.append(Planted(rel, None, "trace-unreadable", "", None, f"line {line}: "))
    return rel, planted, exchanges


def make_corpus(out: Path, traces: int, seed: int,
                violation_rate: float = DEFAULT_VIOLATION_RATE) -> dict[str, object]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    planted: list[Planted] = []
    exchanges = 0
    planted_traces = 0
    for index in range(traces):
        # The scenarios take turns, so even a small corpus has every kind of violation.
        scenario = None
        if rng.random() < violation_rate:
            scenario = SCENARIOS[planted_traces % len(SCENARIOS)]
            planted_traces += 1
        _rel, found, count = write_trace(out, index, rng, scenario)
        planted += found
        exchanges += count
    manifest = {"seed": seed, "traces": traces, "exchanges": exchanges,
                "violation_rate": violation_rate,
                "planted": [asdict(p) for p in planted]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write the corpus into")
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--violation-rate", type=float, default=DEFAULT_VIOLATION_RATE)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = make_corpus(args.out, args.traces, args.seed, args.violation_rate)
    planted = manifest["planted"]
    assert isinstance(planted, list)
    print(f"{manifest['traces']} traces, {manifest['exchanges']} exchanges, "
          f"{len(planted)} planted findings in "
          f"{len({p['path'] for p in planted})} traces, "
          f"{time.perf_counter() - started:.1f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
