"""Authenticator apps (RFC 6238 TOTP): ``codes`` wraps pyotp, ``services`` does the rest."""
