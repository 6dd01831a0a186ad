"""Fixtures of the API tests: the real server process (support/api_server.py)."""

from enrichment_platform_tests.support.api_server import api_env, api_server, start_api  # noqa: F401
