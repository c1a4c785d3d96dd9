"""The demo workspace's loops: the recipe app's invite loop and content loop, written to the demo's loops.yaml.

- **invite** (viral): a user sends an invite (``Invite Sent``, with ``invite_id``); a friend accepts it
  (``Invite Accepted`` with the same ``invite_id``: the friend becomes the cycle's person), signs up (the demo
  sends ``Signed Up`` just before ``Invite Accepted``, so the step counts from the invite), creates a meal plan
  and — closing the loop — sends invites of their own. Value: the MRR of subscriptions the invitees start.
- **content** (content): a user generates a recipe, saves that recipe (same ``recipe_id``), plans meals, and
  comes back to generate more. Value: meal plans created.
"""

from __future__ import annotations

from pathlib import Path

from growthos.analysis.loops.config import config_path

DEMO_LOOPS_YAML = """\
# The demo recipe app's growth loops (growthos loops list; docs/growth/loops.md explains every field).
loops:
  - name: invite
    label: Invite loop
    type: viral
    window: 14d
    target_cycle_time: 3d
    conversion_step: signed_up
    value: {event: Subscription Started, property: mrr, label: MRR started by invitees}
    steps:
      - {name: invite_sent, label: Invite sent, event: Invite Sent}
      - {name: invite_accepted, label: Invite accepted, event: Invite Accepted, actor: any, match: [invite_id]}
      - {name: signed_up, label: Invitee signed up, event: Signed Up, after: invite_sent}
      - {name: meal_plan_created, label: Invitee created a meal plan, event: Meal Plan Created,
         next: [invite_sent]}
  - name: content
    label: Content loop
    type: content
    window: 7d
    target_cycle_time: 1d
    value: {event: Meal Plan Created, label: Meal plans created}
    steps:
      - {name: recipe_generated, label: Recipe generated, event: Recipe Generated}
      - {name: recipe_saved, label: Recipe saved or shared, event: [Recipe Saved, Recipe Shared], match: [recipe_id]}
      - {name: meal_plan_created, label: Meal plan created, event: Meal Plan Created, next: [recipe_generated]}
"""


def write_demo_loops(data_dir: Path) -> None:
    """Give the demo workspace its loops.yaml (a file already there is kept: it may have been edited)."""
    path = config_path(data_dir)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(DEMO_LOOPS_YAML, encoding="utf-8")
