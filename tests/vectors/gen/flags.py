"""Vector files about whole flags: shorthands, targeting, segments,
prerequisites, the kill switch, rollouts and splits, schedules.

Every expectation follows docs/ruleset.md ("Shorthands from the design
notes", "Evaluation order", "Rules", "Segments", "Weighted splits",
"Schedules", "Bucketing"); rollout membership and split variants come from
bucketing.py (the spec's reference), never from the engine.
"""
from common import MISSING, File, bucket, in_rollout, label, not_near, pick_variant, result, s_curve

DAY = 86_400_000
HOUR = 3_600_000

USERS = [f"user:{i}" for i in range(1, 41)]
UNICODE_UNITS = ["\u30e6\u30fc\u30b6\u30fc", "\U0001F600", "e\u0301", "\u00e9", "", "user 1", "42", "-0"]


def rollout(f, key, salt, pct, units, on=("on", True), off=("off", False), attr="user_id", rule=None,
            extra=None, now=None, prefix=None, served_when_missing=None):
    """Cases of a rollout of `pct` percent: in -> `on`, out -> `off`, SPLIT."""
    for u in units:
        b = bucket(salt, str(u))
        if 0 < pct < 100:
            not_near(pct, b, f"{key} {u}")
        inside = in_rollout(salt, str(u), pct)
        name, value = on if inside else off
        ctx = dict(extra or {})
        ctx[attr] = u
        tag = prefix or key
        f.case(f"{tag} {attr}={label(u)} bucket={b:.4f} {'in' if inside else 'out'}", key,
               result(value, name, "SPLIT", rule), context=ctx, now=now)


def shorthands():
    f = File(
        "shorthands.json",
        "The design notes' flag shapes (docs/ruleset.md, Shorthands): true/false, a bare percentage, a bare "
        "user list, {users}, {percentage}, {enabled}, their combination, the DatabaseFeatureFlags columns "
        "(rollout_percentage, allowed_users) and null fields meaning unset.",
        {"flags": {
            "on": True,
            "off": False,
            "pct20": 20,
            "pct0": 0,
            "pct100": 100,
            "list": ["user:1", "user:42"],
            "numeric_ids": [42, "7"],
            "users_obj": {"users": ["user:1", "user:42"]},
            "pct_obj": {"percentage": 20},
            "enabled_true": {"enabled": True},
            "enabled_false": {"enabled": False},
            "combo_on": {"users": ["user:1"], "percentage": 30, "enabled": True},
            "combo_off": {"users": ["user:1"], "percentage": 30, "enabled": False},
            "db_row": {"allowed_users": ["user:2"], "rollout_percentage": 50, "enabled": True},
            "db_nulls": {"enabled": True, "rollout_percentage": None, "allowed_users": ["user:1"], "owner": None},
        }},
    )
    static_on = result(True, "on", "STATIC")
    static_off = result(False, "off", "STATIC")
    for key, want in [("on", static_on), ("off", static_off), ("enabled_true", static_on),
                      ("enabled_false", static_off)]:
        for ctx_name, ctx in [("no context", None), ("empty context", {}), ("a user", {"user_id": "user:1"}),
                              ("other attributes", {"plan": "pro", "country": "DE"})]:
            f.case(f"{key} {ctx_name}", key, want, context=ctx)
    # A bare number is {"percentage": n}: in -> on, out -> off (SPLIT); no user id -> the default, off.
    for key in ["pct20", "pct_obj"]:
        rollout(f, key, key, 20, USERS[:16])
        f.case(f"{key} without user_id", key, result(False, "off", "DEFAULT"), context={"plan": "pro"})
        f.case(f"{key} user_id null", key, result(False, "off", "DEFAULT"), context={"user_id": None})
    rollout(f, "pct0", "pct0", 0, USERS[:4])
    rollout(f, "pct100", "pct100", 100, USERS[:4])
    f.case("pct100 without user_id", "pct100", result(False, "off", "DEFAULT"))
    # A bare list is {"users": [...]}.
    for key in ["list", "users_obj"]:
        for u in ["user:1", "user:42"]:
            f.case(f"{key} listed {u}", key, result(True, "on", "TARGETING_MATCH", "users"), context={"user_id": u})
        for ctx_name, ctx in [("unlisted user:2", {"user_id": "user:2"}), ("no user", {}),
                              ("case differs", {"user_id": "USER:1"}), ("prefix only", {"user_id": "user:4"})]:
            f.case(f"{key} {ctx_name}", key, result(False, "off", "DEFAULT"), context=ctx)
    # Ids are compared by their string form: 42 and "42" are the same user.
    for u, listed in [(42, True), ("42", True), (42.0, True), (7, True), ("7", True), ("42.5", False), (4, False)]:
        want = result(True, "on", "TARGETING_MATCH", "users") if listed else result(False, "off", "DEFAULT")
        f.case(f"numeric_ids user_id={label(u)}", "numeric_ids", want, context={"user_id": u})
    # users first; then, with a user id, the rollout decides; then enabled.
    for key, enabled in [("combo_on", True), ("combo_off", False)]:
        f.case(f"{key} listed user", key, result(True, "on", "TARGETING_MATCH", "users"), context={"user_id": "user:1"})
        rollout(f, key, key, 30, USERS[1:13])
        f.case(f"{key} no user id", key, result(enabled, "on" if enabled else "off", "DEFAULT"), context={"plan": "x"})
    f.case("db_row allowed user", "db_row", result(True, "on", "TARGETING_MATCH", "users"), context={"user_id": "user:2"})
    rollout(f, "db_row", "db_row", 50, [u for u in USERS[2:14]])
    f.case("db_row no user id", "db_row", result(True, "on", "DEFAULT"))
    # null fields are unset: no rollout, the list, enabled.
    f.case("db_nulls listed", "db_nulls", result(True, "on", "TARGETING_MATCH", "users"), context={"user_id": "user:1"})
    for u in ["user:2", "user:3"]:
        f.case(f"db_nulls unlisted {u}", "db_nulls", result(True, "on", "DEFAULT"), context={"user_id": u})
    return f


