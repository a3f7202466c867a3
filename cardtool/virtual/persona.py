"""Personas: synthetic card holders for the virtual cards, one JSON file each.

Dates are absolute (``"2031-03-31"``) or relative to today in JST (``"+45d"``, ``"-3d"``), so
tests do not rot. Every persona is synthetic; see ``cardtool/virtual/personas/README.md``.

Keys (all kinds):
  kind                 "mynumber" | "residence" | "residence2" | "specified"
  name, address        text (UTF-8); ``alias`` (通称) optional
  birth_date           date;  sex: "male" | "female" | "unknown"
  card_expiry          date
  pins                 {auth, sign, text, juki} as strings (My Number kinds)
  tries                {auth, sign, text, juki} remaining tries at start (default: max)
  certificate_expiry   date (My Number kinds)
  my_number            12 digits (My Number kinds), synthetic
  security_code        4 digits printed on the card (My Number kinds; part of 照合番号B)
  options              list of flags, e.g. "no_signing_certificate" (under-15 card), and
                       card quirks (``cardtool.virtual.quirks``), e.g. "no-short-ef-id",
                       "filler-before-tlv" (00 00 before the text AP EF 0001/0002 objects)

A persona spec may add quirks after ``+``: ``default+no-get-data+no-common-df`` (or
``+no-get-data`` for the kind's default persona).
Residence kinds add:
  card_number          2 letters + 8 digits + 2 letters
  residence_expiry     date (second generation / specified; first generation: on the image only;
                       none on special permanent resident certificates)
  and kind-specific fields kept in ``extra`` (nationality, status, period, permissions,
  renewal_pending, ...), validated by the card module that uses them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from apdu.jsonsafe import JsonRejected, loads_bounded
from cardtool.errors import EXIT_BAD_INPUT, CardtoolError
from cardtool.jst import today_jst
from cardtool.material import personas_dir
from cardtool.mynumber_digits import is_valid_my_number
from cardtool.policy.table import SECRETS
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, PinFormatError, encode_secret

KINDS = ("mynumber", "residence", "residence2", "specified")
MY_NUMBER_KINDS = frozenset({"mynumber", "specified"})
RESIDENCE_KINDS = frozenset({"residence", "residence2", "specified"})
CARD_PINS = ("auth", "sign", "text", "juki")
SEXES = ("male", "female", "unknown")
DEFAULT_PERSONA = {"mynumber": "default", "residence": "residence-default",
                   "residence2": "residence2-default", "specified": "specified-default"}
#: Persona files are about 1 KB, two levels deep (``extra`` may nest a little more): larger
#: or deeper files are refused before they are parsed.
MAX_PERSONA_BYTES = 256 * 1024
MAX_PERSONA_DEPTH = 16
_RELATIVE = re.compile(r"^([+-])(\d{1,5})d$")
_KNOWN_KEYS = frozenset({
    "kind", "name", "alias", "address", "birth_date", "sex", "card_expiry", "pins", "tries",
    "certificate_expiry", "my_number", "security_code", "options", "card_number",
    "residence_expiry", "description",
})


class PersonaError(CardtoolError):
    en = "Persona {path}: {detail}."
    ja = "ペルソナ {path}: {detail}。"
    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class Persona:
    id: str
    path: str
    kind: str
    name: str
    address: str
    birth_date: dt.date
    sex: str
    card_expiry: dt.date
    alias: str | None = None
    pins: dict[str, str] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    certificate_expiry: dt.date | None = None
    my_number: str | None = None
    security_code: str | None = None
    options: frozenset[str] = frozenset()
    card_number: str | None = None
    residence_expiry: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def has(self, option: str) -> bool:
        return option in self.options


def resolve_date(value: Any, key: str, path: str, today: dt.date) -> dt.date:
    if not isinstance(value, str):
        raise PersonaError(path=path, detail=f"'{key}' must be a date string like 2031-03-31 or +45d")
    m = _RELATIVE.match(value.strip())
    if m:
        days = int(m.group(2))
        return today + dt.timedelta(days=days if m.group(1) == "+" else -days)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PersonaError(path=path, detail=f"'{key}' is not a date: '{value}'") from None


def _text(data: dict[str, Any], key: str, path: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise PersonaError(path=path, detail=f"'{key}' must be a non-empty string")
    return value


def locate(spec: str | None, kind: str) -> Path:
    """A persona name in cardtool/virtual/personas/ (with or without .json) or a file path."""
    name = spec or DEFAULT_PERSONA[kind]
    candidate = Path(name)
    if candidate.suffix == ".json" and candidate.exists():
        return candidate
    if os.sep in name or candidate.exists():
        return candidate
    return personas_dir() / (name if name.endswith(".json") else f"{name}.json")


def split_quirks(spec: str | None, kind: str) -> tuple[str | None, frozenset[str]]:
    """``NAME+QUIRK+QUIRK`` -> (NAME or None, quirks and forgeries); an unknown one is an
    error."""
    from cardtool.virtual.quirks import CARD_OPTION_NAMES

    if spec is None or "+" not in spec or Path(spec).exists():
        return spec, frozenset()
    name, *names = (part.strip() for part in spec.split("+"))
    unknown = sorted(set(names) - CARD_OPTION_NAMES)
    if unknown:
        raise PersonaError(path=spec, detail=f"unknown quirk {', '.join(unknown)} "
                                             f"(known: {', '.join(sorted(CARD_OPTION_NAMES))})")
    if kind not in MY_NUMBER_KINDS:
        raise PersonaError(path=spec, detail="card quirks are modelled on My Number card chips "
                                             "(mynumber, specified)")
    return name or None, frozenset(names)


def load_persona(spec: str | None, kind: str, today: dt.date | None = None) -> Persona:
    spec, quirks = split_quirks(spec, kind)
    persona = _load_persona_file(spec, kind, today)
    if quirks:
        persona = replace(persona, options=persona.options | quirks)
    return persona


def _load_persona_file(spec: str | None, kind: str, today: dt.date | None) -> Persona:
    path = locate(spec, kind)
    shown = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_PERSONA_BYTES + 1)
    except FileNotFoundError:
        raise PersonaError(path=shown, detail="no such persona file") from None
    except OSError as exc:
        raise PersonaError(path=shown, detail=f"cannot be read ({exc})") from None
    try:
        data = loads_bounded(raw, max_depth=MAX_PERSONA_DEPTH, max_bytes=MAX_PERSONA_BYTES,
                             what="persona file")
    except JsonRejected as exc:
        raise PersonaError(path=shown, detail=exc.problem) from None
    return parse_persona(data, kind, shown, path.stem, today or today_jst())


def parse_persona(data: Any, kind: str, path: str, persona_id: str, today: dt.date) -> Persona:
    if not isinstance(data, dict):
        raise PersonaError(path=path, detail="must be a JSON object")
    unknown = set(data) - _KNOWN_KEYS - {"extra"}
    if unknown:
        raise PersonaError(path=path, detail=f"unknown keys: {', '.join(sorted(unknown))}")
    if data.get("kind") != kind:
        raise PersonaError(path=path, detail=f"'kind' is {data.get('kind')!r}, expected '{kind}'")
    sex = data.get("sex")
    if sex not in SEXES:
        raise PersonaError(path=path, detail=f"'sex' must be one of {', '.join(SEXES)}")
    options = data.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise PersonaError(path=path, detail="'options' must be a list of strings")
    extra = data.get("extra", {})
    if not isinstance(extra, dict):
        raise PersonaError(path=path, detail="'extra' must be an object")

    pins: dict[str, str] = {}
    tries: dict[str, int] = {}
    my_number = security_code = None
    cert_expiry = None
    if kind in MY_NUMBER_KINDS:
        raw_pins = data.get("pins")
        if not isinstance(raw_pins, dict) or set(raw_pins) != set(CARD_PINS):
            raise PersonaError(path=path, detail=f"'pins' must have exactly {', '.join(CARD_PINS)}")
        for name, value in raw_pins.items():
            if not isinstance(value, str):
                raise PersonaError(path=path, detail=f"pins.{name} must be a string")
            try:
                pins[name] = encode_secret(SECRETS[name], value).decode("ascii")
            except PinFormatError:
                raise PersonaError(path=path, detail=f"pins.{name} must be {SECRETS[name].rule.describe_en}"
                                   ) from None
        raw_tries = data.get("tries", {})
        if not isinstance(raw_tries, dict) or not set(raw_tries) <= set(CARD_PINS):
            raise PersonaError(path=path, detail=f"'tries' keys must be among {', '.join(CARD_PINS)}")
        for name in CARD_PINS:
            value = raw_tries.get(name, SECRETS[name].max_tries)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= SECRETS[name].max_tries:
                raise PersonaError(path=path, detail=f"tries.{name} must be 0..{SECRETS[name].max_tries}")
            tries[name] = value
        my_number = _text(data, "my_number", path)
        assert my_number is not None
        if not is_valid_my_number(my_number):
            raise PersonaError(path=path, detail="'my_number' must be 12 digits with a valid check digit")
        security_code = _text(data, "security_code", path)
        assert security_code is not None
        if not (len(security_code) == 4 and security_code.isdigit()):
            raise PersonaError(path=path, detail="'security_code' must be 4 digits")
        cert_expiry = resolve_date(data.get("certificate_expiry"), "certificate_expiry", path, today)

    card_number = residence_expiry = None
    if kind in RESIDENCE_KINDS:
        number = _text(data, "card_number", path)
        assert number is not None
        try:
            card_number = encode_secret(RESIDENCE_CARD_NUMBER, number).decode("ascii")
        except PinFormatError:
            raise PersonaError(path=path, detail="'card_number' must be 2 letters, 8 digits, 2 letters"
                               ) from None
        if "residence_expiry" in data:
            residence_expiry = resolve_date(data["residence_expiry"], "residence_expiry", path, today)
        # Whether it is required depends on the card type in ``extra`` (special permanent
        # residents have no period of stay): the residence card module checks it.

    name = _text(data, "name", path)
    address = _text(data, "address", path)
    assert name is not None and address is not None
    return Persona(
        id=persona_id,
        path=path,
        kind=kind,
        name=name,
        alias=_text(data, "alias", path, required=False),
        address=address,
        birth_date=resolve_date(data.get("birth_date"), "birth_date", path, today),
        sex=sex,
        card_expiry=resolve_date(data.get("card_expiry"), "card_expiry", path, today),
        pins=pins,
        tries=tries,
        certificate_expiry=cert_expiry,
        my_number=my_number,
        security_code=security_code,
        options=frozenset(options),
        card_number=card_number,
        residence_expiry=residence_expiry,
        extra=extra,
    )
