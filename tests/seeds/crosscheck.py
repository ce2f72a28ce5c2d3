"""The seeds' own flag logic, run in Python, for tests/seeds_crosscheck.rs.

The classes below are the `FeatureFlags` and `DatabaseFeatureFlags` of
shared/seeds/000_67e2d3bcdfdfa195.txt, kept as close to the seed text as a
runnable program allows. Two deliberate changes, both from the issue:

- bucketing is `shared/spec/bucketing.py` (salt = flag name, the formula of
  the seed's `DatabaseFeatureFlags._bucket`), imported, never copied;
- the percentage test is bucketing.py's `in_rollout` (identical to the
  seed's `bucket < percentage` for 0 < p < 100).

`graduated_rollout` and `SCurveRollout` (the second seed) are reduced to
their pure part: the percentage for a given date or elapsed time, with the
clock passed in instead of read.

Usage: crosscheck.py SPEC_DIR MODE
  MODE flags      line 1: the ruleset (the seeds' configs, verbatim);
                  line 2: the flag keys, in column order;
                  then one line per user: [user_id or null, "0110..."].
  MODE schedules  line 1: the ruleset (one flag per schedule); line 2: the
                  users; then one line per (flag, time): [flag, epoch ms,
                  percentage, "0110..."] with membership per user.
"""
import json
import math
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Any

sys.path.insert(0, sys.argv[1])
import bucketing  # noqa: E402  (shared/spec/bucketing.py)


class FeatureFlags:
    """The seed's in-memory FeatureFlags, bucketing per bucketing.py."""

    def __init__(self, config: dict[str, Any]):
        self._config = config

    def is_enabled(self, flag: str, user_id: str | None = None) -> bool:
        flag_config = self._config.get(flag)

        if flag_config is None:
            return False  # unknown flag -> disabled by default

        if isinstance(flag_config, bool):
            return flag_config

        if isinstance(flag_config, dict):
            return self._evaluate(flag, flag_config, user_id)

        # The second seed's shorthands (its FeatureFlags): a bare list is a
        # user list, a bare number a percentage. The engine documents them as
        # {"users": [...]} and {"percentage": n}, so they go through the same
        # order (users, then percentage when a user id is given, then enabled).
        if isinstance(flag_config, list):
            return self._evaluate(flag, {"users": flag_config}, user_id)
        if isinstance(flag_config, (int, float)):
            return self._evaluate(flag, {"percentage": flag_config}, user_id)

        return False

    def _evaluate(self, flag: str, config: dict, user_id: str | None) -> bool:
        # Whitelist of specific users
        if "users" in config and user_id in config["users"]:
            return True

        # Percentage rollout
        if "percentage" in config and user_id is not None:
            return bucketing.in_rollout(flag, user_id, config["percentage"])

        # Global on/off
        return config.get("enabled", False)


class FeatureFlagRow:
    """A row of the seed's `feature_flags` table (no database needed)."""

    def __init__(self, name, enabled=False, rollout_percentage=None, allowed_users=None):
        self.name = name
        self.enabled = enabled
        self.rollout_percentage = rollout_percentage
        self.allowed_users = allowed_users if allowed_users is not None else []


class DatabaseFeatureFlags:
    """The seed's DatabaseFeatureFlags.is_enabled over in-memory rows."""

    def __init__(self, rows: list[FeatureFlagRow]):
        self._rows = {r.name: r for r in rows}

    def is_enabled(self, flag_name: str, user_id: str | None = None) -> bool:
        flag = self._rows.get(flag_name)
        if flag is None:
            return False

        if flag.allowed_users and user_id in flag.allowed_users:
            return True

        if flag.rollout_percentage is not None and user_id is not None:
            return bucketing.in_rollout(flag_name, user_id, flag.rollout_percentage)

        return flag.enabled

    @staticmethod
    def as_ruleset_entry(row: FeatureFlagRow) -> dict:
        """The row as the engine reads it: the same column names; a NULL
        rollout_percentage is left out (the engine has no null percentage)."""
        out = {"enabled": row.enabled, "allowed_users": row.allowed_users}
        if row.rollout_percentage is not None:
            out["rollout_percentage"] = row.rollout_percentage
        return out


