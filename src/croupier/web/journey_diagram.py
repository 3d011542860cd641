"""A journey drawn as a flow diagram: the trigger on top, each step a box (its kind, id and
what it does), arrows for where a step goes (`next`, a branch's then/else, a split's
variants with their share, a wait for an event's event/timeout), exits as rounded boxes.
Server-side SVG, no script and nothing from elsewhere: the editor asks for it again as the
definition changes.

Rows follow the longest path from the first step (arrows that go back up, loops, are drawn
round the right-hand side), so a reader follows the flow top to bottom. Every step box
carries `data-step` (its id) and `data-kind`, and a `.step-badge` text element for its
counts (`badges`, by step id: the journey page's "3 waiting"; empty while editing a draft)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from croupier.journeys import (
    Bonus, Branch, DateTrigger, EventTrigger, Exit, Journey, Schedule, SegmentEntered, SegmentLeft, Send, Split,
    StageChanged, Step, Tag, Task, Wait, WaitForEvent, graph,
)

WIDTH, HEIGHT = 200, 64         # a box
GAP_X, GAP_Y = 36, 56           # between boxes, between rows
MARGIN = 24
LOOP_ROOM = 96                  # on the right, for arrows that go back up or past rows
MAX_CHARS = 28


def kind_of(step: Step) -> str:
    """A step's `kind` as written in its JSON."""
    return str(type(step).__struct_config__.tag)


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(value: object) -> str:
    return str(value)


def step_detail(step: Step) -> str:
    """What a step does, in a few words."""
    if isinstance(step, Send):
        return f"{step.channel} · {step.template}"
    if isinstance(step, Wait):
        return f"wait {_duration(step.duration)}"
    if isinstance(step, WaitForEvent):
        return f"{step.event}, at most {_duration(step.timeout)}"
    if isinstance(step, Branch):
        return step.condition if isinstance(step.condition, str) else "condition (JSON)"
    if isinstance(step, Split):
        return f"{len(step.variants)} variants"
    if isinstance(step, Bonus):
        return f"bonus {step.template}"
    if isinstance(step, Tag):
        return f"{step.action} tag {step.tag}"
    if isinstance(step, Task):
        return f"task for {step.queue}"
    if isinstance(step, Exit):
        return step.outcome or "leaves the journey"
    return ""


def trigger_detail(journey: Journey) -> tuple[str, str]:
    """The trigger's kind and what it waits for."""
    t = journey.trigger
    if isinstance(t, EventTrigger):
        return "event", t.event
    if isinstance(t, SegmentEntered):
        return "segment entered", f"segment {t.segment_id}"
    if isinstance(t, SegmentLeft):
        return "segment left", f"segment {t.segment_id}"
    if isinstance(t, StageChanged):
        return "stage changed", f"{t.from_stage or 'any'} → {t.to_stage or 'any'}"
    if isinstance(t, Schedule):
        return "schedule", f"every {t.every} at {t.at} {t.timezone}"
    if isinstance(t, DateTrigger):
        return "date", f"{t.date} at {t.at}"
    return "trigger", ""


def _labels(step: Step, targets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(target, label) for each arrow out of a step."""
    if isinstance(step, Branch):
        return [(step.then, "then"), (step.otherwise, "else")]
    if isinstance(step, WaitForEvent):
        return [(step.on_event, "event"), (step.on_timeout, "timeout")]
    if isinstance(step, Split):
        return [(v.next, f"{v.name} {v.weight}%") for v in step.variants]
    return [(t, "") for t in targets]


def _layers(order: list[str], edges: dict[str, tuple[str, ...]]) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Each step's row (the longest path to it from a root, back edges left out) and the
    back edges (those that close a loop)."""
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}          # 1: on the path being walked, 2: done
    finished: list[str] = []
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(edges.get(root, ())))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                finished.append(node)
                stack.pop()
            elif nxt not in edges:
                continue
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
    layer = {n: 0 for n in order}
    for node in reversed(finished):     # a topological order of the forward edges
        for nxt in edges.get(node, ()):
            if nxt in layer and (node, nxt) not in back:
                layer[nxt] = max(layer[nxt], layer[node] + 1)
    return layer, back


def _text(x: float, y: float, text: str, cls: str) -> str:
    return f'<text x="{x:.0f}" y="{y:.0f}" class="{cls}" text-anchor="middle">{escape(text)}</text>'


