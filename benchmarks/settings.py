"""Benchmark settings: the production settings plus the framework-floor views."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.floor"