def targeting():
    f = File(
        "targeting.json",
        "Evaluation order among user lists, targets and rules (docs/ruleset.md, Evaluation order, Rules): "
        "users, then targets in order, then the first rule whose conditions all hold; rule ids, and the "
        "rules[i] default id; empty conditions; STATIC versus DEFAULT.",
        {"flags": {
            "tiers": {
                "variants": {"on": "ON", "off": "OFF", "gold": "GOLD", "silver": "SILVER"},
                "users": ["u-on"],
                "targets": [
                    {"variant": "gold", "users": ["u-gold", "u-both", 1001]},
                    {"variant": "silver", "users": ["u-silver", "u-both", "u-on"]},
                ],
                "rules": [
                    {"id": "vip", "conditions": [{"attribute": "plan", "op": "eq", "value": "vip"}], "variant": "gold"},
                    {"conditions": [{"attribute": "country", "op": "in", "values": ["US", "CA"]}], "variant": "silver"},
                    {"id": "de-free", "conditions": [
                        {"attribute": "country", "op": "eq", "value": "DE"},
                        {"attribute": "plan", "op": "eq", "value": "free"}], "variant": "on"},
                    {"description": "everyone left with a beta flag",
                     "conditions": [{"attribute": "beta", "op": "eq", "value": True}], "variant": "silver"},
                ],
            },
            "catch_all": {"rules": [{"id": "everyone", "conditions": [], "variant": "on"}]},
            "no_conditions": {"rules": [{"variant": "on"}]},
            "single_variant": {"variants": {"only": "x"}, "default_variant": "only"},
            "string_static": {"variants": {"a": "A", "b": "B"}, "default_variant": "b"},
            "default_targeted": {"variants": {"a": "A", "b": "B"}, "default_variant": "b",
                                 "targets": [{"variant": "a", "users": ["u1"]}]},
            "enabled_with_rules": {"enabled": True, "rules": [
                {"id": "blocked", "conditions": [{"attribute": "country", "op": "eq", "value": "KP"}], "variant": "off"}]},
        }},
    )
    r = lambda v, reason, rule=None: result(v.upper() if v in ("on", "off", "gold", "silver") else v, v, reason, rule)  # noqa: E731
    rows = [
        ("users list", {"user_id": "u-on"}, r("on", "TARGETING_MATCH", "users")),
        ("users list before targets", {"user_id": "u-on", "plan": "vip"}, r("on", "TARGETING_MATCH", "users")),
        ("first target", {"user_id": "u-gold"}, r("gold", "TARGETING_MATCH", "targets[0]")),
        ("numeric target id", {"user_id": 1001}, r("gold", "TARGETING_MATCH", "targets[0]")),
        ("numeric target id as text", {"user_id": "1001"}, r("gold", "TARGETING_MATCH", "targets[0]")),
        ("earlier target wins", {"user_id": "u-both"}, r("gold", "TARGETING_MATCH", "targets[0]")),
        ("second target", {"user_id": "u-silver"}, r("silver", "TARGETING_MATCH", "targets[1]")),
        ("targets before rules", {"user_id": "u-silver", "plan": "vip"}, r("silver", "TARGETING_MATCH", "targets[1]")),
        ("rule vip", {"user_id": "u9", "plan": "vip"}, r("gold", "TARGETING_MATCH", "vip")),
        ("rule vip without user id", {"plan": "vip"}, r("gold", "TARGETING_MATCH", "vip")),
        ("first matching rule wins", {"plan": "vip", "country": "US"}, r("gold", "TARGETING_MATCH", "vip")),
        ("rule without id is rules[1]", {"country": "CA"}, r("silver", "TARGETING_MATCH", "rules[1]")),
        ("all conditions hold", {"country": "DE", "plan": "free"}, r("on", "TARGETING_MATCH", "de-free")),
        ("one condition of two", {"country": "DE", "plan": "pro"}, r("off", "DEFAULT")),
        ("other condition of two", {"plan": "free"}, r("off", "DEFAULT")),
        ("later rule", {"country": "FR", "beta": True}, r("silver", "TARGETING_MATCH", "rules[3]")),
        ("nothing matches", {"user_id": "u9", "country": "FR"}, r("off", "DEFAULT")),
        ("empty context", {}, r("off", "DEFAULT")),
        ("user list needs user_id", {"id": "u-on"}, r("off", "DEFAULT")),
        ("user ids are exact", {"user_id": "U-ON"}, r("off", "DEFAULT")),
    ]
    for name, ctx, want in rows:
        f.case(f"tiers {name}", "tiers", want, context=ctx)
    for ctx_name, ctx in [("empty", {}), ("any user", {"user_id": "x"}), ("attributes", {"plan": "free"})]:
        f.case(f"catch_all {ctx_name}", "catch_all", result(True, "on", "TARGETING_MATCH", "everyone"), context=ctx)
        f.case(f"no_conditions {ctx_name}", "no_conditions", result(True, "on", "TARGETING_MATCH", "rules[0]"), context=ctx)
        f.case(f"single_variant {ctx_name}", "single_variant", result("x", "only", "STATIC"), context=ctx)
        f.case(f"string_static {ctx_name}", "string_static", result("B", "b", "STATIC"), context=ctx)
    f.case("default_targeted target", "default_targeted", result("A", "a", "TARGETING_MATCH", "targets[0]"),
           context={"user_id": "u1"})
    f.case("default_targeted others get DEFAULT", "default_targeted", result("B", "b", "DEFAULT"), context={"user_id": "u2"})
    f.case("enabled_with_rules rule serves off", "enabled_with_rules", result(False, "off", "TARGETING_MATCH", "blocked"),
           context={"country": "KP"})
    f.case("enabled_with_rules default on", "enabled_with_rules", result(True, "on", "DEFAULT"), context={"country": "US"})
    return f


