"""Automatic canvas layout, so operators can read a generated flow at a glance.

Rules, per process group:
- components are ranked by their longest path from a source (a component with no incoming
  connection from the main path): sources on top, each rank one row lower, sinks at the bottom;
- the failure side is everything with `role="failure"`, and everything reached only through
  failure-side components: it gets its own columns to the right of the main path, at the row
  of its rank, so failure paths never cross the main path;
- within a row, components keep the order they were added in; labels sit above everything;
- every box is at least one grid cell apart, so nothing overlaps (processor boxes are 352×128
  in NiFi 2's canvas; a cell is 480×224).
Controller services are not drawn on the canvas; they get the origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spotlight_nifi.flow.model import Funnel, Port, ProcessGroup, Processor

CELL_WIDTH = 480.0
CELL_HEIGHT = 224.0
LABEL_ROW_HEIGHT = 120.0

Node = Processor | Funnel | Port | ProcessGroup


@dataclass(frozen=True)
class Edge:
    source: Node
    destination: Node


def _role(node: Node) -> str:
    return "main" if isinstance(node, ProcessGroup) else node.role


def _ranks(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[int, int]:
    """Longest-path rank from the sources; back edges (cycles, self-loops) are ignored."""
    incoming: dict[int, list[Node]] = {id(n): [] for n in nodes}
    for edge in edges:
        if edge.source is not edge.destination:
            incoming[id(edge.destination)].append(edge.source)
    rank: dict[int, int] = {}
    visiting: set[int] = set()

    def visit(node: Node) -> int:
        key = id(node)
        if key in rank:
            return rank[key]
        if key in visiting:
            return 0
        visiting.add(key)
        rank[key] = max((visit(src) + 1 for src in incoming[key]), default=0)
        visiting.discard(key)
        return rank[key]

    for node in nodes:
        visit(node)
    return rank


def _failure_side(nodes: Sequence[Node], edges: Sequence[Edge]) -> set[int]:
    side = {id(n) for n in nodes if _role(n) == "failure"}
    changed = True
    while changed:
        changed = False
        for node in nodes:
            key = id(node)
            sources = [e.source for e in edges if e.destination is node and e.source is not node]
            if key not in side and sources and all(id(s) in side for s in sources):
                side.add(key)
                changed = True
    return side


def layout(group: ProcessGroup, edges: Sequence[Edge]) -> dict[int, tuple[float, float]]:
    """Positions of every canvas component of `group`, keyed by `id(component)`."""
    nodes: list[Node] = [*group.ports, *group.processors, *group.funnels, *group.groups]
    ranks = _ranks(nodes, edges)
    failure = _failure_side(nodes, edges)
    top = LABEL_ROW_HEIGHT if group.labels else 0.0
    main_rows: dict[int, int] = {}
    fail_rows: dict[int, int] = {}
    positions: dict[int, tuple[float, float]] = {}
    main_width = max(
        (sum(1 for n in nodes if id(n) not in failure and ranks[id(n)] == r) for r in set(ranks.values())),
        default=1,
    )
    for node in nodes:
        key = id(node)
        rank = ranks[key]
        if key in failure:
            column = main_width + fail_rows.get(rank, 0)
            fail_rows[rank] = fail_rows.get(rank, 0) + 1
        else:
            column = main_rows.get(rank, 0)
            main_rows[rank] = column + 1
        positions[key] = (column * CELL_WIDTH, top + rank * CELL_HEIGHT)
    for index, label in enumerate(group.labels):
        positions[id(label)] = (index * CELL_WIDTH, 0.0)
    return positions
