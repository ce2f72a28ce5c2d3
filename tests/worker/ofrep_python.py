"""The official Python OpenFeature SDK (openfeature-sdk) with the official
OFREP provider (openfeature-provider-ofrep), unmodified, against an
edgeflags Worker:

    python3 tests/worker/ofrep_python.py URL [KEY] < queries.json

KEY, when given, is sent as `X-API-Key`. stdin is a JSON object:

    {"queries": [{"kind": "boolean|string|integer|float|object",
                  "flag": "...", "context": {...}, "default": ...}],
     "helper": [{"fn": "evaluate_flag|get_flag_variant", "flag": "...", "user": "..."}]}

`context` is an OpenFeature context as JSON (`targetingKey` plus
attributes). stdout is one JSON object: `details` (the SDK's evaluation
details for each query) and `helper` (what the design notes' helpers
return). Run by tests/worker/ofrep-sdk.test.mjs, which checks the answers.
"""

import json
import sys

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext


def main() -> None:
    url = sys.argv[1]
    key = sys.argv[2] if len(sys.argv) > 2 else None
    headers = (lambda: {"X-API-Key": key}) if key else None
    api.set_provider(OFREPProvider(url, headers_factory=headers))
    client = api.get_client()

    # The design notes' helpers (LaunchDarkly / OpenFeature integration),
    # on OpenFeature: the user id is the targeting key.
    def evaluate_flag(flag_key: str, user_id: str, default: bool = False) -> bool:
        context = EvaluationContext(targeting_key=user_id)
        return client.get_boolean_value(flag_key, default, context)

    def get_flag_variant(flag_key: str, user_id: str, default: str = "control") -> str:
        context = EvaluationContext(targeting_key=user_id)
        return client.get_string_value(flag_key, default, context)

    resolve = {
        "boolean": client.get_boolean_details,
        "string": client.get_string_details,
        "integer": client.get_integer_details,
        "float": client.get_float_details,
        "object": client.get_object_details,
    }
    spec = json.load(sys.stdin)
    details = []
    for q in spec.get("queries", []):
        attributes = dict(q.get("context") or {})
        targeting_key = attributes.pop("targetingKey", None)
        context = EvaluationContext(targeting_key=targeting_key, attributes=attributes)
        d = resolve[q["kind"]](q["flag"], q["default"], context)
        details.append(
            {
                "value": d.value,
                "variant": d.variant,
                "reason": str(d.reason) if d.reason is not None else None,
                "errorCode": str(d.error_code) if d.error_code is not None else None,
                "errorMessage": d.error_message,
                "flagMetadata": dict(d.flag_metadata or {}),
            }
        )
    helpers = {"evaluate_flag": evaluate_flag, "get_flag_variant": get_flag_variant}
    helper = [helpers[h["fn"]](h["flag"], h["user"]) for h in spec.get("helper", [])]
    json.dump({"details": details, "helper": helper}, sys.stdout)


if __name__ == "__main__":
    main()
