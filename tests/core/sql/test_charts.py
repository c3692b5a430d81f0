"""Charts are chosen by rules from a result's columns, and drawn as Altair specs."""

import datetime as dt

import pytest

from core.records import QueryResult
from core.sql.charts import ChartSpec, altair_chart, choose_chart, is_id_name, metric_value


def result(columns, rows):
    return QueryResult(columns=tuple(columns), rows=tuple(tuple(r) for r in rows), truncated=False, elapsed=0.01)


CASES = [
    ("one number", ["orders"], [[13]], ChartSpec("metric", y="orders")),
    ("one float", ["revenue"], [[1234.5]], ChartSpec("metric", y="revenue")),
    ("one labelled number", ["city", "orders"], [["Chennai", 13]], ChartSpec("metric", y="orders")),
    ("iso dates and number", ["day", "revenue", "orders"], [["2025-03-01", 10.0, 2], ["2025-03-02", 12.5, 3]],
     ChartSpec("line", x="day", y="revenue")),
    ("date objects", ["month", "n"], [[dt.date(2025, 1, 1), 3], [dt.date(2025, 2, 1), 4]], ChartSpec("line", x="month", y="n")),
    ("year-month text", ["month", "n"], [["2025-01", 3], ["2025-02", 4]], ChartSpec("line", x="month", y="n")),
    ("category and number", ["carrier", "late_deliveries", "deliveries"], [["A", 3, 10], ["B", 1, 12]],
     ChartSpec("bar", x="carrier", y="late_deliveries")),
    ("id columns are not measures", ["customer_id", "name", "spend"], [[1, "Asha", 10.0], [2, "Ravi", 7.0]],
     ChartSpec("bar", x="name", y="spend")),
    ("camel-case ids too", ["ArtistId", "Name"], [[1, "AC/DC"], [2, "Accept"]], ChartSpec("none")),
    ("text only", ["name", "city"], [["Asha", "Chennai"], ["Ravi", "Pune"]], ChartSpec("none")),
    ("no rows", ["orders"], [], ChartSpec("none")),
    ("one row of several numbers", ["a", "b"], [[1, 2]], ChartSpec("none")),
    ("booleans are not numbers", ["flag", "name"], [[True, "x"], [False, "y"]], ChartSpec("none")),
    ("nulls are ignored", ["city", "orders"], [["Chennai", 3], ["Pune", None]], ChartSpec("bar", x="city", y="orders")),
]


@pytest.mark.parametrize(("label", "columns", "rows", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rules(label, columns, rows, expected):
    assert choose_chart(result(columns, rows)) == expected


def test_too_many_categories_get_no_bar_chart():
    many = result(["name", "n"], [[f"item {i}", i] for i in range(150)])
    assert choose_chart(many).kind == "none"


def test_no_result_means_no_chart():
    assert choose_chart(None).kind == "none"


def test_id_names():
    assert is_id_name("id") and is_id_name("customer_id") and is_id_name("CustomerId") and is_id_name("ORDER_ID")
    assert not is_id_name("paid") and not is_id_name("valid") and not is_id_name("orders")


def test_metric_value_reads_the_number():
    spec = choose_chart(result(["city", "orders"], [["Chennai", 13]]))
    assert metric_value(result(["city", "orders"], [["Chennai", 13]]), spec) == 13


def test_altair_specs_use_the_chosen_columns_even_with_awkward_names():
    line = result(["day", "SUM(o.total)"], [["2025-03-01", 1.0], ["2025-03-02", 2.0]])
    spec = choose_chart(line)
    assert spec == ChartSpec("line", x="day", y="SUM(o.total)")
    chart = altair_chart(line, spec).to_dict()
    assert chart["mark"]["type"] == "line"
    assert chart["encoding"]["x"]["type"] == "temporal" and chart["encoding"]["x"]["title"] == "day"
    assert chart["encoding"]["y"]["title"] == "SUM(o.total)"
    bars = result(["carrier", "late"], [["A", 3], ["B", 1]])
    bar = altair_chart(bars, choose_chart(bars)).to_dict()
    assert bar["mark"]["type"] == "bar" and bar["encoding"]["x"]["type"] == "nominal"
    with pytest.raises(ValueError):
        altair_chart(bars, ChartSpec("metric", y="late"))
