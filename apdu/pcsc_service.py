"""Which PC/SC service this operating system has, and what a person does when it is not
running: the one text every message about a missing PC/SC service uses (the CLI's error
line, the desk's reader banner).

- Linux and the BSDs: pcsc-lite's daemon ``pcscd``, started by systemd (socket activation).
- Windows: the "Smart Card" service (``SCardSvr``). Windows stops it while no reader is
  attached and starts it when one is plugged in, so "no service" usually means "no reader".
- macOS: the built-in CryptoTokenKit smart-card stack (``com.apple.ifdreader``); nothing to
  start by hand: it comes up when a reader is attached.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceHint:
    """The service's name and the action that brings it up, each as (English, Japanese).
    The action is a whole sentence; callers add "then try again" or "this page follows"."""

    name: tuple[str, str]
    action: tuple[str, str]


_LINUX = ServiceHint(
    name=("pcscd", "pcscd"),
    action=("Start it (e.g. 'sudo systemctl start pcscd').",
            "起動してください(例: 'sudo systemctl start pcscd')。"),
)
_WINDOWS = ServiceHint(
    name=("the Windows Smart Card service, SCardSvr", "Windows の「Smart Card」サービス SCardSvr"),
    action=("Plug the card reader in: Windows stops this service while no reader is "
            "attached. If it still does not run, start it from an administrator command "
            "prompt ('sc start SCardSvr').",
            "カードリーダーを接続してください(リーダーが接続されていない間、Windows はこの"
            "サービスを停止します)。それでも動かない場合は、管理者のコマンドプロンプトで"
            "起動してください('sc start SCardSvr')。"),
)
_MACOS = ServiceHint(
    name=("the macOS smart-card service (CryptoTokenKit)",
          "macOS のスマートカード機能(CryptoTokenKit)"),
    action=("Unplug the card reader and plug it in again: macOS starts the service when a "
            "reader is attached.",
            "カードリーダーを抜いて、もう一度接続してください(macOS はリーダー接続時に"
            "サービスを起動します)。"),
)


def service_hint(platform: str | None = None) -> ServiceHint:
    """The PC/SC service of ``platform`` (``sys.platform`` by default)."""
    platform = sys.platform if platform is None else platform
    if platform == "win32" or platform == "cygwin":
        return _WINDOWS
    if platform == "darwin":
        return _MACOS
    return _LINUX


__all__ = ["ServiceHint", "service_hint"]
