"""The Kaveri Retail demo: deterministic, internally consistent, and answerable by plain SQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from bs4 import BeautifulSoup

from core.demo import DemoSummary, demo_exists, generate_demo
from core.errors import InvalidInput

REPO_ROOT = Path(__file__).resolve().parents[3]
PRIMARY_KEYS = {
    "customers": "customer_id", "products": "product_id", "orders": "order_id",
    "order_items": "order_id, product_id", "deliveries": "delivery_id", "complaints": "complaint_id",
}
INDIAN_CITIES = {"Chennai", "Mumbai", "Bengaluru", "Delhi", "Hyderabad", "Pune", "Kolkata", "Kochi"}
ABROAD_CITIES = {"London", "Dubai", "Singapore", "New York", "Toronto"}


def query(summary: DemoSummary, sql: str, params: tuple = ()) -> list[tuple]:
    connection = sqlite3.connect(f"{summary.db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def all_rows(summary: DemoSummary) -> dict[str, list[tuple]]:
    return {table: query(summary, f"SELECT * FROM {table} ORDER BY {key}") for table, key in PRIMARY_KEYS.items()}


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def previous_month_bounds(day: dt.date) -> tuple[str, str]:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1).isoformat(), last.isoformat()


def document_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    if path.suffix == ".docx":
        document = docx.Document(path)
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    return path.read_text(encoding="utf-8")


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_and_today_give_identical_rows(demo, demo_again):
    assert all_rows(demo) == all_rows(demo_again)


def test_same_seed_and_today_give_byte_identical_documents(demo, demo_again):
    names = sorted(p.name for p in demo.docs_dir.iterdir())
    assert names == sorted(p.name for p in demo_again.docs_dir.iterdir())
    for name in names:
        assert (demo.docs_dir / name).read_bytes() == (demo_again.docs_dir / name).read_bytes(), name


def test_embedded_timestamps_come_from_today_not_the_clock(demo):
    # Two runs a second apart can share a clock reading, so check the stamps themselves.
    nine_am = dt.datetime(2025, 3, 12, 9, 0, tzinfo=dt.timezone.utc)
    assert pypdf.PdfReader(demo.docs_dir / "quarterly-operations-report.pdf").metadata.creation_date == nine_am
    for path in demo.docs_dir.glob("*.docx"):
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(2025, 3, 12, 9, 0, 0)}
        properties = docx.Document(path).core_properties
        assert properties.created == properties.modified == nine_am


def test_a_different_seed_gives_different_data(demo, demo_other_seed):
    first, second = all_rows(demo), all_rows(demo_other_seed)
    assert first["customers"] != second["customers"]
    assert first["orders"] != second["orders"]
    assert first["complaints"] != second["complaints"]


# --- schema and integrity ----------------------------------------------------------------------


def test_summary_matches_what_is_on_disk(demo):
    assert demo.db_path == demo.target_dir / "retail.db" and demo.db_path.is_file()
    for table, count in demo.row_counts.items():
        assert query(demo, f"SELECT COUNT(*) FROM {table}")[0][0] == count
    assert sorted(demo.documents) == sorted(demo.docs_dir.iterdir())
    assert not list(demo.target_dir.glob(".demo-build-*"))


def test_schema_declares_primary_and_foreign_keys(demo):
    declared_pk = {table: [row[1] for row in sorted(query(demo, f"PRAGMA table_info({table})"), key=lambda r: r[5]) if row[5]]
                   for table in PRIMARY_KEYS}
    assert declared_pk == {table: key.split(", ") for table, key in PRIMARY_KEYS.items()}
    foreign = {table: sorted((row[3], row[2]) for row in query(demo, f"PRAGMA foreign_key_list({table})"))
               for table in PRIMARY_KEYS}
    assert foreign["orders"] == [("customer_id", "customers")]
    assert foreign["order_items"] == [("order_id", "orders"), ("product_id", "products")]
    assert foreign["deliveries"] == [("order_id", "orders")]
    assert foreign["complaints"] == [("customer_id", "customers"), ("order_id", "orders")]


def test_every_foreign_key_resolves(demo):
    assert query(demo, "PRAGMA foreign_key_check") == []
    assert query(demo, "SELECT COUNT(*) FROM orders o LEFT JOIN customers c USING (customer_id) "
                       "WHERE c.customer_id IS NULL")[0][0] == 0
    assert query(demo, "SELECT COUNT(*) FROM order_items i LEFT JOIN products p USING (product_id) "
                       "WHERE p.product_id IS NULL")[0][0] == 0
    assert query(demo, "SELECT COUNT(*) FROM deliveries d LEFT JOIN orders o USING (order_id) "
                       "WHERE o.order_id IS NULL")[0][0] == 0


def test_order_totals_equal_the_sum_of_their_items(demo):
    mismatches = query(demo, """
        SELECT o.order_id FROM orders o JOIN order_items i USING (order_id)
        GROUP BY o.order_id HAVING ABS(o.total_amount - SUM(i.quantity * i.unit_price)) > 0.005""")
    assert mismatches == []
    assert query(demo, "SELECT COUNT(*) FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_items)")[0][0] == 0


def test_orders_fill_the_90_days_ending_today(any_demo):
    today = any_demo.today
    count, first, last = query(any_demo, "SELECT COUNT(*), MIN(order_date), MAX(order_date) FROM orders")[0]
    assert 1400 <= count <= 1600
    assert first == (today - dt.timedelta(days=89)).isoformat()
    assert last == today.isoformat()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[0]) for row in query(any_demo, "SELECT order_date FROM orders"))


def test_customers_have_unique_two_word_names_in_india_and_abroad(demo):
    rows = query(demo, "SELECT name, city, country FROM customers")
    assert 100 <= len(rows) <= 140
    names = [name for name, _, _ in rows]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z]+", name) for name in names)
    assert {city for _, city, _ in rows} == INDIAN_CITIES | ABROAD_CITIES
    assert all((country == "India") == (city in INDIAN_CITIES) for _, city, country in rows)


def test_products_are_distinctive_multi_word_names(demo):
    rows = query(demo, "SELECT name, category, unit_price FROM products")
    assert 20 <= len(rows) <= 30
    assert all(len(name.split()) >= 2 and price > 0 for name, _, price in rows)
    assert len({category for _, category, _ in rows}) >= 4


def test_deliveries_are_delivered_or_in_transit_and_some_are_late(demo):
    statuses = dict(query(demo, "SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
    assert set(statuses) == {"delivered", "in transit"}
    assert query(demo, "SELECT COUNT(*) FROM deliveries WHERE (status = 'delivered') != (delivered_date IS NOT NULL)")[0][0] == 0
    late = query(demo, "SELECT COUNT(*) FROM deliveries WHERE delivered_date > promised_date")[0][0]
    assert 0.05 * statuses["delivered"] < late < 0.4 * statuses["delivered"]
    assert query(demo, "SELECT COUNT(*) FROM deliveries WHERE delivered_date > ?", (demo.today.isoformat(),))[0][0] == 0
    assert query(demo, """SELECT COUNT(*) FROM orders o LEFT JOIN deliveries d USING (order_id)
                          WHERE (o.status = 'cancelled') != (d.order_id IS NULL)
                             OR (o.status = 'delivered') != (d.status = 'delivered')""")[0][0] == 0


# --- complaints ------------------------------------------------------------------------------


def test_complaints_agree_with_orders_and_deliveries(any_demo):
    rows = query(any_demo, """
        SELECT k.complaint_id, k.category, k.channel, k.complaint_date, k.text, k.customer_id,
               o.customer_id, o.order_id, o.order_date, d.promised_date, d.delivered_date, c.name
        FROM complaints k JOIN orders o USING (order_id) JOIN customers c ON c.customer_id = k.customer_id
        LEFT JOIN deliveries d ON d.order_id = k.order_id""")
    assert rows
    assert {row[1] for row in rows} == {"late delivery", "damaged", "wrong item", "billing"}
    assert {row[2] for row in rows} == {"email", "call"}
    for (_, category, _, complained, text, customer, order_customer, order_id, ordered, promised, delivered,
         name) in rows:
        assert customer == order_customer
        assert ordered < complained <= any_demo.today.isoformat()
        if category == "late delivery":
            assert delivered is not None and delivered > promised
        assert name in text and f"order #{order_id}" in text
        for (product,) in query(any_demo, "SELECT p.name FROM order_items i JOIN products p USING (product_id) "
                                          "WHERE i.order_id = ?", (order_id,)):
            assert product in text


def test_late_delivery_complaints_fall_last_month_and_in_other_months(any_demo):
    first, last = previous_month_bounds(any_demo.today)
    in_month = query(any_demo, "SELECT customer_id FROM complaints WHERE category = 'late delivery' "
                               "AND complaint_date BETWEEN ? AND ?", (first, last))
    elsewhere = query(any_demo, "SELECT COUNT(*) FROM complaints WHERE category = 'late delivery' "
                                "AND complaint_date NOT BETWEEN ? AND ?", (first, last))[0][0]
    assert len(in_month) >= 4 and len(set(in_month)) >= 3
    assert elsewhere >= 3


def test_complaint_texts_name_the_customer_as_a_person_for_spacy(demo, spacy_nlp):
    rows = query(demo, "SELECT c.name, k.text FROM complaints k JOIN customers c USING (customer_id)")
    found = sum(any(e.label_ == "PERSON" and e.text == name for e in spacy_nlp(text).ents) for name, text in rows)
    assert found >= 0.9 * len(rows)


# --- the two demo questions, by plain SQL --------------------------------------------------------


def test_chennai_orders_this_week_is_never_empty(any_demo):
    today = any_demo.today
    count, on_today = query(any_demo, """
        SELECT COUNT(*), SUM(o.order_date = ?) FROM orders o JOIN customers c USING (customer_id)
        WHERE c.city = 'Chennai' AND o.order_date BETWEEN ? AND ?""",
        (today.isoformat(), monday_of(today).isoformat(), today.isoformat()))[0]
    assert count >= 3
    assert on_today >= 1


def test_customers_who_complained_about_delivery_last_month_and_their_products(any_demo):
    first, last = previous_month_bounds(any_demo.today)
    rows = query(any_demo, """
        SELECT DISTINCT c.name, p.name
        FROM complaints k
        JOIN customers c ON c.customer_id = k.customer_id
        JOIN order_items i ON i.order_id = k.order_id
        JOIN products p ON p.product_id = i.product_id
        WHERE k.category = 'late delivery' AND k.complaint_date BETWEEN ? AND ?
        ORDER BY c.name, p.name""", (first, last))
    customers = {name for name, _ in rows}
    assert len(customers) >= 3
    texts = [document_text(path) for path in sorted(any_demo.docs_dir.iterdir())]
    for name in customers:
        assert any(name in text for text in texts), name
    report = document_text(any_demo.docs_dir / "quarterly-operations-report.pdf")
    assert all(name in report for name in customers)


# --- documents ---------------------------------------------------------------------------------


def test_every_document_format_is_present_and_the_count_is_modest(demo):
    suffixes = {path.suffix for path in demo.documents}
    assert {".md", ".txt", ".html", ".docx", ".pdf", ".rst"} <= suffixes
    assert 30 <= len(demo.documents) <= 50


def test_one_document_per_complaint_in_its_channel(demo):
    for complaint_id, channel, name in query(demo, "SELECT k.complaint_id, k.channel, c.name FROM complaints k "
                                                   "JOIN customers c USING (customer_id)"):
        slug = name.lower().replace(" ", "-")
        expected = (f"complaint-email-{complaint_id:04d}-{slug}.md" if channel == "email"
                    else f"call-transcript-{complaint_id:04d}-{slug}.txt")
        assert (demo.docs_dir / expected).is_file(), expected


def test_complaint_emails_have_headers_and_transcripts_have_turns(demo):
    emails = sorted(demo.docs_dir.glob("complaint-email-*.md"))
    transcripts = sorted(demo.docs_dir.glob("call-transcript-*.txt"))
    assert emails and transcripts
    for path in emails:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert [line.split(":")[0] for line in lines[:4]] == ["From", "To", "Date", "Subject"]
    for path in transcripts:
        turns = [line.split(":")[0] for line in path.read_text(encoding="utf-8").splitlines()
                 if line.startswith(("Agent:", "Customer:"))]
        assert turns[:4] == ["Agent", "Customer", "Agent", "Customer"]


def test_pdf_report_has_pages_and_order_counts_that_match_the_database(demo):
    reader = pypdf.PdfReader(demo.docs_dir / "quarterly-operations-report.pdf")
    assert len(reader.pages) >= 3
    text = document_text(demo.docs_dir / "quarterly-operations-report.pdf")
    assert "Quarterly Operations Report" in text and "Delivery performance" in text
    for city, count in query(demo, "SELECT c.city, COUNT(*) FROM orders o JOIN customers c USING (customer_id) "
                                   "GROUP BY c.city"):
        assert re.search(rf"^{city} .* {count} [\d,]+\.\d\d$", text, re.MULTILINE), city
    total = query(demo, "SELECT COUNT(*) FROM orders")[0][0]
    assert f"placed {total} orders" in text


def test_product_sheets_cover_every_product_with_a_heading(demo):
    headings, text = set(), ""
    for path in sorted(demo.docs_dir.glob("*.docx")):
        document = docx.Document(path)
        headings |= {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
        text += document_text(path)
    for name, price in query(demo, "SELECT name, unit_price FROM products"):
        assert name in headings
        assert f"INR {price:,.2f}" in text


def test_policies_have_headings_and_match_the_data(demo):
    policy = (demo.docs_dir / "delivery-policy.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", policy, re.MULTILINE)
    assert "Promised delivery windows" in headings and "Compensation for late deliveries" in headings
    assert any("late" in heading.lower() for heading in headings)
    for (carrier,) in query(demo, "SELECT DISTINCT carrier FROM deliveries"):
        assert carrier in policy
    soup = BeautifulSoup((demo.docs_dir / "returns-policy.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.h1 and len(soup.find_all("h2")) >= 2
    table_text = soup.table.get_text(" ")
    for (category,) in query(demo, "SELECT DISTINCT category FROM products"):
        assert category in table_text
    overview = (demo.docs_dir / "company-overview.rst").read_text(encoding="utf-8")
    assert re.search(r"^=+$", overview, re.MULTILINE) and "Chennai" in overview


# --- writing safely ----------------------------------------------------------------------------


def test_generate_refuses_to_overwrite_unless_asked(tmp_path):
    summary = generate_demo(tmp_path, today=dt.date(2025, 3, 12), seed=3)
    before = all_rows(summary)
    with pytest.raises(InvalidInput, match="already exists"):
        generate_demo(tmp_path, today=dt.date(2025, 3, 12), seed=4)
    assert all_rows(summary) == before
    (tmp_path / ".demo-build-abandoned").mkdir()
    again = generate_demo(tmp_path, today=dt.date(2025, 3, 12), seed=4, overwrite=True)
    assert all_rows(again) != before
    assert not list(tmp_path.glob(".demo-build-*"))
    assert sorted(p.name for p in again.docs_dir.iterdir()) == sorted(p.name for p in again.documents)


def test_documents_without_a_database_do_not_count_as_a_demo(tmp_path):
    (tmp_path / "docs").mkdir()
    assert not demo_exists(tmp_path)
    with pytest.raises(InvalidInput):
        generate_demo(tmp_path, today=dt.date(2025, 3, 12))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.demo", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


def test_cli_generates_once_and_then_leaves_the_data_alone(tmp_path):
    target = tmp_path / "demo"
    first = run_cli("--target", str(target), "--today", "2025-03-12")
    assert first.returncode == 0, first.stderr
    assert "1500" in first.stdout and (target / "retail.db").is_file()
    inode = (target / "retail.db").stat().st_ino
    stamp = (target / "retail.db").stat().st_mtime_ns
    second = run_cli("--target", str(target), "--today", "2025-03-12")
    assert second.returncode == 0, second.stderr
    assert "already exists" in second.stdout
    assert (target / "retail.db").stat().st_ino == inode and (target / "retail.db").stat().st_mtime_ns == stamp
    forced = run_cli("--target", str(target), "--today", "2025-03-12", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "retail.db").stat().st_ino != inode


def test_cli_defaults_to_the_demo_folder_under_the_data_dir(tmp_path):
    env = {**os.environ, "AW_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("--today", "2025-03-12", "--seed", "11", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "demo" / "retail.db").is_file()
    assert (tmp_path / "data" / "demo" / "docs" / "delivery-policy.md").is_file()


def test_cli_rejects_a_malformed_date(tmp_path):
    result = run_cli("--target", str(tmp_path), "--today", "12/03/2025")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr
    assert not (tmp_path / "retail.db").exists()
