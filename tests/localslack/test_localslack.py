"""The Slack stand-in, driven through the real slack_sdk and slack_bolt clients.
(Over 300 lines: one test for each Slack behaviour the stand-in imitates.)
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    FixedValueRetryIntervalCalculator,
)
from slack_sdk.signature import SignatureVerifier

from bot.localslack import LocalSlack, SlackDriver, buttons, sign, spec
from bot.localslack.build_method_table import required_args
from bot.localslack.spec import TABLE_FILE
from tests.support.paths import FIXTURES

SECRET = "local-signing-secret"
BUTTONS = [
    {
        "type": "actions",
        "block_id": "vote",
        "elements": [
            {
                "type": "button",
                "action_id": "agree",
                "value": "yes",
                "text": {"type": "plain_text", "text": "Agree"},
            },
            {
                "type": "button",
                "action_id": "object",
                "value": "no",
                "text": {"type": "plain_text", "text": "Not yet"},
            },
        ],
    }
]


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    with LocalSlack(bot_token="xoxb-local", team_id="T0LOCAL", app_token="xapp-local") as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-local", base_url=slack.api_url, timeout=5)


def fetch(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- Web API ---------------------------------------------------------------------------------
def test_auth_test_answers_for_the_bot_token(slack: LocalSlack, client: WebClient) -> None:
    assert slack.api_url.endswith("/api/") and slack.api_url.startswith(slack.base_url)
    answer = client.auth_test()
    assert answer["team_id"] == "T0LOCAL"
    assert (answer["user_id"], answer["bot_id"]) == ("U0BOT", "B0BOT")
    with pytest.raises(SlackApiError) as failure:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert failure.value.response["error"] == "invalid_auth"
    assert [call.token for call in slack.calls_to("auth.test")] == ["xoxb-local", "xoxb-wrong"]


def test_messages_are_stored_per_channel_and_thread(slack: LocalSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="Hello", blocks=BUTTONS)
    reply = client.chat_postMessage(channel="C1", text="In thread", thread_ts=first["ts"])
    client.chat_postMessage(channel="C2", text="Elsewhere")
    assert float(reply["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == BUTTONS
    assert [m["text"] for m in slack.messages("C1")] == ["Hello", "In thread"]
    assert [m["text"] for m in slack.messages("C1", thread_ts=first["ts"])] == [
        "Hello",
        "In thread",
    ]
    replies = client.conversations_replies(channel="C1", ts=first["ts"])
    assert [m["ts"] for m in replies["messages"]] == [first["ts"], reply["ts"]]
    client.chat_update(channel="C1", ts=first["ts"], text="Edited", blocks=[])
    assert slack.messages("C1")[0]["text"] == "Edited"
    assert client.conversations_info(channel="C1")["channel"]["is_member"] is True
    assert slack.spec_violations == []


def test_form_encoded_calls_are_understood(slack: LocalSlack) -> None:
    body = f"token=xoxb-local&channel=C9&text=hi&blocks={json.dumps(BUTTONS)}".encode()
    request = urllib.request.Request(f"{slack.api_url}chat.postMessage", data=body)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    assert slack.messages("C9")[0]["blocks"] == BUTTONS


def test_posting_where_the_bot_is_not_a_member_fails(slack: LocalSlack, client: WebClient) -> None:
    slack.bot_not_in("C0PRIV")
    with pytest.raises(SlackApiError) as failure:
        client.chat_postMessage(channel="C0PRIV", text="hi")
    assert failure.value.response["error"] == "not_in_channel"
    assert slack.messages("C0PRIV") == []


def test_rate_limit_then_success_stores_one_message(slack: LocalSlack) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=0, times=1)
    client = WebClient(token="xoxb-local", base_url=slack.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    client.chat_postMessage(channel="C1", text="once")
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in slack.messages("C1")] == ["once"]


def test_server_errors_are_retried(slack: LocalSlack) -> None:
    slack.fail("*", status=500, times=2)
    client = WebClient(token="xoxb-local", base_url=slack.api_url)
    quick = FixedValueRetryIntervalCalculator(fixed_internal=0.01)
    client.retry_handlers.append(
        ServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick)
    )
    assert client.chat_postMessage(channel="C1", text="after two failures")["ok"]
    assert [call.status for call in slack.calls] == [500, 500, 200]
    assert len(slack.messages("C1")) == 1


def test_error_faults_and_delays(slack: LocalSlack, client: WebClient) -> None:
    slack.fail("users.info", status=200, error="user_not_found")
    with pytest.raises(SlackApiError) as failure:
        client.users_info(user="U1")
    assert failure.value.response["error"] == "user_not_found"
    slack.delay("users.info", 0.3)
    started = time.monotonic()
    assert client.users_info(user="U1")["ok"]
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.users_info(user="U1")
    assert time.monotonic() - started < 0.3


def test_spec_violations_are_answered_and_recorded(slack: LocalSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("chat.postMessages", json={"channel": "C1", "text": "typo"})
    assert unknown.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as missing:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    assert missing.value.response["error"] == "invalid_arguments"
    assert [(v.method, v.reason) for v in slack.spec_violations] == [
        ("chat.postMessages", "unknown_method"),
        ("chat.postMessage", "missing required args: channel"),
    ]
    assert slack.messages("C1") == []
    slack.reset()
    assert slack.calls == [] and slack.spec_violations == []


def test_users_get_their_time_zone(slack: LocalSlack, client: WebClient) -> None:
    slack.add_user("U0PM", name="pat", tz="Europe/Berlin", real_name="Pat Lee")
    pat = client.users_info(user="U0PM")["user"]
    assert (pat["tz"], pat["real_name"]) == ("Europe/Berlin", "Pat Lee")
    assert pat["tz_offset"] in (3600, 7200)
    stranger = client.users_info(user="U0NEW")["user"]
    assert (stranger["tz"], stranger["tz_offset"]) == ("UTC", 0)


def test_views_ephemeral_permalink_and_reactions(slack: LocalSlack, client: WebClient) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    client.views_publish(user_id="U0PM", view=home)
    assert slack.home_view("U0PM")["blocks"] == home["blocks"]  # type: ignore[index]
    modal = {"type": "modal", "callback_id": "agree", "title": {"type": "plain_text", "text": "A"}}
    opened = client.views_open(trigger_id="1.2.3", view=modal)["view"]
    client.views_update(view_id=opened["id"], view=modal | {"private_metadata": "m"})
    assert slack.open_views()[0]["private_metadata"] == "m"
    ephemeral = client.chat_postEphemeral(channel="C1", user="U0PM", text="just you")
    assert slack.ephemeral_messages("C1", "U0PM")[0]["ts"] == ephemeral["message_ts"]
    posted = client.chat_postMessage(channel="C1", text="react")
    client.reactions_add(channel="C1", timestamp=posted["ts"], name="eyes")
    assert slack.messages("C1")[0]["reactions"][0]["name"] == "eyes"
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert link.startswith(slack.base_url)
    assert slack.spec_violations == []


def test_files_upload_v2_and_downloads_need_the_token(slack: LocalSlack, client: WebClient) -> None:
    uploaded = client.files_upload_v2(channel="C1", content=b"a,b\n1,2\n", filename="run.csv")
    file_id = uploaded["file"]["id"]
    info = client.files_info(file=file_id)["file"]
    assert fetch(info["url_private_download"], "xoxb-local") == (200, b"a,b\n1,2\n")
    assert fetch(info["url_private"])[0] == 401
    assert fetch(info["url_private"], "xoxb-wrong")[0] == 401
    assert slack.messages("C1")[0]["files"][0]["id"] == file_id
    shared = slack.add_file("F0EVAL", "eval.jsonl", b'{"score": 1}\n', channel="C2")
    assert client.files_info(file="F0EVAL")["file"]["url_private"] == shared["url_private"]
    assert fetch(shared["url_private"], "xoxb-local")[1] == b'{"score": 1}\n'
    assert slack.spec_violations == []


def test_response_url_posts_are_recorded(slack: LocalSlack) -> None:
    url = slack.new_response_url("C1")
    body = json.dumps({"text": "Saved", "response_type": "in_channel"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).close()
    (call,) = slack.wait_for("response_url")
    assert call.params["text"] == "Saved"
    assert slack.messages("C1")[0]["text"] == "Saved"


def test_oauth_install_gives_a_working_token(slack: LocalSlack) -> None:
    code = slack.new_oauth_code("T0OTHER", "Other Co", user_id="U0ADMIN")
    client = WebClient(base_url=slack.api_url)
    install = client.oauth_v2_access(client_id="1.2", client_secret="s", code=code)
    assert install["team"] == {"id": "T0OTHER", "name": "Other Co"}
    assert install["authed_user"]["id"] == "U0ADMIN" and install["bot_user_id"] == "U0BOT"
    assert install["access_token"].startswith("xoxb-")
    assert (
        WebClient(token=install["access_token"], base_url=slack.api_url).auth_test()["team_id"]
        == "T0OTHER"
    )


def test_wait_for_times_out_listing_the_calls(slack: LocalSlack, client: WebClient) -> None:
    seen: list[str] = []
    slack.on_call = lambda call: seen.append(call.method)
    client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        slack.wait_for("chat.postMessage", timeout=0.1)
    assert seen == ["auth.test"]


def test_direct_messages_history_and_delete(slack: LocalSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="U0PM")["channel"]["id"]
    assert dm.startswith("D")
    first = client.chat_postMessage(channel=dm, text="one")
    client.chat_postMessage(channel=dm, text="reply", thread_ts=first["ts"])
    second = client.chat_postMessage(channel=dm, text="two")
    history = client.conversations_history(channel=dm)["messages"]
    assert [m["text"] for m in history] == ["two", "one"]
    client.chat_delete(channel=dm, ts=second["ts"])
    assert [m["text"] for m in slack.bot_messages(dm)] == ["one", "reply"]
    assert slack.spec_violations == []


def test_every_answered_method_is_a_real_slack_method(slack: LocalSlack) -> None:
    unknown = [name for name in slack.api.handlers if not spec.is_known(name)]
    assert unknown == []


def test_method_table_matches_the_openapi_spec() -> None:
    spec_file = FIXTURES / "slack" / "specs" / "slack_web_openapi_v2.json"
    # A copy of Slack's spec lives in the repository (tests/fixtures/slack/specs/README.md).
    assert spec_file.exists(), f"Slack's OpenAPI spec is missing at {spec_file}"
    rebuilt = required_args(json.loads(spec_file.read_text(encoding="utf-8")))
    assert json.loads(TABLE_FILE.read_text(encoding="utf-8")) == rebuilt
    assert rebuilt["chat.postMessage"] == ["channel"]


class RefusingHandler(BaseHTTPRequestHandler):
    """Answers 413 without reading the body, as an app guarding its memory does."""

    def do_POST(self) -> None:
        self.send_response(413)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_driver_reports_an_app_refusing_a_huge_body(slack: LocalSlack) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        driver = SlackDriver(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, slack)
        assert driver.send_raw(b"x" * (8 * 1024 * 1024), "application/json").status == 413
    finally:
        server.shutdown()
        server.server_close()


# --- Socket Mode -----------------------------------------------------------------------------
def test_socket_mode_round_trip_with_bolt(slack: LocalSlack) -> None:
    app = App(client=WebClient(token="xoxb-local", base_url=slack.api_url))

    @app.command("/align")
    def align(ack: Any, command: dict[str, Any]) -> None:
        ack(text=f"got {command['text']}")

    handler = SocketModeHandler(app, app_token="xapp-local")
    handler.connect()
    try:
        assert slack.socket_connected(timeout=5)
        payload = {
            "command": "/align",
            "text": "status",
            "user_id": "U0PM",
            "channel_id": "C1",
            "team_id": "T0LOCAL",
            "api_app_id": "A0LOCAL",
            "response_url": "",
            "trigger_id": "1",
        }
        ack = slack.socket_send("slash_commands", payload)
        assert ack["payload"] == {"text": "got status"}
    finally:
        handler.close()
    assert slack.calls_to("apps.connections.open")[0].token == "xapp-local"


def test_socket_connections_need_the_app_token(slack: LocalSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        client.apps_connections_open(app_token="xoxb-local")
    assert failure.value.response["error"] == "not_allowed_token_type"
    assert not slack.socket_connected(timeout=0.05)


# --- the driver against a real Bolt app over HTTP --------------------------------------------
class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt_app(slack: LocalSlack) -> Iterator[tuple[App, str]]:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-local", base_url=slack.api_url),
        process_before_response=True,
    )
    server: WSGIServer = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


def test_driver_signatures_verify(slack: LocalSlack) -> None:
    body = b"token=x&command=%2Falign"
    headers = sign(SECRET, body, int(time.time()))
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign(SECRET, body, int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


def test_driver_command_and_button_press(slack: LocalSlack, bolt_app: tuple[App, str]) -> None:
    app, url = bolt_app
    pressed: list[dict[str, Any]] = []

    @app.command("/align")
    def align(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_postMessage(channel=command["channel_id"], text="Agree?", blocks=BUTTONS)

    @app.action("agree")
    def agree(ack: Any, body: dict[str, Any]) -> None:
        ack()
        pressed.append(body)

    driver = SlackDriver(url, SECRET, slack)
    delivered = driver.command("/align", "start", channel_id="C0FEAT")
    assert delivered.status == 200
    (posted,) = slack.wait_for("chat.postMessage")
    assert buttons(posted) == [("Agree", "agree", "yes"), ("Not yet", "object", "no")]
    assert driver.press(posted, label="agree").status == 200
    action = pressed[0]["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == ("agree", "vote", "yes")
    assert pressed[0]["container"]["message_ts"] == posted.response["ts"]
    assert pressed[0]["response_url"].startswith(slack.base_url)
    with pytest.raises(LookupError, match="'Agree' \\(agree\\), 'Not yet' \\(object\\)"):
        driver.press(posted, label="Maybe")


def test_driver_events_redelivery_and_forgeries(
    slack: LocalSlack, bolt_app: tuple[App, str]
) -> None:
    app, url = bolt_app
    seen: list[tuple[str, str | None]] = []

    @app.event("message")
    def on_message(ack: Any, event: dict[str, Any], request: Any) -> None:
        ack()
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        seen.append((event["text"], retry))

    driver = SlackDriver(url, SECRET, slack)
    first = driver.message("C0FEAT", "hello", user="U0PM")
    assert first.status == 200 and first.event_id
    stored = slack.messages("C0FEAT")[0]
    driver.message("C0FEAT", "a reply", user="U0ENG", thread_ts=stored["ts"])
    assert driver.redeliver(first, retry_num=1).status == 200
    assert seen == [("hello", None), ("a reply", None), ("hello", "1")]
    assert len(slack.messages("C0FEAT", thread_ts=stored["ts"])) == 2

    assert driver.send_raw(first.request_body, "application/json", signature="").status == 401
    stale = int(time.time()) - 600
    assert driver.send_raw(first.request_body, "application/json", timestamp=stale).status == 401
    assert driver.send_raw(b"{}", "application/json", signature="v0=forged").status == 401


def test_driver_view_submission_shapes_state(slack: LocalSlack, bolt_app: tuple[App, str]) -> None:
    app, url = bolt_app
    submitted: list[dict[str, Any]] = []

    @app.view("targets")
    def on_submit(ack: Any, view: dict[str, Any]) -> None:
        ack()
        submitted.append(view["state"]["values"])

    modal = {
        "type": "modal",
        "callback_id": "targets",
        "title": {"type": "plain_text", "text": "Targets"},
        "blocks": [
            {
                "type": "input",
                "block_id": "metric",
                "label": {"type": "plain_text", "text": "M"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Accuracy"}, "value": "accuracy"}
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "goal",
                "label": {"type": "plain_text", "text": "G"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
        ],
    }
    opened = WebClient(token="xoxb-local", base_url=slack.api_url).views_open(
        trigger_id="1.2.3", view=modal
    )
    driver = SlackDriver(url, SECRET, slack)
    (call,) = slack.calls_to("views.open")
    assert opened["ok"]
    assert driver.view_submission(call, {"metric": "accuracy", "value": "0.9"}).status == 200
    values = submitted[0]
    assert values["metric"]["pick"]["selected_option"]["value"] == "accuracy"
    assert values["goal"]["value"] == {"type": "plain_text_input", "value": "0.9"}
    parsed = parse_qs(driver.last.request_body.decode())  # type: ignore[union-attr]
    assert json.loads(parsed["payload"][0])["type"] == "view_submission"
