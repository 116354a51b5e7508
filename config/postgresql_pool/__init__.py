"""Django's PostgreSQL backend whose pool checks connections without a round trip (base.py)."""
