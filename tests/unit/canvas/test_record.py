"""The deploy record in a process group's comments: written under the flow's own comments, read back whole or not at all."""

from __future__ import annotations

import pytest

from spotlight_nifi.canvas.record import MARK, DeployRecord, attach, detach

RECORD = DeployRecord("Orders ingest", "dev", "3f2a9c" * 6 + "abcd",
                      "Git flow registry `/srv/flows.git` branch `dev` bucket `spotlight`", "sha256:" + "ab" * 32)


@pytest.mark.parametrize("own", ["", "Orders from Kafka.", "Two lines\nof comments.\n\nAnd a paragraph."])
def test_the_record_reads_back_and_the_flows_comments_stay_first(own: str) -> None:
    comments = attach(own, RECORD)
    assert comments.startswith(own)
    assert detach(comments) == (own, RECORD)


def test_a_new_record_replaces_the_old_one() -> None:
    newer = DeployRecord(**{**RECORD.__dict__, "version": "9" * 40})
    assert detach(attach(detach(attach("Own.", RECORD))[0], newer)) == ("Own.", newer)


@pytest.mark.parametrize("comments", [None, "", "Hand-made group.", f"{MARK}\n\nSpotlight-Flow: Orders ingest\n"])
def test_comments_without_a_whole_record_have_none(comments: str | None) -> None:
    assert detach(comments) == ((comments or "").strip(), None)


def test_describe_names_the_short_version_and_the_environment() -> None:
    assert RECORD.describe() == "version `3f2a9c3f2a9c` from `dev`"
