"""The issuer's HTTP API (FastAPI routers)."""
