"""Test settings: the production settings module, fed a test environment."""

import os

os.environ.setdefault("PASSGATE_SECRET_KEY", "test-secret-key-" + "x" * 32)
os.environ.setdefault("PASSGATE_HTTPS", "0")
os.environ.setdefault("PASSGATE_DB_POOL_MAX", "0")
# The suite's own set-up and tear-down (DROP SCHEMA behind a live server) may wait on locks
# longer than a request should; the fault tests run the production limits in real servers.
os.environ.setdefault("PASSGATE_DB_LOCK_TIMEOUT_MS", "120000")
os.environ.setdefault("PASSGATE_DB_STATEMENT_TIMEOUT_MS", "0")

from config.settings import *  # noqa: E402, F403

# Still Argon2, with parameters cheap enough for a test suite that hashes many passwords.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
