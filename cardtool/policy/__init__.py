"""The PIN-attempt policy: the table of secrets, the live guard and the trace checker."""