def svg(journey: Journey, badges: Mapping[str, str] | None = None) -> str:
    """The diagram of a journey (shape-valid; unknown targets are drawn as missing boxes);
    `badges`: the text of each step's badge, by step id."""
    edges = graph(journey)
    first: dict[str, Step] = {}
    for step in journey.steps:
        first.setdefault(step.id, step)
    order = list(first)
    missing = [t for ts in edges.values() for t in ts if t not in first]
    missing = list(dict.fromkeys(missing))
    layer, back = _layers(order, edges)
    bottom = max(layer.values(), default=0)
    for name in missing:
        layer[name] = bottom + 1
    rows: dict[int, list[str]] = {}
    for name in order + missing:
        rows.setdefault(layer[name], []).append(name)
    widest = max((len(r) for r in rows.values()), default=1)
    inner = widest * WIDTH + (widest - 1) * GAP_X
    total_w = MARGIN * 2 + inner + LOOP_ROOM
    row_count = (max(rows) + 1) if rows else 0
    total_h = MARGIN * 2 + (row_count + 1) * HEIGHT + row_count * GAP_Y

    where: dict[str, tuple[float, float]] = {}
    for r, names in rows.items():
        width = len(names) * WIDTH + (len(names) - 1) * GAP_X
        x0 = MARGIN + (inner - width) / 2
        y = MARGIN + (r + 1) * (HEIGHT + GAP_Y)
        for i, name in enumerate(names):
            where[name] = (x0 + i * (WIDTH + GAP_X), y)

    kind, what = trigger_detail(journey)
    title = f"Flow of journey {journey.key}, version {journey.version}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-diagram" role="img" aria-labelledby="diagram-title" '
           f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" width="{total_w:.0f}" height="{total_h:.0f}" '
           f'data-steps="{len(order)}">',
           f'<title id="diagram-title">{escape(title)}</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>']
    tx, ty = MARGIN + (inner - WIDTH) / 2, MARGIN
    arrows: list[str] = []
    boxes: list[str] = [
        f'<g class="node trigger" data-trigger="{escape(kind)}"><title>{escape(f"trigger: {kind} {what}")}</title>'
        f'<rect x="{tx:.0f}" y="{ty:.0f}" width="{WIDTH}" height="{HEIGHT}" rx="4"/>'
        + _text(tx + WIDTH / 2, ty + 22, f"trigger: {kind}", "node-kind")
        + _text(tx + WIDTH / 2, ty + 42, _cut(what), "node-detail") + "</g>"]
    if order:
        sx, sy = where[order[0]]
        arrows.append(_arrow((tx, ty), (sx, sy), False, "", "trigger", order[0], loop=False, lane=0))

    for name in order:
        step = first[name]
        x, y = where[name]
        cls = "exit" if isinstance(step, Exit) else "step"
        detail = step_detail(step)
        boxes.append(
            f'<g class="node {cls} kind-{kind_of(step)}" data-step="{escape(name)}" data-kind="{kind_of(step)}">'
            f'<title>{escape(f"{kind_of(step)} {name}: {detail}")}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{WIDTH}" height="{HEIGHT}" rx="{HEIGHT // 2 if cls == "exit" else 4}"/>'
            + _text(x + WIDTH / 2, y + 18, kind_of(step).replace("_", " "), "node-kind")
            + _text(x + WIDTH / 2, y + 36, _cut(name), "node-id")
            + _text(x + WIDTH / 2, y + 54, _cut(detail), "node-detail")
            + f'<text x="{x + WIDTH - 6:.0f}" y="{y + 14:.0f}" class="step-badge" text-anchor="end" '
              f'data-badge-for="{escape(name)}">{escape((badges or {}).get(name, ""))}</text></g>')
        for target, label in _labels(step, edges[name]):
            if target not in where:
                continue
            up = (name, target) in back or where[target][1] <= y
            skips = where[target][1] > y + HEIGHT + GAP_Y     # past a row: round the side, not through boxes
            arrows.append(_arrow((x, y), where[target], up or skips, label, name, target, loop=up,
                                 lane=len(arrows)))
    for name in missing:
        x, y = where[name]
        boxes.append(f'<g class="node missing" data-missing="{escape(name)}"><title>{escape(f"no step {name!r}")}</title>'
                     f'<rect x="{x:.0f}" y="{y:.0f}" width="{WIDTH}" height="{HEIGHT}" rx="4"/>'
                     + _text(x + WIDTH / 2, y + 28, "no such step", "node-kind")
                     + _text(x + WIDTH / 2, y + 46, _cut(name), "node-id") + "</g>")
    out.extend(arrows)
    out.extend(boxes)
    out.append("</svg>")
    return "".join(out)


def _arrow(source: tuple[float, float], target: tuple[float, float], side: bool, label: str, src: str,
           dst: str, *, loop: bool, lane: int) -> str:
    """An arrow from a box to another: straight down to the next row, or round the right-hand
    side (`side`: back up a loop, or down past rows), each in a lane of its own."""
    (sx, sy), (tx, ty) = source, target
    if side:
        x0, y0, x3, y3 = sx + WIDTH, sy + HEIGHT / 2, tx + WIDTH, ty + HEIGHT / 2
        reach = max(x0, x3) + 24 + (lane % 4) * 12
        x1, y1, x2, y2 = reach, y0, reach, y3
    else:
        x0, y0, x3, y3 = sx + WIDTH / 2, sy + HEIGHT, tx + WIDTH / 2, ty
        x1, y1, x2, y2 = x0, y0 + GAP_Y / 2, x3, y3 - GAP_Y / 2
    d = f"M{x0:.0f},{y0:.0f} C{x1:.0f},{y1:.0f} {x2:.0f},{y2:.0f} {x3:.0f},{y3:.0f}"
    mx, my = (x0 + 3 * x1 + 3 * x2 + x3) / 8, (y0 + 3 * y1 + 3 * y2 + y3) / 8
    cls = "edge loop" if loop else "edge"
    parts = [f'<g class="{cls}" data-from="{escape(src)}" data-to="{escape(dst)}" data-label="{escape(label)}">'
             f'<path d="{d}" marker-end="url(#arrow)"/>']
    if label:
        parts.append(f'<text x="{mx + 4:.0f}" y="{my + 4:.0f}" class="edge-label">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts)
