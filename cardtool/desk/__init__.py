"""The office desk: ``cardtool serve``, a local web page over the card services and the
client register (issue 13). Imports services, sources, renderers and the register only."""