def segments():
    f = File(
        "segments.json",
        "Segments (docs/ruleset.md, Segments): a context is in a segment when its user_id is listed, or when "
        "the segment has conditions and all hold; in_segment / not_in_segment with one name or a list.",
        {
            "segments": {
                "beta": {"users": ["u1", "u2"], "conditions": [{"attribute": "beta", "op": "eq", "value": True}]},
                "staff": {"description": "company addresses, active", "conditions": [
                    {"attribute": "email", "op": "ends_with", "value": "@company.com"},
                    {"attribute": "active", "op": "eq", "value": True}]},
                "listed": {"users": ["u9", 77]},
                "empty": {},
            },
            "flags": {
                "in_beta": {"rules": [{"id": "beta", "conditions": [{"op": "in_segment", "value": "beta"}], "variant": "on"}]},
                "not_beta": {"rules": [{"id": "nb", "conditions": [{"op": "not_in_segment", "value": "beta"}], "variant": "on"}]},
                "in_either": {"rules": [{"id": "any", "conditions": [{"op": "in_segment", "values": ["staff", "listed"]}],
                                         "variant": "on"}]},
                "in_none": {"rules": [{"id": "none", "conditions": [{"op": "not_in_segment", "values": ["staff", "listed"]}],
                                       "variant": "on"}]},
                "in_empty": {"rules": [{"id": "e", "conditions": [{"op": "in_segment", "value": "empty"}], "variant": "on"}]},
                "not_in_empty": {"rules": [{"id": "ne", "conditions": [{"op": "not_in_segment", "value": "empty"}],
                                            "variant": "on"}]},
                "beta_in_us": {"rules": [{"id": "beta-us", "conditions": [
                    {"op": "in_segment", "value": "beta"}, {"attribute": "country", "op": "eq", "value": "US"}],
                    "variant": "on"}]},
            },
        },
    )
    staff = {"email": "a@company.com", "active": True}

    def holds(flag, ctx):
        beta = ctx.get("user_id") in ("u1", "u2") or ctx.get("beta") in (True, "true")
        is_staff = isinstance(ctx.get("email"), str) and ctx["email"].endswith("@company.com") and \
            ctx.get("active") in (True, "true")
        listed = str(ctx.get("user_id")) in ("u9", "77") if ctx.get("user_id") is not None else False
        return {
            "in_beta": beta, "not_beta": not beta, "in_either": is_staff or listed,
            "in_none": not (is_staff or listed), "in_empty": False, "not_in_empty": True,
            "beta_in_us": beta and ctx.get("country") == "US",
        }[flag]

    rule_ids = {"in_beta": "beta", "not_beta": "nb", "in_either": "any", "in_none": "none", "in_empty": "e",
                "not_in_empty": "ne", "beta_in_us": "beta-us"}
    contexts = [
        ("listed u1", {"user_id": "u1"}),
        ("listed u2 in US", {"user_id": "u2", "country": "US"}),
        ("beta attribute", {"user_id": "u5", "beta": True}),
        ("beta attribute as text", {"beta": "true", "country": "US"}),
        ("beta false", {"user_id": "u5", "beta": False}),
        ("staff", dict(staff, user_id="u5")),
        ("staff inactive", {"email": "a@company.com", "active": False}),
        ("staff without active", {"email": "a@company.com"}),
        ("listed u9", {"user_id": "u9"}),
        ("listed numeric 77", {"user_id": 77}),
        ("listed 77 as text", {"user_id": "77"}),
        ("nobody", {"user_id": "u5"}),
        ("empty context", {}),
    ]
    for flag in rule_ids:
        for name, ctx in contexts:
            want = (result(True, "on", "TARGETING_MATCH", rule_ids[flag]) if holds(flag, ctx)
                    else result(False, "off", "DEFAULT"))
            f.case(f"{flag} {name}", flag, want, context=ctx)
    return f


