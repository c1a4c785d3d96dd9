"""The Weekly Business Review as HTML: a self-contained document (inline style, no script, no external asset)
or a fragment to embed; every text is escaped, every number is a ``<span class="fact">`` naming its fact."""

from __future__ import annotations

from html import escape

from growthos.reports.wbr import Item, WeeklyReview

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2933; line-height: 1.5; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; border-bottom: 1px solid #d9e2ec; }
.fact { font-variant-numeric: tabular-nums; font-weight: 600; }
.note { color: #627d98; }
"""


def _line(item: Item, facts: dict) -> str:
    out = []
    for segment in item.segments:
        if "fact" in segment:
            fact = facts[segment["fact"]]
            out.append(f'<span class="fact" data-fact="{escape(fact.id)}" data-source="{escape(fact.source)}">'
                       f"{escape(fact.text)}</span>")
        elif "name" in segment:
            out.append(escape(segment["name"]))
        else:
            out.append(escape(segment["text"]))
    return "".join(out)


def _items(items: list[Item], facts: dict) -> str:
    parts = []
    for item in items:
        children = f"\n<ul>\n{_items(item.children, facts)}</ul>" if item.children else ""
        parts.append(f"<li>{_line(item, facts)}{children}</li>\n")
    return "".join(parts)


def render_html_fragment(review: WeeklyReview) -> str:
    """The review's sections as an ``<article>`` (for a page that has its own document)."""
    facts = {f.id: f for f in review.facts}
    parts = [f'<article class="wbr" data-source="{escape(review.source)}">', f"<h1>{escape(review.title)}</h1>"]
    for section in review.sections:
        parts.append(f'<section id="wbr-{escape(section.id)}">\n<h2>{escape(section.title)}</h2>')
        if section.items:
            parts.append(f"<ul>\n{_items(section.items, facts)}</ul>")
        elif section.note:
            parts.append(f'<p class="note">{escape(section.note)}</p>')
        parts.append("</section>")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


def render_html(review: WeeklyReview, fragment: bool = False) -> str:
    """A complete HTML document (or, with ``fragment``, only the article)."""
    body = render_html_fragment(review)
    if fragment:
        return body
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(review.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
