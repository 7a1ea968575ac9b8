"""Hostile traffic against the demo on 127.0.0.1: can one visitor take the Space down?

    python -m bench.hostile                                   # the app under this interpreter
    python -m bench.hostile --python .venv-demo/bin/python    # the Space's environment
    python -m bench.hostile --python VENV/bin/python --app-dir COPY   # a copy of demo/

Starts `python app.py` on a free loopback port, replays the attacks of issues 10 and 20 and others
one request at a time, and reads a good drawing after (tests/support/hostile.py, which
tests/test_demo_hostile.py holds to the same targets). Prints each attack's status
codes and slowest reply, the server's memory and disk use before and after, the log's
refusals and tracebacks, and the targets missed; exits with status 1 if any is.
"""

from __future__ import annotations

import sys
from collections import Counter

from bench import harness
from tests.support.hostile import (
    GOOD_DIGIT,
    MAX_DISK_GROWTH_MB,
    MAX_GROWTH_MB,
    MB,
    SETTLE_S,
    HostileReport,
    visit,
)


def hostile(report: HostileReport) -> harness.Table:
    """Each attack's replies, then the memory, the log and the good drawings."""
    table = harness.Table("", ["attack", "source", "n", "statuses", "slowest s"])
    for attack in report.attacks:
        counts = Counter(reply.status or "none" for reply in attack.replies)
        statuses = ",".join(
            f"{status}" if len(counts) == 1 else f"{status}x{n}"
            for status, n in sorted(counts.items(), key=lambda item: str(item[0]))
        )
        slowest = max(reply.seconds for reply in attack.replies)
        table.add(attack.name, attack.source, len(attack.replies), statuses, f"{slowest:.3f}")
    before, after = report.memory_before, report.memory_after
    from_issues = sum(attack.source.startswith("issue") for attack in report.attacks)
    problems = report.problems()
    table.notes += [
        "",
        f"{report.requests} hostile requests ({from_issues} kinds from issues 10 and 20, "
        f"{len(report.attacks) - from_issues} others)",
        f"server memory: {before['VmRSS']:.0f} MB before, {after['VmRSS']:.0f} MB after "
        f"({report.growth_mb:+.0f} MB; target at most +{MAX_GROWTH_MB}); "
        f"peak {after['VmHWM']:.0f} MB",
        f"app's disk use: {report.disk_before / MB:.1f} MB before, peak "
        f"{report.disk_peak / MB:.1f} MB (target at most +{MAX_DISK_GROWTH_MB} MB), "
        f"{report.disk_after / MB:.1f} MB {report.settled_s:.0f} s after the attacks "
        f"(target: back to where it was within {SETTLE_S} s)",
        f"server log: {report.refusals} one-line refusals, {report.tracebacks} tracebacks",
        f"good drawing of a {GOOD_DIGIT}: before {report.warm_label!r}; "
        f"after: {report.labels_after}",
        *(f"MISSED: {problem}" for problem in problems),
        "all targets met" if not problems else f"{len(problems)} targets missed",
    ]
    return table


def main() -> None:
    args = harness.parser(__doc__, "python", "app_dir").parse_args()
    report = visit(args.python, args.app_dir)
    harness.show(hostile(report))
    sys.exit(1 if report.problems() else 0)


if __name__ == "__main__":
    main()
