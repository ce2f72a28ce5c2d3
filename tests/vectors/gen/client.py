"""The vector file about the client view's ruleset language: server-only
flags, sensitive attributes and hashed lists (docs/ruleset.md, "The client
view" and "Hashed lists").

A server-only flag ("client": false) and a sensitive attribute change
nothing in how the full document evaluates: their cases expect the plain
semantics. Hashed lists are evaluated by hashing the context value:

    hash(text) = sha256(utf8(hash_salt + ":" + text)), lowercase hex

with text the user id's string form (numbers in shortest decimal form) in
a user list, and the value's equality form in an in/not_in list: "n:" +
the shortest decimal of the number for numbers and numeric text, "s:" +
the text for other strings, "s:true"/"s:false" for booleans. The digests
below are computed here with hashlib, never by the engine; the
expectations come from which listed value each context value equals
under the documented equality (numbers and numeric text by value).
"""
import hashlib
import math

from common import MISSING, File, label, result

SALT = "vectors:client"


def digest(text):
    return hashlib.sha256((SALT + ":" + text).encode("utf-8")).hexdigest()


def number_text(n):
    """The shortest decimal form of a finite number, as the engine writes
    units (no exponent; only the simple numbers used here)."""
    n = float(n)
    assert math.isfinite(n)
    if n.is_integer():
        assert abs(n) < 1e15
        return str(int(n))
    text = repr(n)
    assert "e" not in text, text
    return text


