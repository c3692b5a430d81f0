"""Each formatter obeys its channel's rules."""

from __future__ import annotations

import random
import re
from email import message_from_bytes, policy

import pytest
from bs4 import BeautifulSoup

from connectors.channels.format import (
    TELEGRAM_RESERVED,
    escape_telegram,
    format_email,
    format_telegram,
    format_voice,
    format_web,
    format_whatsapp,
)
from connectors.channels.markdown import escape_markdown, parse_blocks, parse_spans, plain_text
from connectors.channels.message import Reply
from core.records import Source

SOURCES = (
    Source(1, "passage", "Q3_board_memo.pdf", "Revenue grew..."),
    Source(2, "sql", "retail.db: orders", "", {"url": "https://dash.example.com/orders?q=1"}),
)
RICH = """## Sales overview

Revenue grew **12%** in Q3 [1], driven by _online_ sales; see [the dashboard](https://dash.example.com/q3).
Returns were ~~high~~ normal and the `orders` table has the details [2].

| region | sales | growth |
|---|---|---|
| North | 120 | 5% |
| South | 95 | 2% |
| East | 80 | 1% |
| West | 70 | 0% |

- Online grew fastest.
- Stores were flat.

```sql
SELECT region, SUM(total) FROM orders GROUP BY region;
```
"""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def telegram_parse(message: str) -> tuple[str, list[tuple[str, str]]]:
    """Read MarkdownV2 the way Telegram does (for the entities the formatter emits).

    Returns the visible text and the entities; fails on an unescaped reserved character, a
    dangling backslash or an unclosed entity, which Telegram answers with "can't parse entities".
    """
    text, entities, i, open_mark, mark_start = [], [], 0, "", 0

    def read_until(end: str, start: int, must_escape: str, only_those: bool) -> tuple[str, int]:
        out, j = [], start
        while not message.startswith(end, j):
            assert j < len(message), f"unclosed {end!r} in {message!r}"
            if message[j] == "\\":
                assert j + 1 < len(message), "dangling backslash"
                assert not only_those or message[j + 1] in must_escape, f"needless escape {message[j:j + 2]!r}"
                out.append(message[j + 1])
                j += 2
                continue
            assert message[j] not in must_escape, f"unescaped {message[j]!r} in {message!r}"
            out.append(message[j])
            j += 1
        return "".join(out), j + len(end)

    while i < len(message):
        c = message[i]
        if c == "\\":
            assert i + 1 < len(message), "dangling backslash"
            assert 1 <= ord(message[i + 1]) <= 126
            text.append(message[i + 1])
            i += 2
        elif message.startswith("```", i):
            body, i = read_until("```", i + 3, "`\\", True)
            language, _, code = body.partition("\n")
            entities.append(("pre", code.rstrip("\n")))
            text.append(code)
        elif c == "`":
            code, i = read_until("`", i + 1, "`\\", True)
            entities.append(("code", code))
            text.append(code)
        elif c == "[":
            label, i = read_until("](", i + 1, TELEGRAM_RESERVED.replace("]", ""), False)
            url, i = read_until(")", i, ")\\", True)
            entities.append(("link", url))
            text.append(label)
        elif c in "*_~":
            if open_mark == c:
                entities.append(({"*": "bold", "_": "italic", "~": "strike"}[c], "".join(text)[mark_start:]))
                open_mark = ""
            else:
                assert not open_mark, f"nested {c!r} inside {open_mark!r}"
                open_mark, mark_start = c, len("".join(text))
            i += 1
        elif c == ">" and (i == 0 or message[i - 1] == "\n"):
            entities.append(("blockquote", ""))
            i += 1
        else:
            assert c not in TELEGRAM_RESERVED, f"unescaped {c!r} at {i} in {message[max(0, i - 20):i + 20]!r}"
            text.append(c)
            i += 1
    assert not open_mark, f"unclosed {open_mark!r}"
    return "".join(text), entities


# --- Telegram -------------------------------------------------------------------------------


def test_escape_telegram_escapes_every_reserved_character_and_round_trips():
    original = "Price (net): 5.00 - 10% off! a_b *c* [x] {y} ~z~ `q` > #1 + 2 = 3 | back\\slash"
    escaped = escape_telegram(original)
    visible, entities = telegram_parse(escaped)
    assert visible == original
    assert entities == []
    for char in TELEGRAM_RESERVED:
        assert escape_telegram(char) == "\\" + char


def test_telegram_plain_text_survives_markdownv2_exactly():
    text = "Costs (net) rose 5.5% - see item #3 + note = ok | {a} ! b > c"
    [message] = format_telegram(Reply(text))
    visible, entities = telegram_parse(message)
    assert visible == text and entities == []


def test_telegram_renders_entities_and_escapes_inside_them():
    [message] = format_telegram(Reply("**Net (EU) 5.0!** and _a.b_ and `x_y\\z` and [docs](https://x.org/a_(b))"))
    visible, entities = telegram_parse(message)
    assert visible == "Net (EU) 5.0! and a.b and x_y\\z and docs"
    assert ("bold", "Net (EU) 5.0!") in entities
    assert ("italic", "a.b") in entities
    assert ("code", "x_y\\z") in entities
    assert ("link", "https://x.org/a_(b)") in entities


