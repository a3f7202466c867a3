"""Trust anchors for residence cards: the official ISA CAs (by fingerprint, package data)
and the user's trust store (``cardtool trust add``). See ``official`` and ``store``."""
