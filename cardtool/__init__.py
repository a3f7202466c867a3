"""cardtool: read Japanese My Number cards and residence cards over PC/SC."""

__version__ = "0.1.0"
TOOL_NAME = f"cardtool {__version__}"
