"""`/align schedule <feature> weekly mon 09:00 | daily 10:00 | off`, a time zone after it if
wanted (`… Europe/Berlin`, or the zone alone), or with no time to see it."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.domain import schedule as sched
from bot.domain.checklist import AGREED
from bot.domain.mrkdwn import escape
from bot.errors import BadInput, NotFound
from bot.services import access, kickoff, schedules
from bot.services.access import Need
from bot.slack.verbs import AlignCall
from bot.store.models import Feature

USAGE = (
    "Usage: `/align schedule <feature> weekly mon 09:00`, `daily 10:00` or `off`, with a time "
    "zone after it if you like (`daily 10:00 Europe/Berlin`); leave out the time to see the "
    "current schedule."
)
CADENCE_WORDS = {"weekly", "daily", "off", "none", "never", "stop", "pause"}


def readings(args: list[str]) -> list[tuple[str, str]]:
    """Ways to split the words into a feature (maybe several words) and a schedule after it,
    most likely first."""
    for index, word in enumerate(args[1:], start=1):
        if word.lower() in CADENCE_WORDS:
            return [(" ".join(args[:index]), " ".join(args[index:]))]
    # No schedule word: the whole text names a feature; or it ends with a time zone and the
    # words before it do (a feature called "Search Japan" is still seen, not given Japan's
    # zone); or the first word does and the rest is a schedule we will explain we can't read.
    found = [(" ".join(args), "")]
    if len(args) > 1 and sched.known_zone(args[-1]) is not None:
        end = len(args) - 1
        if end > 1 and args[end - 1].lower() == "in":
            end -= 1
        found.append((" ".join(args[:end]), " ".join(args[end:])))
    return [*found, (args[0], " ".join(args[1:]))]


def when_words(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def describe(feature: Feature, now: datetime) -> str:
    """One sentence on when this feature's reports go out next."""
    current = schedules.schedule_of(feature)
    name = f"*{escape(feature.name)}*"
    if current.cadence == "off":
        return (
            f"Scheduled reports for {name} are off. "
            f"`/align schedule {feature.slug} weekly mon 09:00` turns them back on."
        )
    tz = sched.zone(feature.timezone)
    every = (
        f"every day at {current.at:%H:%M}"
        if current.cadence == "daily"
        else f"every {sched.WEEKDAYS[current.weekday].title()} at {current.at:%H:%M}"
    )
    text = f"Reports for {name} go out {every} ({escape(feature.timezone)} time)."
    upcoming = schedules.next_report_at(feature, now)
    if upcoming is not None:
        text += f" Next one: {when_words(upcoming, tz)}."
    if feature.stage != AGREED:
        text += " They start once the targets are agreed."
    return text


def schedule(call: AlignCall) -> None:
    if not call.args:
        raise BadInput(USAGE)
    now = call.deps.clock.now()
    found = [
        (key, feature, when)
        for key, when in readings(call.args)
        if (feature := kickoff.get_feature(call.session, call.team, key)) is not None
    ]
    if not found:
        raise NotFound(access.no_feature(readings(call.args)[0][0]))
    key, feature, when = found[0]
    # Seeing the schedule is seeing the feature; changing it steers the feature.
    need = Need.STEER if when else Need.SEE
    access.require(call.deps.directory, feature, call.user, need, access.no_feature(key))
    if when:
        try:
            schedules.set_schedule(feature, when, now)
        except sched.ScheduleError as exc:
            raise BadInput(escape(str(exc))) from None
    call.reply(("Done. " if when else "") + describe(feature, now))
