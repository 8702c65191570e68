"""The reminder rules over a year: ``plan()`` for a 2,000-person org (10 reports per manager,
5 PBPs, 0–3 random conversations each), once a day for a whole fiscal year, every nudge recorded.

Prints the total and the worst day's planning time, the messages planned and the size of the sent
log. Pure: no sandbox, no files. ``python bench/nudges_year.py [--people 2000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, datetime, timedelta, timezone

from careerdocs.cadence import Conversation, ConversationType, fiscal_year
from careerdocs.nudges import Policy, SentLog, plan, state_for
from careerdocs.roster import Person, Roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    count = parser.parse_args().people
    rng = random.Random(7)
    fy = fiscal_year(date(2026, 6, 1), 2)
    people = []
    for i in range(count):
        manager = f"p{(i - 1) // 10}@example.com" if i else None
        start = fy.start - timedelta(days=rng.randint(-200, 2000))
        people.append(
            Person(
                f"p{i}@example.com",
                f"Person {i}",
                manager,
                start,
                pbp_email=f"pbp{i % 5}@example.com",
            )
        )
    roster = Roster(tuple(people))
    talks = {
        p.email: [
            Conversation(
                2 + k,
                fy.start + timedelta(days=rng.randint(0, 364)),
                "Manager",
                rng.choice(list(ConversationType)),
                "",
                rng.random() < 0.7,
                rng.random() < 0.03,
            )
            for k in range(rng.randint(0, 3))
        ]
        for p in people
    }
    log, policy, sent, worst, total = SentLog(), Policy(), 0, 0.0, 0.0
    day = fy.start
    while day <= fy.end:
        states = [
            state_for(p, [c for c in talks[p.email] if c.date <= day], fy=fy, today=day)
            for p in people
        ]
        started = time.perf_counter()
        nudges = plan(states, roster, fy, day, policy, log)
        elapsed = time.perf_counter() - started
        worst, total = max(worst, elapsed), total + elapsed
        for nudge in nudges:
            log.add(nudge, datetime.combine(day, datetime.min.time(), timezone.utc))
        sent += len(nudges)
        day += timedelta(days=1)
    size = len(json.dumps(log.to_json())) / 1e6
    print(
        f"{count} people, {(fy.end - fy.start).days + 1} daily plans: total {total:.2f} s, "
        f"worst day {worst * 1000:.0f} ms, {sent} messages, sent log {size:.1f} MB JSON"
    )


if __name__ == "__main__":
    main()
