"""Validates JSON documents against schema/ruleset.schema.json, for tests/schema.rs.

Usage: validate.py SCHEMA < documents (one JSON document per line)
Checks the schema itself against the JSON Schema 2020-12 meta-schema first
(exit 2 if it is not a valid schema), then prints one line per document:
`ok`, or `error <JSON path>: <message>` (the first error found).

Speed: the test sends thousands of documents, and jsonschema spends half
its time resolving `$ref`s. The schema has no recursive references, so they
are inlined once; every 25th document is also checked with the schema as
written, and any disagreement stops the run (exit 3).
"""
import json
import sys

import jsonschema
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1], encoding="utf-8"))
try:
    Draft202012Validator.check_schema(schema)
except jsonschema.SchemaError as e:
    print(f"invalid schema: {e.message}", file=sys.stderr)
    sys.exit(2)

defs = schema.get("$defs", {})


def inline(node, depth=0):
    if depth > 50:
        raise RecursionError("recursive $ref")
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/$defs/"):
            target = inline(defs[node["$ref"][len("#/$defs/"):]], depth + 1)
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {"allOf": [target, inline(rest, depth + 1)]} if rest else target
        return {k: inline(v, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [inline(x, depth + 1) for x in node]
    return node


written = Draft202012Validator(schema)
try:
    fast = Draft202012Validator(inline(schema))
except RecursionError:
    fast = written

out = []
for n, line in enumerate(sys.stdin):
    if not line.strip():
        continue
    doc = json.loads(line)
    err = next(fast.iter_errors(doc), None)
    if n % 25 == 0 and (err is None) != written.is_valid(doc):
        print(f"inlined schema disagrees with the schema on document {n}", file=sys.stderr)
        sys.exit(3)
    if err is None:
        out.append("ok")
    else:
        msg = err.message.replace("\n", " ")
        out.append(f"error {err.json_path}: {msg[:300]}")
sys.stdout.write("\n".join(out) + "\n")
