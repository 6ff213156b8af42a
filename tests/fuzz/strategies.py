"""Hypothesis strategies shared by the fuzz tests: odd Unicode and `/news` command text."""

from __future__ import annotations

from hypothesis import strategies as st

ODD_CHARACTERS = (
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",  # zero-width joiner, inside emoji sequences
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u0301",  # a combining accent with nothing to combine with
    "\u2028",  # line separator
    "\x0b",
    "\x1b",
    "\r",
    "\t",
    "\u0663",  # an Arabic-Indic digit, which \d matches
    "\U0001f600",
    "\U0001f1eb\U0001f1f7",  # a flag: two regional indicators
    "\U0001f469\u200d\U0001f4bb",
)
any_character = st.characters(exclude_categories=["Cs"])  # surrogates cannot be UTF-8
# One to three odd characters: control, format and line separators, lone combining marks, emoji.
odd = st.lists(
    st.one_of(
        st.sampled_from(ODD_CHARACTERS),
        st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Mn"]),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
    ),
    min_size=1,
    max_size=3,
).map("".join)

VERBS = ("track", "deadlines", "upcoming", "settings", "summary", "digest", "feeds", "feed",
         "help", "?", "settings tz", "settings quiet", "settings autotrack", "digest daily",
         "digest weekly", "digest weekly mon", "feeds add", "feeds remove", "feeds list",
         "track http://", "track <https://", "feeds add https://a.example/rss")  # fmt: skip
ARGUMENTS = ("--only", "--not", "—only", "--except", ",", "|", ">", "<", "08:30", "20-08", "7d",
             "365", "366", "0", "²", "٣", "1" * 5000, "Europe/Paris", "../x", "on", "off",
             "https://x.example/a?b=c#d", "<https://x.example|x>", "http://[::1]/", "http://0x7f.1/",
             "file:///etc/passwd", "https://user:pw@x.example/", "\n", "\t", "\u200b")  # fmt: skip
command_texts = st.one_of(
    st.text(any_character, max_size=300),
    st.lists(
        st.one_of(
            st.sampled_from(VERBS),
            st.sampled_from(ARGUMENTS),
            st.text(any_character, min_size=1, max_size=8),
            odd,
        ),
        max_size=12,
    ).map(" ".join),
)
