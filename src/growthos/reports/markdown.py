"""The Weekly Business Review as Markdown: one bullet per item; names and data text escaped (CommonMark
backslash escapes), numbers written exactly as their facts."""

from __future__ import annotations

from growthos.reports.wbr import Item, WeeklyReview

_SPECIAL = set("\\`*_{}[]<>#|!~&")


def escape(text: str) -> str:
    """Text from data (names, messages) that Markdown shows literally (no markup, no raw HTML)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in " ".join(text.split()))


def _line(review: WeeklyReview, item: Item, facts: dict) -> str:
    out = []
    for segment in item.segments:
        if "fact" in segment:
            out.append(escape(facts[segment["fact"]].text))
        elif "name" in segment:
            out.append(escape(segment["name"]))
        else:
            out.append(segment["text"])
    return "".join(out)


def _items(review: WeeklyReview, items: list[Item], facts: dict, depth: int = 0) -> list[str]:
    lines = []
    for item in items:
        lines.append("  " * depth + "- " + _line(review, item, facts))
        lines.extend(_items(review, item.children, facts, depth + 1))
    return lines


def render_markdown(review: WeeklyReview) -> str:
    facts = {f.id: f for f in review.facts}
    lines = [f"# {review.title}", ""]
    for section in review.sections:
        lines += [f"## {section.title}", ""]
        if section.items:
            lines += _items(review, section.items, facts)
        elif section.note:
            lines.append(section.note)
        lines.append("")
    return "\n".join(lines)
