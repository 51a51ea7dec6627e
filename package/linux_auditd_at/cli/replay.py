"""Replay datasets into a real Splunk over HEC and check the saved search there.

For each DATASET (an attack_data metadata YAML or a log; default: attack_data/**/*.yml): check the
app and its saved search are on the server, create a test index and a HEC token that may write only
there (or use --hec-token), send every event over HEC with acknowledgement, verify the indexed
count, run the saved search's text as the server has it over all time limited to that index, PASS
when it returns rows with the risk object field(s) of the server's `_risk` set in every row, the
saved search object dispatched over the events' time span returns the same rows, and so does the
embedded engine; then remove the token and the index. Credentials come from flags or
the environment and are never printed; TLS is verified unless --insecure. Every request to the
server ends within --timeout seconds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

from linux_auditd_at.attack_data import default_metadata, load_datasets
from linux_auditd_at.cli import common
from linux_auditd_at.detection import APP_ID, SEARCH_NAME
from linux_auditd_at.errors import ExitCode
from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.coexistence import differing_macros
from linux_auditd_at.replay.hec import INDEX_GRACE, HECClient, default_hec_url
from linux_auditd_at.replay.junit import junit_setup_error, junit_xml, write_junit
from linux_auditd_at.replay.session import Engine, Replay, RiskEngine, embedded_engine, embedded_risk
from linux_auditd_at.replay.splunkd import Splunkd, split_url
from linux_auditd_at.replay.tls import checked_url, ssl_context

ES_APP = "SplunkEnterpriseSecuritySuite"  # Enterprise Security's app id (contentctl's ES_APP_NAME)


def positive(kind: type) -> Callable[[str], int | float]:
    """An argparse type: a number above zero (0 events per batch or 0 tries cannot work)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("datasets", nargs="*", type=Path, metavar="DATASET",
                        help="metadata YAML or log file (default: attack_data/**/*.yml)")
    parser.add_argument("--url", default=env("SPLUNK_URL"),
                        help="management URL, e.g. https://localhost:8089 (default: $SPLUNK_URL)")
    parser.add_argument("--username", default=env("SPLUNK_USERNAME", "admin"),
                        help="Splunk user (default: $SPLUNK_USERNAME, else admin)")
    parser.add_argument("--password", default=env("SPLUNK_PASSWORD"),
                        help="its password (default: $SPLUNK_PASSWORD)")
    parser.add_argument("--token", default=env("SPLUNK_TOKEN"),
                        help="Splunk authentication token instead of a password (default: $SPLUNK_TOKEN)")
    parser.add_argument("--hec-url", default=env("SPLUNK_HEC_URL"),
                        help="HEC URL (default: $SPLUNK_HEC_URL, else https on the management host, :8088)")
    parser.add_argument("--hec-token", default=env("SPLUNK_HEC_TOKEN"),
                        help="an existing HEC token to use (default: $SPLUNK_HEC_TOKEN, else replay "
                             "creates one per dataset, with useACK, for the test index only, and "
                             "deletes it afterwards)")
    parser.add_argument("--ca-file", type=Path, default=env("SPLUNK_CA_FILE"),
                        help="CA certificate(s) that signed the server's certificates (default: "
                             "$SPLUNK_CA_FILE, else the system trust store)")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--index", help="test index to create or reuse (must be empty; default: a new "
                                        "at_replay_<random> index per dataset)")
    parser.add_argument("--keep", action="store_true", help="keep the test index afterwards")
    parser.add_argument("--batch-size", type=positive(int), default=500,
                        help="events per HEC request (default: 500)")
    parser.add_argument("--max-tries", type=positive(int), default=5,
                        help="tries per HEC request, and sends per unacknowledged batch (default: 5)")
    parser.add_argument("--timeout", type=positive(float), default=300.0,
                        help="seconds each request may take (connect to last byte), and to wait "
                             "for acknowledgement, indexing and each search (default: 300)")
    parser.add_argument("--poll", type=positive(float), default=1.0,
                        help="seconds between polls of acknowledgements, jobs and the count (default: 1)")
    parser.add_argument("--backoff", type=positive(float), default=0.5,
                        help="first retry delay in seconds, doubled per retry up to 30 (default: 0.5)")
    parser.add_argument("--tz", default="UTC",
                        help="IANA time zone of the Splunk user, which ctime assumes in the embedded "
                             "engine (default: UTC)")
    parser.add_argument("--no-dispatch", action="store_true",
                        help="do not dispatch the saved search itself (that needs the test index "
                             "among your default search indexes: replay adds it to your role for "
                             "the dispatch, which takes the edit_roles capability)")
    parser.add_argument("--es", action="store_true",
                        help="with Enterprise Security installed: dispatch the saved search with "
                             "its actions, check the risk events it writes to index=risk against "
                             "`linux-auditd-at risk` on the same data, then delete them (needs "
                             "the can_delete role)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the differential check against the embedded engine")
    parser.add_argument("--junit-xml", type=Path, help="write the verdicts as JUnit XML")