def graduated_rollout_target(schedule: list[tuple[int, float]], start_date: str, today: date) -> float:
    """The seed's graduated_rollout, up to its target_percentage (the part
    that does not write to a database), with `today` passed in."""
    start = date.fromisoformat(start_date)
    days_since_start = (today - start).days

    target_percentage = 0.0
    for day_offset, percentage in sorted(schedule):
        if days_since_start >= day_offset:
            target_percentage = percentage
    return target_percentage


class SCurveRollout:
    """The seed's SCurveRollout, with the start time and `now` passed in."""

    def __init__(self, start_time: datetime, start_percentage: int = 1, end_percentage: int = 100,
                 duration_hours: int = 72):
        self.start_percentage = start_percentage
        self.end_percentage = end_percentage
        self.duration_hours = duration_hours
        self.start_time = start_time

    def get_current_percentage(self, now: datetime) -> int:
        elapsed = (now - self.start_time).total_seconds() / 3600
        if elapsed >= self.duration_hours:
            return self.end_percentage

        progress = elapsed / self.duration_hours
        k = 10  # Steepness factor

        # Logistic function for S-curve
        percentage = self.start_percentage + (
            (self.end_percentage - self.start_percentage) /
            (1 + math.exp(-k * (progress - 0.5)))
        )
        return int(percentage)


def users(n: int) -> list[str]:
    """Unit ids of several shapes: the seeds' `user:N`, dashed, uuid-like,
    e-mail, numeric text, non-ASCII; plus the allowlisted ids and ''."""
    out = ["user:1", "user:42", "user:123", "user-7", "alice@company.com", ""]
    i = 0
    while len(out) < n:
        shape = i % 6
        if shape == 0:
            out.append(f"user:{i}")
        elif shape == 1:
            out.append(f"user-{i * 7919}")
        elif shape == 2:
            out.append(f"{i:08x}-4b1d-{(i * 31) % 65536:04x}-a{i % 1000:03d}-{i * 104729:012x}")
        elif shape == 3:
            out.append(f"person{i}@example.org")
        elif shape == 4:
            out.append(str(1_000_000 + i * 37))
        else:
            out.append(f"üser/{i}/日本")
        i += 1
    return out


SEED_CONFIG = {
    # The seed's own example, verbatim.
    "new_search": {"percentage": 20},
    "dark_mode": {"users": ["user:1", "user:42"]},
    "maintenance": False,
    "new_dashboard": True,
    # Their combinations.
    "users_and_percentage": {"users": ["user:1", "user:42", "user:123"], "percentage": 10},
    "percentage_and_enabled": {"percentage": 30, "enabled": True},
    "percentage_zero_enabled": {"percentage": 0, "enabled": True},
    "percentage_full": {"percentage": 100},
    "percentage_fraction": {"percentage": 12.5},
    "users_percentage_enabled": {"users": ["user-7", "alice@company.com"], "percentage": 5, "enabled": True},
    "users_and_enabled": {"users": ["user:42"], "enabled": True},
    "users_disabled": {"users": ["user:1"], "enabled": False},
    "enabled_only": {"enabled": True},
    "disabled_only": {"enabled": False},
    "empty_object": {},
    "empty_user_list": {"users": [], "percentage": 50},
    # The second seed's bare shapes.
    "bare_list": ["user:1", "user-7", ""],
    "bare_number": 25,
    "bare_number_fraction": 66.6,
    "bare_number_zero": 0,
}

