"""Timings recorder: consecutive steps, progress wrapping, the printed table."""

from __future__ import annotations

from reconkit.timings import StepTiming, Timings, peak_rss_mb, start


def _clock(*ticks: float):  # type: ignore[no-untyped-def]
    it = iter(ticks)
    return lambda: next(it)


def test_steps_follow_each_other_and_stop_closes_the_last() -> None:
    t = Timings(clock=_clock(0.0, 1.5, 4.0, 4.25), cpu_clock=_clock(0.0, 3.0, 3.5, 3.5))
    t.start("load crm")
    t.start("validation")
    start(t, "rule A")
    t.stop()
    assert [(e.step, e.seconds, e.cpu_seconds) for e in t.events] == [
        ("load crm", 1.5, 3.0), ("validation", 2.5, 0.5), ("rule A", 0.25, 0.0)]
    assert t.total_seconds == 4.25
    assert all(isinstance(e, StepTiming) and e.peak_rss_mb > 0 for e in t.events)


def test_wrap_starts_a_step_per_progress_message_and_forwards_it() -> None:
    seen: list[str] = []
    t = Timings(clock=_clock(*range(10)), cpu_clock=_clock(*range(10)))
    say = t.wrap(seen.append)
    say("resolving parties")
    say("rule PAY-REF-EXACT")
    t.stop()
    assert seen == ["resolving parties", "rule PAY-REF-EXACT"]
    assert [(e.step, e.seconds) for e in t.events] == [
        ("resolving parties", 1), ("rule PAY-REF-EXACT", 1)]


def test_start_without_a_recorder_does_nothing() -> None:
    start(None, "anything")


def test_table_lists_each_step_and_the_total() -> None:
    t = Timings(clock=_clock(0.0, 2.0, 3.5), cpu_clock=_clock(0.0, 1.0, 4.0))
    t.start("load billing (stripe)")
    t.start("write result")
    t.stop()
    lines = t.table().splitlines()
    assert lines[0].split() == ["step", "seconds", "cpu", "s", "peak", "RSS", "MB"]
    assert lines[1].split()[:5] == ["load", "billing", "(stripe)", "2.00", "1.00"]
    assert lines[2].split()[:4] == ["write", "result", "1.50", "3.00"]
    assert lines[3].split()[:3] == ["total", "3.50", "4.00"]
    assert peak_rss_mb() >= float(lines[1].split()[-1]) - 1  # the table rounds to MB