def run(args: argparse.Namespace) -> int:
    if not args.url:
        raise ReplayError("no Splunk to replay into: pass --url or set $SPLUNK_URL "
                          "(start one with `make splunk-up` on a machine with Docker)")
    split_url(args.url)
    if args.hec_url:
        checked_url(args.hec_url, "--hec-url", 8088)
    if args.junit_xml and not args.junit_xml.resolve().parent.is_dir():
        raise ReplayError(f"--junit-xml {args.junit_xml}: folder {args.junit_xml.parent} does not exist")
    paths = args.datasets or default_metadata(Path.cwd())
    if not paths:
        raise ReplayError("no datasets given and none found under attack_data/")
    datasets = load_datasets(paths)
    if args.index and len(datasets) > 1:
        raise ReplayError(f"--index names one index but there are {len(datasets)} datasets")
    if args.es and args.no_dispatch:
        raise ReplayError("--es checks the risk events of the saved search's dispatch: drop "
                          "--no-dispatch")
    tz = common.time_zone(args.tz)
    engine = None if args.no_compare else embedded_engine(args.app_dir, tz)
    risk = embedded_risk(args.app_dir, tz) if args.es else None

    context = ssl_context(args.ca_file, args.insecure)
    if args.insecure:
        common.warn("replay", "TLS certificates are not verified (--insecure)")
    try:
        replay = connect(args, context, engine, risk)
    except ReplayError as exc:
        if args.junit_xml:
            write_junit(junit_setup_error([d.name for d in datasets], str(exc)), args.junit_xml)
        raise

    run_id = secrets.token_hex(4)
    outcomes = []
    for number, dataset in enumerate(datasets, 1):
        index = args.index or f"at_replay_{run_id}_{number}"
        outcome = replay.run(dataset, index)
        outcomes.append(outcome)
        print(outcome.summary())
    if args.junit_xml:
        write_junit(junit_xml(outcomes), args.junit_xml)
    failed = sum(not o.passed for o in outcomes)
    print(f"{len(outcomes) - failed} passed, {failed} failed", file=sys.stderr if failed else sys.stdout)
    return ExitCode.FAILED if failed else ExitCode.OK


def connect(args: argparse.Namespace, context: ssl.SSLContext, engine: Engine | None,
            risk: RiskEngine | None) -> Replay:
    """Log in, check the app, its saved search and HEC (and ES for --es): what every dataset's
    replay needs."""
    splunkd = Splunkd.connect(args.url, context=context, timeout=args.timeout,
                              username=args.username, password=args.password, token=args.token)
    splunkd.require_app(APP_ID)
    es_state = splunkd.app_state(ES_APP) if risk is not None else "enabled"
    if es_state != "enabled":
        raise ReplayError(f"{args.url}: --es needs Enterprise Security, and its app {ES_APP} is "
                          f"{'not installed' if es_state == 'missing' else 'disabled'}")
    saved_search = splunkd.saved_search(APP_ID, SEARCH_NAME)
    for name, definition in splunkd.macros_naming_an_index(APP_ID, saved_search.search).items():
        common.warn("replay", f"the server's macro `{name}` names an index ({definition}); it ANDs with the "
                    "test index, so the saved search can only return rows if that index term matches "
                    "at_replay_* (or --index)")
    for warning in differing_macros(splunkd, APP_ID, saved_search.search):
        common.warn("replay", warning)
    hec = HECClient(args.hec_url or default_hec_url(args.url), args.hec_token or "", context,
                    batch_size=args.batch_size, max_tries=args.max_tries, backoff=args.backoff,
                    ack_timeout=args.timeout, poll_interval=args.poll, timeout=args.timeout,
                    index_grace=min(INDEX_GRACE, args.timeout))
    hec.check_health()
    return Replay(splunkd, hec, APP_ID, saved_search, engine, keep=args.keep,
                  own_token=not args.hec_token, dispatch=not args.no_dispatch, risk=risk,
                  index_timeout=args.timeout,
                  search_timeout=args.timeout, poll=args.poll)
