"""Synthetic sequence-to-sequence tasks (chapters 00, 07-08): dates written in many formats
to normalise, and strings to reverse.

Every function takes a `numpy.random.Generator` `rng` and draws only from it.
"""
import datetime

from ..utils import check_int, check_rng

# English names written out, not taken from calendar or strftime("%B"): those follow the
# locale, and the data must not change with the reader's language settings.
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

DATE_FORMATS = {
    "25 November 2026": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "25 Nov 2026": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "Nov 25, 2026": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    "November 25, 2026": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "Wednesday, November 25, 2026":
        lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    "11/25/26": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    "25.11.2026": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "2026/11/25": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
}


# 100 years, so that a two-digit year ("11/25/26") names exactly one of them.
DATE_YEARS = (1950, 2049)


def date_pairs(n, rng, formats=None):
    """n (source, target) pairs: a date as people write it -> ISO "YYYY-MM-DD".

    Dates are uniform over the calendar days from 1 January DATE_YEARS[0] to 31 December
    DATE_YEARS[1]; each source uses a format drawn uniformly from `formats`: a list of
    keys of DATE_FORMATS (each key is an example of its format), default all of them.
    E.g. ("Wednesday, November 25, 2026", "2026-11-25"), ("11/25/26", "2026-11-25").
    """
    n, rng = check_int("n", n), check_rng(rng)
    names = list(DATE_FORMATS) if formats is None else list(formats)
    unknown = [f for f in names if f not in DATE_FORMATS]
    if unknown or not names:
        raise ValueError(f"date_pairs: expected formats from {list(DATE_FORMATS)}, got {formats!r}")
    first = datetime.date(DATE_YEARS[0], 1, 1).toordinal()
    last = datetime.date(DATE_YEARS[1], 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    choice = rng.integers(0, len(names), size=n)
    pairs = []
    for day, k in zip(days, choice):
        d = datetime.date.fromordinal(int(day))
        pairs.append((DATE_FORMATS[names[k]](d), d.isoformat()))
    return pairs


SYMBOLS = "abcdefghijklmnopqrstuvwxyz"


def reversal_pairs(n, min_len, max_len, n_symbols, rng):
    """n (source, target) str pairs for the reversal task: target = source reversed.

    Each source has a length uniform in [min_len, max_len] and letters drawn uniformly
    from the first n_symbols of "abc...z" (n_symbols <= 26), e.g. ("cabd", "dbac").
    Chapters 07 and 08 measure accuracy against length on it: the last output letter
    is the first input letter, so a model must carry the whole source to the end.
    """
    n, rng = check_int("n", n), check_rng(rng)
    min_len, max_len = check_int("min_len", min_len), check_int("max_len", max_len)
    n_symbols = check_int("n_symbols", n_symbols, minimum=2)
    if min_len > max_len or n_symbols > len(SYMBOLS):
        raise ValueError(f"reversal_pairs: expected min_len <= max_len and n_symbols <= {len(SYMBOLS)}, "
                         f"got {min_len}, {max_len}, {n_symbols}")
    lengths = rng.integers(min_len, max_len + 1, size=n)
    pairs = []
    for length in lengths:
        src = "".join(SYMBOLS[i] for i in rng.integers(0, n_symbols, size=length))
        pairs.append((src, src[::-1]))
    return pairs
