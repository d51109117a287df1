"""The human-readable form of an audit report: a summary, then each kind of finding, most serious first."""

from __future__ import annotations

from .report import AuditReport

_SHOWN = 20


def _section(lines: list[str], title: str, rows: list[str]) -> None:
    if not rows:
        return
    lines.append("")
    lines.append(f"{title} ({len(rows)}):")
    lines.extend(f"  {row}" for row in rows[:_SHOWN])
    if len(rows) > _SHOWN:
        lines.append(f"  ... and {len(rows) - _SHOWN} more (use --json for all)")


def render(report: AuditReport) -> str:
    """Return the report as text for a person: verdict, counts, then the findings with event ids and reasons."""
    verdict = "CLEAN" if report.clean else f"{report.violations} VIOLATION(S)"
    lines = [
        f"audit of {report.source_kind} {report.source} ({report.mode} verification)"
        + (f", written by node {report.node!r}" if report.node else ""),
        f"  result:       {verdict}",
        f"  items read:   {report.items}",
        f"  events:       {report.events} read, {report.valid_events} valid, in {len(report.groups)} group(s)",
        f"  state digest: {report.digest} (version 2)",
    ]
    if report.digest_v1 is not None:
        lines.append(f"                {report.digest_v1} (version 1)")
    if report.advertised_digest is not None:
        if report.advertised_digest == report.digest:
            same = "matches version 2"
        elif report.advertised_digest == report.digest_v1:
            same = "matches version 1"
        else:
            same = "DIFFERS from the replayed one"
        lines.append(f"  advertised:   {report.advertised_digest} ({same})")
    if report.damage:
        lines += ["", f"source damaged: {report.damage}"]
    _section(lines, "forks", [f"{f.group} seq {f.seq}: {f.event_a} vs {f.event_b} ({f.source})" for f in report.forks])
    _section(lines, "gaps", [f"{g.group}: seq {g.first}..{g.last} missing" for g in report.gaps])
    _section(
        lines,
        "invalid events",
        [
            f"{i.group} seq {i.seq}{f'..{i.seq + i.count - 1}' if i.count > 1 else ''} (item {i.index}) "
            f"{i.event_id}: {i.code}: {i.reason}"
            for i in report.invalid
        ],
    )
    _section(lines, "bad items", [f"item {b.index}: {b.code}: {b.reason}" for b in report.bad_items])
    _section(
        lines,
        "misordered events",
        [f"{m.group} seq {m.seq} (item {m.index}) {m.event_id}: {m.code}: {m.reason}" for m in report.misordered],
    )
    _section(
        lines,
        "bad signatures vouched for by a later event",
        [f"{v.group} seq {v.seq} {v.event_id}: vouched for by {v.vouched_by}" for v in report.vouched],
    )
    _section(
        lines,
        "payload problems",
        [f"{p.group} seq {p.seq} {p.event_id} ({p.kind}): {p.code}: {p.reason}" for p in report.payload_problems],
    )
    _section(
        lines,
        "key rotations",
        [f"{x.group} seq {x.seq} {x.event_id}: to key {x.key}, next commitment {x.next}" for x in report.rotations],
    )
    _section(
        lines,
        "superseded by a rotation (signed by the pre-rotation key, not violations)",
        [
            f"{x.group} seq {x.seq}{f'..{x.seq + x.count - 1}' if x.count > 1 else ''} (item {x.index}) {x.event_id}: "
            f"superseded by the rotation at seq {x.rotation_seq}"
            for x in report.superseded
        ],
    )
    _section(lines, "redactions (payload absent)", [f"{x.group} seq {x.seq} {x.event_id} ({x.kind})" for x in report.redactions])
    lines.append("")
    lines.append("groups:")
    for g in report.groups[:_SHOWN]:
        lines.append(f"  {g.group}: {g.events} event(s), {g.valid} valid, head seq {g.head_seq}")
    if len(report.groups) > _SHOWN:
        lines.append(f"  ... and {len(report.groups) - _SHOWN} more (use --json for all)")
    return "\n".join(lines)
