"""Where the tests find the repository and their fixture files, wherever a test module sits."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
EVAL_FIXTURES = FIXTURES / "evals"
