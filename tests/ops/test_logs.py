"""Log lines are JSON with the request id, so one request's lines can be found together."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

LOGGER = "passgate.test"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    config = json.loads(json.dumps(settings.LOGGING))  # a copy
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def test_a_log_line_is_json_with_the_request_id(json_log: io.StringIO) -> None:
    from config import request_id

    token = request_id._current.set("req-1234abcd")
    try:
        logging.getLogger(LOGGER).warning("the cache is %s", "down")
    finally:
        request_id._current.reset(token)
    line = json.loads(json_log.getvalue().splitlines()[-1])
    assert line["message"] == "the cache is down"
    assert (line["level"], line["logger"], line["request_id"]) == (
        "WARNING",
        LOGGER,
        "req-1234abcd",
    )


@pytest.mark.django_db
def test_the_request_id_of_a_request_is_in_its_log_lines(
    json_log: io.StringIO, orgs: object
) -> None:
    response = Client(HTTP_HOST="localhost").get("/nothing-here", HTTP_X_REQUEST_ID="trace-42-abc")
    assert response["X-Request-ID"] == "trace-42-abc"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert any(
        line["request_id"] == "trace-42-abc" and "/nothing-here" in line["message"]
        for line in lines
    ), lines
