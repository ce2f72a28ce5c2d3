"""Vector files about the result around a resolution: typed defaults,
unknown flags, test overrides, and context edge cases (CONTRACT,
"Evaluation semantics"; docs/ruleset.md, Evaluation results).
"""
from common import MISSING, File, bucket, default_accepts, error, in_rollout, label, not_near, result, typed

# Every kind of default, absent included.
DEFAULTS = [MISSING, None, True, False, "fallback", "", 7, 0, 2.5, [], ["x"], {}, {"k": "v"}]


def typed_defaults():
    flags = {
        "bool_on": True,
        "bool_off": False,
        "string": {"variants": {"blue": "blue", "red": "red"}, "default_variant": "blue"},
        "string_empty": {"variants": {"none": "", "some": "x"}, "default_variant": "none"},
        "number": {"variants": {"answer": 42, "zero": 0}, "default_variant": "answer"},
        "number_zero": {"variants": {"answer": 42, "zero": 0}, "default_variant": "zero"},
        "json_object": {"type": "json", "variants": {"cfg": {"x": 1}}, "default_variant": "cfg"},
        "json_array": {"variants": {"list": [1, 2], "other": {"a": 1}}, "default_variant": "list"},
        "json_null": {"type": "json", "variants": {"nothing": None, "something": {"s": 1}}, "default_variant": "nothing"},
        "json_string": {"type": "json", "variants": {"text": "fallback-like", "obj": {"o": 1}}, "default_variant": "text"},
        "json_bool": {"type": "json", "variants": {"t": True, "o": {"a": 1}}, "default_variant": "t"},
        "json_number": {"type": "json", "variants": {"n": 3.5, "o": {"a": 1}}, "default_variant": "n"},
        "json_mixed": {"variants": {"text": "hello", "count": 5, "cfg": {"deep": [True, None]}, "flag": False},
                       "default_variant": "cfg",
                       "rules": [{"id": "by-form", "conditions": [{"attribute": "form", "op": "eq", "value": "text"}],
                                  "variant": "text"},
                                 {"id": "by-count", "conditions": [{"attribute": "form", "op": "eq", "value": "count"}],
                                  "variant": "count"},
                                 {"id": "by-flag", "conditions": [{"attribute": "form", "op": "eq", "value": "flag"}],
                                  "variant": "flag"}]},
        "json_killed": {"variants": {"cfg": {"a": 1}, "off": "disabled"}, "default_variant": "cfg", "killed": True},
    }
    f = File(
        "typed_defaults.json",
        "The typed-default check (OpenFeature typed getters) for every (default kind x served kind) pair, "
        "checked against the value served, not the flag's declared type: a boolean, number or string default "
        "needs a served value of its kind; an object, array or no default (absent or null) takes any JSON. "
        "Mismatch: the default, variant null, ERROR, TYPE_MISMATCH. Unknown flags: the default, "
        "FLAG_NOT_FOUND. `enabled` ignores the default.",
        {"flags": flags},
    )
    served = {
        "bool_on": result(True, "on", "STATIC"),
        "bool_off": result(False, "off", "STATIC"),
        "string": result("blue", "blue", "STATIC"),
        "string_empty": result("", "none", "STATIC"),
        "number": result(42, "answer", "STATIC"),
        "number_zero": result(0, "zero", "STATIC"),
        "json_object": result({"x": 1}, "cfg", "STATIC"),
        "json_array": result([1, 2], "list", "STATIC"),
        "json_null": result(None, "nothing", "STATIC"),
        "json_string": result("fallback-like", "text", "STATIC"),
        "json_bool": result(True, "t", "STATIC"),
        "json_number": result(3.5, "n", "STATIC"),
        "json_killed": result("disabled", "off", "DISABLED"),
    }
    for key, s in served.items():
        for d in DEFAULTS:
            f.case(f"{key} default={label(d)}", key, typed(s, d), default=d, served=s["value"])
    mixed = [("object", {}, result({"deep": [True, None]}, "cfg", "DEFAULT")),
             ("text", {"form": "text"}, result("hello", "text", "TARGETING_MATCH", "by-form")),
             ("count", {"form": "count"}, result(5, "count", "TARGETING_MATCH", "by-count")),
             ("false", {"form": "flag"}, result(False, "flag", "TARGETING_MATCH", "by-flag"))]
    for name, ctx, s in mixed:
        for d in DEFAULTS:
            f.case(f"json_mixed serving {name} default={label(d)}", "json_mixed", typed(s, d), context=ctx, default=d,
                   served=s["value"])
    for d in DEFAULTS:
        f.case(f"unknown flag default={label(d)}", "no_such_flag", error(d, "FLAG_NOT_FOUND"), default=d)
    f.case("unknown flag, case differs from a known key", "BOOL_ON", error(True, "FLAG_NOT_FOUND"), default=True)
    f.case("unknown flag, empty key", "", error("x", "FLAG_NOT_FOUND"), default="x")
    return f