def prerequisites():
    f = File(
        "prerequisites.json",
        "Prerequisites (docs/ruleset.md, A flag, Evaluation order): evaluated after the kill switch, in "
        "order; a flag serving none of the required variants (default on) fails its dependent, which serves "
        "its off variant, PREREQUISITE_FAILED, ruleId = the prerequisite's key. Chains fail through.",
        {"flags": {
            "base": {"users": ["u1", "u2"]},
            "killed_base": {"killed": True, "enabled": True},
            "color": {"variants": {"red": "red", "green": "green", "blue": "blue"}, "default_variant": "blue",
                      "targets": [{"variant": "red", "users": ["u1"]}, {"variant": "green", "users": ["u3"]}]},
            "needs_base": {"enabled": True, "prerequisites": [{"flag": "base"}]},
            "needs_base_off": {"enabled": True, "prerequisites": [{"flag": "base", "variant": "off"}]},
            "needs_warm": {"variants": {"yes": "Y", "no": "N"}, "default_variant": "yes", "off_variant": "no",
                           "prerequisites": [{"flag": "color", "variants": ["red", "green"]}]},
            "needs_killed": {"enabled": True, "prerequisites": [{"flag": "killed_base", "variant": "off"}]},
            "needs_killed_on": {"enabled": True, "prerequisites": [{"flag": "killed_base"}]},
            "two": {"enabled": True, "prerequisites": [{"flag": "base"}, {"flag": "color", "variant": "red"}]},
            "chain1": {"enabled": True, "prerequisites": [{"flag": "base"}]},
            "chain2": {"enabled": True, "prerequisites": [{"flag": "chain1"}]},
            "chain3": {"variants": {"on": 1, "off": 0}, "default_variant": "on", "prerequisites": [{"flag": "chain2"}],
                       "rules": [{"id": "pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}],
                                  "variant": "off"}]},
            "gated_users": {"users": ["u2", "u3"], "prerequisites": [{"flag": "base"}]},
            "killed_gated": {"killed": True, "enabled": True, "prerequisites": [{"flag": "base"}]},
            "half": {"percentage": 50},
            "needs_half": {"variants": {"yes": "Y", "no": "N"}, "default_variant": "yes", "off_variant": "no",
                           "prerequisites": [{"flag": "half"}]},
        }},
    )
    # What each flag serves: base on for u1,u2; color red u1, green u3, else blue.
    def base(u):
        return u in ("u1", "u2")

    def color(u):
        return {"u1": "red", "u3": "green"}.get(u, "blue")

    on, off = result(True, "on", "DEFAULT"), lambda pre: result(False, "off", "PREREQUISITE_FAILED", pre)  # noqa: E731
    for u in ["u1", "u2", "u3", "u4", None]:
        ctx = {} if u is None else {"user_id": u}
        who = u or "no user"
        f.case(f"needs_base {who}", "needs_base", on if base(u) else off("base"), context=ctx)
        f.case(f"needs_base_off {who}", "needs_base_off", off("base") if base(u) else on, context=ctx)
        f.case(f"needs_warm {who}", "needs_warm", result("Y", "yes", "DEFAULT") if color(u) in ("red", "green")
               else result("N", "no", "PREREQUISITE_FAILED", "color"), context=ctx)
        f.case(f"needs_killed {who}", "needs_killed", on, context=ctx)
        f.case(f"needs_killed_on {who}", "needs_killed_on", off("killed_base"), context=ctx)
        if not base(u):
            want = off("base")
        elif color(u) != "red":
            want = off("color")
        else:
            want = on
        f.case(f"two {who}", "two", want, context=ctx)
        f.case(f"chain1 {who}", "chain1", on if base(u) else off("base"), context=ctx)
        f.case(f"chain2 {who}", "chain2", on if base(u) else off("chain1"), context=ctx)
        f.case(f"chain3 {who}", "chain3", result(1, "on", "DEFAULT") if base(u)
               else result(0, "off", "PREREQUISITE_FAILED", "chain2"), context=ctx)
        if base(u):
            gated = result(True, "on", "TARGETING_MATCH", "users") if u == "u2" else result(False, "off", "DEFAULT")
        else:
            gated = off("base")
        f.case(f"gated_users {who}", "gated_users", gated, context=ctx)
        f.case(f"killed_gated {who}", "killed_gated", result(False, "off", "DISABLED"), context=ctx)
    # A prerequisite on a rollout: met for the units inside it (bucketed with the prerequisite's own key).
    for u in USERS[:12]:
        b = bucket("half", u)
        not_near(50, b, u)
        inside = in_rollout("half", u, 50)
        want = result("Y", "yes", "DEFAULT") if inside else result("N", "no", "PREREQUISITE_FAILED", "half")
        f.case(f"needs_half {u} bucket={b:.4f}", "needs_half", want, context={"user_id": u})
    f.case("needs_half no user id", "needs_half", result("N", "no", "PREREQUISITE_FAILED", "half"))
    f.case("chain3 met, own rule", "chain3", result(0, "off", "TARGETING_MATCH", "pro"), context={"user_id": "u1", "plan": "pro"})
    f.case("chain3 failed before own rule", "chain3", result(0, "off", "PREREQUISITE_FAILED", "chain2"),
           context={"user_id": "u3", "plan": "pro"})
    return f


