"""The double's HEC answers what Splunk answers, so the client is tested against the real protocol.

Each expectation here is Splunk's documented or observed behaviour, not the double's invention:
ackIds count from 0 per channel and an id polled true is forgotten; a bad event stops the batch
but the events before it stay indexed; `invalid-event-number` is the bad event's position, except
for code 7, where Splunk names the position after it (Splunk Connect for Syslog's troubleshooting
page shows `{"text":"Incorrect index","code":7,"invalid-event-number":1}` for a one-event post);
a known path with the wrong method is 405; `/health` does not check the token.
"""

from __future__ import annotations

import json
import uuid

import pytest
import urllib3
from replay_setup import HEC_TOKEN


@pytest.fixture
def hec(fake, ca):
    pool = urllib3.PoolManager(ca_certs=str(ca[0]), retries=False)
    channel = str(uuid.uuid4())
    fake.indexes["t"] = []

    def call(method, path, body=None, *, channel=channel, token=HEC_TOKEN):
        headers = {"Authorization": f"Splunk {token}", "X-Splunk-Request-Channel": channel}
        response = pool.request(method, fake.hec_url + path, body=body, headers=headers)
        return response.status, json.loads(response.data)

    return call


def events(*items) -> str:
    return "".join(json.dumps(item) for item in items)


def test_ack_ids_count_from_zero_per_channel_and_are_forgotten_once_true(hec):
    one = {"event": "a", "index": "t"}
    assert hec("POST", "/services/collector/event", events(one)) == (
        200, {"text": "Success", "code": 0, "ackId": 0})
    assert hec("POST", "/services/collector/event", events(one))[1]["ackId"] == 1
    other = str(uuid.uuid4())
    assert hec("POST", "/services/collector/event", events(one), channel=other)[1]["ackId"] == 0
    assert hec("POST", "/services/collector/ack", json.dumps({"acks": [0, 1, 5]})) == (
        200, {"acks": {"0": True, "1": True, "5": False}})
    assert hec("POST", "/services/collector/ack", json.dumps({"acks": [0, 1]})) == (
        200, {"acks": {"0": False, "1": False}})
    assert hec("POST", "/services/collector/ack", json.dumps({"acks": [0]}), channel=other) == (
        200, {"acks": {"0": True}})


def test_a_bad_event_stops_the_batch_and_the_events_before_it_stay(hec, fake):
    good, bad_json = events({"event": "a", "index": "t"}), '{"event": '
    assert hec("POST", "/services/collector/event", good + bad_json + good) == (
        400, {"text": "Invalid data format", "code": 6, "invalid-event-number": 1})
    assert [e["_raw"] for e in fake.indexes["t"]] == ["a"]
    status, body = hec("POST", "/services/collector/event", events({"event": "x", "index": "nope"}))
    assert (status, body) == (400, {"text": "Incorrect index", "code": 7, "invalid-event-number": 1})
    assert hec("POST", "/services/collector/event", events({"event": None}))[1]["code"] == 6
    assert hec("POST", "/services/collector/event", events({"event": " "}))[1]["code"] == 13
    assert hec("POST", "/services/collector/event", events({"host": "h"}))[1]["code"] == 12
    assert hec("POST", "/services/collector/event", "") == (400, {"text": "No data", "code": 5})


def test_methods_paths_and_health(hec):
    assert hec("GET", "/services/collector/event") == (
        405, {"text": "The requested URL was not found on this server.", "code": 404})
    assert hec("POST", "/services/collector/nothing")[0] == 404
    assert hec("GET", "/services/collector/health", token="bogus") == (
        200, {"text": "HEC is healthy", "code": 17})
    assert hec("POST", "/services/collector/event", events({"event": "a"}), token="bogus") == (
        403, {"text": "Invalid token", "code": 4})
