"""Reading eval result files (promptfoo, Inspect, JSONL, CSV) into per-case rows."""

from bot.ingest.detect import read_cases
from bot.ingest.model import CaseRow, Check, CheckKind, Format, IngestError, RunMeta

__all__ = ["CaseRow", "Check", "CheckKind", "Format", "IngestError", "RunMeta", "read_cases"]
