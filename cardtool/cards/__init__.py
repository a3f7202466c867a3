"""Card applications: what to select, what to read, how to parse. One source of truth for
identifiers lives in each card's ``ids`` module; the virtual cards import the same tables."""