def overrides():
    f = File(
        "overrides.json",
        "Test overrides (CONTRACT, Evaluation semantics): an override wins over everything, the kill switch "
        "included; value = the override, variant = the name of the flag's first variant whose value equals it "
        "(else null), reason OVERRIDE, no ruleId; an override of an unknown key is served; the typed-default "
        "check applies to it. Every override here is valid for its flag's declared type.",
        {"flags": {
            "feature": {"users": ["u1"]},
            "color": {"variants": {"red": "red", "blue": "blue", "green": "green"}, "default_variant": "blue",
                      "rules": [{"id": "pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}],
                                 "variant": "red"}]},
            "limit": {"variants": {"low": 10, "high": 100}, "default_variant": "low"},
            "dup": {"variants": {"first": 5, "second": 5, "other": 6}, "default_variant": "other"},
            "cfg": {"variants": {"a": {"x": 1}, "b": [1, 2], "c": "text"}, "default_variant": "a"},
            "dead": {"killed": True, "enabled": True},
            "gated": {"enabled": True, "prerequisites": [{"flag": "dead"}]},
            "rollout": {"percentage": 0},
        }},
    )
    O = "OVERRIDE"
    rows = [
        # (name, flag, overrides, context, default, expect)
        ("enable over default off", "feature", {"feature": True}, {"user_id": "u2"}, MISSING, result(True, "on", O)),
        ("disable over user list", "feature", {"feature": False}, {"user_id": "u1"}, MISSING, result(False, "off", O)),
        ("enable an already-on user", "feature", {"feature": True}, {"user_id": "u1"}, MISSING, result(True, "on", O)),
        ("override with no context", "feature", {"feature": True}, None, MISSING, result(True, "on", O)),
        ("other keys do not matter", "feature", {"color": "green", "limit": 100}, {"user_id": "u1"}, MISSING,
         result(True, "on", "TARGETING_MATCH", "users")),
        ("empty overrides", "feature", {}, {"user_id": "u2"}, MISSING, result(False, "off", "DEFAULT")),
        ("string naming a variant", "color", {"color": "green"}, {"plan": "pro"}, MISSING, result("green", "green", O)),
        ("string naming no variant", "color", {"color": "purple"}, {}, MISSING, result("purple", None, O)),
        ("variant name is not the value", "color", {"color": "RED"}, {}, MISSING, result("RED", None, O)),
        ("empty string", "color", {"color": ""}, {}, MISSING, result("", None, O)),
        ("over a rule, no ruleId", "color", {"color": "red"}, {"plan": "pro"}, MISSING, result("red", "red", O)),
        ("number naming a variant", "limit", {"limit": 100}, {}, MISSING, result(100, "high", O)),
        ("number written 100.0", "limit", {"limit": 100.0}, {}, MISSING, result(100, "high", O)),
        ("number naming no variant", "limit", {"limit": 55}, {}, MISSING, result(55, None, O)),
        ("zero", "limit", {"limit": 0}, {}, MISSING, result(0, None, O)),
        ("first equal variant", "dup", {"dup": 5}, {}, MISSING, result(5, "first", O)),
        ("json object naming a variant", "cfg", {"cfg": {"x": 1}}, {}, MISSING, result({"x": 1}, "a", O)),
        ("json object naming no variant", "cfg", {"cfg": {"x": 2}}, {}, MISSING, result({"x": 2}, None, O)),
        ("json array naming a variant", "cfg", {"cfg": [1, 2]}, {}, MISSING, result([1, 2], "b", O)),
        ("json array in another order", "cfg", {"cfg": [2, 1]}, {}, MISSING, result([2, 1], None, O)),
        ("json string naming a variant", "cfg", {"cfg": "text"}, {}, MISSING, result("text", "c", O)),
        ("json null", "cfg", {"cfg": None}, {}, MISSING, result(None, None, O)),
        ("json false", "cfg", {"cfg": False}, {}, MISSING, result(False, None, O)),
        ("json empty object", "cfg", {"cfg": {}}, {}, MISSING, result({}, None, O)),
        ("wins over the kill switch", "dead", {"dead": True}, {}, MISSING, result(True, "on", O)),
        ("kill switch without override", "dead", {"feature": True}, {}, MISSING, result(False, "off", "DISABLED")),
        ("prerequisite of a killed flag fails", "gated", {"feature": True}, {}, MISSING,
         result(False, "off", "PREREQUISITE_FAILED", "dead")),
        ("wins over a 0% rollout", "rollout", {"rollout": True}, {"user_id": "u1"}, MISSING, result(True, "on", O)),
        ("unknown key is served", "ghost", {"ghost": "boo"}, {}, MISSING, result("boo", None, O)),
        ("unknown key with an object", "ghost", {"ghost": {"a": [1]}}, {}, MISSING, result({"a": [1]}, None, O)),
        ("unknown key with false", "ghost", {"ghost": False}, {}, MISSING, result(False, None, O)),
        ("unknown key not overridden", "ghost", {"other_ghost": 1}, {}, "d", error("d", "FLAG_NOT_FOUND")),
    ]
    for name, flag, ov, ctx, d, want in rows:
        f.case(name, flag, want, context=ctx, default=d, overrides=ov)
    # Overrides against typed defaults: the check applies to the override's value.
    typed_rows = [
        ("feature", {"feature": True}, result(True, "on", O)),
        ("color", {"color": "green"}, result("green", "green", O)),
        ("limit", {"limit": 55}, result(55, None, O)),
        ("cfg", {"cfg": {"x": 1}}, result({"x": 1}, "a", O)),
        ("dead", {"dead": True}, result(True, "on", O)),
        ("ghost", {"ghost": "boo"}, result("boo", None, O)),
        ("ghost", {"ghost": 0}, result(0, None, O)),
    ]
    for flag, ov, s in typed_rows:
        for d in [None, False, "fallback", 1, [], {}]:
            f.case(f"typed {flag}={label(ov[flag])} default={label(d)}", flag, typed(s, d), default=d, overrides=ov,
                   served=s["value"])
    return f