def as_number(v):
    """A number, or the number numeric text stands for (trimmed); None
    for anything else (booleans, other text)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        t = v.strip()
        try:
            n = float(t)
        except ValueError:
            return None
        # Only plain decimals appear in this file (no inf/nan/hex words).
        return n if math.isfinite(n) and t.lower() not in ("inf", "infinity", "nan") else None
    return None


def equality_text(v):
    n = as_number(v)
    if n is not None:
        return "n:" + number_text(n)
    if isinstance(v, bool):
        return "s:" + ("true" if v else "false")
    return "s:" + v


def user_text(v):
    return number_text(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def hashed_users(ids):
    return {"sha256": sorted({digest(user_text(i)) for i in ids})}


def hashed_values(values):
    return {"sha256": sorted({digest(equality_text(v)) for v in values})}


def equal(a, b):
    """Plain equality of scalars (docs/ruleset.md, Conditions): numbers
    and numeric text by value, other values by their string form."""
    na, nb = as_number(a), as_number(b)
    if na is not None or nb is not None:
        return na is not None and na == nb
    text = lambda v: ("true" if v else "false") if isinstance(v, bool) else v  # noqa: E731
    return text(a) == text(b)


def in_list(values, v):
    """Whether an attribute value is in `values` (a list attribute: any
    element); False for missing, null and objects."""
    if v is MISSING or v is None or isinstance(v, dict):
        return False
    if isinstance(v, list):
        return any(in_list(values, x) for x in v)
    return any(equal(x, v) for x in values)


def not_in_list(values, v):
    """not_in: false for missing, null and objects; for a list, true when
    no element is in the values (and none is an object)."""
    if v is MISSING or v is None or isinstance(v, dict):
        return False
    if isinstance(v, list):
        return not any(in_list(values, x) for x in v) and not any(isinstance(x, dict) for x in v)
    return not in_list(values, v)


USERS = ["user:1", 42, "é-ünï"]
BANNED = ["user:banned", "7"]
STAFF_IDS = ["emp:1", 99]
IN_VALUES = [10, "7.0", True, "abc", " 3 "]
EMAILS = ["ann@corp.example", "bob@corp.example"]


def build():
    f = File(
        "client.json",
        "The client view's language (docs/ruleset.md, The client view, Hashed lists): server-only flags "
        "(\"client\": false) and sensitive attributes evaluate as any other in the full document; hashed "
        "user lists, targets, segment users and in/not_in lists match a context value by its salted SHA-256 "
        "(user ids by their string form; in/not_in values by their equality form, numbers and numeric text "
        "by value).",
        {
            "hash_salt": SALT,
            "sensitive": ["email", "ip"],
            "segments": {
                "staff": {"users": hashed_users(STAFF_IDS)},
                "staff_emails": {"conditions": [{"attribute": "email", "op": "in", "values": EMAILS}]},
                "corp_net": {"conditions": [{"attribute": "ip", "op": "starts_with", "value": "10."}]},
            },
            "flags": {
                "ops_switch": {"client": False, "owner": "sre", "enabled": True},
                "internal": {"client": False, "rules": [
                    {"id": "corp", "conditions": [{"op": "in_segment", "value": "corp_net"}], "variant": "on"},
                    {"id": "domain", "conditions": [{"attribute": "email", "op": "ends_with", "value": "@corp.example"}],
                     "variant": "on"}]},
                "needs_ops": {"client": False, "enabled": True, "prerequisites": [{"flag": "ops_switch"}]},
                "client_true": {"client": True, "users": ["user:1"]},
                "email_eq": {"rules": [{"id": "ann", "conditions": [
                    {"attribute": "email", "op": "eq", "value": "ann@corp.example"}], "variant": "on"}]},
                "email_neq": {"rules": [{"id": "not-ann", "conditions": [
                    {"attribute": "email", "op": "neq", "value": "ann@corp.example"}], "variant": "on"}]},
                "staff_email": {"rules": [{"id": "staff", "conditions": [
                    {"op": "in_segment", "value": "staff_emails"}], "variant": "on"}]},
                "ip_in": {"rules": [{"id": "listed", "conditions": [
                    {"attribute": "ip", "op": "in", "values": IN_VALUES}], "variant": "on"}]},
                "hashed_users": {"users": hashed_users(USERS)},
                "hashed_targets": {
                    "variants": {"gold": "GOLD", "banned": "NONE", "std": "STD"}, "default_variant": "std",
                    "targets": [{"variant": "banned", "users": hashed_users(BANNED)},
                                {"variant": "gold", "users": hashed_users(USERS)}]},
                "hashed_segment": {"rules": [{"id": "staff", "conditions": [
                    {"op": "in_segment", "value": "staff"}], "variant": "on"}]},
                "hashed_in": {"rules": [{"id": "in", "conditions": [
                    {"attribute": "a", "op": "in", "values": hashed_values(IN_VALUES)}], "variant": "on"}]},
                "hashed_not_in": {"rules": [{"id": "not-in", "conditions": [
                    {"attribute": "a", "op": "not_in", "values": hashed_values(IN_VALUES)}], "variant": "on"}]},
                "hashed_empty": {"users": {"sha256": []}, "rules": [{"id": "none", "conditions": [
                    {"attribute": "a", "op": "in", "values": {"sha256": []}}], "variant": "on"}]},
            },
        },
    )
    on = lambda rule: result(True, "on", "TARGETING_MATCH", rule)  # noqa: E731
    off = result(False, "off", "DEFAULT")

    # Server-only flags evaluate as any other in the full document.
    f.case("ops_switch server-only still evaluates", "ops_switch", result(True, "on", "STATIC"))
    for name, ctx, want in [
        ("corp ip", {"ip": "10.1.2.3"}, on("corp")),
        ("corp email", {"email": "carl@corp.example"}, on("domain")),
        ("other", {"ip": "192.0.2.1", "email": "x@example.com"}, off),
    ]:
        f.case(f"internal {name}", "internal", want, context=ctx)
    # A prerequisite is targeting: not STATIC.
    f.case("needs_ops prerequisite met", "needs_ops", result(True, "on", "DEFAULT"))
    f.case("client_true listed", "client_true", on("users"), context={"user_id": "user:1"})
    f.case("client_true unlisted", "client_true", off, context={"user_id": "user:2"})

    # Sensitive attributes: plain semantics in the full document.
    emails = [("ann", "ann@corp.example"), ("bob", "bob@corp.example"), ("carl", "carl@corp.example"),
              ("ann upper case", "ANN@corp.example"), ("missing", MISSING), ("null", None),
              ("list with ann", ["x@y.z", "ann@corp.example"]), ("list without ann", ["x@y.z"]), ("object", {})]
    for name, v in emails:
        ctx = {} if v is MISSING else {"email": v}
        f.case(f"email_eq {name}", "email_eq", on("ann") if in_list(["ann@corp.example"], v) else off, context=ctx)
        f.case(f"email_neq {name}", "email_neq",
               on("not-ann") if not_in_list(["ann@corp.example"], v) else off, context=ctx)
        f.case(f"staff_email {name}", "staff_email", on("staff") if in_list(EMAILS, v) else off, context=ctx)

    # Equality values: numbers, numeric text, booleans, text; the same
    # table for the plain list (ip_in) and its hashed form (hashed_in).
    values = [10, 10.0, "10", " 10 ", "10.0", "1e1", 10.5, 7, "7", "7.00", True, "true", False, "abc", "ABC",
              "abc ", 3, "3", " 3 ", "", MISSING, None, {}, [], ["x", 7], ["x"], [{}, "abc"], [{}]]
    for v in values:
        ctx_ip = {} if v is MISSING else {"ip": v}
        ctx_a = {} if v is MISSING else {"a": v}
        f.case(f"ip_in ip={label(v)}", "ip_in", on("listed") if in_list(IN_VALUES, v) else off, context=ctx_ip)
        f.case(f"hashed_in a={label(v)}", "hashed_in", on("in") if in_list(IN_VALUES, v) else off, context=ctx_a)
        f.case(f"hashed_not_in a={label(v)}", "hashed_not_in",
               on("not-in") if not_in_list(IN_VALUES, v) else off, context=ctx_a)
        f.case(f"hashed_empty a={label(v)}", "hashed_empty", off, context=ctx_a)

    # Hashed user lists: the user id's string form, so 42 and "42" are one
    # user and "42.0" another.
    users = ["user:1", "user:2", "USER:1", 42, "42", "42.0", 42.5, "é-ünï", "user:banned", 7, "7", "emp:1", 99,
             "99", "99.0", "", True, MISSING, None]
    for u in users:
        ctx = {} if u is MISSING else {"user_id": u}
        unit = None if u is MISSING or u is None else (
            ("true" if u else "false") if isinstance(u, bool) else user_text(u))
        f.case(f"hashed_users user_id={label(u)}", "hashed_users",
               on("users") if unit in [user_text(x) for x in USERS] else off, context=ctx)
        banned = unit in [user_text(x) for x in BANNED]
        gold = unit in [user_text(x) for x in USERS]
        want = (result("NONE", "banned", "TARGETING_MATCH", "targets[0]") if banned
                else result("GOLD", "gold", "TARGETING_MATCH", "targets[1]") if gold
                else result("STD", "std", "DEFAULT"))
        f.case(f"hashed_targets user_id={label(u)}", "hashed_targets", want, context=ctx)
        f.case(f"hashed_segment user_id={label(u)}", "hashed_segment",
               on("staff") if unit in [user_text(x) for x in STAFF_IDS] else off, context=ctx)
        f.case(f"hashed_empty user_id={label(u)}", "hashed_empty", off, context=ctx)
    return f
