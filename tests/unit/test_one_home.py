"""One rule, one home (GUIDE "How we write code"; issue 23 item 1): each shared rule below the
services lives in one module, and each test here fails when a second copy comes back
somewhere in ``cardtool/``: the spreadsheet-safe CSV writer, the typed-text cleaner, the
weakest-verdict order, the urgency order, the day-count wording, the JST date of an
instant, the card-number pattern and the language list."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardtool import authenticity, i18n, typed_text
from cardtool.authenticity import Authenticity, Status
from cardtool.card_kind import CardKind
from cardtool.expiry import CardFacts, ClientRecord, Level, assess, days_text, relative_days
from cardtool.register import schema
from cardtool.register.deadlines import urgency
from cardtool.register.model import DeadlineRow
from cardtool.services.office_report import urgency_key
from tests.support.cli import ROOT

PACKAGE = ROOT / "cardtool"


def _sources() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def homes(pattern: str) -> set[str]:
    """The modules under cardtool/ whose text matches ``pattern`` (a regex)."""
    regex = re.compile(pattern)
    return {name for name, text in _sources() if regex.search(text)}


# (what, regex, the one module allowed to hold it)
ONE_HOME = [
    ("a csv writer", r"csv\.(writer|DictWriter)\(", "cardtool/excel_csv.py"),
    ("the BOM", r"\\ufeff|utf-8-sig|BOM_UTF8", "cardtool/excel_csv.py"),
    ("the formula starts", r"""\(\s*"=",\s*"\+",""", "cardtool/excel_csv.py"),
    ("the typed-text character filter", r"unicodedata\.category\(", "cardtool/typed_text.py"),
    ("the reference length", r"MAX_REFERENCE_LENGTH\s*=", "cardtool/typed_text.py"),
    ("a number-like check", r"def looks_like_a_number", "cardtool/typed_text.py"),
    ("the card-number pattern", r"\[A-Z\]\{2\}", "cardtool/secret_format.py"),
    ("the JST date of an instant", r"astimezone\(JST\)\.date\(\)|to_jst\([^()]*\)\.date\(\)",
     "cardtool/jst.py"),
    ("the days-ago wording", r"\{n[^}]*\} days ago|\{n\}日前|日経過", "cardtool/day_words.py"),
    ("the days-left wording", r"\{n[^}]*\} days left|残り\s?\{n", "cardtool/day_words.py"),
    ("the urgency order", r"def urgency_order|-\s*LEVEL_BY_CODE|-\s*row\.level",
     "cardtool/expiry/urgency.py"),
]


@pytest.mark.parametrize(("what", "pattern", "home"), ONE_HOME, ids=[w for w, _, _ in ONE_HOME])
def test_each_rule_has_one_home(what: str, pattern: str, home: str) -> None:
    assert homes(pattern) == {home}, f"{what}: expected only in {home}"


def test_the_checker_sees_a_second_copy(tmp_path: Path) -> None:
    """Not vacuous: the patterns match the copies that used to be there."""
    copies = {
        "the BOM": 'BOM = "\\ufeff".encode()',
        "the days-ago wording": '"days_ago": ("{n} days ago", "{n}日経過"),',
        "the JST date of an instant": "return to_jst(moment).date()",
        "the card-number pattern": 'r"[A-Z]{2}\\d{8}[A-Z]{2}"',
        "the formula starts": '_FORMULA_STARTS = ("=", "+", "-", "@", "\\t", "\\r")',
        "a csv writer": 'csv.writer(buf, lineterminator="\\r\\n")',
        "the urgency order": "return (-row.level, no_date)",
        "the days-left wording": '"days_left": ("{day} ({n:,} days left)", "{day}(残り {n:,} 日)"),',
    }
    patterns = {what: pattern for what, pattern, _ in ONE_HOME}
    for what, copy in copies.items():
        assert re.search(patterns[what], copy), what


def _literal_strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return None


def _language_lists(tree: ast.AST) -> Iterator[int]:
    """Lines of a literal list of the languages (("en", "ja"), ["ja", "en"]) that is not a
    message picked by language (``pick(("en", "ja"), lang)``)."""
    picked = {id(node.args[0]) for node in ast.walk(tree)
              if isinstance(node, ast.Call) and node.args
              and getattr(node.func, "id", getattr(node.func, "attr", "")) == "pick"}
    for node in ast.walk(tree):
        strings = _literal_strings(node)
        if strings is not None and sorted(strings) == ["en", "ja"] and id(node) not in picked:
            yield getattr(node, "lineno", 0)


def test_the_language_list_is_written_once() -> None:
    found = {f"{name}:{line}" for name, text in _sources()
             for line in _language_lists(ast.parse(text))}
    assert {f.split(":")[0] for f in found} == {"cardtool/i18n.py"}, sorted(found)
    assert i18n.LANGS == ("en", "ja")
    planted = ast.parse('click.Choice(["ja", "en"])\nx = pick(("en", "ja"), lang)\n')
    assert list(_language_lists(planted)) == [1]


_STATUS_NAMES = {s.name for s in Status}


def _status_orders(tree: ast.AST) -> Iterator[int]:
    """Lines of a literal sequence naming three or more authenticity statuses: an order (a
    table by status, e.g. a colour per status, is not one)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List):
            named = [e.attr for e in node.elts if isinstance(e, ast.Attribute)
                     and e.attr in _STATUS_NAMES]
            if len(named) >= 3:
                yield node.lineno