def kill_switch():
    f = File(
        "kill_switch.json",
        "The kill switch (docs/ruleset.md, A flag): killed serves the off variant to everyone before anything "
        "else, reason DISABLED, no ruleId; the off variant is off_variant, else the variant named off, else "
        "the default variant.",
        {"flags": {
            "full": {"variants": {"new": "n", "old": "o", "safe": "s"}, "default_variant": "new", "off_variant": "safe",
                     "killed": True, "targets": [{"variant": "new", "users": ["u1"]}],
                     "rules": [{"id": "all", "variant": "new"}], "split": [["new", 50], ["old", 50]]},
            "bool_killed": {"killed": True, "enabled": True, "users": ["u1"], "percentage": 100},
            "no_off_variant": {"variants": {"a": 1, "b": 2}, "default_variant": "b", "killed": True,
                               "rules": [{"id": "r", "variant": "a"}]},
            "named_off": {"variants": {"on": "yes", "off": "no", "maybe": "?"}, "default_variant": "maybe", "killed": True},
            "not_killed": {"variants": {"on": "yes", "off": "no"}, "default_variant": "on", "killed": False},
            "killed_null": {"enabled": True, "killed": None},
            "json_killed": {"variants": {"cfg": {"mode": "fast"}, "off": None}, "default_variant": "cfg", "killed": True},
        }},
    )
    contexts = [("u1", {"user_id": "u1"}), ("u2", {"user_id": "u2"}), ("empty", {}),
                ("attributes", {"plan": "pro", "country": "US"})]
    for name, ctx in contexts:
        f.case(f"full {name}", "full", result("s", "safe", "DISABLED"), context=ctx)
        f.case(f"bool_killed {name}", "bool_killed", result(False, "off", "DISABLED"), context=ctx)
        f.case(f"no_off_variant {name}", "no_off_variant", result(2, "b", "DISABLED"), context=ctx)
        f.case(f"named_off {name}", "named_off", result("no", "off", "DISABLED"), context=ctx)
        f.case(f"not_killed {name}", "not_killed", result("yes", "on", "STATIC"), context=ctx)
        f.case(f"killed_null {name}", "killed_null", result(True, "on", "STATIC"), context=ctx)
        f.case(f"json_killed {name}", "json_killed", result(None, "off", "DISABLED"), context=ctx)
    return f