def edge_cases():
    f = File(
        "edge_cases.json",
        "Edge cases of contexts and rulesets: non-ASCII attribute names, variant names and rule ids; flag keys "
        "with . : - ; user ids that are numbers, empty or unicode; null and irrelevant attributes; several "
        "conditions on one attribute.",
        {"flags": {
            "exp.checkout:v2-b": {"variants": {"control": "c", "treatment": "t"}, "default_variant": "control",
                                  "targets": [{"variant": "treatment", "users": ["\u00fcser", "\U0001F600"]}]},
            "unicode_names": {"variants": {"gr\u00fcn": "\U0001F7E2", "rot": "\U0001F534"}, "default_variant": "rot",
                              "rules": [{"id": "r\u00e8gle-1", "conditions": [
                                  {"attribute": "pa\u00eds", "op": "eq", "value": "M\u00e9xico"}], "variant": "gr\u00fcn"}]},
            "range": {"rules": [{"id": "teen", "conditions": [
                {"attribute": "age", "op": "gte", "value": 13}, {"attribute": "age", "op": "lt", "value": 20}],
                "variant": "on"}]},
            "empty_user": {"users": ["u1"], "percentage": 100},
            "num_variants": {"variants": {"neg": -1.5, "big": 1e21, "small": 5e-324, "int": 9007199254740991},
                             "default_variant": "neg",
                             "targets": [{"variant": "big", "users": ["b"]}, {"variant": "small", "users": ["s"]},
                                         {"variant": "int", "users": ["i"]}]},
            "nested_value": {"variants": {"deep": {"a": {"b": {"c": [1, {"d": None}]}}, "emoji": "\U0001F600"}},
                             "default_variant": "deep"},
        }},
    )
    key = "exp.checkout:v2-b"
    for name, ctx, want in [
        ("listed non-ASCII id", {"user_id": "\u00fcser"}, result("t", "treatment", "TARGETING_MATCH", "targets[0]")),
        ("listed astral id", {"user_id": "\U0001F600"}, result("t", "treatment", "TARGETING_MATCH", "targets[0]")),
        ("decomposed id is another id", {"user_id": "u\u0308ser"}, result("c", "control", "DEFAULT")),
        ("empty id", {"user_id": ""}, result("c", "control", "DEFAULT")),
        ("null id", {"user_id": None}, result("c", "control", "DEFAULT")),
    ]:
        f.case(f"{key} {name}", key, want, context=ctx)
    for name, ctx, hit in [
        ("matching", {"pa\u00eds": "M\u00e9xico"}, True),
        ("decomposed value", {"pa\u00eds": "Me\u0301xico"}, False),
        ("ascii attribute name", {"pais": "M\u00e9xico"}, False),
        ("other value", {"pa\u00eds": "Espa\u00f1a"}, False),
    ]:
        want = result("\U0001F7E2", "gr\u00fcn", "TARGETING_MATCH", "r\u00e8gle-1") if hit else \
            result("\U0001F534", "rot", "DEFAULT")
        f.case(f"unicode_names {name}", "unicode_names", want, context=ctx)
    for age, hit in [(12, False), (13, True), (19.5, True), (20, False), ("15", True), ("20", False),
                     ([10, 30], True), ([15], True), (None, False), ("", False)]:
        # A list attribute: each condition holds when any element does.
        want = result(True, "on", "TARGETING_MATCH", "teen") if hit else result(False, "off", "DEFAULT")
        f.case(f"range age={label(age)}", "range", want, context={"age": age, "unrelated": {"x": [1]}})
    # An empty user id is an id: it is bucketed (100%: in), and it is not u1.
    f.case("empty_user empty id is bucketed", "empty_user", result(True, "on", "SPLIT"), context={"user_id": ""})
    f.case("empty_user listed", "empty_user", result(True, "on", "TARGETING_MATCH", "users"), context={"user_id": "u1"})
    f.case("empty_user no id", "empty_user", result(False, "off", "DEFAULT"), context={"user_id": None})
    for user, name, value in [("x", "neg", -1.5), ("b", "big", 1e21), ("s", "small", 5e-324), ("i", "int", 9007199254740991)]:
        want = result(value, name, "TARGETING_MATCH", None if name == "neg" else f"targets[{['big', 'small', 'int'].index(name)}]")
        if name == "neg":
            want = result(value, name, "DEFAULT")
        f.case(f"num_variants {name}", "num_variants", want, context={"user_id": user})
    f.case("nested_value served whole", "nested_value", result({"a": {"b": {"c": [1, {"d": None}]}}, "emoji": "\U0001F600"},
                                                                "deep", "STATIC"), default={})
    return f
