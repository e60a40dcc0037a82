"""Tests for rnnlib.seq2seq.tasks: the synthetic pairs of chapters 00 and 07-08 (dates in
eight formats to ISO, letter strings to their reversal)."""
import datetime

import numpy as np
import pytest

from rnnlib.seq2seq import tasks


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- dates

def test_date_pairs_are_valid_dates_in_the_documented_range():
    pairs = tasks.date_pairs(500, rng())
    assert len(pairs) == 500
    first_year, last_year = tasks.DATE_YEARS
    for source, target in pairs:
        d = datetime.date.fromisoformat(target)
        assert first_year <= d.year <= last_year
        assert source != target


def test_date_pairs_each_format_encodes_its_date():
    d = datetime.date(2026, 11, 25)
    assert [f(d) for f in tasks.DATE_FORMATS.values()] == list(tasks.DATE_FORMATS)


def test_date_pairs_use_every_format_and_parse_back():
    parse = {"25 November 2026": "%d %B %Y", "25 Nov 2026": "%d %b %Y", "Nov 25, 2026": "%b %d, %Y",
             "November 25, 2026": "%B %d, %Y", "Wednesday, November 25, 2026": "%A, %B %d, %Y",
             "11/25/26": "%m/%d/%y", "25.11.2026": "%d.%m.%Y", "2026/11/25": "%Y/%m/%d"}
    assert set(parse) == set(tasks.DATE_FORMATS)
    for name, fmt in parse.items():
        for source, target in tasks.date_pairs(50, rng(1), formats=[name]):
            parsed = datetime.datetime.strptime(source, fmt).date()
            if fmt == "%m/%d/%y":  # strptime puts 50-68 in the 2000s; our window is 1950-2049
                assert parsed.year % 100 == int(target[:4]) % 100
                parsed = parsed.replace(year=int(target[:4]))
            assert parsed.isoformat() == target, (source, target)


def test_date_pairs_rejects_unknown_format():
    with pytest.raises(ValueError, match="formats"):
        tasks.date_pairs(3, rng(), formats=["25/11/2026"])


def test_date_pairs_are_deterministic_given_the_seed():
    assert tasks.date_pairs(20, rng(7)) == tasks.date_pairs(20, rng(7))
    assert tasks.date_pairs(20, rng(7)) != tasks.date_pairs(20, rng(8))


def test_date_pairs_reject_a_seed_in_place_of_a_generator():
    with pytest.raises(ValueError, match="Generator"):
        tasks.date_pairs(20, 0)


def test_date_pairs_bad_size_raises_value_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"^n\b|n:"):
        tasks.date_pairs(-2, rng())


# ---------------------------------------------------------------- reversal task (chapter 07)

def test_reversal_pairs_reverse_letters_within_the_length_range():
    pairs = tasks.reversal_pairs(200, 3, 9, 5, rng(0))
    assert len(pairs) == 200
    for src, tgt in pairs:
        assert tgt == src[::-1] and 3 <= len(src) <= 9 and set(src) <= set("abcde")
    assert {len(s) for s, _ in pairs} == set(range(3, 10))
    assert pairs == tasks.reversal_pairs(200, 3, 9, 5, rng(0))


def test_reversal_pairs_rejects_bad_settings():
    with pytest.raises(ValueError):
        tasks.reversal_pairs(5, 9, 3, 5, rng())
    with pytest.raises(ValueError):
        tasks.reversal_pairs(5, 3, 9, 27, rng())
