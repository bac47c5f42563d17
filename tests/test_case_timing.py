"""Issue 13: steps in time order, reopen/extension/escalation together, and face-to-face response."""

from __future__ import annotations

import pytest

from tests.conftest import refused


# ---------------------------------------------------------------- 响应率 for face-to-face cases


def _response(jiesu) -> float | None:
    return jiesu.json("report", "monthly", "--period", "2026-11")["rates"]["response"]


def test_desk_and_walkin_cases_count_as_responded_at_receipt(jiesu):
    jiesu.new("窗口来访", "--channel", "desk", "--received", "2026-11-02T09:00")
    jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-11-02T10:00")
    hotline = jiesu.new("热线未联系", "--received", "2026-11-02T11:00")
    assert _response(jiesu) == round(2 / 3, 4)
    assert jiesu.json("show", hotline)["responded_at"] is None
    jiesu.ok("contact", hotline, "--at", "2026-11-02T12:00")
    assert _response(jiesu) == 1.0


def test_face_to_face_response_follows_the_same_rule_as_sanshangmen(jiesu, db_path):
    (db_path.parent / "jiesu.toml").write_text('[close]\nface_to_face_channels = ["walkin"]\n', encoding="utf-8")
    desk = jiesu.new("窗口来访", "--channel", "desk", "--received", "2026-11-02T09:00", "--nature", "reasonable")
    walkin = jiesu.new("走访发现", "--channel", "walkin", "--received", "2026-11-02T10:00", "--nature", "reasonable")
    assert jiesu.json("show", walkin)["responded_at"] == "2026-11-02T10:00:00+08:00"
    assert jiesu.json("show", desk)["responded_at"] is None
    assert _response(jiesu) == 0.5
    refused(jiesu("close", desk, "--result", "resolved", "--note", "已修好", "--at", "2026-11-02T11:00"))
    jiesu.ok("close", walkin, "--result", "resolved", "--note", "已修好", "--at", "2026-11-02T11:00")
