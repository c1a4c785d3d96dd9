"""SQL models: one .sql file per table under models/, run in dependency order.

Dependencies are read from each model's own SQL (the tables it selects from), so adding a model is
adding a file. A model's first comment lines are its description.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from importlib import resources

import sqlglot
from sqlglot import exp

from growthos.core.errors import BuildError

SOURCE_TABLES = frozenset(
    {"raw_events", "cfg_settings", "cfg_fx_rates", "cfg_category_margins", "cfg_channel_rules", "cfg_channels"}
)


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    sql: str
    description: str
    depends_on: frozenset[str]


def _description(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def _referenced_tables(name: str, sql: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise BuildError(f"model {name}: SQL does not parse: {exc}") from exc
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


@cache
def load_models() -> tuple[Model, ...]:
    """Every model in dependency order (staging before marts, each after what it reads)."""
    root = resources.files("growthos.warehouse") / "models"
    found: dict[str, tuple[str, str]] = {}
    for layer_dir in sorted(root.iterdir(), key=lambda p: p.name):
        if not layer_dir.is_dir():
            continue
        for file in sorted(layer_dir.iterdir(), key=lambda p: p.name):
            if file.name.endswith(".sql"):
                found[file.name[:-4]] = (layer_dir.name, file.read_text())
    graph: dict[str, set[str]] = {}
    models: dict[str, Model] = {}
    for name, (layer, sql) in found.items():
        refs = _referenced_tables(name, sql)
        unknown = refs - set(found) - SOURCE_TABLES
        if unknown:
            raise BuildError(f"model {name} reads unknown tables: {', '.join(sorted(unknown))}")
        deps = frozenset(refs & set(found))
        graph[name] = set(deps)
        models[name] = Model(name, layer, sql.strip().rstrip(";"), _description(sql), deps)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise BuildError(f"models depend on each other in a cycle: {exc.args[1]}") from exc
    return tuple(models[n] for n in order)
