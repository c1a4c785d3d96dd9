"""Reports: the Weekly Business Review (wbr.py) and its Markdown and HTML renderings."""

from growthos.reports.html import render_html
from growthos.reports.markdown import render_markdown
from growthos.reports.wbr import Fact, WeeklyReview, build_wbr, compose_review

FORMATS = ("markdown", "html", "json")


def render(review: WeeklyReview, output: str) -> str:
    """The review as ``markdown`` or ``html`` text (``json``: use ``review.to_dict()``)."""
    if output == "html":
        return render_html(review)
    return render_markdown(review)


__all__ = ["FORMATS", "Fact", "WeeklyReview", "build_wbr", "compose_review", "render", "render_html",
           "render_markdown"]
