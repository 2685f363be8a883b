"""The demo's fictional person, by name: every demo account and page calls them this."""

NAME = "Alex Example"
FIRST_NAME = "Alex"
