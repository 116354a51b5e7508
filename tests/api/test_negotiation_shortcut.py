"""The renderer chosen without parsing a plain Accept header is the one DRF would choose."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.parsers import NeverNotAcceptable


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/json"])
def test_a_plain_accept_gets_what_drf_would_choose(accept: str | None) -> None:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().post("/webauthn/authenticate", **headers))
    renderers = [JSONRenderer()]
    chosen = NeverNotAcceptable().select_renderer(request, renderers)
    try:
        expected = DefaultContentNegotiation().select_renderer(request, renderers)
    except NotAcceptable:  # DRF refuses "": ours answers JSON, as for any unmatched Accept
        expected = (renderers[0], "application/json")
    assert chosen == expected
