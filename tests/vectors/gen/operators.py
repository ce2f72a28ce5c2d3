"""operators.json: every condition operator, as hand-written tables of
attribute value -> whether the condition holds (docs/ruleset.md,
"Conditions").

Each flag has one rule, id "r", whose only condition reads attribute "a"
and serves "on"; the flag is off otherwise. A holding condition gives
{true, "on", TARGETING_MATCH, ruleId "r"}; a failing one {false, "off",
DEFAULT} (the flag has targeting, so its default is DEFAULT, not STATIC).
"""
from common import MISSING, File, label, result

T, F = True, False

# Values every non-segment operator must refuse: the attribute says
# nothing (absent or null), or it is an object (docs: "A missing
# attribute (absent or null), or one whose value is an object, makes every
# condition on it false, including neq and not_in").
SILENT = [(MISSING, F), (None, F), ({"k": "v"}, F), ({}, F)]

E_ACUTE = "\u00e9"            # é precomposed
E_COMBINING = "e\u0301"       # e + COMBINING ACUTE ACCENT
GRIN = "\U0001F600"           # 😀, outside the BMP (a surrogate pair in UTF-16)
SMILEY = "\U0001F603"         # 😃

# (flag key, condition without "attribute", [(attribute value, holds)])
TABLES = [
    # ---- eq / neq: string forms, and numbers (and numeric text) by value
    ("eq_string", {"op": "eq", "value": "pro"}, [
        ("pro", T), ("Pro", F), ("pro ", F), (" pro", F), ("", F), ("pr", F), ("profit", F),
        (["free", "pro"], T), (["free"], F), ([], F), (True, F), (1, F),
    ] + SILENT),
    ("eq_number", {"op": "eq", "value": 10}, [
        (10, T), (10.0, T), ("10", T), ("10.0", T), (10.5, F), ("10.5", F), (-10, F), (100, F),
        ("ten", F), ("", F), ("1", F), ("NaN", F), ([5, 10], T), (["10"], T), ([5, 11], F), (True, F),
    ] + SILENT),
    ("eq_numeric_text", {"op": "eq", "value": "10"}, [
        ("10", T), (10, T), (10.0, T), ("10.0", T), (11, F), ("11", F), ("10a", F), ([1, 10], T),
    ] + SILENT),
    ("eq_fraction", {"op": "eq", "value": 2.5}, [
        (2.5, T), ("2.5", T), ("2.50", T), (2, F), (3, F), ("2,5", F),
    ]),
    ("eq_zero", {"op": "eq", "value": 0}, [
        (0, T), (0.0, T), ("0", T), ("0.0", T), (False, F), ("", F), ("false", F), (1, F),
    ] + SILENT),
    ("eq_true", {"op": "eq", "value": True}, [
        (True, T), ("true", T), (False, F), ("false", F), ("True", F), ("TRUE", F), (1, F), ("1", F),
        ([False, True], T), ([False], F),
    ] + SILENT),
    ("eq_false", {"op": "eq", "value": False}, [
        (False, T), ("false", T), (True, F), (0, F), ("", F), ("0", F),
    ] + SILENT),
    ("eq_true_text", {"op": "eq", "value": "true"}, [
        (True, T), ("true", T), (False, F), ("yes", F),
    ]),
    ("eq_empty", {"op": "eq", "value": ""}, [
        ("", T), (" ", F), ("x", F), ([""], T), (["x"], F), (0, F), (False, F),
    ] + SILENT),
    ("eq_unicode", {"op": "eq", "value": "caf" + E_ACUTE}, [
        ("caf" + E_ACUTE, T), ("caf" + E_COMBINING, F), ("CAF\u00c9", F), ("cafe", F),
    ]),
    ("eq_astral", {"op": "eq", "value": GRIN}, [
        (GRIN, T), (SMILEY, F), (GRIN + GRIN, F), ("", F), ([SMILEY, GRIN], T),
    ]),
    ("neq_string", {"op": "neq", "value": "pro"}, [
        ("free", T), ("pro", F), ("Pro", T), ("", T), (1, T), (True, T),
        (["free", "basic"], T), (["free", "pro"], F), ([], T),
    ] + SILENT),
    ("neq_number", {"op": "neq", "value": 10}, [
        (10, F), (10.0, F), ("10", F), ("10.0", F), (11, T), ("abc", T), ([9, 11], T), ([9, "10"], F),
    ] + SILENT),
    ("neq_true", {"op": "neq", "value": True}, [
        (True, F), ("true", F), (False, T), ("false", T), (1, T),
    ] + SILENT),

    # ---- in / not_in: lists of scalars, same equality
    ("in_strings", {"op": "in", "values": ["US", "CA"]}, [
        ("US", T), ("CA", T), ("us", F), ("MX", F), ("", F), ("USCA", F),
        (["MX", "CA"], T), (["MX"], F), ([], F), (1, F), (True, F),
    ] + SILENT),
    ("in_mixed", {"op": "in", "values": ["10", 20, True, "x"]}, [
        ("2e1", T), ("Infinity", F),
        (10, T), ("10.0", T), (20, T), ("20", T), ("20.0", T), (True, T), ("true", T), (False, F),
        ("x", T), ("X", F), (30, F), (1, F), ("1", F), ([30, "x"], T),
    ]),
    ("in_unicode", {"op": "in", "values": ["\u65e5\u672c", GRIN, "na\u00efve"]}, [
        ("\u65e5\u672c", T), (GRIN, T), ("na\u00efve", T), ("nai\u0308ve", F), ("\u65e5", F), (SMILEY, F),
    ]),
    ("not_in_strings", {"op": "not_in", "values": ["US", "CA"]}, [
        ("MX", T), ("US", F), ("CA", F), ("us", T), ("", T), (1, T), (False, T),
        (["MX", "FR"], T), (["MX", "US"], F), ([], T),
    ] + SILENT),
    ("not_in_numbers", {"op": "not_in", "values": [1, 2]}, [
        (1, F), ("1", F), (1.0, F), ("2.0", F), (3, T), ("3", T), ("one", T), (True, T),
    ] + SILENT),

    # ---- string operators: the attribute must be a string (or a list of them)
    ("contains", {"op": "contains", "value": "@example"}, [
        ("a@example.com", T), ("@example", T), ("a@Example.com", F), ("example", F), ("", F),
        (["x", "y@example.org"], T), (["x"], F), (True, F),
    ] + SILENT),
    ("contains_digit", {"op": "contains", "value": "2"}, [
        ("123", T), (123, F), (2, F), ("abc", F), ([123, "2"], T),
    ]),
    ("contains_empty", {"op": "contains", "value": ""}, [
        ("abc", T), ("", T), (1, F), (False, F),
    ] + SILENT),
    ("contains_accent", {"op": "contains", "value": E_ACUTE}, [
        ("caf" + E_ACUTE, T), ("caf" + E_COMBINING, F), ("cafe", F),
    ]),
    ("contains_combining_mark", {"op": "contains", "value": "\u0301"}, [
        ("caf" + E_COMBINING, T), ("caf" + E_ACUTE, F),
    ]),
    ("contains_astral", {"op": "contains", "value": GRIN}, [
        ("hi " + GRIN + "!", T), ("hi " + SMILEY, F), (GRIN, T),
    ]),
    ("starts_with", {"op": "starts_with", "value": "user-"}, [
        ("user-1", T), ("user-", T), ("User-1", F), ("a user-1", F), ("user", F), ("", F),
        (["x", "user-2"], T), (["x"], F), (5, F),
    ] + SILENT),
    ("starts_with_unicode", {"op": "starts_with", "value": "\u00c5"}, [
        ("\u00c5sa", T), ("A\u030asa", F), ("asa", F),
    ]),
    ("ends_with", {"op": "ends_with", "value": ".com"}, [
        ("a.com", T), (".com", T), ("a.org", F), ("a.COM", F), ("a.com.", F), ("com", F), ("", F),
        (["a.org", "b.com"], T), (["a.org"], F), (1, F),
    ] + SILENT),
    ("ends_with_astral", {"op": "ends_with", "value": GRIN}, [
        ("ok " + GRIN, T), (GRIN + " ok", F),
    ]),
    ("glob_suffix", {"op": "glob", "value": "*@company.com"}, [
        ("bob@company.com", T), ("@company.com", T), ("bob@company.org", F), ("bob@company.com.evil", F),
        ("bob@COMPANY.com", F), ("", F), (["x@y.z", "a@company.com"], T), (7, F),
    ] + SILENT),
    ("glob_prefix", {"op": "glob", "value": "user-*"}, [
        ("user-1", T), ("user-", T), ("user", F), ("xuser-1", F),
    ]),
    ("glob_infix", {"op": "glob", "value": "*beta*"}, [
        ("beta", T), ("a-beta-b", T), ("bet", F), ("BETA", F),
    ]),
    ("glob_exact", {"op": "glob", "value": "exact"}, [
        ("exact", T), ("exactly", F), ("inexact", F), ("", F),
    ]),
    ("glob_one_char", {"op": "glob", "value": "a?c"}, [
        ("abc", T), ("a?c", T), ("ac", F), ("abbc", F), ("ABC", F), ("a" + GRIN + "c", T),
        ("a" + E_ACUTE + "c", T), ("a" + E_COMBINING + "c", F),
    ]),
    ("glob_two_chars", {"op": "glob", "value": "caf??"}, [
        ("caf" + E_COMBINING, T), ("caf" + E_ACUTE, F), ("cafes", T), ("caf", F),
    ]),
    ("glob_stars", {"op": "glob", "value": "a*b*c"}, [
        ("abc", T), ("aXbYc", T), ("abcabc", T), ("a-b", F), ("acb", F), ("bac", F), ("a" + GRIN + "b" + GRIN + "c", T),
    ]),
    ("glob_any", {"op": "glob", "value": "*"}, [
        ("", T), ("anything", T), (GRIN, T), (5, F), (True, F),
    ] + SILENT),
    ("glob_empty", {"op": "glob", "value": ""}, [
        ("", T), ("a", F),
    ]),

    # ---- numbers: a number, or numeric text
    ("lt", {"op": "lt", "value": 30}, [
        (29, T), (30, F), (31, F), (29.999, T), ("29", T), ("29.5", T), ("30", F), (-5, T), (0, T),
        ("-inf", F), ("-Infinity", F), ("NaN", F), ("-1e2", T),
        ("abc", F), ("", F), (True, F), (False, F), ([40, 10], T), ([40, 50], F), ([], F),
    ] + SILENT),
    ("lte", {"op": "lte", "value": 30}, [
        (30, T), (30.0, T), ("30", T), ("30.0", T), (30.5, F), ("31", F), (29, T), ("x", F),
    ] + SILENT),
    ("gt", {"op": "gt", "value": 30}, [
        (31, T), (30, F), (30.000001, T), ("31", T), ("30", F), (-31, F), ("thirty-one", F), ([1, 99], T),
        # Numeric text is decimal text: not the words some parsers read as numbers.
        ("inf", F), ("Infinity", F), ("infinity", F), ("NaN", F), ("1e2", T), ("0x40", F),
    ] + SILENT),
    ("gte", {"op": "gte", "value": 30}, [
        (30, T), (29.99, F), ("30.0", T), ("29", F), (1e6, T), (True, F),
    ] + SILENT),
    ("lt_fraction", {"op": "lt", "value": 0.5}, [
        (0.25, T), ("0.49", T), (0.5, F), ("0.5", F), (-0.5, T),
    ]),
    ("gt_negative", {"op": "gt", "value": -1}, [
        (0, T), (-1, F), ("-0.5", T), ("-2", F), (-1.5, F),
    ]),

    # ---- semantic versions (semver 2.0 precedence; build metadata ignored)
    ("semver_eq", {"op": "semver_eq", "value": "4.2.0"}, [
        ("4.2.0", T), ("v4.2.0", T), ("4.2", T), ("4.2.0+build.5", T), ("4.2.1", F), ("4.2.0-beta", F),
        ("4.2.0.0", F), ("four", F), ("", F), (4.2, F), (["1.0.0", "4.2.0"], T), (["1.0.0"], F),
    ] + SILENT),
    ("semver_lt", {"op": "semver_lt", "value": "2.0.0"}, [
        ("1.9.9", T), ("2.0.0-rc.1", T), ("2.0.0", F), ("10.0.0", F), ("1.10.0", T), ("v1.0", T),
        ("2.0.1", F), ("abc", F), (1, F),
    ] + SILENT),
    ("semver_lte", {"op": "semver_lte", "value": "2.0.0"}, [
        ("2.0.0", T), ("2.0.0+meta", T), ("2.0", T), ("2.0.1", F), ("2.0.0-alpha", T),
    ] + SILENT),
    ("semver_gt", {"op": "semver_gt", "value": "1.0.0-beta.2"}, [
        ("1.0.0-beta.11", T), ("1.0.0-beta.3", T), ("1.0.0-rc.1", T), ("1.0.0", T), ("1.0.0-beta.2", F),
        ("1.0.0-beta", F), ("1.0.0-alpha.beta", F), ("1.0.0-beta.2+x", F), ("0.9.9", F),
    ] + SILENT),
    ("semver_gt_alpha", {"op": "semver_gt", "value": "1.0.0-alpha"}, [
        ("1.0.0-alpha.1", T), ("1.0.0-beta", T), ("1.0.0", T), ("1.0.0-alpha", F), ("1.0.0-Alpha", F),
        ("0.9.0", F),
    ]),
    ("semver_lt_prerelease", {"op": "semver_lt", "value": "1.0.0-alpha"}, [
        ("1.0.0-1", T), ("1.0.0-0.3.7", T), ("0.0.9", T), ("1.0.0-alpha", F), ("1.0.0-x.7.z.92", F),
        ("1.0.0", F), ("1.0.0-alph", T),
    ]),
    ("semver_gte", {"op": "semver_gte", "value": "v2.0.0-beta.1"}, [
        ("2.0.0-beta.1", T), ("2.0.0-beta.2", T), ("2.0.0", T), ("2.0.0-beta", F), ("2.0.0-alpha.9", F),
        ("1.99.99", F), ("v2.1", T),
    ] + SILENT),

    # ---- times: RFC 3339 text or epoch milliseconds (2026-01-01T00:00:00Z = 1767225600000)
    ("before", {"op": "before", "value": "2026-01-01T00:00:00Z"}, [
        ("2025-12-31T23:59:59Z", T), ("2026-01-01T00:00:00Z", F), ("2026-01-01T00:00:01Z", F),
        ("2026-01-01T00:30:00+01:00", T), ("2025-12-31T23:30:00-01:00", F), ("2025-12-31", T),
        ("2026-01-01", F), (1767225599999, T), (1767225600000, F), ("2025-12-31T23:59:59.999Z", T),
        ("not a date", F), ("", F), (True, F), (["2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z"], T),
        # RFC 3339: lower-case t and z, a space for T (its section 5.6 note), a leap second; an offset is
        # required; dates must exist.
        ("2025-12-31t23:59:59z", T), ("2025-12-31 23:59:59Z", T), ("2025-12-31T23:59:60Z", T),
        ("2025-12-31T23:59:59", F), ("2025-02-29T00:00:00Z", F), ("2024-02-29T00:00:00Z", T),
        ("2025-13-01T00:00:00Z", F), ("2025-12-31T24:00:00Z", F),
    ] + SILENT),
    ("after", {"op": "after", "value": 1767225600000}, [
        ("2026-01-01T00:00:00.001Z", T), ("2026-01-01T00:00:00Z", F), (1767225600001, T), (1767225600000, F),
        ("2026-01-02", T), ("2025-12-31T23:59:59.999Z", F), ("2026-01-01T00:00:00-00:01", T),
        ("2026-01-01T00:59:00+01:00", F), ("yesterday", F), (False, F),
    ] + SILENT),
]


def build():
    flags = {}
    for key, cond, _ in TABLES:
        flags[key] = {"rules": [{"id": "r", "conditions": [dict({"attribute": "a"}, **cond)], "variant": "on"}]}
    f = File(
        "operators.json",
        "Every condition operator (docs/ruleset.md, Conditions) with matching, failing and type-edge "
        "attribute values: missing, null, object, list, numeric text, booleans, empty and non-ASCII strings. "
        "Each flag's one rule (id r) serves on when its condition on attribute a holds; otherwise the flag "
        "serves off, reason DEFAULT.",
        {"flags": flags},
    )
    hit = result(True, "on", "TARGETING_MATCH", "r")
    miss = result(False, "off", "DEFAULT")
    for key, _, rows in TABLES:
        for value, holds in rows:
            ctx = {} if value is MISSING else {"a": value}
            f.case(f"{key} a={label(value)}", key, hit if holds else miss, context=ctx)
    return f
