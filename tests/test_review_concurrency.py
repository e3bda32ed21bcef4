"""The decisions store under concurrent use by real processes: two writers at once, a writer
killed mid-write (kill -9), two reviewers undoing the same decision."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reconkit.review.store import Decision, DecisionStore

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # real processes (about 40 s in all)


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} never appeared")
        time.sleep(0.02)


WRITER = """
import sys, time
from pathlib import Path
from reconkit.review.store import DecisionStore
store, go, user, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with DecisionStore(store, timeout=30) as s:
    Path(str(go) + "." + user).touch()
    while not go.exists():
        time.sleep(0.01)
    for i in range(n):
        s.record("confirm", user=user, match_id=f"M-{user}-{i}",
                 teach=[("bank", f"IBAN-{user}-{i}", "billing", "cus_X")])
print("done")
"""


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    store, go = tmp_path / "d.sqlite", tmp_path / "go"
    DecisionStore(store).close()
    procs = [_spawn(WRITER, str(store), str(go), user, "60") for user in ("ana", "bob")]
    for user in ("ana", "bob"):
        _wait_for(Path(f"{go}.{user}"))
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "done", err
    with DecisionStore(store) as s:
        h = s.history()
        assert h.height == 120
        assert h["decision_id"].to_list() == list(range(1, 121))
        assert sorted(h.group_by("user").len().rows()) == [("ana", 60), ("bob", 60)]
        assert s.alias_log()["learned_from"].sort().to_list() == list(range(1, 121))
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


KILLED = """
import sys
from pathlib import Path
from reconkit.review.store import Decision, DecisionStore
store, started = Path(sys.argv[1]), Path(sys.argv[2])
with DecisionStore(store, timeout=30) as s:
    k = 0
    while True:
        s.bulk([Decision("confirm", match_id=f"M-{k}-{i}",
                         teach=(("bank", f"IBAN-{k}-{i}", "billing", "cus_X"),))
                for i in range(25)], user="ana")
        k += 1
        if k == 3:
            started.touch()
"""


@pytest.mark.parametrize("delay", [0.05, 0.4])
def test_writer_killed_mid_write_leaves_a_consistent_store(tmp_path: Path,
                                                           delay: float) -> None:
    store, started = tmp_path / "d.sqlite", tmp_path / "started"
    proc = _spawn(KILLED, str(store), str(started))
    _wait_for(started)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with DecisionStore(store) as s:  # reopens (WAL recovery), and writes again
        h = s.history()
        assert h.height >= 75 and h.height % 25 == 0  # whole transactions only
        assert s.alias_log().height == h.height  # no decision without what it taught
        assert s.record("note", user="bob", exception_id="E-1",
                        payload={"note": "after the crash"}) == h["decision_id"].max() + 1


UNDO = """
import sys, time
from pathlib import Path
from reconkit.errors import ReconkitError
from reconkit.review.store import DecisionStore
store, go, user = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with DecisionStore(store, timeout=30) as s:
    Path(str(go) + "." + user).touch()
    while not go.exists():
        pass
    try:
        undone = s.undo(1, user)
        print("undone", undone["user"])
    except ReconkitError as exc:
        print("refused", exc.message)
"""


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_undo_of_one_decision_succeeds_exactly_once(tmp_path: Path,
                                                               round_: int) -> None:
    store, go = tmp_path / "d.sqlite", tmp_path / "go"
    with DecisionStore(store) as s:
        s.bulk([Decision("confirm", match_id="M-a",
                         teach=(("bank", "IBAN", "billing", "cus_A"),))], user="ana")
    users = ["bob", "carol", "dan"]
    procs = [_spawn(UNDO, str(store), str(go), u) for u in users]
    for u in users:
        _wait_for(Path(f"{go}.{u}"))
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        outs.append(out.strip())
    assert sorted(o.split()[0] for o in outs) == ["refused", "refused", "undone"]
    assert all("already undone" in o for o in outs if o.startswith("refused"))
    with DecisionStore(store) as s:
        h = s.history().row(0, named=True)
        winner = users[[o.startswith("undone") for o in outs].index(True)]
        assert (h["user"], h["undone_by"]) == ("ana", winner)
        assert s.aliases().height == 0
