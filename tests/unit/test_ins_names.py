"""Every instruction byte the code sends or recognises is named by ``apdu.ins.INS``, so
"where is VERIFY sent" is one grep (``INS.VERIFY``). Walks the code with ``ast`` and names
every place that spells an INS as a number instead: the INS argument of ``CommandApdu``
and of a secure channel's ``command``, a comparison of an ``ins``, and a virtual card's
``handlers[(CLA, INS)]`` key."""

from __future__ import annotations

import ast
from pathlib import Path

from apdu.ins import INS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("apdu", "cardtool", "bench")


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _names_ins(node: ast.AST) -> bool:
    """``ins`` or ``something.ins``."""
    return ((isinstance(node, ast.Name) and node.id == "ins")
            or (isinstance(node, ast.Attribute) and node.attr == "ins"))


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def literal_ins(source: str) -> list[tuple[int, str]]:
    """(line, what) of every INS spelled as a number in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _called(node)
            if name == "CommandApdu" and len(node.args) >= 2 and _is_number(node.args[1]):
                found.append((node.lineno, "CommandApdu INS"))
            elif (name == "command" and len(node.args) >= 3 and _is_number(node.args[0])
                  and isinstance(node.func, ast.Attribute)
                  and "channel" in ast.unparse(node.func.value)):
                found.append((node.lineno, "secure channel INS"))
        elif isinstance(node, ast.Compare) and _names_ins(node.left):
            for comparator in node.comparators:
                items = (comparator.elts if isinstance(comparator, ast.Set | ast.Tuple
                                                       | ast.List) else [comparator])
                if any(_is_number(item) for item in items):
                    found.append((node.lineno, "comparison of an ins with a number"))
        elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
              and node.value.attr == "handlers" and isinstance(node.slice, ast.Tuple)
              and len(node.slice.elts) == 2 and _is_number(node.slice.elts[1])):
            found.append((node.lineno, "handler keyed by a numeric INS"))
    return found


def test_no_instruction_byte_is_spelled_as_a_number() -> None:
    offences = [f"{path.relative_to(ROOT)}:{line}: {what}"
                for package in PACKAGES
                for path in sorted((ROOT / package).rglob("*.py"))
                for line, what in literal_ins(path.read_text(encoding="utf-8"))]
    assert offences == [], "use apdu.ins.INS:\n" + "\n".join(offences)


def test_the_walk_finds_each_kind_of_literal() -> None:
    """The test above would pass on any code if the walk found nothing: planted literals."""
    planted = (
        "CommandApdu(0x00, 0x20, 0x00, 0x80, b'1234')\n"
        "channel.command(0xB0, 0x81, 0x00)\n"
        "if cmd.ins == 0xA4: pass\n"
        "if ins in {0xB0, 0xB2}: pass\n"
        "self.handlers[(0x00, 0xCA)] = handler\n"
        "CommandApdu(0x00, INS.VERIFY, 0x00, 0x80, b'1234')\n"
    )
    assert [line for line, _ in literal_ins(planted)] == [1, 2, 3, 4, 5]


def test_the_names_are_the_bytes() -> None:
    assert INS.VERIFY == 0x20 and INS.SELECT == 0xA4 and INS.READ_BINARY == 0xB0
    assert INS.VERIFY.hex_digits() == b"20"
    assert INS.GET_RESPONSE.hex_digits() == b"C0"
    assert len({int(ins) for ins in INS}) == len(INS)  # no byte has two names
