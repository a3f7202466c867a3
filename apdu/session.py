"""APDU rules over a transport: GET RESPONSE on ``61xx``, re-send on ``6Cxx``, status
words to exceptions, and a chunked READ BINARY that prefers one extended-length read and
falls back to 256-byte short reads when the reader or card refuses (remembered per
session)."""

from __future__ import annotations

from collections.abc import Callable, Collection

from apdu import tlv
from apdu.command import MAX_EXTENDED_LE, MAX_SHORT_LE, CommandApdu, ResponseApdu
from apdu.errors import ApduError, InvalidApdu, MalformedData, TransmitFailed
from apdu.ins import INS
from apdu.sw import SW
from apdu.transport import Transport

MAX_GET_RESPONSE_ROUNDS = 256  # a card that keeps answering 61xx beyond 64 KiB is broken
MAX_OFFSET = 0x7FFF  # READ BINARY with even INS addresses 15 bits

# Answers to an extended READ BINARY that mean "not this way", so we retry with short ones.
_EXTENDED_REFUSALS = frozenset({SW.WRONG_LENGTH, SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED})


class Session:
    def __init__(
        self,
        transport: Transport,
        *,
        on_exchange: Callable[[CommandApdu, ResponseApdu], None] | None = None,
        strict_length: bool = True,
    ) -> None:
        self.transport = transport
        #: Reject responses with more data than the command's Le (a raw-APDU tool turns
        #: this off to show whatever the card sends).
        self.strict_length = strict_length
        #: None until an extended READ BINARY was tried; then whether it worked.
        self.extended_works: bool | None = (
            False if transport.supports_extended is False else None
        )
        self.apdu_count = 0
        self._on_exchange = on_exchange

    # -- raw exchange ------------------------------------------------------------------

    def _exchange(self, command: CommandApdu) -> ResponseApdu:
        raw = self.transport.transmit(command.to_bytes())
        self.apdu_count += 1
        response = ResponseApdu.parse(raw)
        if self.strict_length and len(response.data) > (command.le or 0):
            # More than asked for (or data to a command that expects none): a broken card
            # or link. Never let it drive offsets or lengths.
            raise MalformedData("response APDU", command.le or 0,
                                f"{len(response.data)} data bytes to {command.name} "
                                f"that asked for {command.le or 0}")
        if self._on_exchange is not None:
            self._on_exchange(command, response)
        return response

    def transmit(self, command: CommandApdu) -> ResponseApdu:
        """Send ``command``; follow ``61xx`` with GET RESPONSE and ``6Cxx`` with one re-send
        (commands with an Le only).

        Returns whatever final status the card gives; use ``send`` to raise on errors.
        """
        response = self._exchange(command)
        if response.sw1 == 0x6C and command.le is not None:
            # Only a command that expects data can have had a wrong Le. A 6Cxx to any other
            # (a VERIFY carrying a PIN, say) is returned as it is: never sent twice.
            response = self._exchange(command.with_le(response.sw2 or MAX_SHORT_LE))
        data = bytearray(response.data)
        rounds = 0
        while response.sw1 == 0x61:
            rounds += 1
            if rounds > MAX_GET_RESPONSE_ROUNDS:
                break
            # GET RESPONSE keeps the logical channel bits of the original class byte.
            get_response = CommandApdu(command.cla & 0x03, INS.GET_RESPONSE, 0, 0,
                                       le=response.sw2 or 256)
            response = self._exchange(get_response)
            data += response.data
        if len(data) != len(response.data):
            return ResponseApdu(bytes(data), response.sw1, response.sw2)
        return response

    def send(
        self,
        command: CommandApdu,
        *,
        ok: Collection[int] = (SW.OK,),
    ) -> bytes:
        """Send ``command`` and return its data; raise ``ApduError`` unless SW is in ``ok``."""
        response = self.transmit(command)
        if response.sw not in ok:
            raise ApduError(response.sw, command.name, response.data)
        return response.data

    def host_random(self, length: int, purpose: str) -> bytes:
        return self.transport.host_random(length, purpose)

    # -- ISO 7816-4 helpers ------------------------------------------------------------

    def select_df(self, aid: bytes) -> None:
        """SELECT by DF name, no FCI (P2=0C)."""
        self.send(CommandApdu(0x00, INS.SELECT, 0x04, 0x0C, aid))

    def select_ef(self, fid: bytes) -> None:
        """SELECT an EF under the current DF by file identifier, no FCI."""
        self.send(CommandApdu(0x00, INS.SELECT, 0x02, 0x0C, fid))

    def try_select_df(self, aid: bytes) -> bool:
        """SELECT by DF name; False if the card says it has no such application."""
        response = self.transmit(CommandApdu(0x00, INS.SELECT, 0x04, 0x0C, aid))
        if response.sw == SW.OK:
            return True
        if response.sw in (SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.WRONG_PARAMETERS,
                           SW.FUNCTION_NOT_SUPPORTED, SW.INS_NOT_SUPPORTED,
                           SW.CLA_NOT_SUPPORTED):
            return False
        raise ApduError(response.sw, "SELECT")

    def _read_command(self, position: int, le: int, sfi: int | None, first: bool,
                      extended: bool, cla: int) -> CommandApdu:
        if first and sfi is not None:
            if position > 0xFF:
                raise InvalidApdu(detail=f"offset {position} too large for a read by SFI")
            return CommandApdu(cla, INS.READ_BINARY, 0x80 | sfi, position, le=le, extended=extended)
        if position > MAX_OFFSET:
            raise InvalidApdu(detail=f"offset {position} exceeds READ BINARY's 15-bit range")
        return CommandApdu(cla, INS.READ_BINARY, position >> 8, position & 0xFF, le=le,
                           extended=extended)

    def read_binary(
        self,
        length: int | None = None,
        *,
        offset: int = 0,
        sfi: int | None = None,
        cla: int = 0x00,
        one_read: bool = False,
    ) -> bytes:
        """Read ``length`` bytes (or to the end of the EF when None) of the current EF, or
        of the EF with short id ``sfi`` (which becomes current).

        One extended read when it helps and works; otherwise 256-byte short reads. A short
        answer with ``90 00`` or ``62 82``, or ``6B 00`` after some data, ends the file.
        ``one_read``: stop after the first answer with data (at most ``length`` bytes, fewer
        when the EF is shorter): for a caller that learns the size from what it gets.
        """
        out = bytearray()
        first = True
        while length is None or len(out) < length:
            position = offset + len(out)
            want = MAX_EXTENDED_LE if length is None else length - len(out)
            use_extended = want > MAX_SHORT_LE and self.extended_works is not False
            chunk = min(want, MAX_EXTENDED_LE if use_extended else MAX_SHORT_LE)
            command = self._read_command(position, chunk, sfi, first, use_extended, cla)
            try:
                response = self.transmit(command)
            except TransmitFailed:
                if not use_extended:
                    raise
                self.extended_works = False  # the reader cannot carry it: go short
                continue
            if use_extended and response.sw in _EXTENDED_REFUSALS:
                self.extended_works = False
                continue
            if response.sw == SW.WRONG_PARAMETERS and out:
                break  # offset past the end: the previous chunk was the last
            if response.sw not in (SW.OK, SW.END_OF_FILE):
                raise ApduError(response.sw, "READ BINARY", response.data)
            if use_extended and response.data:
                self.extended_works = True
            first = False
            out += response.data
            if len(response.data) < chunk or response.sw == SW.END_OF_FILE or one_read:
                break
        return bytes(out)

    def read_tlv_file(
        self,
        *,
        sfi: int | None = None,
        header_bytes: int = 4,
        rule: tlv.TagRule = tlv.TagRule.BER,
        what: str = "file",
        max_size: int = 0x7FFF,
        expect_tag: int | None = None,
        whole: bool = False,
    ) -> bytes:
        """Read an EF that holds one BER-TLV object (a certificate, a TLV record): the first
        ``header_bytes`` tell its size, then one more read fetches the value.

        The second read starts where the value starts (not after the bytes already read),
        so every read after the first begins on a TLV boundary: that is what lets a trace
        redact values while keeping the structure.

        ``whole``: for a card known to answer a READ BINARY longer than the EF with the
        bytes it has (``90 00`` or ``62 82``; the My Number card does, spec §7): the first
        read asks for ``max_size`` bytes in one extended APDU (256 on a short-APDU link),
        which is the whole object on most cards; only an object longer than that answer
        costs one more read, of exactly the bytes still missing (nothing is read twice).
        A refused extended read falls back to short reads (remembered, as for any read).

        With ``expect_tag``, ``00``/``FF`` filler before the object is skipped (one more
        read, only on cards that have it) and left out of the result."""
        if whole:
            first_le = (min(max_size, MAX_EXTENDED_LE) if self.extended_works is not False
                        else MAX_SHORT_LE)
            head = self.read_binary(max(first_le, header_bytes), sfi=sfi, one_read=True)
        else:
            head = self.read_binary(header_bytes, sfi=sfi)
        start = 0
        if (expect_tag is not None and head[:1] in (b"\x00", b"\xff")
                and not head.startswith(tlv.encode_tag(expect_tag))):
            if len(head) == header_bytes:
                try:
                    head += self.read_binary(tlv.MAX_FILLER, offset=len(head))
                except ApduError as exc:
                    if exc.sw not in (SW.WRONG_PARAMETERS, SW.END_OF_FILE):
                        raise
            start = tlv.filler_before(head, expect_tag)
        _tag, length, value_offset = tlv.read_header(head, start, rule=rule, what=what)
        total = value_offset + length
        if total - start > max_size:
            raise MalformedData(what, start, f"declares {total - start} bytes, more than {max_size}")
        if total <= len(head):
            return head[start:total]
        if whole and len(head) >= value_offset:
            rest = self.read_binary(total - len(head), offset=len(head))
            if len(head) + len(rest) < total:
                raise MalformedData(what, len(head) + len(rest),
                                    f"declares {total} bytes but the file ends here")
            return head[start:] + rest
        rest = self.read_binary(length, offset=value_offset)
        if value_offset + len(rest) < total:
            raise MalformedData(
                what, value_offset + len(rest), f"declares {total} bytes but the file ends here"
            )
        return head[start:value_offset] + rest