DB_ROWS = [
    FeatureFlagRow("db_new_checkout", enabled=False, rollout_percentage=15.0, allowed_users=["user:1"]),
    FeatureFlagRow("db_enabled_no_rollout", enabled=True),
    FeatureFlagRow("db_disabled_no_rollout", enabled=False, allowed_users=["user:42", "user-7"]),
    FeatureFlagRow("db_rollout_enabled", enabled=True, rollout_percentage=40.0),
    FeatureFlagRow("db_rollout_zero", enabled=True, rollout_percentage=0.0, allowed_users=["user:123"]),
    FeatureFlagRow("db_rollout_full", enabled=False, rollout_percentage=100.0),
    FeatureFlagRow("db_rollout_fraction", enabled=False, rollout_percentage=0.5),
]


def flags_mode() -> None:
    seed = FeatureFlags(SEED_CONFIG)
    db = DatabaseFeatureFlags(DB_ROWS)
    ruleset = {"flags": dict(SEED_CONFIG)}
    for row in DB_ROWS:
        ruleset["flags"][row.name] = DatabaseFeatureFlags.as_ruleset_entry(row)
    keys = list(ruleset["flags"])
    print(json.dumps(ruleset, ensure_ascii=False))
    print(json.dumps(keys))
    for user in [None] + users(10_000):
        bits = "".join(
            "1" if (seed.is_enabled(k, user) if k in SEED_CONFIG else db.is_enabled(k, user)) else "0"
            for k in keys
        )
        print(json.dumps([user, bits], ensure_ascii=False))


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def schedules_mode() -> None:
    utc = timezone.utc
    steps = [(0, 1.0), (3, 5.0), (7, 25.0), (14, 50.0), (21, 100.0)]
    # Not starting at day 0, given out of order (the seed sorts it).
    late = [(9, 60.0), (2, 10.0), (5, 35.5)]
    start_date = "2026-10-01"
    start = datetime(2026, 10, 1, tzinfo=utc)
    s_start = datetime(2026, 11, 20, 6, 0, tzinfo=utc)
    curves = {
        "s_curve_default": SCurveRollout(s_start),
        "s_curve_custom": SCurveRollout(s_start, start_percentage=5, end_percentage=60, duration_hours=24),
    }
    ruleset = {"flags": {
        "steps_seed": {"schedule": {"type": "steps", "start": start_date, "steps": [list(s) for s in steps]}},
        "steps_late": {"schedule": {"type": "steps", "start": start_date, "steps": [list(s) for s in late]}},
        "s_curve_default": {"schedule": {"type": "s_curve", "start": iso(s_start), "duration_hours": 72}},
        "s_curve_custom": {"schedule": {"type": "s_curve", "start": iso(s_start), "duration_hours": 24,
                                        "start_percentage": 5, "end_percentage": 60}},
    }}
    units = users(1_000)
    print(json.dumps(ruleset))
    print(json.dumps(units, ensure_ascii=False))

    def emit(flag: str, at: datetime, pct: float) -> None:
        bits = "".join("1" if bucketing.in_rollout(flag, u, pct) else "0" for u in units)
        ms = int((at - datetime(1970, 1, 1, tzinfo=utc)).total_seconds() * 1000)
        print(json.dumps([flag, ms, pct, bits]))

    # Steps: days -1..25, at midnight, mid-morning and the last minute of each day.
    for flag, sched in (("steps_seed", steps), ("steps_late", late)):
        for day in range(-1, 26):
            for offset in (timedelta(0), timedelta(hours=9, minutes=30), timedelta(hours=23, minutes=59)):
                at = start + timedelta(days=day) + offset
                emit(flag, at, graduated_rollout_target(sched, start_date, at.date()))
    # S-curves: every 20 minutes from the start to past the end.
    for flag, curve in curves.items():
        for step in range(0, 3 * 80 + 1):
            at = s_start + timedelta(minutes=20 * step)
            emit(flag, at, curve.get_current_percentage(at))


if __name__ == "__main__":
    {"flags": flags_mode, "schedules": schedules_mode}[sys.argv[2]]()
