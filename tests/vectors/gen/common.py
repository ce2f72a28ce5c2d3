"""Shared helpers of the evaluation vector generator (see evaluation.py).

Nothing here runs the engine: results are built from the documented
semantics (docs/ruleset.md, plan CONTRACT "Evaluation semantics"), and
bucket membership from bucketing.py, the verbatim copy of the spec's
Python reference.
"""
import json
import math
import os

from bucketing import bucket, in_rollout, pick_variant  # noqa: F401  (re-exported)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "evaluation")

MISSING = object()   # an attribute (or a default) that is absent


def truthy(v):
    """The contract's truthiness: false for null, false, 0 and ""."""
    if v is None or v is False:
        return False
    if isinstance(v, bool):
        return True
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, str):
        return v != ""
    return True  # any list or object


def kind(v):
    """The JSON kind of a Python value (absent = null)."""
    if v is MISSING or v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def default_accepts(default, served):
    """OpenFeature typed getters: a boolean, number or string default needs
    a served value of its own kind; an object, array or no default takes
    anything."""
    d = kind(default)
    return d in ("null", "array", "object") or d == kind(served)


def result(value, variant, reason, rule_id=None, error_code=None):
    out = {"value": value, "variant": variant, "reason": reason}
    if rule_id is not None:
        out["ruleId"] = rule_id
    if error_code is not None:
        out["errorCode"] = error_code
    return out


def error(default, code):
    return result(None if default is MISSING else default, None, "ERROR", error_code=code)


def typed(served_result, default):
    """`served_result` as the caller sees it with `default`."""
    if default_accepts(default, served_result["value"]):
        return served_result
    return error(default, "TYPE_MISMATCH")


def label(v):
    """A case-name fragment for a value: JSON with non-ASCII escaped, so
    combining marks and look-alikes stay visible in names."""
    if v is MISSING:
        return "missing"
    return json.dumps(v, ensure_ascii=True, separators=(",", ":"))


class File:
    """One vector file: a ruleset and its cases."""

    def __init__(self, name, description, ruleset):
        self.name = name
        self.description = description
        self.ruleset = ruleset
        self.cases = []
        self.names = set()

    def case(self, name, flag, expect, context=None, now=None, default=MISSING, overrides=None, served=MISSING):
        """Adds a case. `enabled` is the truthiness of what would be served
        without a default: `served` when given (a TYPE_MISMATCH hides it),
        else the expected value unless the flag is unknown."""
        assert name not in self.names, f"{self.name}: duplicate case name {name!r}"
        self.names.add(name)
        c = {"name": name, "flag": flag}
        if context is not None:
            c["context"] = context
        if now is not None:
            c["now"] = now
        if default is not MISSING:
            c["default"] = default
        if overrides is not None:
            c["overrides"] = overrides
        c["expect"] = expect
        if served is not MISSING:
            c["enabled"] = truthy(served)
        elif expect.get("errorCode") == "FLAG_NOT_FOUND":
            c["enabled"] = False
        else:
            assert expect.get("errorCode") is None, f"{name}: say what is served behind the error"
            c["enabled"] = truthy(expect["value"])
        self.cases.append(c)

    def write(self):
        os.makedirs(OUT, exist_ok=True)
        dump = lambda v, **kw: json.dumps(v, ensure_ascii=False, **kw)  # noqa: E731
        lines = ["{", f'  "description": {dump(self.description)},']
        ruleset = pretty(self.ruleset, 1, dump)
        lines.append(f'  "ruleset": {ruleset},')
        lines.append('  "cases": [')
        for i, c in enumerate(self.cases):
            sep = "," if i + 1 < len(self.cases) else ""
            lines.append("    " + dump(c, separators=(", ", ": ")) + sep)
        lines.append("  ]")
        lines.append("}")
        text = "\n".join(lines) + "\n"
        json.loads(text)  # well-formed
        with open(os.path.join(OUT, self.name), "w", encoding="utf-8") as f:
            f.write(text)
        return len(self.cases)


def pretty(v, depth, dump, expand=3):
    """JSON with the outer `expand` levels of objects one member a line
    (a ruleset, its sections, each flag or segment), deeper values compact."""
    if not isinstance(v, dict) or not v or expand == 0:
        return dump(v, separators=(", ", ": "))
    pad = "  " * (depth + 1)
    members = [f"{pad}{dump(k)}: {pretty(x, depth + 1, dump, expand - 1)}" for k, x in v.items()]
    return "{\n" + ",\n".join(members) + "\n" + "  " * depth + "}"


def not_near(p, b, what):
    """Guards a rollout case against a bucket within rounding of its edge."""
    assert abs(b - p) > 1e-6, f"{what}: bucket {b} too close to {p}"


def s_curve(start_pct, end_pct, steepness, progress):
    """The S-curve percentage of docs/ruleset.md, truncated to a whole percent."""
    p = start_pct + (end_pct - start_pct) / (1 + math.exp(-steepness * (progress - 0.5)))
    assert abs(p - round(p)) > 1e-6, f"S-curve {p} too close to a whole percent"
    return math.trunc(p)
