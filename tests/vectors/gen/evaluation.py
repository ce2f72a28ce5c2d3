#!/usr/bin/env python3
"""Writes tests/vectors/evaluation/*.json (format: tests/vectors/README.md).

    python3 tests/vectors/gen/evaluation.py          # (re)write the files
    python3 tests/vectors/gen/evaluation.py --check  # exit 1 if a file differs

Standard library only. The expectations are authored here, from the
documented semantics (docs/ruleset.md and the plan's CONTRACT), as tables of
input -> expected result; bucket membership comes from bucketing.py, a
verbatim copy of shared/spec/bucketing.py. Never fill a table by running
the engine: a disagreement between the engine and a table is a question to
settle (which one is wrong?), not a number to copy.
"""
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import client  # noqa: E402
import common  # noqa: E402
import flags  # noqa: E402
import operators  # noqa: E402
import results  # noqa: E402

BUILDERS = [
    operators.build,
    flags.shorthands,
    flags.targeting,
    flags.segments,
    flags.prerequisites,
    flags.kill_switch,
    flags.rollouts,
    flags.schedules,
    results.typed_defaults,
    results.overrides,
    results.edge_cases,
    client.build,
]


def main():
    check = "--check" in sys.argv[1:]
    out = common.OUT
    if check:
        common.OUT = tempfile.mkdtemp()
    total = 0
    differ = []
    for build in BUILDERS:
        f = build()
        n = f.write()
        total += n
        print(f"{f.name}: {n} cases")
        if check:
            with open(os.path.join(common.OUT, f.name), encoding="utf-8") as a:
                fresh = a.read()
            try:
                with open(os.path.join(out, f.name), encoding="utf-8") as b:
                    committed = b.read()
            except FileNotFoundError:
                committed = None
            if fresh != committed:
                differ.append(f.name)
    names = {b().name for b in BUILDERS} if check else set()
    if check:
        extra = sorted(set(n for n in os.listdir(out) if n.endswith(".json")) - names)
        differ += [f"{n} (not generated)" for n in extra]
    print(f"total: {total} cases")
    if check:
        shutil.rmtree(common.OUT, ignore_errors=True)
    if differ:
        print("out of date: " + ", ".join(differ) + " (run tests/vectors/gen/evaluation.py)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
