"""Access to a My Number card's files and keys with as few APDUs as the card allows.

Every APDU costs 5-20 ms on an NFC link, so this layer remembers the selected application,
reads EFs and records by short EF id (READ BINARY P1 = 80|SFI, READ RECORD P2 = SFI<<3|4,
no SELECT) and queries/verifies keys by short id (P2 = 80|SFI). Real cards do not all
take those forms: the first time a card refuses one (any of ``SHORTCUT_REFUSALS``: 69 86,
6A 81, 6A 82, 6A 86, 6A 88, 6D 00, 6E 00, 67 00, ...), this layer falls back to SELECT +
current-EF addressing and remembers that for the card session, so the next command goes
the plain way at once. Extended length and 61xx/6Cxx are the session's business.

A VERIFY with data is never sent twice: its addressing form is settled by an empty VERIFY
(which uses no try) before the first VERIFY with data; a refused VERIFY-by-short-id reached
no key and consumed nothing, while an answer from a key (63 Cx, 69 83, 69 84, 90 00) is
final and returned as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from apdu.command import CommandApdu, ResponseApdu
from apdu.errors import ApduError
from apdu.ins import INS
from apdu.session import Session
from apdu.sw import SHORTCUT_REFUSALS, SW, retries_from_sw

MAX_SFI = 0x1E


class MyNumberCard:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.current_aid: bytes | None = None
        self.current_ef: int | None = None  # EF or key selected by SELECT under current_aid
        # What this card takes, learnt the first time each form is tried (None: not yet).
        self.read_by_sfi: bool | None = None
        self.record_by_sfi: bool | None = None
        self.verify_by_sfi: bool | None = None
        self.get_data_works: bool | None = None

    # -- selection --------------------------------------------------------------------

    def select(self, aid: bytes) -> None:
        if self.current_aid == aid:
            return
        self.session.select_df(aid)
        self.current_aid, self.current_ef = aid, None

    def _select_ef(self, fid: int) -> None:
        if self.current_ef != fid:
            self.session.select_ef(fid.to_bytes(2, "big"))
            self.current_ef = fid

    def has_application(self, aid: bytes) -> bool:
        if self.current_aid == aid:
            return True
        ok = self.session.try_select_df(aid)
        # A failed SELECT may leave the previous DF selected or not; forget it either way.
        self.current_aid, self.current_ef = (aid if ok else None), None
        return ok

    # -- files ------------------------------------------------------------------------

    def _by_short_id(self, fid: int, read: Callable[[], bytes]) -> bytes | None:
        """``read`` (a read by short EF id), or None when the card refuses that form the
        first time it is tried (the caller then selects the EF)."""
        if self.read_by_sfi is False or fid > MAX_SFI:
            return None
        try:
            data = read()
        except ApduError as exc:
            if exc.sw in SHORTCUT_REFUSALS and self.read_by_sfi is None:
                self.read_by_sfi = False
                return None
            raise
        self.read_by_sfi = True
        self.current_ef = fid  # a read by short EF id makes that EF current
        return data

    def read(self, aid: bytes, fid: int, length: int | None = None) -> bytes:
        """``length`` bytes (or the whole EF) of EF ``fid`` in application ``aid``."""
        self.select(aid)
        data = self._by_short_id(fid, lambda: self.session.read_binary(length, sfi=fid))
        if data is not None:
            return data
        self._select_ef(fid)
        return self.session.read_binary(length)

    def read_object(self, aid: bytes, fid: int, *, header_bytes: int, what: str,
                    max_size: int = 0x7FFF, expect_tag: int | None = None) -> bytes:
        """An EF holding one BER-TLV object, in one read where the link carries extended
        APDUs: the card answers a READ BINARY longer than the EF with the bytes it has
        (spec §7: TEX's trace, AOKI's whole-EF reads), so the first read asks for
        ``max_size`` bytes and the object's header then tells whether anything is missing
        (read next, exactly). With ``expect_tag``, filler bytes before the object are
        skipped."""
        self.select(aid)

        def read_tlv(sfi: int | None) -> bytes:
            return self.session.read_tlv_file(sfi=sfi, header_bytes=header_bytes, what=what,
                                              max_size=max_size, expect_tag=expect_tag,
                                              whole=True)

        data = self._by_short_id(fid, lambda: read_tlv(fid))
        if data is not None:
            return data
        self._select_ef(fid)
        return read_tlv(None)

    def read_record(self, aid: bytes, fid: int, record: int = 1) -> bytes:
        self.select(aid)
        if self.record_by_sfi is not False and fid <= MAX_SFI:
            response = self.session.transmit(
                CommandApdu(0x00, INS.READ_RECORD, record, (fid << 3) | 0x04, le=256))
            if response.sw == SW.OK:
                self.record_by_sfi = True
                self.current_ef = fid
                return response.data
            if response.sw not in SHORTCUT_REFUSALS or self.record_by_sfi is True:
                raise ApduError(response.sw, "READ RECORD")
            self.record_by_sfi = False
        self._select_ef(fid)
        return self.session.send(CommandApdu(0x00, INS.READ_RECORD, record, 0x04, le=256))

    # -- keys -------------------------------------------------------------------------

    def _verify_command(self, key_ef: int, data: bytes) -> ResponseApdu:
        if self.verify_by_sfi is not False and key_ef <= MAX_SFI:
            response = self.session.transmit(
                CommandApdu(0x00, INS.VERIFY, 0x00, 0x80 | key_ef, data))
            self.current_ef = None  # whether a key reference changes the current EF varies
            if response.sw not in SHORTCUT_REFUSALS or self.verify_by_sfi is True:
                self.verify_by_sfi = True
                return response
            # Refused for its form: no key was reached, no try was used.
            self.verify_by_sfi = False
        self._select_ef(key_ef)
        return self.session.transmit(CommandApdu(0x00, INS.VERIFY, 0x00, 0x80, data))

    def tries_left(self, aid: bytes, key_ef: int) -> int | None:
        """Remaining tries from the empty VERIFY (consumes none). None if the card does not
        tell (some cards answer 90 00 once verified)."""
        self.select(aid)
        response = self._verify_command(key_ef, b"")
        tries = retries_from_sw(response.sw)
        if tries is None and response.sw != SW.OK:
            raise ApduError(response.sw, "VERIFY (retry counter)")
        return tries

    def verify(self, aid: bytes, key_ef: int, secret: bytes) -> ResponseApdu:
        """One VERIFY with data. Callers go through the PIN guard, never here directly.

        The addressing form is settled by an empty VERIFY first, so a VERIFY with data is
        never sent twice (once refused for its form, once again)."""
        self.select(aid)
        if self.verify_by_sfi is None:
            self.tries_left(aid, key_ef)
        return self._verify_command(key_ef, secret)

    def select_key_ef(self, aid: bytes, fid: int) -> None:
        self.select(aid)
        self._select_ef(fid)
