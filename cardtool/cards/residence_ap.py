"""The DF name of the 在留AP, the residence application a 特定在留カード carries on a My Number
card chip (spec §9; one source, unverified).

Card detection selects it on every My Number card, so it lives here, apart from the
residence package: probing for it must not import the residence reader. The residence
identifiers (``cardtool.cards.residence.ids``) take it from here.
"""

from __future__ import annotations

RESIDENCE_AP_AID = bytes.fromhex("D392F0004F01") + bytes(10)
