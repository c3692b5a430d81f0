"""The demo retail data: generated in memory from a seed and a date, then written to SQLite.

``build_retail_data`` is a pure function of (seed, today): it uses one ``random.Random`` and
never reads the clock, so the same inputs give the same rows. Order ids grow with the order
date and complaint ids with the complaint date, as they would in a real shop.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.demo import catalogue as cat
from core.demo.catalogue import WINDOW_DAYS, current_week, days_between, long_date, previous_month, window_start

ORDER_COUNT = 1500
FIRST_ORDER_ID = 1001
TABLES: tuple[str, ...] = ("customers", "products", "orders", "order_items", "deliveries", "complaints")

SCHEMA_SQL = """
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    segment TEXT NOT NULL,
    joined_on TEXT NOT NULL
);
CREATE TABLE products (
    product_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    unit_price REAL NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    order_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('delivered', 'shipped', 'cancelled')),
    total_amount REAL NOT NULL,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price REAL NOT NULL,
    PRIMARY KEY (order_id, product_id),
    FOREIGN KEY (order_id) REFERENCES orders (order_id),
    FOREIGN KEY (product_id) REFERENCES products (product_id)
);
CREATE TABLE deliveries (
    delivery_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL UNIQUE,
    carrier TEXT NOT NULL,
    promised_date TEXT NOT NULL,
    delivered_date TEXT,
    status TEXT NOT NULL CHECK (status IN ('delivered', 'in transit')),
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
);
CREATE TABLE complaints (
    complaint_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    order_id INTEGER NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('late delivery', 'damaged', 'wrong item', 'billing')),
    complaint_date TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'call')),
    text TEXT NOT NULL,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
);
CREATE INDEX idx_orders_customer ON orders (customer_id);
CREATE INDEX idx_orders_date ON orders (order_date);
CREATE INDEX idx_complaints_customer ON complaints (customer_id);
"""


@dataclass(frozen=True)
class Customer:
    customer_id: int
    name: str
    email: str
    city: str
    country: str
    segment: str
    joined_on: dt.date

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0]

    @property
    def honorific(self) -> str:
        return "Ms." if self.first_name in cat.FEMALE_FIRST_NAMES else "Mr."

    @property
    def possessive(self) -> str:
        return "her" if self.first_name in cat.FEMALE_FIRST_NAMES else "his"


@dataclass(frozen=True)
class Product:
    product_id: int
    name: str
    category: str
    unit_price: float
    description: str


@dataclass(frozen=True)
class OrderItem:
    order_id: int
    product_id: int
    quantity: int
    unit_price: float


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    order_date: dt.date
    status: str
    total_amount: float
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    order_id: int
    carrier: str
    promised_date: dt.date
    delivered_date: dt.date | None
    status: str

    @property
    def days_late(self) -> int:
        """Days after the promise it arrived; 0 when on time or still in transit."""
        if self.delivered_date is None:
            return 0
        return max(0, (self.delivered_date - self.promised_date).days)


@dataclass(frozen=True)
class Complaint:
    complaint_id: int
    customer_id: int
    order_id: int
    category: str
    complaint_date: dt.date
    channel: str
    text: str
    detail: str  # the specific fault ("was charged twice"); quoted by the documents, not stored


@dataclass(frozen=True)
class RetailData:
    """Every row of the demo database, plus lookups the document writers need."""

    today: dt.date
    seed: int
    customers: tuple[Customer, ...]
    products: tuple[Product, ...]
    orders: tuple[Order, ...]
    deliveries: tuple[Delivery, ...]
    complaints: tuple[Complaint, ...]

    @cached_property
    def customer_by_id(self) -> dict[int, Customer]:
        return {c.customer_id: c for c in self.customers}

    @cached_property
    def product_by_id(self) -> dict[int, Product]:
        return {p.product_id: p for p in self.products}

    @cached_property
    def order_by_id(self) -> dict[int, Order]:
        return {o.order_id: o for o in self.orders}

    @cached_property
    def delivery_by_order(self) -> dict[int, Delivery]:
        return {d.order_id: d for d in self.deliveries}

    def product_names(self, order: Order) -> tuple[str, ...]:
        return tuple(self.product_by_id[item.product_id].name for item in order.items)


def tier_of(customer: Customer) -> cat.DeliveryTier:
    return cat.TIERS_BY_NAME[cat.CITIES_BY_NAME[customer.city].tier]


def build_retail_data(today: dt.date, seed: int) -> RetailData:
    """Generate every table for the 90 days ending at ``today``; deterministic in (today, seed)."""
    rng = random.Random(f"kaveri-retail:{seed}")
    customers = _make_customers(rng, today)
    products = tuple(Product(i, spec.name, spec.category, spec.unit_price, spec.description)
                     for i, spec in enumerate(cat.PRODUCTS, start=1))
    drafts, protected = _draft_orders(rng, today, customers)
    by_id = {c.customer_id: c for c in customers}
    cancelled = _pick_cancelled(rng, drafts, protected)
    forced_late = _pick_late_last_month(rng, today, drafts, cancelled, by_id)
    deliveries = _make_deliveries(rng, today, drafts, cancelled, forced_late, by_id)
    orders = _finish_orders(drafts, cancelled, deliveries, products)
    data = RetailData(today, seed, customers, products, orders, deliveries, ())
    complaints = _make_complaints(rng, data, sorted(forced_late))
    return RetailData(today, seed, customers, products, orders, deliveries, complaints)


def _make_customers(rng: random.Random, today: dt.date) -> tuple[Customer, ...]:
    taken: set[str] = set()
    rows: list[Customer] = []
    for city in cat.CITIES:
        combos = [f"{first} {last}" for first in city.first_names for last in city.last_names]
        rng.shuffle(combos)
        names = [name for name in combos if name not in taken][: city.customers]
        taken.update(names)
        for name in names:
            first, last = name.split(" ")
            joined = today - dt.timedelta(days=rng.randint(WINDOW_DAYS + 5, 3 * 365))
            email = f"{first.lower()}.{last.lower()}@{city.email_domain}"
            rows.append(Customer(len(rows) + 1, name, email, city.name, city.country, rng.choice(cat.SEGMENTS), joined))
    return tuple(rows)


@dataclass
class _Draft:
    order_id: int
    customer_id: int
    order_date: dt.date
    lines: list[tuple[int, int]]  # (product_id, quantity)


def _draft_lines(rng: random.Random) -> list[tuple[int, int]]:
    weights = [spec.popularity for spec in cat.PRODUCTS]
    wanted = rng.choices((1, 2, 3, 4), weights=(45, 30, 17, 8))[0]
    chosen: list[int] = []
    while len(chosen) < wanted:
        product_id = rng.choices(range(1, len(cat.PRODUCTS) + 1), weights=weights)[0]
        if product_id not in chosen:
            chosen.append(product_id)
    return [(pid, rng.choices((1, 2, 3), weights=(70, 22, 8))[0]) for pid in sorted(chosen)]


def _draft_orders(rng: random.Random, today: dt.date, customers: tuple[Customer, ...]) -> tuple[list[_Draft], set[int]]:
    """Random orders over the window plus three Chennai orders this week (one today), so a
    'this week' question never comes back empty, even on a Monday."""
    monday, _ = current_week(today)
    week_days = days_between(monday, today)
    chennai = [c.customer_id for c in customers if c.city == "Chennai"]
    guaranteed = [(cid, day) for cid, day in zip(
        rng.sample(chennai, 3), [today, rng.choice(week_days), rng.choice(week_days)])]

    days = days_between(window_start(today), today)
    # Weekends sell more and the business grows slowly over the quarter.
    day_weights = [(1.3 if d.weekday() >= 5 else 1.0) * (1 + 0.25 * i / WINDOW_DAYS) for i, d in enumerate(days)]
    ids = [c.customer_id for c in customers]
    activity = [rng.uniform(0.4, 2.0) * (1.4 if c.city == "Chennai" else 1.0) for c in customers]
    random_count = ORDER_COUNT - len(guaranteed)
    picked = list(zip(rng.choices(ids, weights=activity, k=random_count),
                      rng.choices(days, weights=day_weights, k=random_count)))

    entries = [(day, i, cid) for i, (cid, day) in enumerate(guaranteed + picked)]
    entries.sort()
    drafts: list[_Draft] = []
    protected: set[int] = set()
    for position, (day, entry_index, cid) in enumerate(entries):
        order_id = FIRST_ORDER_ID + position
        drafts.append(_Draft(order_id, cid, day, _draft_lines(rng)))
        if entry_index < len(guaranteed):
            protected.add(order_id)
    return drafts, protected


def _pick_cancelled(rng: random.Random, drafts: list[_Draft], protected: set[int]) -> set[int]:
    eligible = [d.order_id for d in drafts if d.order_id not in protected]
    return set(rng.sample(eligible, len(drafts) * 3 // 100))


def _pick_late_last_month(rng: random.Random, today: dt.date, drafts: list[_Draft], cancelled: set[int],
                          by_id: dict[int, Customer]) -> dict[int, int]:
    """Orders (one per customer) made to arrive late within the previous month: order id -> days late.

    The complaint about each is dated on or after the late arrival and still in that month.
    """
    first, last = previous_month(today)
    candidates = []
    for draft in drafts:
        promised_days = tier_of(by_id[draft.customer_id]).promised_days
        earliest_late_arrival = draft.order_date + dt.timedelta(days=promised_days + 2)
        if draft.order_id not in cancelled and first <= earliest_late_arrival <= last:
            candidates.append(draft)
    rng.shuffle(candidates)
    forced: dict[int, int] = {}
    seen_customers: set[int] = set()
    for draft in candidates:
        if draft.customer_id in seen_customers:
            continue
        days = tier_of(by_id[draft.customer_id]).promised_days
        room = (last - draft.order_date).days - days  # keeps the late arrival inside the month
        forced[draft.order_id] = rng.randint(2, min(5, room))
        seen_customers.add(draft.customer_id)
        if len(forced) == cat.LATE_LAST_MONTH:
            break
    return forced


def _make_deliveries(rng: random.Random, today: dt.date, drafts: list[_Draft], cancelled: set[int],
                     forced_late: dict[int, int], by_id: dict[int, Customer]) -> tuple[Delivery, ...]:
    rows: list[Delivery] = []
    for draft in drafts:
        if draft.order_id in cancelled:
            continue
        tier = tier_of(by_id[draft.customer_id])
        carrier = rng.choice(tier.carriers)
        late_roll = rng.random()
        if draft.order_id in forced_late:
            transit = tier.promised_days + forced_late[draft.order_id]
        elif late_roll < cat.CARRIER_LATE_RATES[carrier]:
            transit = tier.promised_days + rng.randint(1, 6)
        else:
            transit = tier.promised_days - rng.randint(0, min(2, tier.promised_days - 1))
        arrival = draft.order_date + dt.timedelta(days=transit)
        delivered = arrival if arrival <= today else None
        rows.append(Delivery(
            delivery_id=len(rows) + 1,
            order_id=draft.order_id,
            carrier=carrier,
            promised_date=draft.order_date + dt.timedelta(days=tier.promised_days),
            delivered_date=delivered,
            status="delivered" if delivered else "in transit",
        ))
    return tuple(rows)


def _finish_orders(drafts: list[_Draft], cancelled: set[int], deliveries: tuple[Delivery, ...],
                   products: tuple[Product, ...]) -> tuple[Order, ...]:
    status_by_order = {d.order_id: ("delivered" if d.delivered_date else "shipped") for d in deliveries}
    price = {p.product_id: p.unit_price for p in products}
    orders = []
    for draft in drafts:
        items = tuple(OrderItem(draft.order_id, pid, qty, price[pid]) for pid, qty in draft.lines)
        total = round(sum(item.quantity * item.unit_price for item in items), 2)
        status = "cancelled" if draft.order_id in cancelled else status_by_order[draft.order_id]
        orders.append(Order(draft.order_id, draft.customer_id, draft.order_date, status, total, items))
    return tuple(orders)


def _after(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def day_count(days: int) -> str:
    """'1 day', '4 days'."""
    return f"{days} day{'' if days == 1 else 's'}"


def _make_complaints(rng: random.Random, data: RetailData, forced_late: list[int]) -> tuple[Complaint, ...]:
    """Complaints that agree with the rows: late ones follow a broken promise, damage and
    wrong-item ones follow a delivery, billing ones follow the order."""
    today = data.today
    month_first, month_last = previous_month(today)
    used = set(forced_late)
    drafts: list[tuple[dt.date, int, str, str]] = []  # (date, order_id, category, detail)

    def late_window(delivery: Delivery) -> list[dt.date]:
        # On or after the late arrival, so the complaint can say when it finally came.
        return days_between(delivery.delivered_date, min(_after(delivery.delivered_date, 3), today))

    for order_id in forced_late:
        window = [d for d in late_window(data.delivery_by_order[order_id]) if month_first <= d <= month_last]
        drafts.append((rng.choice(window), order_id, "late delivery", ""))

    late_elsewhere = []
    for delivery in data.deliveries:
        if delivery.days_late and delivery.order_id not in used:
            window = [d for d in late_window(delivery) if not month_first <= d <= month_last]
            if window:
                late_elsewhere.append((delivery.order_id, window))
    wanted = min(len(late_elsewhere), cat.COMPLAINTS_PER_CATEGORY["late delivery"])
    for order_id, window in rng.sample(late_elsewhere, wanted):
        drafts.append((rng.choice(window), order_id, "late delivery", ""))
        used.add(order_id)

    delivered = [d for d in data.deliveries if d.delivered_date and not d.days_late]
    for category in ("damaged", "wrong item"):
        pool = [d for d in delivered if d.order_id not in used]
        for delivery in rng.sample(pool, cat.COMPLAINTS_PER_CATEGORY[category]):
            day = rng.choice(days_between(delivery.delivered_date, min(_after(delivery.delivered_date, 3), today)))
            drafts.append((day, delivery.order_id, category, _fault_detail(rng, data, category, delivery.order_id)))
            used.add(delivery.order_id)

    billable = [o for o in data.orders if o.status != "cancelled" and o.order_date < today and o.order_id not in used]
    for order in rng.sample(billable, cat.COMPLAINTS_PER_CATEGORY["billing"]):
        day = rng.choice(days_between(_after(order.order_date, 1), min(_after(order.order_date, 6), today)))
        drafts.append((day, order.order_id, "billing", rng.choice(cat.BILLING_DETAILS)))

    drafts.sort()
    # A fixed 60/40 split (then shuffled) guarantees both emails and call transcripts exist.
    channels = ["email"] * (len(drafts) * 3 // 5) + ["call"] * (len(drafts) - len(drafts) * 3 // 5)
    rng.shuffle(channels)
    complaints = []
    for complaint_id, ((day, order_id, category, detail), channel) in enumerate(zip(drafts, channels), start=1):
        order = data.order_by_id[order_id]
        text = complaint_summary(data, order, category, detail)
        complaints.append(Complaint(complaint_id, order.customer_id, order_id, category, day, channel, text, detail))
    return tuple(complaints)


def _fault_detail(rng: random.Random, data: RetailData, category: str, order_id: int) -> str:
    order = data.order_by_id[order_id]
    ordered = [data.product_by_id[item.product_id] for item in order.items]
    product = rng.choice(ordered)
    if category == "damaged":
        return rng.choice(cat.DAMAGE_DETAILS[product.category]).format(product=product.name)
    ordered_ids = {p.product_id for p in ordered}
    others = [p for p in data.products if p.category == product.category and p.product_id not in ordered_ids]
    wrong = rng.choice(others or [p for p in data.products if p.product_id not in ordered_ids])
    return f"the parcel contained {wrong.name} instead of {product.name}"


def complaint_summary(data: RetailData, order: Order, category: str, detail: str) -> str:
    """The one-paragraph complaint text stored in the database: who, which order, what went wrong."""
    customer = data.customer_by_id[order.customer_id]
    who = f"{customer.honorific} {customer.name} of {customer.city}"
    ref = f"{customer.possessive} order #{order.order_id} ({', '.join(data.product_names(order))})"
    delivery = data.delivery_by_order.get(order.order_id)
    if category == "late delivery":
        late = delivery.days_late
        return (f"{who} said that {ref} was promised for {long_date(delivery.promised_date)} but arrived on "
                f"{long_date(delivery.delivered_date)}, {day_count(late)} late, with {delivery.carrier}.")
    if category in ("damaged", "wrong item"):
        return f"{who} said that {ref} was delivered on {long_date(delivery.delivered_date)} but {detail}."
    pronoun = "she" if customer.possessive == "her" else "he"
    return (f"{who} said that {pronoun} {detail} for {ref}; the order total is "
            f"{cat.CURRENCY} {order.total_amount:,.2f}.")


def write_database(data: RetailData, path: Path) -> dict[str, int]:
    """Create a fresh SQLite file at ``path`` holding ``data``; returns row counts per table."""
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(SCHEMA_SQL)
        iso = dt.date.isoformat
        connection.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (c.customer_id, c.name, c.email, c.city, c.country, c.segment, iso(c.joined_on)) for c in data.customers])
        connection.executemany("INSERT INTO products VALUES (?, ?, ?, ?)", [
            (p.product_id, p.name, p.category, p.unit_price) for p in data.products])
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", [
            (o.order_id, o.customer_id, iso(o.order_date), o.status, o.total_amount) for o in data.orders])
        connection.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", [
            (i.order_id, i.product_id, i.quantity, i.unit_price) for o in data.orders for i in o.items])
        connection.executemany("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?)", [
            (d.delivery_id, d.order_id, d.carrier, iso(d.promised_date),
             iso(d.delivered_date) if d.delivered_date else None, d.status) for d in data.deliveries])
        connection.executemany("INSERT INTO complaints VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (c.complaint_id, c.customer_id, c.order_id, c.category, iso(c.complaint_date), c.channel, c.text)
            for c in data.complaints])
        connection.commit()
        return read_row_counts(connection)
    finally:
        connection.close()


def read_row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows per demo table, in schema order."""
    return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
