"""One playground session: each line a person types becomes a Slack action; the bot's answers
are printed before the next line is read. (Just over 300 lines: one line command per method,
all read the same way.)"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.localslack.driver import Delivered
from bot.localslack.workspace import BOT_USER_ID
from bot.playground.buttons import NothingThere, PlaygroundError, find_button
from bot.playground.cast import CHANNELS, PEOPLE
from bot.playground.render import button_labels
from bot.playground.stage import Stage
from bot.playground.transcript import Audience, describe_call, describe_reply

HELP = """\
Type what you would type in Slack, one line at a time:
  /kickoff Support answers @ana @raj          any slash command
  0%                                          any other text: a reply in the current kickoff
                                              thread (or a channel message when there is none)
                                              Typed text reaches the bot as Slack sends it:
                                              @ana is a mention, @here a ping, & < > entities
  press Sign off as PM                        press the newest button with that label
  modal 8% | users asked for it               submit the open modal: first field | second field
  drop results.json                           share an eval results file in the kickoff thread
                                              (promptfoo, Inspect, DeepEval, JUnit, CSV, …)
  as eng press Sign off as engineer           do one line as someone else (pm/ana, eng/raj, U…)
  as eng                                      keep acting as someone else until `as pm`
  say press on                                send text that looks like a playground command
  edit-last 5%                                edit your newest reply in the thread, as in Slack
  delete-last                                 delete your newest reply in the thread
  channel [C… [name] | #name]                 show or switch the channel
  thread                                      show which thread your replies go to
  home                                        open the bot's Home tab
  help, quit                                  this help; leave (so does Ctrl-D)
Lines starting with # are comments."""

MODAL_CALLS = ("views.open", "views.push", "views.update")
# After `as <who>`, these mean the line was meant for the playground ("as" itself is common
# in plain answers: "as soon as we can").
PLAYGROUND_VERBS = {"press", "modal", "drop", "channel", "say", "thread", "home", "help"}
PLAYGROUND_VERBS |= {"edit-last", "delete-last"}
# How long to wait for the bot's word on a dropped file (fetched and stored after the ack).
DROP_WAIT_SECONDS = 30.0
# `channel C0OTHER [name]` or `channel #name`; anything else after "channel" is a message.
CHANNEL_ARGUMENT = re.compile(r"^(#\S+|[CG][A-Z0-9]+)(\s+#?[\w-]+)?$")


class Playground:
    def __init__(self, stage: Stage, write: Callable[[str], None]) -> None:
        self.stage = stage
        self.write = write
        self.me = PEOPLE[0][0]
        self.channel = CHANNELS[0][0]
        self.modal: dict[str, Any] | None = None
        # Ephemeral replies sent through response_url or as an HTTP answer: the stand-in does
        # not keep them, but their buttons can still be pressed.
        self.private: list[dict[str, Any]] = []
        self._seen = len(stage.slack.calls)

    # --- entry point ----------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """Run one line; False when the person asked to leave."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if text.lower() in ("quit", "exit"):
            return False
        try:
            self.run(text, self.me)
        except PlaygroundError as problem:
            self.write(f"! {problem}")
        except OSError as problem:
            self.write(f"! Could not reach the bot: {problem}")
        except Exception as problem:  # one bad line must not end the session
            self.write(f"! That line failed ({type(problem).__name__}): {problem}")
        return True

    def run(self, text: str, user: str) -> None:
        verb, _, rest = text.partition(" ")
        rest = rest.strip()
        if text.startswith("/"):
            self.command(verb, rest, user)
            return
        simple: dict[str, Callable[[str, str], None]] = {  # a verb, then its argument
            "as": self.act_as,
            "press": self.press,
            "modal": self.submit_modal,
            "drop": self.drop,
            "channel": self.switch_channel,
            "say": self.say,
            "edit-last": self.edit_last,
        }
        bare: dict[str, Callable[[str], None]] = {
            "thread": self.show_thread,
            "home": self.home,
            "help": lambda _: self.write(HELP),
            "delete-last": lambda user: self.edit_last("", user, delete=True),
        }
        if verb.lower() in simple:
            try:
                simple[verb.lower()](rest, user)
            except NothingThere as problem:
                raise PlaygroundError(
                    f"{problem} To send the line as a message: `say {text}`."
                ) from problem
        elif text.lower() in bare:
            bare[text.lower()](user)
        else:
            self.say(text, user)

    # --- what a person can do -------------------------------------------------------------
    def command(self, command: str, text: str, user: str) -> None:
        self._seen = len(self.stage.slack.calls)
        reply = self.stage.driver.command(
            command, text, user_id=user, channel_id=self.channel, user_name=self.name(user)
        )
        self.remember_private(reply)
        self.show(user, describe_reply(reply.status, reply.body, self.audience(user), command))

    def say(self, text: str, user: str) -> None:
        if not text:
            raise PlaygroundError("Nothing to say.")
        self._seen = len(self.stage.slack.calls)
        thread = self.stage.kickoff_thread(self.channel)
        reply = self.stage.driver.message(self.channel, text, user=user, thread_ts=thread)
        self.show(user, describe_reply(reply.status, "", self.audience(user), "the message"))

    def edit_last(self, text: str, user: str, delete: bool = False) -> None:
        """Edit (or delete) this person's newest reply in the kickoff thread, as Slack does."""
        thread = self.stage.kickoff_thread(self.channel)
        mine = [
            m
            for m in self.stage.slack.messages(self.channel, thread)
            if thread and m.get("user") == user and m.get("ts") != thread
        ]
        if not mine:
            raise PlaygroundError("You have no reply in a kickoff thread here to change.")
        if not delete and not text:
            raise PlaygroundError("Edit it to what? e.g. `edit-last 5%`.")
        self._seen = len(self.stage.slack.calls)
        ts = str(mine[-1]["ts"])
        driver = self.stage.driver
        reply = driver.delete(self.channel, ts) if delete else driver.edit(self.channel, ts, text)
        self.show(user, describe_reply(reply.status, "", self.audience(user), "the change"))

    def press(self, label: str, user: str) -> None:
        message, exact = find_button(self.pressable(user), label, self.channel_label())
        self._seen = len(self.stage.slack.calls)
        reply = self.stage.driver.press(message, label=exact, user=user)
        self.show(user, describe_reply(reply.status, reply.body, self.audience(user), "the press"))

    def drop(self, path: str, user: str) -> None:
        """Share a local file in the kickoff thread, as dragging it into Slack does."""
        file = Path(path).expanduser()
        if not path or not file.is_file():
            raise NothingThere(f"There is no file at {path or '(no path given)'}.")
        thread = self.stage.kickoff_thread(self.channel)
        if thread is None:
            raise PlaygroundError("Files are read in a kickoff thread: start one with /kickoff.")
        self._seen = len(self.stage.slack.calls)
        before = len(self.stage.slack.bot_messages(self.channel, thread))
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        shared = self.stage.slack.add_file(
            file_id, file.name, file.read_bytes(), channel=self.channel, thread_ts=thread, user=user
        )
        reply = self.stage.driver.message(
            self.channel, "", user=user, thread_ts=thread, files=[shared]
        )
        deadline = time.monotonic() + DROP_WAIT_SECONDS
        while time.monotonic() < deadline:
            if len(self.stage.slack.bot_messages(self.channel, thread)) > before:
                break
            time.sleep(0.05)
        self.show(user, describe_reply(reply.status, "", self.audience(user), "the file"))

    def submit_modal(self, text: str, user: str) -> None:
        if self.modal is None:
            raise PlaygroundError("No modal is open. Press an `Edit …` button to open one.")
        inputs = [b for b in self.modal.get("blocks") or [] if b.get("type") == "input"]
        if not text:
            self.write("The open modal asks for: " + " | ".join(_label(b) for b in inputs))
            return
        given = [part.strip() for part in text.split("|")]
        if len(given) > max(len(inputs), 1):
            raise PlaygroundError(f"This modal has {len(inputs)} field(s); you gave {len(given)}.")
        values: dict[str, Any] = {
            str(block.get("block_id", "")): given[i] if i < len(given) else None
            for i, block in enumerate(inputs)
        }
        self._seen = len(self.stage.slack.calls)
        reply = self.stage.driver.view_submission(self.modal, values, user=user)
        lines = describe_reply(reply.status, reply.body, self.audience(user), "the modal")
        if reply.status == 200 and '"errors"' not in reply.body:
            self.modal = None
            lines = lines or ["  (modal submitted)"]
        self.show(user, lines)

    def act_as(self, text: str, user: str) -> None:
        who, _, line = text.partition(" ")
        try:
            other = self.person(who)
        except PlaygroundError:
            if line.startswith("/") or line.split(" ")[0].lower() in PLAYGROUND_VERBS:
                raise
            self.say(f"as {text}", user)  # an answer like "as fast as we can"
            return
        if line.strip():
            self.run(line.strip(), other)
            return
        self.me = other
        self.write(f"You are now {self.name(other)} ({other}).")

    def switch_channel(self, text: str, user: str) -> None:
        if text and not CHANNEL_ARGUMENT.match(text):
            self.say(f"channel {text}", user)  # an answer that starts with "channel"
            return
        if text:
            self.channel = self.channel_id(text)
        thread = "its kickoff thread" if self.stage.kickoff_thread(self.channel) else "the channel"
        self.write(f"In {self.channel_label()} ({self.channel}); your lines go to {thread}.")

    def show_thread(self, user: str) -> None:
        thread = self.stage.kickoff_thread(self.channel)
        if thread is None:
            self.write(f"No kickoff thread in {self.channel_label()} yet: lines go to the channel.")
            return
        root = self.stage.slack.message(self.channel, thread) or {}
        title = str(root.get("text", "")).splitlines()[0] if root.get("text") else "(no text)"
        self.write(f"Replies go to the thread “{title}” in {self.channel_label()} (ts {thread}).")

    def home(self, user: str) -> None:
        self._seen = len(self.stage.slack.calls)
        published = len(self.stage.slack.calls_to("views.publish"))
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user[1:],
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        reply = self.stage.driver.event(event)
        try:  # published by a lazy listener, after the HTTP answer
            self.stage.slack.wait_for("views.publish", count=published + 1, timeout=5.0)
        except AssertionError:
            self.write("  (the bot published no Home tab)")
        self.show(user, describe_reply(reply.status, "", self.audience(user), "app_home_opened"))

    # --- output ---------------------------------------------------------------------------
    def show(self, user: str, first: list[str]) -> None:
        """Print the direct answer, then everything the bot sent to Slack since the line."""
        lines = list(first)
        settled = self.stage.settle()
        calls = self.stage.slack.calls
        new, self._seen = calls[self._seen :], len(calls)
        audience = self.audience(user)
        for call in new:
            if call.method in MODAL_CALLS and call.ok:
                self.modal = dict(call.response.get("view") or {})
            if call.method == "response_url" and call.params.get("blocks"):
                self.keep_private(call.params)
            lines.extend(describe_call(call, audience, self.is_thread_reply))
        if not settled:
            lines.append("  (the bot is still busy; what it sends next shows after your next line)")
        for line in lines or ["  (no reply)"]:
            self.write(line)

    def remember_private(self, reply: Delivered) -> None:
        if reply.status == 200 and '"blocks"' in reply.body:
            self.keep_private(reply.json())

    def keep_private(self, params: dict[str, Any]) -> None:
        if params.get("response_type") == "in_channel" or not button_labels(
            params.get("blocks") or []
        ):
            return  # nothing to press, or the stand-in stored it as a channel message already
        ts = self.stage.slack.workspace.next_ts()
        blocks = params.get("blocks") or []
        message = {"channel": self.channel, "ts": ts, "is_ephemeral": True, "blocks": blocks}
        self.private.append(message | {"text": params.get("text", "")})

    def pressable(self, user: str) -> list[dict[str, Any]]:
        """Messages with buttons this person can see, newest first."""
        slack = self.stage.slack
        found = [m for m in slack.messages(self.channel) if m.get("user") == BOT_USER_ID]
        found += slack.ephemeral_messages(self.channel, user)
        found += [m for m in self.private if m["channel"] == self.channel]
        return sorted(found, key=lambda m: float(m.get("ts") or 0), reverse=True)

    def is_thread_reply(self, channel: str, ts: str) -> bool:
        stored = self.stage.slack.message(channel, ts) or {}
        return stored.get("thread_ts") not in (None, ts)

    # --- names ----------------------------------------------------------------------------
    def audience(self, user: str) -> Audience:
        workspace = self.stage.slack.workspace
        with workspace.lock:
            names = {uid: str(u.get("name", uid)) for uid, u in workspace.users.items()}
            channels = {cid: c.name for cid, c in workspace.channels.items()}
        return Audience(actor=user, people=names, channel_names=channels)

    def name(self, user: str) -> str:
        return self.audience(user).people.get(user, user.lower())

    def person(self, who: str) -> str:
        wanted = who.strip().lstrip("@").lower()
        aliases = {"you": PEOPLE[0][0], "me": self.me}
        for user_id, name, role in PEOPLE:
            aliases.update({user_id.lower(): user_id, name: user_id, role.lower(): user_id})
        aliases.update({"eng": PEOPLE[1][0], "pm": PEOPLE[0][0]})
        if wanted in aliases:
            return aliases[wanted]
        if wanted[:1] in ("u", "w") and wanted[1:].isalnum() and len(wanted) > 2:
            self.stage.slack.add_user(wanted.upper())
            return wanted.upper()
        people = ", ".join(f"{name} ({role}, {uid})" for uid, name, role in PEOPLE)
        raise PlaygroundError(f"Who is {who!r}? Try one of: {people}, or a user id like U0OTHER.")

    def channel_id(self, text: str) -> str:
        words = text.split()
        workspace = self.stage.slack.workspace
        if words[0].startswith("#"):
            wanted = words[0][1:].lower()
            with workspace.lock:
                ids = [c.id for c in workspace.channels.values() if c.name == wanted]
                known = ", ".join(f"#{c.name}" for c in workspace.channels.values())
            if not ids:
                raise PlaygroundError(
                    f"No channel #{wanted}. Known: {known}. Add one: channel C0NEW name"
                )
            return ids[0]
        channel = words[0]
        name = words[1].lstrip("#").lower() if len(words) > 1 else None
        with workspace.lock:
            if channel in workspace.channels and name:
                workspace.channels[channel].name = name
            elif channel not in workspace.channels:
                self.stage.slack.add_channel(channel, name or channel.lower())
        return channel

    def channel_label(self) -> str:
        return self.audience(self.me).channel(self.channel)


def _label(block: dict[str, Any]) -> str:
    label = block.get("label") or {}
    return str(label.get("text", "")) if isinstance(label, dict) else ""
