"""The PC/SC readers attached, whether each holds a card, and its ATR (``cardtool readers``,
and the desk's reader state)."""

from __future__ import annotations

from apdu.transport.pcsc import ReaderInfo, list_readers

__all__ = ["ReaderInfo", "list_readers"]
