"""Training and experiment code: never imported by the service (api, search, index, corpus)."""
