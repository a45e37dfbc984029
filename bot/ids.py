"""Every Slack identifier the app registers or renders, in one place (mirrored in manifest.yml)."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    KICKOFF = "/kickoff"
    ALIGN = "/align"


class Event(StrEnum):
    MESSAGE = "message"
    APP_HOME_OPENED = "app_home_opened"
    REACTION_ADDED = "reaction_added"
    APP_UNINSTALLED = "app_uninstalled"
    TOKENS_REVOKED = "tokens_revoked"


class Action(StrEnum):
    FALLBACK_CHOICE = "kickoff_fallback"
    TRADEOFF_CHOICE = "kickoff_tradeoff"
    SIGN_PM = "signoff_pm"
    SIGN_ENGINEER = "signoff_engineer"
    WITHDRAW_CHANGE = "targets_withdraw"
    EDIT_ANSWER = "kickoff_edit"
    CONFIRM_READING = "kickoff_confirm_reading"
    REJECT_READING = "kickoff_reject_reading"
    DECISION = "report_decision"
    DECISION_NOTE = "report_decision_note"
    START_KICKOFF = "reframe_start_kickoff"
    WRONG_CHOICE = "wrong_answer_choice"  # count a check as a wrong answer, or not


class Shortcut(StrEnum):
    REFRAME_MESSAGE = "reframe_message"


class View(StrEnum):
    EDIT_ANSWER = "kickoff_edit_modal"
    DECISION_NOTE = "report_decision_note_modal"


class Block(StrEnum):
    EDIT_VALUE = "edit_value"
    EDIT_REASON = "edit_reason"
    DECISION_NOTE = "decision_note"
