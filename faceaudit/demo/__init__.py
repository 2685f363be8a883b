"""The offline demo: a fictional person's accounts served from this machine."""