def test_the_weakest_verdict_order_is_written_once() -> None:
    found = {name for name, text in _sources() if list(_status_orders(ast.parse(text)))}
    assert found == {"cardtool/authenticity.py"}
    planted = ast.parse("_WEAKNESS = (Status.GENUINE, Status.DATA_GENUINE, Status.INVALID)")
    assert list(_status_orders(planted)) == [1]


def _verdict(status: Status) -> Authenticity:
    return Authenticity(status, ())


def test_a_client_and_a_two_sided_card_get_the_same_weakest_verdict() -> None:
    """Not checked is weaker than unanchored (it claims nothing): a 特定在留カード's two sides
    and a client's two cards give the same answer."""
    pair = (_verdict(Status.UNANCHORED), _verdict(Status.NOT_CHECKED))
    combined = authenticity.combine(*pair)
    assert combined is not None and combined.status is Status.NOT_CHECKED
    cards = tuple(CardFacts(CardKind.MYNUMBER, authenticity=a) for a in pair)
    client = assess(ClientRecord(None, cards), dt.date(2027, 1, 1)).authenticity
    assert client is not None and client.status is Status.NOT_CHECKED
    assert [s for s in authenticity.STRENGTH][:3] == [Status.INVALID, Status.NOT_CHECKED,
                                                     Status.UNANCHORED]


def _deadline(client_id: int, level: Level, left: int | None, auth: str | None) -> DeadlineRow:
    return DeadlineRow(client_id, f"R-{client_id}", None, CardKind.MYNUMBER, None, None, left,
                       level, (), "", "", None, auth, client_id,
                       dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def test_the_register_and_the_office_sort_by_one_urgency_order() -> None:
    """A card that is not genuine first, then the level, then the nearest date: in the
    register's deadline list as in the office report."""
    rows = [_deadline(1, Level.EXPIRED, -3, "genuine"), _deadline(2, Level.OK, 400, "invalid"),
            _deadline(3, Level.URGENT, 10, None), _deadline(4, Level.URGENT, None, None)]
    assert [r.client_id for r in sorted(rows, key=urgency)] == [2, 1, 3, 4]
    office = [{"no": r.client_id, "level": r.level.code, "authenticity": r.authenticity,
               "mynumber_card_days_left": r.days_left} for r in rows]
    assert [r["no"] for r in sorted(office, key=urgency_key)] == [2, 1, 3, 4]  # type: ignore[arg-type]


def test_one_day_count_wording() -> None:
    assert days_text(-3, "ja") == "3日前" and relative_days(-3, "ja") == "3日前"
    assert days_text(-3, "en") == "3 days ago" == relative_days(-3, "en")
    assert days_text(20, "ja") == "残り20日" and days_text(0, "en") == "last day today"


def test_the_register_column_is_as_wide_as_a_reference() -> None:
    assert schema.REFERENCE_LENGTH == typed_text.MAX_REFERENCE_LENGTH
    with pytest.raises(typed_text.ReferenceRejected):
        typed_text.clean_reference("x" * (typed_text.MAX_REFERENCE_LENGTH + 1))


@pytest.mark.parametrize("text", ["a\u2028b", "a\u2029b", "a\x00b", "a\u200bb"])
def test_every_typed_text_drops_control_and_line_separators(text: str) -> None:
    """References, display names and desk names go through the one cleaner."""
    assert typed_text.clean_reference(text) == "ab"
    assert typed_text.clean_text(text, 100, ("display name", "表示名")) == "ab"


def _message_lookups(tree: ast.AST) -> list[str]:
    """Functions that pick a language from a (English, Japanese) table entry and format
    it: what ``i18n.Messages`` does (``desk/texts.py`` once had its own)."""
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        calls = [n for n in ast.walk(func) if isinstance(n, ast.Call)]
        picks_entry = any(getattr(c.func, "id", getattr(c.func, "attr", "")) == "pick"
                          and c.args and isinstance(c.args[0], ast.Subscript) for c in calls)
        formats = any(getattr(c.func, "attr", "") == "format" for c in calls)
        if picks_entry and formats:
            found.append(func.name)
    return found


def test_message_tables_are_looked_up_by_i18n_messages_only() -> None:
    lookups = {name: found for name, text in _sources()
               if (found := _message_lookups(ast.parse(text))) and name != "cardtool/i18n.py"}
    assert lookups == {}
    planted = ast.parse("def text(key, lang, **params):\n"
                        "    template = pick(TEXTS[key], lang)\n"
                        "    return template.format(**params) if params else template\n")
    assert _message_lookups(planted) == ["text"]
