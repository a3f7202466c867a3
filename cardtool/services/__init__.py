"""What a user asks of a card, once for both faces (the CLI and the desk).

Each module is one action: read a card (``read``, ``read_residence``, ``card_facts`` for the
expiry rules), PIN status and checks (``pins``), certificates and signatures
(``certificates``), the policy's conformance run on a TEST card (``conform``), the office
session (``office``; its report: ``office_report`` rows, ``office_files`` CSV and JSON,
``office_html`` the printed page), serving a card to pcscd (``emulation``), the
readers attached (``readers``) and a raw APDU (``raw_apdu``). The faces parse options, call
one of these and render what it returns; no card logic lives in them.
"""
