"""The outbox worker, in three rooms: the loop (claiming, pacing, recording: `loop.py`), sending
one row and reading Slack's answer (`send.py`), and what an answer means for features, reports
and the person who asked (`effects.py`)."""

from bot.jobs.delivery.loop import DeliveryWorker

__all__ = ["DeliveryWorker"]
