"""Serve a card simulator to a real ``pcscd`` through the vsmartcard ``vpcd`` driver.

vpcd (inside pcscd) listens on TCP 35963 + slot; the virtual card connects to it. Every
message in both directions is a 2-byte big-endian length and a payload. A 1-byte payload
is a control: ``00`` power off, ``01`` power on, ``02`` reset (no reply), ``04`` get ATR
(reply: the ATR). Any other payload is a command APDU; the reply is the response APDU.

This module connects out and binds no port of its own. Note that vpcd itself listens on
all interfaces; README says how to restrict it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable

from apdu.command import is_extended_encoding
from apdu.errors import TransportError
from apdu.transport.virtual import CardGone, CardSimulator, LinkDropped

VPCD_BASE_PORT = 35963
WRONG_LENGTH = b"\x67\x00"
CTRL_OFF = 0x00
CTRL_ON = 0x01
CTRL_RESET = 0x02
CTRL_ATR = 0x04

#: ISO/IEC 14443 at 424 kbit/s, the speed a My Number card negotiates with a good reader.
NFC_BITS_PER_SECOND = 424_000

# pcscd polls a present card with GET ATR about every 0.44 s; if nothing arrives for this
# long after connecting, another virtual card holds the slot.
FIRST_MESSAGE_TIMEOUT = 3.0
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class VpcdUnavailable(TransportError):
    en = (
        "Cannot reach the vpcd driver at {host}:{port} ({detail}). Install vsmartcard-vpcd, "
        "start pcscd and try again."
    )
    ja = (
        "vpcd ドライバ {host}:{port} に接続できません({detail})。vsmartcard-vpcd を"
        "インストールし pcscd を起動して再実行してください。"
    )


class VpcdSlotBusy(TransportError):
    en = (
        "vpcd slot {slot} ({host}:{port}) does not answer: another virtual card is probably "
        "served there. Stop it or use another --slot."
    )
    ja = (
        "vpcd スロット {slot}({host}:{port})が応答しません。別の仮想カードが接続中の"
        "可能性があります。停止するか別の --slot を指定してください。"
    )


def port_for_slot(slot: int) -> int:
    return VPCD_BASE_PORT + slot


def link_delay(latency_ms: float, command_len: int, response_len: int) -> float:
    """Seconds one exchange takes on a modelled NFC link: a fixed per-APDU cost plus the
    bytes at 424 kbit/s."""
    if latency_ms <= 0:
        return 0.0
    return latency_ms / 1000.0 + (command_len + response_len) * 8 / NFC_BITS_PER_SECOND


class _Closed(Exception):
    pass


class VpcdLink:
    """One virtual card on one vpcd slot."""

    def __init__(
        self,
        card: CardSimulator,
        *,
        host: str = "127.0.0.1",
        slot: int = 0,
        latency_ms: float = 0.0,
        on_event: Callable[[str], None] | None = None,
        reader_extended: bool = True,
    ) -> None:
        self.card = card
        #: False: model a reader limited to short APDUs. vpcd has no way to report a
        #: transmission error (an empty answer leaves pcscd waiting), so the link answers an
        #: extended APDU with 67 00 itself, without passing it to the card.
        self.reader_extended = reader_extended
        self.host = host
        self.slot = slot
        self.port = port_for_slot(slot)
        self.latency_ms = latency_ms
        self.on_event = on_event
        self.apdu_count = 0
        #: The time the modelled link charged so far (latency and bytes), for benchmarks.
        self.link_seconds = 0.0
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self.ready = threading.Event()  # set once pcscd has talked to us
        #: Why serve_forever gave up (e.g. another card took the slot while we reconnected).
        self.error: TransportError | None = None

    # -- socket helpers ----------------------------------------------------------------

    def _recv_exact(self, n: int) -> bytes:
        assert self._sock is not None
        buf = bytearray()
        while len(buf) < n:
            if self._stop.is_set():
                raise _Closed
            try:
                chunk = self._sock.recv(n - len(buf))
                # vpcd writes the length and the payload separately; without an immediate
                # ACK from us, Nagle on its side holds the payload ~40 ms per APDU.
                if _QUICKACK is not None:
                    self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Closed from exc
            if not chunk:
                raise _Closed
            buf += chunk
        return bytes(buf)

    def _send(self, payload: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.sendall(struct.pack(">H", len(payload)) + payload)
        except OSError as exc:
            raise _Closed from exc

    def _emit(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)

    # -- lifecycle ---------------------------------------------------------------------

    def connect(self, timeout: float = 5.0) -> None:
        """Connect to vpcd and wait for its first message (proof that the slot is ours)."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except TimeoutError:
            if self.host in ("127.0.0.1", "localhost", "::1"):
                # vpcd listens but accepts no second card on a slot: the connection stays
                # in its backlog (or the backlog is full) and never completes.
                raise VpcdSlotBusy(slot=self.slot, host=self.host, port=self.port) from None
            raise VpcdUnavailable(host=self.host, port=self.port, detail="timed out") from None
        except OSError as exc:
            raise VpcdUnavailable(
                host=self.host, port=self.port, detail=exc.strerror or str(exc)
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(0.2)
        self._sock = sock
        deadline = time.monotonic() + FIRST_MESSAGE_TIMEOUT
        while True:
            try:
                header = sock.recv(2, socket.MSG_PEEK)
            except TimeoutError:
                header = None
            except OSError:
                header = b""
            if header == b"":
                self._close_socket()
                raise VpcdUnavailable(host=self.host, port=self.port, detail="connection closed")
            if header:
                break
            if time.monotonic() > deadline:
                self._close_socket()
                raise VpcdSlotBusy(slot=self.slot, host=self.host, port=self.port)
        self.ready.set()

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.stop()
        self._close_socket()

    def serve(self) -> None:
        """Answer vpcd until the connection closes or ``stop()`` is called."""
        if self._sock is None:
            self.connect()
        try:
            while not self._stop.is_set():
                (length,) = struct.unpack(">H", self._recv_exact(2))
                payload = self._recv_exact(length)
                if length == 1:
                    self._control(payload[0])
                else:
                    self._apdu(payload)
        except (_Closed, CardGone, LinkDropped):
            pass
        finally:
            self._close_socket()

    def serve_forever(self, retry_interval: float = 1.0) -> None:
        """Serve, and reconnect whenever pcscd goes away, until ``stop()``."""
        while not self._stop.is_set():
            if self._sock is None:
                try:
                    self.connect()
                except VpcdUnavailable:
                    self._stop.wait(retry_interval)
                    continue
                except VpcdSlotBusy as exc:
                    # Another virtual card took the slot while pcscd was away: stop, and
                    # let the owner report it (serving two cards on one slot is impossible).
                    self.error = exc
                    return
                self._emit("connected")
            self.serve()
            if not self._stop.is_set():
                self._emit("disconnected")
                with contextlib.suppress(CardGone):
                    self.card.power_off()
                self._stop.wait(retry_interval)

    # -- protocol ----------------------------------------------------------------------

    def _control(self, code: int) -> None:
        if code == CTRL_ATR:
            self._send(self.card.atr)
        elif code == CTRL_ON:
            self.card.power_on()
            self._emit("power on")
        elif code == CTRL_OFF:
            self.card.power_off()
            self._emit("power off")
        elif code == CTRL_RESET:
            self.card.reset()
            self._emit("reset")
        # Unknown controls get no reply, as vpcd expects none.

    def _apdu(self, command: bytes) -> None:
        started = time.monotonic()
        try:
            if not self.reader_extended and is_extended_encoding(command):
                response = WRONG_LENGTH
            else:
                response = self.card.process_apdu(command)
        except (CardGone, LinkDropped):
            raise
        except Exception:  # noqa: BLE001 - a simulator bug must look like a card error
            response = b"\x6f\x00"
        if len(response) < 2:
            response = b"\x6f\x00"
        self.apdu_count += 1
        delay = link_delay(self.latency_ms, len(command), len(response))
        self.link_seconds += delay
        if delay:
            remaining = delay - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
        self._send(response)


def serve_in_thread(link: VpcdLink) -> threading.Thread:
    """Connect (raising on failure) and serve on a daemon thread; for tests and tools."""
    link.connect()
    thread = threading.Thread(target=link.serve_forever, name=f"vpcd-slot-{link.slot}",
                              daemon=True)
    thread.start()
    return thread
