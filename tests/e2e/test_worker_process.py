"""`groundline serve` over HTTP: acks in web processes forked from a supervisor, the work in
one worker process beside them; the supervisor replaces whichever dies and leaves none behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.localslack.driver import SlackDriver
from bot.localslack.server import LocalSlack
from bot.runtime import Runtime
from bot.services import inbox
from tests.support.bot import SIGNING_SECRET
from tests.support.bot import test_settings as settings_for
from tests.support.serve import ServeProcess


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as file:
                found.update(int(child) for child in file.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended after the listing
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as file:
            return "\nState:\tZ" not in file.read()  # a zombie has finished
    except FileNotFoundError:
        return False


def named(pid: int) -> str:
    """serve names its forked children (their command line is serve's)."""
    try:
        with open(f"/proc/{pid}/comm") as file:
            return file.read().strip()
    except FileNotFoundError:
        return ""


def is_worker(pid: int) -> bool:
    return named(pid) == "groundline-work"


def is_web(pid: int) -> bool:
    return named(pid).startswith("groundline-web")


def the_worker(pid: int, other_than: int | None = None, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {
            child
            for child in children(pid)
            if child != other_than and alive(child) and is_worker(child)
        }
        if len(found) == 1:
            return found.pop()
        time.sleep(0.05)
    raise AssertionError(f"serve ({pid}) has no single live worker process")


def the_web_processes(pid: int, count: int, timeout: float = 20.0) -> set[int]:
    deadline = time.monotonic() + timeout
    found: set[int] = set()
    while time.monotonic() < deadline:
        found = {child for child in children(pid) if alive(child) and is_web(child)}
        if len(found) == count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"serve ({pid}) has {len(found)} web processes, not {count}")


def wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} is still running")


def kickoff_answered(driver: SlackDriver, slack: LocalSlack, channel: str, name: str) -> None:
    """A /kickoff is acked by the web process and its thread posted by the worker."""
    delivered = driver.command("/kickoff", name, channel_id=channel)
    assert delivered.status == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if len(slack.bot_messages(channel)) >= 2:  # the opening message and the first question
            return
        time.sleep(0.05)
    raise AssertionError(f"no kickoff thread in {channel}")


def test_a_dead_worker_is_replaced_and_the_worker_dies_with_serve(
    database_url: str, tmp_path: Path
) -> None:
    with LocalSlack(bot_token="xoxb-test-token") as slack:
        server = ServeProcess(database_url, slack, tmp_path).start()
        assert server.process is not None
        serve_pid = server.process.pid
        try:
            driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack)
            first = the_worker(serve_pid)
            kickoff_answered(driver, slack, "C0FIRST", "Feature one")
            os.kill(first, signal.SIGKILL)
            wait_gone(first)
            second = the_worker(serve_pid, other_than=first)
            kickoff_answered(driver, slack, "C0SECOND", "Feature two")
            web = the_web_processes(serve_pid, 2)
        finally:
            server.kill()
        for child in {second, *web}:
            wait_gone(child)  # each asked Linux for SIGKILL when its parent dies
        assert "restarting it" in server.log_path.read_text()


def test_a_dead_web_process_is_replaced_and_slack_still_answered(
    database_url: str, tmp_path: Path
) -> None:
    with LocalSlack(bot_token="xoxb-test-token") as slack:
        server = ServeProcess(database_url, slack, tmp_path, GROUNDLINE_WEB_PROCESSES="2").start()
        assert server.process is not None
        serve_pid = server.process.pid
        try:
            driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, slack)
            web = the_web_processes(serve_pid, 2)
            worker = the_worker(serve_pid)
            crashed = min(web)
            os.kill(crashed, signal.SIGKILL)  # as if it had crashed mid-request
            wait_gone(crashed)
            # The other one answers while the dead one is replaced.
            kickoff_answered(driver, slack, "C0DURING", "Feature during")
            after = the_web_processes(serve_pid, 2)
            assert crashed not in after and max(web) in after
            assert the_worker(serve_pid) == worker  # the worker was not disturbed
            for number in range(6):
                assert driver.command("/align", "help", channel_id=f"C0H{number}").status == 200
            kickoff_answered(driver, slack, "C0AFTER", "Feature after")
        finally:
            assert server.stop() == 0
        assert "starting another" in server.log_path.read_text()


def test_sigterm_stops_every_process_cleanly(database_url: str, tmp_path: Path) -> None:
    with LocalSlack(bot_token="xoxb-test-token") as slack:
        server = ServeProcess(database_url, slack, tmp_path, GROUNDLINE_WEB_PROCESSES="3").start()
        assert server.process is not None
        worker = the_worker(server.process.pid)
        web = the_web_processes(server.process.pid, 3)
        assert server.stop() == 0
        for child in {worker, *web}:
            wait_gone(child)
        log = server.log_path.read_text()
        assert "did not stop in time" not in log, log[-2000:]


def test_groundline_worker_on_its_own_handles_what_was_stored(
    database_url: str, tmp_path: Path
) -> None:
    """`groundline worker` without serve: it migrates, finds stored work by looking (no pipe),
    handles it, and stops on SIGTERM."""
    with LocalSlack(bot_token="xoxb-test-token") as slack:
        runtime = Runtime(settings_for(database_url, slack))  # migrates; starts nothing
        kickoff = {
            "team_id": "T0LOCAL",
            "channel_id": "C0ALONE",
            "user_id": "U0PM",
            "command": "/kickoff",
            "text": "Feature alone",
            "response_url": slack.new_response_url("C0ALONE"),
            "trigger_id": "1.2.alone",
        }
        inbox.accept(runtime.deps, kickoff)  # what the ack stores
        runtime.engine.dispose()
        server = ServeProcess(database_url, slack, tmp_path)
        log = open(server.log_path, "ab")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"], env=server.env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 20
            while len(slack.bot_messages("C0ALONE")) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(slack.bot_messages("C0ALONE")) >= 2, server.log_path.read_text()[-2000:]
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0
            log.close()
