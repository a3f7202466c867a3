"""How a residence card is to be checked: its trust anchors (and the day). Kept outside
the residence package so a command can build it without loading residence code (a My
Number read loads none)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # (cryptography: imported by the trust store, where anchors are loaded.)
    from cryptography import x509

    from cardtool.trust.store import TrustAnchor

# The trust store (the installed anchors, the official CA list, zip and PEM handling) is
# imported where anchors are loaded: a My Number read builds these options but never does.


@dataclass(frozen=True)
class ResidenceOptions:
    #: Anchors known before the card is read (--trust-anchor files, classified); a bare
    #: certificate counts as one given with --trust-anchor.
    trust_anchors: tuple[TrustAnchor | x509.Certificate, ...] = ()
    today: dt.date | None = None
    #: More anchors, loaded only when a residence card is read (the installed trust store;
    #: cardtool's own TEST CAs for a virtual card).
    default_anchors: Callable[[], list[TrustAnchor]] | None = None
    #: First generation: read the dates of the front image by OCR (``cardtool.front_dates``).
    ocr: bool = True

    def anchors(self) -> list[TrustAnchor]:
        from cardtool.trust.store import SOURCE_OPTION, TrustAnchor, classify

        given = [a if isinstance(a, TrustAnchor) else classify(a, SOURCE_OPTION)
                 for a in self.trust_anchors]
        return given + (self.default_anchors() if self.default_anchors else [])


def default_anchors(virtual: bool) -> list[TrustAnchor]:
    """The installed anchors (``cardtool trust add``), and cardtool's own TEST CAs for a
    virtual card only (test-anchor, never genuine)."""
    from cardtool.trust.store import installed_anchors, virtual_test_anchors

    return installed_anchors() + (virtual_test_anchors() if virtual else [])


def residence_options(trust_anchor_files: tuple[str, ...], *, virtual: bool) -> ResidenceOptions:
    """The residence cards' trust anchors: each --trust-anchor file, loaded (and checked)
    now, before any card is opened; then, only once a residence card is read, the
    ``default_anchors``."""
    given: tuple[TrustAnchor, ...] = ()
    if trust_anchor_files:
        from cardtool.trust.store import load_option_anchors

        given = tuple(load_option_anchors(trust_anchor_files))
    return ResidenceOptions(given, default_anchors=lambda: default_anchors(virtual))
