"""Automatic layout: sources on top, sinks below, failure paths to the side, no overlaps."""

from __future__ import annotations

from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.template import Topic, ingest_flow

BOX_WIDTH, BOX_HEIGHT = 352.0, 128.0


def topic_group() -> dict:
    flow = ingest_flow("Layout", [Topic("orders", table="orders")])
    return compile_flow(flow)["flowContents"]["processGroups"][0]


def positions(group: dict) -> dict[str, tuple[float, float]]:
    return {p["name"]: (p["position"]["x"], p["position"]["y"]) for p in group["processors"]}


def test_source_on_top_and_sink_below_it() -> None:
    where = positions(topic_group())
    assert where["Consume orders"][1] < where["Cast to column types"][1] < where["Insert into orders"][1]
    assert where["Consume orders"][0] == where["Cast to column types"][0] == where["Insert into orders"][0]


def test_failure_path_sits_to_the_right_of_the_main_path() -> None:
    where = positions(topic_group())
    main_right = max(where[n][0] for n in ("Consume orders", "Cast to column types", "Insert into orders"))
    assert where["Annotate failure"][0] > main_right
    assert where["Write to failure DB"][0] > main_right
    assert where["Write to failure DB"][1] > where["Annotate failure"][1]


def test_nothing_overlaps_and_labels_sit_above() -> None:
    group = topic_group()
    boxes = [(p["position"]["x"], p["position"]["y"]) for p in group["processors"]]
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1:]:
            assert abs(x1 - x2) >= BOX_WIDTH or abs(y1 - y2) >= BOX_HEIGHT
    label_bottom = max(label["position"]["y"] + label["height"] for label in group["labels"])
    assert label_bottom <= min(y for _, y in boxes)


def test_topic_groups_do_not_overlap_on_the_parent_canvas() -> None:
    flow = ingest_flow("Many", [Topic(f"t{i}", table=f"t{i}") for i in range(4)])
    groups = compile_flow(flow)["flowContents"]["processGroups"]
    spots = {(g["position"]["x"], g["position"]["y"]) for g in groups}
    assert len(spots) == 4
