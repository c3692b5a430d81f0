"""A chart for a query result, chosen by rules from its columns' values, never by model-written code.

``choose_chart(result)`` returns a ``ChartSpec``:

- one row holding one number: ``metric``;
- a time column (dates, datetimes, ISO date text) and a number: ``line`` over time;
- a text (category) column and a number: ``bar``, when there are at most ``MAX_BARS`` rows;
- anything else: ``none``.

Id-like columns (``id``, ``*_id``) are never the measured number. ``altair_chart`` renders a
spec as an Altair chart (Altair is imported only when a chart is drawn).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Sequence

from core.records import QueryResult

CHART_KINDS = ("line", "bar", "metric", "none")
MAX_BARS = 100
_ISO_TIME = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?)?$")
_ID_SUFFIX = re.compile(r"(^|_)id$", re.IGNORECASE)  # id, customer_id, CUSTOMER_ID
_ID_CAMEL = re.compile(r"[a-z]Id$")  # CustomerId (but not "paid")


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: ``kind`` is line, bar, metric or none; ``x`` and ``y`` are column names."""

    kind: str
    x: str = ""
    y: str = ""

    @property
    def drawable(self) -> bool:
        return self.kind in ("line", "bar")


NO_CHART = ChartSpec("none")


def is_id_name(name: str) -> bool:
    """Whether a column name says it holds identifiers, which are never the measured number."""
    return bool(_ID_SUFFIX.search(name) or _ID_CAMEL.search(name))


def _present(values: Sequence[Any]) -> list[Any]:
    return [value for value in values if value is not None]


def is_number_column(values: Sequence[Any]) -> bool:
    present = _present(values)
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)


def is_time_column(values: Sequence[Any]) -> bool:
    present = _present(values)
    if not present:
        return False
    if all(isinstance(v, (dt.date, dt.datetime)) for v in present):
        return True
    return all(isinstance(v, str) and _ISO_TIME.match(v) for v in present)


def is_category_column(values: Sequence[Any]) -> bool:
    present = _present(values)
    return bool(present) and all(isinstance(v, str) for v in present) and not is_time_column(present)


def choose_chart(result: QueryResult | None) -> ChartSpec:
    """The chart the rules pick for ``result`` (see the module docstring)."""
    if result is None or not result.rows or not result.columns:
        return NO_CHART
    columns = {name: [row[i] for row in result.rows] for i, name in enumerate(result.columns)}
    numbers = [name for name, values in columns.items() if is_number_column(values)]
    measures = [name for name in numbers if not is_id_name(name)]
    if len(result.rows) == 1 and len(numbers) == 1 and len(result.columns) == 1:
        return ChartSpec("metric", y=numbers[0])
    if len(result.rows) == 1 and len(measures) == 1 and all(
            name in numbers or is_category_column(values) for name, values in columns.items()):
        return ChartSpec("metric", y=measures[0])
    if not measures:
        return NO_CHART
    times = [name for name, values in columns.items() if is_time_column(values)]
    if times and len(result.rows) > 1:
        return ChartSpec("line", x=times[0], y=measures[0])
    categories = [name for name, values in columns.items() if is_category_column(values)]
    if categories and len(result.rows) <= MAX_BARS:
        return ChartSpec("bar", x=categories[0], y=measures[0])
    return NO_CHART


def metric_value(result: QueryResult, spec: ChartSpec) -> Any:
    """The single number a ``metric`` spec shows."""
    return result.rows[0][result.columns.index(spec.y)]


def altair_chart(result: QueryResult, spec: ChartSpec):
    """An Altair chart for a line or bar spec; raises ``ValueError`` for other kinds."""
    if not spec.drawable:
        raise ValueError(f"A {spec.kind!r} chart spec has nothing to draw.")
    import altair as alt
    import pandas as pd

    # Plain field names: Altair reads ':', '.', '[' and parentheses in names as syntax.
    x_index, y_index = result.columns.index(spec.x), result.columns.index(spec.y)
    frame = pd.DataFrame({"x": [row[x_index] for row in result.rows], "y": [row[y_index] for row in result.rows]})
    tooltip = [alt.Tooltip("x", title=spec.x), alt.Tooltip("y", title=spec.y)]
    if spec.kind == "line":
        frame["x"] = pd.to_datetime(frame["x"])
        return alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("x:T", title=spec.x), y=alt.Y("y:Q", title=spec.y), tooltip=tooltip)
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("x:N", title=spec.x, sort="-y"), y=alt.Y("y:Q", title=spec.y), tooltip=tooltip)