def test_telegram_rich_reply_is_valid_and_lists_sources():
    [message] = format_telegram(Reply(RICH, SOURCES, notice="Generation is off."))
    visible, entities = telegram_parse(message)
    assert ("bold", "Sales overview") in entities
    assert ("bold", "Sources") in entities
    assert "[1] Q3_board_memo.pdf" in visible
    assert "[2] retail.db: orders (https://dash.example.com/orders?q=1)" in visible
    assert "Note: Generation is off." in visible
    pre = [body for kind, body in entities if kind == "pre"]
    assert any("North" in body and "|" in body for body in pre), "tables become monospace blocks"
    assert any("SELECT region" in body for body in pre)
    assert "| region |" not in message and "## " not in message


def test_telegram_long_reply_is_split_into_valid_messages_of_at_most_4096():
    paragraph = "Sales (EU) grew 5.5% - year on year! Items #1-#3 = best sellers. " * 12
    text = "\n\n".join(f"**Part {n}.** {paragraph}" for n in range(30))
    messages = format_telegram(Reply(text))
    assert len(messages) > 2
    visible_total = ""
    for message in messages:
        assert utf16_len(message) <= 4096
        visible, _ = telegram_parse(message)
        visible_total += visible
    assert visible_total.count("year on year!") == 12 * 30
    assert all(f"Part {n}." in visible_total for n in range(30))


def test_telegram_split_never_cuts_an_escape_even_in_one_unbroken_run():
    messages = format_telegram(Reply("." * 9000), max_chars=4096)
    assert len(messages) >= 5  # each dot needs a backslash: 18000 characters escaped
    assert sum(telegram_parse(m)[0].count(".") for m in messages) == 9000
    assert all(utf16_len(m) <= 4096 for m in messages)


def test_telegram_limit_counts_utf16_units():
    messages = format_telegram(Reply("\U0001F600" * 3000))
    assert len(messages) == 2
    assert all(utf16_len(m) <= 4096 for m in messages)


def test_telegram_long_code_block_stays_code_in_every_piece():
    code = "\n".join(f"SELECT {n} AS value_`{n}` FROM t; -- \\ {n}" for n in range(400))
    messages = format_telegram(Reply(f"```sql\n{code}\n```"), max_chars=2000)
    assert len(messages) > 2
    lines = []
    for message in messages:
        assert len(message) <= 2000
        visible, entities = telegram_parse(message)
        assert [kind for kind, _ in entities] == ["pre"]
        lines += entities[0][1].split("\n")
    assert lines == code.split("\n")


FUZZ_PIECES = list("ab c_*[]()~`>#+-=|{}.!\\\n") + [
    "**", "__", "~~", "```", "\n\n", "- ", "1. ", "# ", "| x | y |\n|---|---|\n", "[l](http://u.v/(w))", "\U0001F600", "é"]


@pytest.mark.parametrize("seed", range(4))
def test_random_markdown_always_gives_valid_messages_within_limits(seed):
    rng = random.Random(seed)
    for _ in range(100):
        text = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 300)))
        limit = rng.choice([60, 120, 4096])
        for message in format_telegram(Reply(text), max_chars=limit):
            assert utf16_len(message) <= limit
            telegram_parse(message)
        assert all(len(m) <= limit for m in format_whatsapp(Reply(text), max_chars=limit))


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_uses_its_own_markup_and_no_tables_headings_or_link_syntax():
    [message] = format_whatsapp(Reply(RICH, SOURCES))
    assert "*Sales overview*" in message and "## " not in message
    assert "*12%*" in message and "**" not in message
    assert "_online_" in message
    assert "~high~" in message and "~~" not in message
    assert "```orders```" in message
    assert "the dashboard (https://dash.example.com/q3)" in message
    assert "](" not in message
    assert not re.search(r"^\s*\|", message, re.MULTILINE), "no table rows"
    assert "• region: North, sales: 120, growth: 5%" in message
    assert "• Online grew fastest." in message
    assert "```\nSELECT region" in message
    assert "*Sources*\n• [1] Q3_board_memo.pdf\n• [2] retail.db: orders (https://dash.example.com/orders?q=1)" in message


def test_whatsapp_splits_on_paragraph_boundaries():
    paragraphs = [f"Paragraph {n}: " + "the quarterly numbers look steady. " * 20 for n in range(20)]
    messages = format_whatsapp(Reply("\n\n".join(paragraphs)))
    assert len(messages) > 1
    assert all(len(m) <= 4096 for m in messages)
    rebuilt = [p for m in messages for p in m.split("\n\n")]
    assert rebuilt == [p.strip() for p in paragraphs]


def test_whatsapp_splits_an_overlong_paragraph_on_sentences():
    sentences = [f"Sentence number {n} explains one more detail of the result." for n in range(150)]
    messages = format_whatsapp(Reply(" ".join(sentences)), max_chars=1000)
    assert len(messages) > 5
    for message in messages:
        assert len(message) <= 1000
        assert message.endswith("result.")
    assert " ".join(messages) == " ".join(sentences)


