"""Documents about the demo company, written from the same rows as the database.

Complaint emails (.md) and call transcripts (.txt) quote customers, orders and products from
``RetailData``; the policies, product sheets (.docx), operations report (.pdf) and company
overview (.rst) quote the catalogue and figures computed from the rows. Every file is a pure
function of the data: the PDF and DOCX carry dates derived from ``today``, never the clock.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

from core.demo import catalogue as cat
from core.demo.catalogue import long_date, previous_month, window_start
from core.demo.database import Complaint, RetailData, day_count

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def write_documents(data: RetailData, docs_dir: Path) -> tuple[Path, ...]:
    """Write every demo document into ``docs_dir`` (which must exist); returns their paths, sorted."""
    paths = [write_complaint_document(data, complaint, docs_dir) for complaint in data.complaints]
    paths.append(_write_text(docs_dir / "delivery-policy.md", delivery_policy(data)))
    paths.append(_write_text(docs_dir / "returns-policy.html", returns_policy_html(data)))
    paths.append(_write_text(docs_dir / "company-overview.rst", company_overview(data)))
    paths.extend(write_product_sheets(data, docs_dir))
    paths.append(write_operations_report(data, docs_dir / "quarterly-operations-report.pdf"))
    return tuple(sorted(paths))


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def slug(text: str) -> str:
    """'Priya Raman' -> 'priya-raman' (for file names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _join_names(names: tuple[str, ...]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _money(amount: float) -> str:
    return f"{cat.CURRENCY} {amount:,.2f}"


def _item_lines(data: RetailData, order_id: int) -> list[str]:
    order = data.order_by_id[order_id]
    return [f"{item.quantity} x {data.product_by_id[item.product_id].name} ({_money(item.unit_price)} each)"
            for item in order.items]


def _moment(complaint: Complaint) -> tuple[int, int]:
    """A plausible hour and minute for the complaint, fixed by its id so output is reproducible."""
    return 9 + (complaint.complaint_id * 7) % 9, (complaint.complaint_id * 17) % 60


def write_complaint_document(data: RetailData, complaint: Complaint, docs_dir: Path) -> Path:
    """One email (.md) or call transcript (.txt) for ``complaint``, named after its id and customer."""
    name = slug(data.customer_by_id[complaint.customer_id].name)
    if complaint.channel == "email":
        path = docs_dir / f"complaint-email-{complaint.complaint_id:04d}-{name}.md"
        return _write_text(path, complaint_email(data, complaint))
    path = docs_dir / f"call-transcript-{complaint.complaint_id:04d}-{name}.txt"
    return _write_text(path, call_transcript(data, complaint))


def _what_happened(data: RetailData, complaint: Complaint) -> tuple[str, str]:
    """(the customer's account of the problem, what they ask for), in the first person."""
    order = data.order_by_id[complaint.order_id]
    delivery = data.delivery_by_order.get(order.order_id)
    products = _join_names(data.product_names(order))
    if complaint.category == "late delivery":
        late = delivery.days_late
        return (f"My order #{order.order_id} ({products}) was promised for {long_date(delivery.promised_date)}, "
                f"but it only arrived on {long_date(delivery.delivered_date)}, {day_count(late)} late. "
                f"It was shipped with {delivery.carrier} and the tracking page did not change for days.",
                "Your delivery policy says late deliveries are compensated. Please tell me what I am due.")
    if complaint.category == "damaged":
        return (f"My order #{order.order_id} ({products}) was delivered on {long_date(delivery.delivered_date)}, "
                f"but {complaint.detail}. I have kept the packaging and taken photos.",
                "Please send a replacement or refund the damaged item.")
    if complaint.category == "wrong item":
        return (f"My order #{order.order_id} ({products}) was delivered on {long_date(delivery.delivered_date)}, "
                f"but {complaint.detail}.",
                "Please collect the wrong item and send the one I ordered.")
    return (f"I {complaint.detail} for my order #{order.order_id} ({products}). "
            f"The order total is {_money(order.total_amount)}, but my card statement does not match it.",
            "Please correct the charge and refund the difference.")


_SUBJECTS = {
    "late delivery": "Late delivery of order #{id}",
    "damaged": "Order #{id} arrived damaged",
    "wrong item": "Wrong item received in order #{id}",
    "billing": "Billing problem with order #{id}",
}


def complaint_email(data: RetailData, complaint: Complaint) -> str:
    """A customer's complaint email with From/To/Date/Subject lines and the order details."""
    customer = data.customer_by_id[complaint.customer_id]
    order = data.order_by_id[complaint.order_id]
    day = complaint.complaint_date
    hour, minute = _moment(complaint)
    account, request = _what_happened(data, complaint)
    items = "\n".join(f"- {line}" for line in _item_lines(data, order.order_id))
    return (
        f"From: {customer.name} <{customer.email}>\n"
        f"To: {cat.COMPANY} Support <{cat.SUPPORT_EMAIL}>\n"
        f"Date: {_WEEKDAYS[day.weekday()]}, {day.day:02d} {long_date(day).split(' ')[1][:3]} {day.year} "
        f"{hour:02d}:{minute:02d} +0530\n"
        f"Subject: {_SUBJECTS[complaint.category].format(id=order.order_id)}\n"
        f"Complaint reference: C-{complaint.complaint_id:04d} ({complaint.category})\n\n"
        f"Dear {cat.COMPANY} team,\n\n"
        f"Hello, I am {customer.name}, writing from {customer.city}. {account}\n\n"
        f"Order #{order.order_id}, placed on {long_date(order.order_date)}:\n\n{items}\n\n"
        f"Order total: {_money(order.total_amount)}\n\n"
        f"{request}\n\n"
        f"Regards,\n{customer.name}\n{customer.city}, {customer.country}\n"
    )


def _agent_reply(data: RetailData, complaint: Complaint) -> str:
    order = data.order_by_id[complaint.order_id]
    if complaint.category == "late delivery":
        late = data.delivery_by_order[order.order_id].days_late
        return (f"I am sorry. The parcel reached you {day_count(late)} after the promised date, "
                f"so under our delivery policy you are due {cat.compensation_for(late)}. I am applying it now.")
    if complaint.category == "damaged":
        return "I am sorry about that. I have booked a free pickup and a replacement will be dispatched today."
    if complaint.category == "wrong item":
        return ("That is our packing error. A courier will collect the wrong item and we will ship the correct one "
                "at no cost.")
    return ("I can see the problem. I have raised a billing correction against the order total of "
            f"{_money(order.total_amount)}.")


def call_transcript(data: RetailData, complaint: Complaint) -> str:
    """A customer-care call as alternating 'Agent:' and 'Customer:' turns."""
    customer = data.customer_by_id[complaint.customer_id]
    order = data.order_by_id[complaint.order_id]
    agent = cat.SUPPORT_AGENTS[complaint.complaint_id % len(cat.SUPPORT_AGENTS)]
    hour, minute = _moment(complaint)
    account, request = _what_happened(data, complaint)
    items = "; ".join(_item_lines(data, order.order_id))
    turns = [
        ("Agent", f"Thank you for calling {cat.COMPANY} customer care, this is {agent}. How can I help you today?"),
        ("Customer", f"Hello, I am {customer.name}, calling from {customer.city}. "
                     f"I am calling about my order #{order.order_id}."),
        ("Agent", f"Thank you, {customer.name}. I have order #{order.order_id} here, placed on "
                  f"{long_date(order.order_date)}: {items}. What went wrong?"),
        ("Customer", f"{account} {request}"),
        ("Agent", _agent_reply(data, complaint)),
        ("Customer", "Thank you. Will I get a confirmation?"),
        ("Agent", f"Yes. Your complaint reference is C-{complaint.complaint_id:04d}; you will get an email "
                  f"at {customer.email} within the hour."),
        ("Customer", "Thank you."),
        ("Agent", f"Thank you for calling {cat.COMPANY}. Have a good day."),
    ]
    header = (f"{cat.COMPANY} customer care: call transcript\n"
              f"Date: {complaint.complaint_date.isoformat()} {hour:02d}:{minute:02d} IST\n"
              f"Caller: {customer.name}, {customer.city}, {customer.country}\n"
              f"Agent on duty: {agent}\n"
              f"Complaint reference: C-{complaint.complaint_id:04d} ({complaint.category}), "
              f"order #{order.order_id}\n\n")
    return header + "\n".join(f"{who}: {said}" for who, said in turns) + "\n"


def _tier_cities(tier_name: str) -> list[str]:
    return [city.name for city in cat.CITIES if city.tier == tier_name]


def delivery_policy(data: RetailData) -> str:
    """The delivery policy in Markdown: windows per city tier, what is late, compensation."""
    rows = "\n".join(
        f"| {tier.label} | {', '.join(_tier_cities(tier.name))} | {tier.promised_days} calendar days "
        f"| {', '.join(tier.carriers)} |"
        for tier in cat.DELIVERY_TIERS)
    comp = "\n".join(
        f"| {least}{'-' + str(most) if most else ' or more'} day{'s' if most != 1 else ''} | {offer} |"
        for least, most, offer in cat.COMPENSATION)
    return f"""# {cat.COMPANY} Delivery Policy

Effective from 1 April {data.today.year - 1}. Applies to every order placed on the {cat.COMPANY} website or app.

## Promised delivery windows

Every order gets a promised delivery date when it is placed: the order date plus the window for the
customer's city. Windows are counted in calendar days, including weekends and public holidays.

| City tier | Cities | Promised window | Carriers |
|---|---|---|---|
{rows}

## What counts as a late delivery

A delivery is late when the parcel is delivered after its promised date. A parcel delivered on the
promised date is on time. A parcel still in transit after its promised date is late too, and customers
may report it from the day after that date. Cancelled orders have no promised date.

## Compensation for late deliveries

Compensation depends on how many days after the promised date the parcel arrived:

| Days late | Compensation |
|---|---|
{comp}

Vouchers are valid for 180 days on any {cat.COMPANY} product. Compensation is applied by customer care
when the customer reports the late delivery by email to {cat.SUPPORT_EMAIL} or by phone.

## Exclusions

No compensation is due when the customer was unreachable at the delivery address, asked to reschedule,
or gave an incomplete address. Customs holds on international parcels pause the window for up to five days.

## Carriers

We work with {", ".join(sorted({c for t in cat.DELIVERY_TIERS for c in t.carriers}))}. The operations team
reviews each carrier's late-delivery rate every quarter.
"""


def returns_policy_html(data: RetailData) -> str:
    """The returns policy as an HTML page with headings and a table of return windows per category."""
    rows = "\n".join(
        f"      <tr><td>{html.escape(category)}</td><td>{days} days</td><td>{html.escape(condition)}</td></tr>"
        for category, (days, condition) in cat.RETURN_RULES.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{cat.COMPANY} Returns Policy</title>
</head>
<body>
  <h1>{cat.COMPANY} Returns Policy</h1>
  <p>This policy covers every product sold by {cat.COMPANY} to customers in India and abroad.
  Return windows start on the day the order is delivered.</p>
  <h2>Return windows by category</h2>
  <table>
    <thead>
      <tr><th>Category</th><th>Return window</th><th>Condition</th></tr>
    </thead>
    <tbody>
{rows}
    </tbody>
  </table>
  <h2>Damaged or wrong items</h2>
  <p>If a product arrives damaged, or a different product arrives instead of the one ordered, tell
  customer care within 7 days of delivery by email ({cat.SUPPORT_EMAIL}) or by phone. We collect the
  item free of charge and send a replacement, or refund it in full if the product is out of stock.
  Photos of the parcel and packaging help us claim from the carrier.</p>
  <h2>How refunds are paid</h2>
  <ul>
    <li>Card and UPI payments are refunded to the original payment method within 5 to 7 working days.</li>
    <li>International orders are refunded in {cat.CURRENCY} at the exchange rate your bank applies.</li>
    <li>Billing errors, such as a double charge, are corrected within 3 working days of the report.</li>
  </ul>
  <h2>Items that cannot be returned</h2>
  <p>Opened tea, spices and wellness products cannot be returned for hygiene reasons unless they
  arrived damaged or were the wrong item.</p>
</body>
</html>
"""


def company_overview(data: RetailData) -> str:
    """A reStructuredText-style overview: what the company sells, where, and how it delivers."""
    def heading(text: str, mark: str) -> str:
        return f"{text}\n{mark * len(text)}\n"

    city_lines = "\n".join(
        f"- {city.name}, {city.country} ({cat.TIERS_BY_NAME[city.tier].label.lower()}): "
        f"{sum(1 for c in data.customers if c.city == city.name)} customers"
        for city in cat.CITIES)
    categories = list(dict.fromkeys(p.category for p in data.products))
    category_lines = "\n".join(
        f"- {category}: " + ", ".join(p.name for p in data.products if p.category == category)
        for category in categories)
    return (
        heading(f"{cat.COMPANY}: company overview", "=") + "\n"
        f"{cat.COMPANY} is an online retailer of Indian crafts, teas, spices, apparel, kitchenware and\n"
        f"wellness products. It was founded in {cat.HEAD_OFFICE} in 2016 and ships to customers across India and\n"
        f"to London, Dubai, Singapore, New York and Toronto. All prices are in Indian rupees ({cat.CURRENCY}).\n\n"
        + heading("Where we sell", "-") + "\n" + city_lines + "\n\n"
        + heading("What we sell", "-") + "\n" + category_lines + "\n\n"
        + heading("How we deliver", "-") + "\n"
        "Delivery promises depend on the city tier; see the delivery policy. Metro cities are served by\n"
        "Coromandel Couriers and Deccan Express Logistics, tier 2 cities by Deccan Express Logistics and\n"
        "Western Ghats Cargo, and international orders by SkyBridge International and Gulf and Orient Freight.\n\n"
        + heading("Customer care", "-") + "\n"
        f"Customer care works from the {cat.HEAD_OFFICE} head office, by email at {cat.SUPPORT_EMAIL} and by phone.\n"
        f"Complaints are logged in four categories: {', '.join(cat.COMPLAINT_CATEGORIES)}.\n"
    )


def write_product_sheets(data: RetailData, docs_dir: Path) -> list[Path]:
    """One DOCX per product category: a heading and a short spec table per product."""
    from docx import Document  # imported here: only document generation needs python-docx

    units = {p.product_id: 0 for p in data.products}
    for order in data.orders:
        if order.status != "cancelled":
            for item in order.items:
                units[item.product_id] += item.quantity
    paths = []
    for category in dict.fromkeys(p.category for p in data.products):
        document = Document()
        document.add_heading(f"{cat.COMPANY} product sheets: {category}", level=0)
        days, condition = cat.RETURN_RULES[category]
        document.add_paragraph(f"Returns: within {days} days of delivery; {condition.lower()}. "
                               f"Prices in {cat.CURRENCY}, valid on {long_date(data.today)}.")
        for product in (p for p in data.products if p.category == category):
            document.add_heading(product.name, level=1)
            document.add_paragraph(product.description)
            table = document.add_table(rows=0, cols=2)
            for label, value in (("Product ID", str(product.product_id)), ("Category", category),
                                 ("Price", _money(product.unit_price)),
                                 ("Units sold in the last 90 days", str(units[product.product_id]))):
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
        paths.append(_save_docx_reproducibly(document, docs_dir / f"product-sheet-{slug(category)}.docx", data.today))
    return paths


def _save_docx_reproducibly(document, path: Path, today: dt.date) -> Path:
    """Save with fixed metadata and zip timestamps so the same data gives byte-identical files."""
    stamp = dt.datetime(today.year, today.month, today.day, 9, 0, tzinfo=dt.timezone.utc)
    props = document.core_properties
    props.author = props.last_modified_by = cat.COMPANY
    props.created = props.modified = stamp
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    # python-docx stamps each zip member with the current time; rewrite them with a fixed one.
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=(today.year, today.month, today.day, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))
    return path


def write_operations_report(data: RetailData, path: Path) -> Path:
    """A quarterly operations report PDF (several pages) whose figures are computed from the rows."""
    from fpdf import FPDF  # imported here: only document generation needs fpdf2

    start, today = window_start(data.today), data.today
    live = [o for o in data.orders if o.status != "cancelled"]
    delivered = [d for d in data.deliveries if d.delivered_date]
    late = [d for d in delivered if d.days_late]
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(today.year, today.month, today.day, 9, 0, tzinfo=dt.timezone.utc))
    pdf.set_title(f"{cat.COMPANY} Quarterly Operations Report")
    pdf.set_author(f"{cat.COMPANY} Operations")
    pdf.set_auto_page_break(auto=True, margin=15)

    def section(title: str, new_page: bool = True) -> None:
        if new_page:
            pdf.add_page()
        pdf.start_section(title)
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def para(text: str) -> None:
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> None:
        with pdf.table(text_align="LEFT", line_height=6, col_widths=widths) as grid:
            for values in (header, *rows):
                line = grid.row()
                for value in values:
                    line.cell(value)
        pdf.ln(4)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, f"{cat.COMPANY}: Quarterly Operations Report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    para(f"Period: {long_date(start)} to {long_date(today)} (90 days). Prepared by the operations team "
         f"at the {cat.HEAD_OFFICE} head office. All amounts in {cat.CURRENCY}.")
    section("1. Summary", new_page=False)
    on_time = 100 * (len(delivered) - len(late)) / max(1, len(delivered))
    para(f"Customers placed {len(data.orders)} orders in the period, of which {len(data.orders) - len(live)} were "
         f"cancelled. Revenue from orders not cancelled was {_money(sum(o.total_amount for o in live))}. "
         f"{len(delivered)} parcels were delivered, {on_time:.1f}% of them on or before the promised date; "
         f"{len(data.deliveries) - len(delivered)} were still in transit on {long_date(today)}. "
         f"Customer care logged {len(data.complaints)} complaints.")
    section("2. Orders by city", new_page=False)
    para("Order counts include cancelled orders; revenue excludes them.")
    city_rows = []
    for city in cat.CITIES:
        orders = [o for o in data.orders if data.customer_by_id[o.customer_id].city == city.name]
        revenue = sum(o.total_amount for o in orders if o.status != "cancelled")
        city_rows.append((city.name, city.country, str(len(orders)), f"{revenue:,.2f}"))
    table(("City", "Country", "Orders", f"Revenue ({cat.CURRENCY})"), city_rows, (2, 3, 1.2, 2))

    section("3. Delivery performance")
    para("A delivery is late when it arrives after the promised date (order date plus the window for the "
         "customer's city tier; see the delivery policy).")
    carrier_rows = []
    for carrier in cat.CARRIER_LATE_RATES:
        done = [d for d in delivered if d.carrier == carrier]
        slow = [d for d in done if d.days_late]
        average = sum(d.days_late for d in slow) / max(1, len(slow))
        carrier_rows.append((carrier, str(len(done)), str(len(slow)),
                             f"{100 * len(slow) / max(1, len(done)):.1f}%", f"{average:.1f}"))
    table(("Carrier", "Delivered", "Late", "Late share", "Avg days late"), carrier_rows, (3.2, 1.2, 1, 1.2, 1.5))
    worst = max(carrier_rows, key=lambda row: float(row[3].rstrip("%")))
    para(f"{worst[0]} had the highest late share ({worst[3]}) and is under review.")
    tier_rows = []
    for tier in cat.DELIVERY_TIERS:
        done = [d for d in delivered if cat.CITIES_BY_NAME[data.customer_by_id[
            data.order_by_id[d.order_id].customer_id].city].tier == tier.name]
        tier_rows.append((tier.label, f"{tier.promised_days} days", str(len(done)),
                          str(sum(1 for d in done if d.days_late))))
    table(("City tier", "Promised window", "Delivered", "Late"), tier_rows, (3, 2, 1.2, 1))

    section("4. Customer complaints")
    table(("Category", "Email", "Call", "Total"), [
        (category, *(str(sum(1 for c in data.complaints if c.category == category and c.channel == channel))
                     for channel in ("email", "call")),
         str(sum(1 for c in data.complaints if c.category == category)))
        for category in cat.COMPLAINT_CATEGORIES], (2, 1, 1, 1))
    first, last = previous_month(today)
    para(f"Late-delivery complaints received between {long_date(first)} and {long_date(last)}:")
    recent = [c for c in data.complaints if c.category == "late delivery" and first <= c.complaint_date <= last]
    table(("Date", "Customer", "City", "Order", "Products"), [
        (c.complaint_date.isoformat(), data.customer_by_id[c.customer_id].name, data.customer_by_id[c.customer_id].city,
         f"#{c.order_id}", ", ".join(data.product_names(data.order_by_id[c.order_id]))) for c in recent],
        (1.6, 2.2, 1.3, 0.9, 4.5))

    section("5. Product performance")
    units = {p.product_id: 0 for p in data.products}
    for order in live:
        for item in order.items:
            units[item.product_id] += item.quantity
    ranked = sorted(data.products, key=lambda p: (-units[p.product_id], p.product_id))[:10]
    table(("Product", "Category", "Units sold", f"Revenue ({cat.CURRENCY})"), [
        (p.name, p.category, str(units[p.product_id]), f"{units[p.product_id] * p.unit_price:,.2f}") for p in ranked],
        (3.2, 2, 1.2, 1.6))
    damaged = Counter(p.category for c in data.complaints if c.category == "damaged"
                      for p in data.products if p.name in c.detail)
    fragile = [category for category, _ in sorted(damaged.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    section("6. Actions for next quarter", new_page=False)
    para(f"Review the contract with {worst[0]} and move part of its volume to the better-performing carrier in the "
         f"same tier. Add protective packaging for {_join_names(tuple(fragile))} items, the categories most often "
         "reported damaged this quarter. Publish the compensation table in order confirmation emails so customers "
         "know what a late delivery entitles them to.")
    pdf.output(str(path))
    return path
