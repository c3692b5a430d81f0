"""What the demo database is trained with: documentation notes and certified queries.

The certified queries answer the demo's questions without an LLM ("How many orders came from
Chennai this week?", late deliveries by carrier, complaints about delivery last month...). Their
dates are bound as ISO text, the way the demo stores them ('YYYY-MM-DD').
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoCertifiedQuery:
    """A certified question/SQL pair; ``parameters`` uses the syntax of ``core.sql.certified.parse_parameters``."""

    question: str
    sql: str
    parameters: str = ""


DOCUMENTATION: tuple[str, ...] = (
    "A late delivery is a delivery whose delivered_date is after its promised_date "
    "(deliveries.delivered_date > deliveries.promised_date). Deliveries still in transit have no delivered_date "
    "and are not late yet.",
    "Every date is stored as ISO text 'YYYY-MM-DD' (orders.order_date, deliveries.promised_date, "
    "deliveries.delivered_date, complaints.complaint_date, customers.joined_on): compare dates as text, "
    "for example order_date BETWEEN '2025-03-01' AND '2025-03-31'.",
    "'This week' means the ISO week so far, from Monday up to and including today; 'last week' is the previous "
    "Monday to Sunday; 'this month' runs from the 1st to today; 'last month' is the previous calendar month.",
    "Revenue is the sum of order_items.quantity * order_items.unit_price (equal to orders.total_amount) over "
    "orders that were not cancelled (orders.status <> 'cancelled'). Amounts are in Indian rupees (INR).",
    "An order comes from the city of the customer who placed it (customers.city, joined on orders.customer_id).",
    "Complaints about delivery have complaints.category = 'late delivery'; the other categories are 'damaged', "
    "'wrong item' and 'billing'. A complaint is about one order (complaints.order_id); the products of a "
    "complaint are the products in that order (order_items joined to products).",
    "A customer's spend is the total_amount of their orders that were not cancelled.",
)

_PERIOD = "period: dates | default: all time"

CERTIFIED_QUERIES: tuple[DemoCertifiedQuery, ...] = (
    DemoCertifiedQuery(
        "How many orders came from Chennai this week?",
        "SELECT COUNT(*) AS orders\n"
        "FROM orders o\n"
        "JOIN customers c ON c.customer_id = o.customer_id\n"
        "WHERE c.city = :city AND o.order_date BETWEEN :start AND :end",
        f"city: customers.city\n{_PERIOD}",
    ),
    DemoCertifiedQuery(
        "How many orders came from each city last month?",
        "SELECT c.city, COUNT(*) AS orders\n"
        "FROM orders o\n"
        "JOIN customers c ON c.customer_id = o.customer_id\n"
        "WHERE o.order_date BETWEEN :start AND :end\n"
        "GROUP BY c.city\n"
        "ORDER BY orders DESC, c.city",
        _PERIOD,
    ),
    DemoCertifiedQuery(
        "What was the revenue by product category last month?",
        "SELECT p.category, ROUND(SUM(oi.quantity * oi.unit_price), 2) AS revenue\n"
        "FROM order_items oi\n"
        "JOIN orders o ON o.order_id = oi.order_id\n"
        "JOIN products p ON p.product_id = oi.product_id\n"
        "WHERE o.status <> 'cancelled' AND o.order_date BETWEEN :start AND :end\n"
        "GROUP BY p.category\n"
        "ORDER BY revenue DESC",
        _PERIOD,
    ),
    DemoCertifiedQuery(
        "How many late deliveries did each carrier have last month?",
        "SELECT d.carrier,\n"
        "       SUM(CASE WHEN d.delivered_date > d.promised_date THEN 1 ELSE 0 END) AS late_deliveries,\n"
        "       COUNT(*) AS deliveries\n"
        "FROM deliveries d\n"
        "WHERE d.delivered_date BETWEEN :start AND :end\n"
        "GROUP BY d.carrier\n"
        "ORDER BY late_deliveries DESC, d.carrier",
        _PERIOD,
    ),
    DemoCertifiedQuery(
        "Which customers complained about delivery last month and what products did they order?",
        "SELECT c.name AS customer, c.city, k.complaint_date, k.order_id, p.name AS product\n"
        "FROM complaints k\n"
        "JOIN customers c ON c.customer_id = k.customer_id\n"
        "JOIN order_items oi ON oi.order_id = k.order_id\n"
        "JOIN products p ON p.product_id = oi.product_id\n"
        "WHERE k.category = 'late delivery' AND k.complaint_date BETWEEN :start AND :end\n"
        "ORDER BY k.complaint_date, c.name, p.name",
        _PERIOD,
    ),
    DemoCertifiedQuery(
        "How many complaints of each category were there last month?",
        "SELECT k.category, COUNT(*) AS complaints\n"
        "FROM complaints k\n"
        "WHERE k.complaint_date BETWEEN :start AND :end\n"
        "GROUP BY k.category\n"
        "ORDER BY complaints DESC, k.category",
        _PERIOD,
    ),
    DemoCertifiedQuery(
        "Who are the top 10 customers by total spend?",
        "SELECT c.name AS customer, c.city, ROUND(SUM(o.total_amount), 2) AS total_spend, COUNT(*) AS orders\n"
        "FROM orders o\n"
        "JOIN customers c ON c.customer_id = o.customer_id\n"
        "WHERE o.status <> 'cancelled' AND o.order_date BETWEEN :start AND :end\n"
        "GROUP BY c.customer_id, c.name, c.city\n"
        "ORDER BY total_spend DESC, c.name\n"
        "LIMIT :limit",
        f"{_PERIOD}\nlimit: number | default: 10",
    ),
    DemoCertifiedQuery(
        "What was the daily revenue over the last 30 days?",
        "SELECT o.order_date AS day, ROUND(SUM(o.total_amount), 2) AS revenue, COUNT(*) AS orders\n"
        "FROM orders o\n"
        "WHERE o.status <> 'cancelled' AND o.order_date BETWEEN :start AND :end\n"
        "GROUP BY o.order_date\n"
        "ORDER BY o.order_date",
        "period: dates | default: last 30 days",
    ),
)
