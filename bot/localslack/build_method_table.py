"""Build web_api_methods.json from Slack's (archived) Web API OpenAPI spec.

Run by hand when the spec changes:

    .venv/bin/python -m bot.localslack.build_method_table \
        tests/fixtures/slack/specs/slack_web_openapi_v2.json

The table maps each method to its required arguments, leaving out `token`, which the
stand-in checks on its own. Methods newer than the spec live in `spec.SUPPLEMENT`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("web_api_methods.json")


def required_args(spec: dict[str, Any]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        method = path.lstrip("/")
        required: set[str] = set()
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param.get("required") and param.get("name") != "token":
                    required.add(str(param["name"]))
        table[method] = sorted(required)
    return dict(sorted(table.items()))


def render(table: dict[str, list[str]]) -> str:
    # One method per line keeps diffs readable.
    lines = [f"  {json.dumps(name)}: {json.dumps(args)}" for name, args in table.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec", type=Path, help="path to slack_web_openapi_v2.json")
    args = parser.parse_args()
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    OUTPUT.write_text(render(required_args(spec)), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