def test_whatsapp_formatting_survives_splitting():
    text = " ".join(f"**Point {n}** is important." for n in range(400))
    messages = format_whatsapp(Reply(text), max_chars=500)
    for message in messages:
        assert len(message) <= 500
        assert message.count("*") % 2 == 0


# --- Voice ----------------------------------------------------------------------------------


def test_voice_is_plain_speakable_text():
    said = format_voice(Reply(RICH, SOURCES, notice="Generation is off."), max_chars=5000)
    assert not re.search(r"[*_`#|~\[\]]", said), said
    assert "http" not in said and "www." not in said and "dash.example.com" not in said
    assert "A table with 4 rows and the columns region, sales and growth." in said
    assert "Row 1: region North, sales 120, growth 5%." in said
    assert "The other rows are in the written answer." in said
    assert "SELECT" not in said and "code sample" in said
    assert said.startswith("Generation is off. Sales overview.")
    assert "see the dashboard." in said
    assert "This answer draws on 2 sources: Q3 board memo and retail.db: orders." in said


def test_voice_citations_removed_or_spoken():
    reply = Reply("Sales rose [1]. Costs fell [2, 3].")
    assert format_voice(reply) == "Sales rose. Costs fell."
    assert format_voice(reply, speak_citations=True) == "Sales rose (source 1). Costs fell (sources 2 and 3)."


def test_voice_keeps_a_reasonable_length():
    reply = Reply(" ".join(f"Finding {n} is that sales were steady." for n in range(200)))
    said = format_voice(reply, max_chars=300)
    assert len(said) <= 300
    assert said.endswith("That is the short version of the answer.")
    assert "Finding 0 is that sales were steady." in said


# --- Email ----------------------------------------------------------------------------------


def test_email_is_multipart_alternative_with_plain_and_html_parts():
    reply = Reply(RICH + "\n\nWatch out for <script>alert(1)</script> & [bad](javascript:alert(1)).", SOURCES,
                  notice="Generation is off.")
    message = format_email(reply, subject="Re: Sales\r\n overview")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "Re: Sales overview"

    plain = parsed.get_body(("plain",)).get_content()
    assert "Sales overview\n--------------" in plain
    assert "Revenue grew 12% in Q3 [1]" in plain and "**" not in plain
    assert "the dashboard <https://dash.example.com/q3>" in plain
    assert "Sources:\n[1] Q3_board_memo.pdf\n[2] retail.db: orders (https://dash.example.com/orders?q=1)" in plain

    html = parsed.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script")
    assert all(a["href"].startswith("https://") for a in soup.find_all("a"))
    assert soup.find("strong").get_text() == "12%"
    assert [th.get_text() for th in soup.find("table").find_all("th")] == ["region", "sales", "growth"]
    sources = soup.find("ol", class_="sources").find_all("li")
    assert [li["value"] for li in sources] == ["1", "2"]
    assert sources[0].get_text() == "Q3_board_memo.pdf"
    assert sources[1].find("a")["href"] == "https://dash.example.com/orders?q=1"
    assert "Generation is off." in soup.get_text()


def test_email_html_escapes_source_titles():
    message = format_email(Reply("Answer [1].", (Source(1, "passage", "<b>Q&A</b>", ""),)), subject="Q")
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Q&amp;A&lt;/b&gt;" in html and "<b>Q&A</b>" not in html


# --- Web ------------------------------------------------------------------------------------


def test_web_is_markdown_with_sources():
    out = format_web(Reply(RICH, SOURCES, notice="Generation is off."))
    # The same document after sanitising: headings, bold, links, the table, lists and code survive.
    for fragment in ("## Sales overview", "Revenue grew **12%** in Q3 \\[1\\]", "*online*",
                     "[the dashboard](https://dash.example.com/q3)", "~~high~~", "` orders `", "| North | 120 | 5% |",
                     "- Online grew fastest.", "SELECT region, SUM(total) FROM orders GROUP BY region;"):
        assert fragment in out, fragment
    assert "**Sources**" in out
    blocks = parse_blocks(out)
    items = [plain_text(parse_spans(b.text)) for b in blocks if b.kind == "bullet"][-2:]
    assert items == ["[1] Q3_board_memo.pdf", "[2] retail.db: orders (https://dash.example.com/orders?q=1)"]


def test_web_reply_cannot_carry_an_image_or_html_to_the_widget():
    hostile = ("![x][r] and ![a [b] c](https://evil.example/n) <img src=https://evil.example/i>\n\n"
               "[r]: https://evil.example/r")
    out = format_web(Reply(hostile, (Source(1, "passage", "<title>![s](https://evil.example/t)</title>", ""),)))
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).render(out)
    assert "<img" not in html and "<title>" not in html and "evil.example/r" not in out
    assert "[image: x]" in html and "[image: a [b] c]" in html


@pytest.mark.parametrize("title", ["a_b_c.pdf", "*[x](y)*", "back\\slash | pipe ~ `tick`"])
def test_escape_markdown_reads_back_literally(title):
    assert plain_text(parse_spans(escape_markdown(title))) == title