def rollouts():
    flags = {
        "roll25": {"percentage": 25},
        "roll_fraction": {"percentage": 33.3},
        "custom_variant": {"variants": {"old": "v1", "new": "v2"}, "default_variant": "old", "percentage": 50,
                           "rollout_variant": "new"},
        "custom_off": {"variants": {"on": "ON", "off": "OFF", "fallback": "FB"}, "default_variant": "on",
                       "off_variant": "fallback", "percentage": 40},
        "split3": {"variants": {"control": "c", "variant_a": "a", "variant_b": "b"}, "default_variant": "control",
                   "split": [{"variant": "control", "weight": 50}, {"variant": "variant_a", "weight": 25},
                             {"variant": "variant_b", "weight": 25}]},
        "split_pairs": {"variants": {"x": 1, "y": 2, "z": 3}, "default_variant": "x",
                        "split": [["z", 10], ["y", 30], ["x", 60]]},
        "split_zero": {"variants": {"a": "A", "b": "B"}, "default_variant": "a", "split": [["a", 0], ["b", 100]]},
        # Weights may miss 100 by 0.1 (docs); a bucket at or past their sum takes the last variant.
        "split_thirds": {"variants": {"a": "A", "b": "B", "c": "C"}, "default_variant": "a",
                         "split": [["a", 33.3], ["b", 33.3], ["c", 33.3]]},
        "by_tenant": {"bucket_by": "tenant_id", "percentage": 50},
        "split_tenant": {"variants": {"blue": "blue", "green": "green"}, "default_variant": "blue",
                         "bucket_by": "tenant_id", "split": [["blue", 50], ["green", 50]]},
        "salted_a": {"salt": "shared-salt", "percentage": 50},
        "salted_b": {"salt": "shared-salt", "percentage": 50},
        "rule_rollout": {"variants": {"on": "ON", "off": "OFF", "gold": "GOLD"}, "default_variant": "off",
                         "rules": [
                             {"id": "half-pro", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}],
                              "percentage": 50, "variant": "gold"},
                             {"id": "pro-rest", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}],
                              "variant": "on"}]},
        "rule_split": {"variants": {"a": "A", "b": "B", "c": "C"}, "default_variant": "c",
                       "rules": [{"id": "exp", "conditions": [{"attribute": "country", "op": "in", "values": ["US"]}],
                                  "split": [["a", 50], ["b", 50]]}],
                       "percentage": 100, "rollout_variant": "b"},
        "unicode_units": {"percentage": 50},
        # A guarded rollout plan (docs/rollouts.md) changes nothing in evaluation: the flag serves its
        # percentage. Paused, so a Worker's guard leaves it as it is.
        "guarded": {"variants": {"v1": "v1", "v2": "v2"}, "default_variant": "v1", "off_variant": "v1",
                    "rollout_variant": "v2", "percentage": 10,
                    "rollout": {"steps": [1, 10, 50, 100], "min_minutes": 5, "min_requests": 100,
                                "guards": [{"metric": "error_rate", "max": 0.01},
                                           {"metric": "latency", "percentile": 99, "max_ms": 500}],
                                "on_breach": "rollback", "webhook": "https://hooks.example/guard",
                                "status": "paused", "since": "2026-11-30T10:00:00Z"}},
    }
    f = File(
        "rollouts.json",
        "Percentage rollouts and weighted splits (docs/ruleset.md, Bucketing, Weighted splits; "
        "shared/spec/bucketing.md): flag-level and in rules, rollout_variant, off_variant, bucket_by, salt, "
        "numeric and non-ASCII units, contexts without the bucketing attribute (never bucketed: the "
        "rollout is skipped), and a flag with a guarded rollout plan (served as its percentage). Memberships "
        "computed with bucketing.py.",
        {"flags": flags},
    )
    rollout(f, "roll25", "roll25", 25, USERS[:30])
    f.case("roll25 no user id", "roll25", result(False, "off", "DEFAULT"), context={"tenant_id": "t1"})
    rollout(f, "roll_fraction", "roll_fraction", 33.3, USERS[:16])
    rollout(f, "custom_variant", "custom_variant", 50, USERS[:12], on=("new", "v2"), off=("old", "v1"))
    f.case("custom_variant no user id", "custom_variant", result("v1", "old", "DEFAULT"))
    rollout(f, "custom_off", "custom_off", 40, USERS[:12], on=("on", "ON"), off=("fallback", "FB"))
    f.case("custom_off no user id", "custom_off", result("ON", "on", "DEFAULT"))
    # Splits: the first variant whose running total exceeds the bucket.
    values = {"split3": {"control": "c", "variant_a": "a", "variant_b": "b"}, "split_pairs": {"x": 1, "y": 2, "z": 3},
              "split_zero": {"a": "A", "b": "B"}}
    weights = {"split3": [("control", 50), ("variant_a", 25), ("variant_b", 25)],
               "split_pairs": [("z", 10), ("y", 30), ("x", 60)], "split_zero": [("a", 0), ("b", 100)]}
    values["split_thirds"] = {"a": "A", "b": "B", "c": "C"}
    weights["split_thirds"] = [("a", 33.3), ("b", 33.3), ("c", 33.3)]
    # Units with buckets at or past 99.9, the sum of split_thirds' weights.
    past = [u for u in (f"p{i}" for i in range(20000)) if bucket("split_thirds", u) >= 99.9][:2]
    assert len(past) == 2
    for key, units in [("split3", USERS[:30]), ("split_pairs", USERS[:20]), ("split_zero", USERS[:6]),
                       ("split_thirds", USERS[:10] + past)]:
        for u in units:
            v = pick_variant(key, u, weights[key])
            f.case(f"{key} {u} bucket={bucket(key, u):.4f}", key, result(values[key][v], v, "SPLIT"),
                   context={"user_id": u})
    f.case("split3 no user id", "split3", result("c", "control", "DEFAULT"))
    # bucket_by: the tenant is the unit; user_id plays no part.
    tenants = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", 1234, "1234", 1.5]
    rollout(f, "by_tenant", "by_tenant", 50, tenants, attr="tenant_id", extra={"user_id": "user:1"})
    for t in tenants[:8]:
        v = pick_variant("split_tenant", str(t), [("blue", 50), ("green", 50)])
        f.case(f"split_tenant tenant_id={label(t)}", "split_tenant", result(v, v, "SPLIT"), context={"tenant_id": t})
    for name, ctx in [("only user_id", {"user_id": "user:1"}), ("tenant_id null", {"tenant_id": None}),
                      ("tenant_id list", {"tenant_id": ["t1"]}), ("tenant_id object", {"tenant_id": {"id": "t1"}})]:
        f.case(f"by_tenant {name}", "by_tenant", result(False, "off", "DEFAULT"), context=ctx)
        f.case(f"split_tenant {name}", "split_tenant", result("blue", "blue", "DEFAULT"), context=ctx)
    # salt: two flags with one salt put every unit on the same side.
    for key in ["salted_a", "salted_b"]:
        rollout(f, key, "shared-salt", 50, USERS[:10])
    # Rules: a rollout among matching users; out -> the off variant with the rule's id.
    for u in USERS[:14]:
        inside = in_rollout("rule_rollout", u, 50)
        not_near(50, bucket("rule_rollout", u), u)
        want = result("GOLD", "gold", "SPLIT", "half-pro") if inside else result("OFF", "off", "SPLIT", "half-pro")
        f.case(f"rule_rollout pro {u} {'in' if inside else 'out'}", "rule_rollout", want,
               context={"user_id": u, "plan": "pro"})
    f.case("rule_rollout free user", "rule_rollout", result("OFF", "off", "DEFAULT"), context={"user_id": "user:1"})
    f.case("rule_rollout pro without user id goes to the next rule", "rule_rollout",
           result("ON", "on", "TARGETING_MATCH", "pro-rest"), context={"plan": "pro"})
    for u in USERS[:10]:
        v = pick_variant("rule_split", u, [("a", 50), ("b", 50)])
        f.case(f"rule_split US {u}", "rule_split", result(v.upper(), v, "SPLIT", "exp"),
               context={"user_id": u, "country": "US"})
    f.case("rule_split other country: flag-level rollout", "rule_split", result("B", "b", "SPLIT"),
           context={"user_id": "user:1", "country": "FR"})
    f.case("rule_split US without user id: default", "rule_split", result("C", "c", "DEFAULT"), context={"country": "US"})
    # Units are UTF-8 strings: non-ASCII, astral, combining, empty, numeric text.
    rollout(f, "unicode_units", "unicode_units", 50, UNICODE_UNITS)
    rollout(f, "guarded", "guarded", 10, USERS[:16], on=("v2", "v2"), off=("v1", "v1"))
    return f


