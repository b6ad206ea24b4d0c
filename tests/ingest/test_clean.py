from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.clean import clean_text

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

NOISY = """Home / World / Weather / Storm Batters Northern Coast
3 min read
Share on Facebook Share on Twitter Print Email

Storm Batters Northern Coast

Updated March 3, 2023 08:15 AM
March 3, 2023
- 1,204 views.

A winter storm cut power to 40,000 homes along the northern coast on Thursday, the utility said.

Crews expect to restore most lines by Saturday.

Storm Batters Northern Coast

Waves topped the harbour wall in two towns. Photo: Lena Ortiz/Coastal Daily

The port will stay closed until the the wind drops , officials added.

Harbour officials praised the volunteers who sandbagged the ferry terminal overnight.
The regional council will meet next week to discuss sea defences for the harbour towns.

About the Author

Pat Rivera
Pat covers weather and climate for the paper.
Sign up for our newsletter to get the morning briefing.

You May Also Like
Council Approves New Bike Lanes Downtown
Local Bakery Wins National Bread Award
High School Team Heads to State Finals
"""


def test_invented_page_noise_is_dropped_and_the_story_kept() -> None:
    cleaned = clean_text(NOISY)
    for kept in (
        "A winter storm cut power to 40,000 homes along the northern coast on Thursday, the utility said.",
        "Crews expect to restore most lines by Saturday.",
        "The regional council will meet next week to discuss sea defences for the harbour towns.",
    ):
        assert kept in cleaned
    for dropped in ("Home / World", "min read", "Share on", "Updated March", "views", "Photo:", "Lena Ortiz",
                    "About the Author", "Pat covers", "newsletter", "You May Also Like", "Bike Lanes", "Bakery"):
        assert dropped not in cleaned, dropped
    assert cleaned.count("Storm Batters Northern Coast") == 1  # repeated title kept once
    assert "until the wind drops, officials added." in cleaned  # doubled word and stray space fixed
    assert "\n\n\n" not in cleaned


def test_trailing_headline_list_without_a_marker_is_dropped() -> None:
    text = (
        "The museum reopens on Monday after a two-year renovation.\n"
        "Tickets are free for the first week.\n\n"
        "Mayor Unveils Plan for Riverside Park\n"
        "Tech Firm Opens Office in Old Mill\n"
        "Ferry Prices Rise for Summer Season\n"
    )
    assert clean_text(text) == "The museum reopens on Monday after a two-year renovation.\nTickets are free for the first week."


def test_two_closing_headings_are_not_a_headline_list() -> None:
    text = "The vote passed by a wide margin.\n\nWhat Happens Next\nThe law takes effect in June."
    assert clean_text(text) == text


def test_comment_widget_at_the_end_is_dropped_but_a_share_bar_at_the_top_is_not_the_tail() -> None:
    text = (
        "Post a Comment Print Share on Facebook\n\n"
        "The bridge will close for repairs from May to August, the city said on Tuesday.\n\n"
        "Drivers should use the northern ring road during the works, which cost $12 million.\n\n"
        "Avatar\nYour Name\nPost a Comment\nCharacters Left:\n"
        "Comments are moderated and may take a day to appear, and abusive ones are removed.\n"
    )
    cleaned = clean_text(text)
    assert cleaned.startswith("The bridge will close")
    assert "$12 million" in cleaned
    assert "Avatar" not in cleaned and "moderated" not in cleaned


def test_truncated_teaser_of_a_later_paragraph_is_dropped() -> None:
    text = "The council said it would spend $4.\n\nThe council said it would spend $4.2 million on new buses this year."
    assert clean_text(text) == "The council said it would spend $4.2 million on new buses this year."


def test_clean_text_is_idempotent_and_keeps_plain_prose() -> None:
    prose = "One paragraph here.\n\nAnother paragraph, with a list:\n- first item\n- second item"
    assert clean_text(prose) == prose
    assert clean_text(clean_text(NOISY)) == clean_text(NOISY)
    assert clean_text("") == ""


SHARED_EXPECT = {
    "000": (["$10 million", "Keio University", "46 years", "Fumio Kishida", "$8 billion"],
            ["date 2024", "Screengrab"]),
    "001": (["$2.9 billion", "$18 billion", "Brad Smith", "$100 million", "OpenAI Tokyo Office"],
            ["Home / News", "min read", "Last Updated", "Was this Article helpful"]),
    "002": (["$2.9 billion", "46-year", "3 million", "A$5 billion"],
            ["Min Read", "About the Author", "newsletter", "You May Also Like", "extensive career"]),
    "003": (["$2.9 billion", "$110 million", "Brad Smith", "Masayoshi Son", "goldfish"],
            ["Post a Comment", "reads.", "Avatar", "Characters Left", "criminal offense", "invest $2.\n"]),
    "004": (["US$2.9 billion", "3 million", "Brad Smith", "Microsoft Research Asia", "Cybersecurity Defenses"],
            ["Unsplash", "Bellwether", "Rio Tinto", "Starbucks", "Kumamoto"]),
}


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared corpus is absent")
@pytest.mark.parametrize("prefix", sorted(SHARED_EXPECT))
def test_shared_articles_lose_noise_and_keep_facts(prefix: str) -> None:
    (path,) = SHARED.glob(f"{prefix}_*.txt")
    cleaned = clean_text(path.read_text())
    kept, dropped = SHARED_EXPECT[prefix]
    for fact in kept:
        assert fact in cleaned, fact
    for noise in dropped:
        assert noise not in cleaned, noise
    titles = [line for line in cleaned.splitlines() if line.startswith("Japan: Microsoft will invest nearly")]
    assert len(titles) <= 1