def schedules():
    start = 1790812800000  # 2026-10-01T00:00:00Z
    steps = [[0, 1], [3, 5], [7, 25], [14, 50], [21, 100]]
    flags = {
        "steps": {"schedule": {"type": "steps", "start": "2026-10-01T00:00:00Z", "steps": steps}},
        "steps_objects": {"schedule": {"start": start, "steps": [{"day": 0, "percentage": 0},
                                                                 {"day": 2, "percentage": 10},
                                                                 {"day": 5, "percentage": 60}]}},
        "linear": {"schedule": {"type": "linear", "start": "2026-10-01T00:00:00Z", "duration_hours": 100}},
        "linear_range": {"schedule": {"type": "linear", "start": "2026-10-01T00:00:00Z", "duration_hours": 100,
                                      "start_percentage": 10, "end_percentage": 60}},
        "linear_down": {"schedule": {"type": "linear", "start": "2026-10-01", "duration_hours": 100,
                                     "start_percentage": 60, "end_percentage": 10}},
        "s_curve": {"schedule": {"type": "s_curve", "start": "2026-10-01T00:00:00Z", "duration_hours": 72}},
        "s_curve_steep": {"schedule": {"type": "s_curve", "start": "2026-10-01T00:00:00Z", "duration_hours": 10,
                                       "start_percentage": 0, "end_percentage": 80, "steepness": 4}},
        "rule_schedule": {"variants": {"on": "ON", "off": "OFF", "beta": "BETA"}, "default_variant": "off",
                          "rules": [{"id": "ramp", "conditions": [{"attribute": "plan", "op": "eq", "value": "pro"}],
                                     "schedule": {"type": "linear", "start": "2026-10-01T00:00:00Z",
                                                  "duration_hours": 100}, "variant": "beta"}]},
    }
    f = File(
        "schedules.json",
        "Schedules (docs/ruleset.md, Schedules): steps, linear and S-curve rollouts whose percentage follows "
        "the evaluation time `now` (before the start: 0 %; after the end: the end percentage). "
        "2026-10-01T00:00:00Z = 1790812800000.",
        {"flags": flags},
    )
    # Pick units spread over the bucket range, so every step tells in from out.
    pool = [f"u{i}" for i in range(200)]

    def spread(key, n=8):
        ranked = sorted(pool, key=lambda u: bucket(key, u))
        return [ranked[(i * len(ranked)) // n + 3] for i in range(n)]

    def at(key, pct_at, times):
        units = spread(key)
        for tname, now in times:
            p = pct_at(now)
            rollout(f, key, key, p, units, now=now, prefix=f"{key} {tname} ({p:g}%)")

    def step_pct(now):
        if now < start:
            return 0
        pct = 0
        for day, p in steps:
            if now - start >= day * DAY:
                pct = p
        return pct

    at("steps", step_pct, [("before start", start - 1), ("at start", start), ("day 2.9", start + 2 * DAY + 21 * HOUR),
                           ("day 3", start + 3 * DAY), ("day 10", start + 10 * DAY), ("day 14", start + 14 * DAY),
                           ("day 21", start + 21 * DAY), ("a year on", start + 365 * DAY)])

    def step_obj_pct(now):
        if now < start:
            return 0
        d = (now - start) / DAY
        return 60 if d >= 5 else 10 if d >= 2 else 0

    at("steps_objects", step_obj_pct, [("before", start - DAY), ("day 1", start + DAY), ("day 2", start + 2 * DAY),
                                       ("day 5", start + 5 * DAY)])

    def linear(lo, hi, hours):
        def pct(now):
            if now < start:
                return 0
            if now - start >= hours * HOUR:
                return hi
            return lo + (hi - lo) * ((now - start) / (hours * HOUR))
        return pct

    times = [("before", start - HOUR), ("at start", start), ("25h", start + 25 * HOUR), ("50h", start + 50 * HOUR),
             ("80h", start + 80 * HOUR), ("end", start + 100 * HOUR), ("after", start + 1000 * HOUR)]
    at("linear", linear(0, 100, 100), times)
    at("linear_range", linear(10, 60, 100), times)
    at("linear_down", linear(60, 10, 100), [t for t in times if t[0] in ("before", "at start", "50h", "after")])

    def scurve(lo, hi, steep, hours):
        def pct(now):
            if now < start:
                return 0
            if now - start >= hours * HOUR:
                return hi
            return s_curve(lo, hi, steep, (now - start) / (hours * HOUR))
        return pct

    at("s_curve", scurve(1, 100, 10, 72), [("before", start - 1), ("at start", start), ("18h", start + 18 * HOUR),
                                           ("36h", start + 36 * HOUR), ("54h", start + 54 * HOUR),
                                           ("72h", start + 72 * HOUR)])
    at("s_curve_steep", scurve(0, 80, 4, 10), [("2h", start + 2 * HOUR), ("6h", start + 6 * HOUR),
                                               ("9h", start + 9 * HOUR), ("after", start + 11 * HOUR)])
    # In a rule: among pro users, the rollout follows time; out -> off with the rule id.
    units = spread("rule_schedule", 6)
    for tname, now in [("before", start - 1), ("50h", start + 50 * HOUR), ("after", start + 200 * HOUR)]:
        p = linear(0, 100, 100)(now)
        for u in units:
            b = bucket("rule_schedule", u)
            not_near(p, b, u) if 0 < p < 100 else None
            inside = in_rollout("rule_schedule", u, p)
            want = result("BETA", "beta", "SPLIT", "ramp") if inside else result("OFF", "off", "SPLIT", "ramp")
            f.case(f"rule_schedule {tname} {u} {'in' if inside else 'out'}", "rule_schedule", want,
                   context={"user_id": u, "plan": "pro"}, now=now)
        f.case(f"rule_schedule {tname} free plan", "rule_schedule", result("OFF", "off", "DEFAULT"),
               context={"user_id": units[0], "plan": "free"}, now=now)
    f.case("linear no user id mid-way", "linear", result(False, "off", "DEFAULT"), now=start + 50 * HOUR)
    return f
