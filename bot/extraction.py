"""Finds forward-looking events in an article and resolves each to a date window.

Time phrases are found by the grammar in `bot.temporal` over the whole text; only the sentences
holding a phrase that could point forward go through spaCy's parser and NER, which then tell
future from past ("will meet Thursday" vs "hosted talks Thursday"), hedges and conditions, what
kind of event it is, and who is involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput
from bot.language import looks_english
from bot.model import DateWindow, Event, EventKind
from bot.nlp import load_pipeline
from bot.sentences import split_sentences
from bot.temporal import TimeMention, find_mentions

MAX_TEXT_CHARS = 1_000_000
DEFAULT_ZONE = "UTC"
# News sentences run to ~300 characters. A longer run without a full stop is a list or a table
# (an events calendar, a 1 MB line); each phrase in it would walk the whole parse, which is
# quadratic, so it is parsed in pieces cut at a space.
MAX_SENTENCE_CHARS = 1_000

# Lemmas that name what will happen, by kind. Checked nearest-first around the time phrase.
KIND_WORDS: dict[str, EventKind] = {}
for _word_kind, _words in (
    ("meeting", "meet meeting talk talks summit conference session negotiation negotiate "
     "gathering convene consultation visit sit-down forum roundtable huddle brief briefing "
     "videoconference conference dinner"),
    ("vote", "vote ballot referendum election poll elect caucus primary runoff plebiscite"),
    ("decision", "decide decision rule ruling verdict judgment judgement approve approval "
     "determine determination consider weigh announce announcement authorize certify choose "
     "settle sign endorse clear greenlight veto review"),
    ("hearing", "hearing sentencing sentence trial arraignment testify testimony arraign "
     "plead deposition inquest argument appear"),
    ("launch", "launch release unveil debut rollout introduce ship premiere listing list ipo publish "
     "trading delivery deliveries store "
     "liftoff open opening unveiling go-live"),
    ("deadline", "deadline ultimatum expire expiry expiration due lapse cutoff submit file "
     "filing comply respond bid"),
    ("other", "earnings result report strike walkout match game final race landfall close "
     "closing complete completion effect begin start kick play fixture tournament "
     "ceremony festival inauguration auction"),
):  # fmt: skip
    for _word in _words.split():
        KIND_WORDS[_word] = _word_kind  # type: ignore[assignment]

_FUTURE_FRAME = frozenset(
    [
        "expect",
        "schedule",
        "set",
        "slate",
        "due",
        "plan",
        "poise",
        "aim",
        "intend",
        "hope",
        "want",
        "seek",
        "prepare",
        "propose",
        "prepared",
        "poised",
        "likely",
        "bound",
        "about",
        "ready",
        "await",
        "forecast",
        "predict",
        "project",
        "anticipate",
        "warn",
    ]
)
# "was moved to Aug. 29", "extended the deadline until Friday": the new date lies ahead.
_RESCHEDULE = frozenset(
    [
        "move",
        "postpone",
        "delay",
        "push",
        "reschedule",
        "adjourn",
        "defer",
        "extend",
        "bring",
        "put",
    ]
)
# "failed to produce a deal Thursday": the infinitive happened when its head did.
_SCHEDULED_SPAN = frozenset(["start", "begin", "run", "last", "end", "expire", "close", "open"])
_PAST_INFINITIVE_HEADS = frozenset(
    [
        "fail",
        "manage",
        "try",
        "begin",
        "continue",
        "start",
        "refuse",
        "decline",
        "seem",
        "appear",
        "attempt",
    ]
)
_HEDGES = frozenset(
    ["may", "might", "could", "can", "should", "possibly", "perhaps", "potentially", "likely"]
)
_CANCELLED = frozenset(["cancel", "scrap", "abandon", "shelve", "scrub", "axe", "postpone"])
_SUPERSEDED = frozenset(["originally", "initially", "previously", "formerly", "once"])
_REPORTED_PAST = re.compile(
    r"\b(?:said|says|told\s+\w+|announced|reported|added|wrote|confirmed|stated|tweeted|"
    r"posted|declared|testified|warned|urged|noted|insisted|argued|explained|acknowledged|"
    r"cautioned|revealed|disclosed|indicated|signall?ed|conceded|admitted|suggested)"
    r"\s+(?:on\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    mention: TimeMention
    sentence_index: int


def _anchor_moment(published: date | datetime, tz: str | None) -> datetime:
    """The publication moment, aware and in the article's own zone."""
    try:
        zone = ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BadInput(f"unknown time zone {tz!r}") from error
    if isinstance(published, datetime):
        if published.tzinfo is None:
            return published.replace(tzinfo=zone or ZoneInfo(DEFAULT_ZONE))
        return published.astimezone(zone) if zone else published
    return datetime.combine(published, time(12, 0), tzinfo=zone or ZoneInfo(DEFAULT_ZONE))


def check_text(text: str) -> None:
    """Raise BadInput for text the extractor refuses: too large, binary, or not English."""
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput(
            f"the text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} (one article)"
        )
    if "\x00" in text:
        raise BadInput("the text holds NUL bytes: it looks binary, not an article")
    if not looks_english(text):
        raise BadInput("the text does not look like English; only English articles are read")


def extract(text: str, published: date | datetime, tz: str | None = None) -> list[Event]:
    """Every forward-looking event in `text`, in order of appearance.

    `published` anchors relative phrases; a date alone is taken as noon in `tz` (UTC when
    no zone is given). Raises BadInput for text it cannot read.
    """
    check_text(text)
    if not text.strip():
        return []
    moment = _anchor_moment(published, tz)
    sentences = _bounded(text, split_sentences(text))
    candidates = _candidates(text, moment, sentences)
    if not candidates:
        return []
    needed = sorted({c.sentence_index for c in candidates})
    nlp = load_pipeline()
    # Tense, kind and clause come from the parse; NER runs later, only where an event survived.
    docs = dict(
        zip(
            needed,
            nlp.pipe((text[sentences[i][0] : sentences[i][1]] for i in needed), disable=["ner"]),
            strict=True,
        )
    )
    found: list[_Found] = []
    for candidate in candidates:
        start, _ = sentences[candidate.sentence_index]
        previous = (
            text[sentences[candidate.sentence_index - 1][0] : start]
            if candidate.sentence_index > 0
            else ""
        )
        event = _analyse(candidate.mention, docs[candidate.sentence_index], start, previous, moment)
        if event is None:
            continue
        if candidate.mention.rule == "clock" and found:
            # "at 3:30 p.m. local time" alone: the day is the one the text just named.
            earlier = found[-1]
            near = candidate.sentence_index - earlier.candidate.sentence_index <= 1
            if near and earlier.event.window.days == 1:
                event = replace(event, window=earlier.event.window)
        found.append(_Found(candidate, event))
    named = _with_entities(found, docs, sentences, nlp)
    return _link_refinements([f.event for f in named], [f.candidate.sentence_index for f in named])


def _bounded(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences, with any longer than MAX_SENTENCE_CHARS cut at its last space in reach."""
    pieces: list[tuple[int, int]] = []
    for start, end in sentences:
        while end - start > MAX_SENTENCE_CHARS:
            limit = start + MAX_SENTENCE_CHARS
            cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, limit)
            cut = limit if cut < 0 else cut
            pieces.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            pieces.append((start, end))
    return pieces


@dataclass(frozen=True)
class _Found:
    candidate: _Candidate
    event: Event


# Words whose tagging as part of a name makes the phrase a name ("Tuesday Morning" the retailer);
# a zone abbreviation tagged ORG beside a real day says nothing.
_DAY_WORDS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "christmas",
        "easter",
        "thanksgiving",
        "halloween",
        "eve",
        "day",
        "good",
        "black",
        "cyber",
        "labor",
        "memorial",
        "independence",
    ]
)
_NAME_LABELS = frozenset(("ORG", "PERSON", "FAC", "WORK_OF_ART", "PRODUCT"))


def _with_entities(
    found: list[_Found], docs: dict[int, Any], sentences: list[tuple[int, int]], nlp: Any
) -> list[_Found]:
    """Run NER on the sentences that kept an event; drop dates that NER reads as names."""
    with_events = sorted({f.candidate.sentence_index for f in found})
    for _ in nlp.get_pipe("ner").pipe(docs[i] for i in with_events):
        pass  # the component annotates each Doc in place
    kept: list[_Found] = []
    for item in found:
        index = item.candidate.sentence_index
        doc = docs[index]
        offset = sentences[index][0]
        event = item.event
        tokens = _tokens(doc, event.start - offset, event.end - offset)
        rule = item.candidate.mention.rule
        if rule in ("weekday", "holiday") and any(
            t.ent_type_ in _NAME_LABELS and t.lower_ in _DAY_WORDS for t in tokens
        ):
            continue  # "Tuesday Morning" the retailer: a name that looks like a date
        people, organisations, places = _entities(doc)
        named = replace(event, people=people, organisations=organisations, places=places)
        kept.append(_Found(item.candidate, named))
    return kept


def _candidates(text: str, moment: datetime, sentences: list[tuple[int, int]]) -> list[_Candidate]:
    """Time phrases that might point forward, with the sentence each sits in."""
    today = moment.date()
    found: list[_Candidate] = []
    index = 0
    for mention in find_mentions(text, moment):
        future = mention.reading.future
        if future is None or future.latest < today:
            continue
        if _is_dateline(text, mention):
            continue  # "WASHINGTON, April 11 (Reuters) —" is when the story was filed
        if mention.direction is None and _REPORTED_PAST.search(
            text, max(0, mention.start - 40), mention.start
        ):
            continue  # "said Friday", "hosted talks Thursday"
        while index < len(sentences) - 1 and sentences[index][1] <= mention.start:
            index += 1
        found.append(_Candidate(mention, index))
    return found


_DATELINE_BEFORE = re.compile(r"^[\"“]?[A-Z][A-Z .'-]+(?:,\s*[A-Za-z .]+)?,\s*$")
_DATELINE_AFTER = re.compile(r"\s*(?:,\s*\d{4}\s*)?(?:\(|—|–|-|/)")


def _is_dateline(text: str, mention: TimeMention) -> bool:
    line_start = text.rfind("\n", 0, mention.start) + 1
    before = text[line_start : mention.start]
    return (
        len(before) <= 60
        and _DATELINE_BEFORE.match(before) is not None
        and _DATELINE_AFTER.match(text, mention.end) is not None
    )


def _tokens(doc: Any, start: int, end: int) -> list[Any]:
    return [t for t in doc if t.idx < end and t.idx + len(t) > start]


def _governor(tokens: list[Any]) -> Any | None:
    """The verb (or the clause's root) the time phrase hangs from."""
    if not tokens:
        return None
    inside = {t.i for t in tokens}
    root = next((t for t in tokens if t.head.i not in inside or t.head.i == t.i), tokens[0])
    node = root.head if root.head.i != root.i else root
    for _ in range(8):
        if node.pos_ in ("VERB", "AUX") and node.i not in inside:
            return node
        if node.head.i == node.i:
            break
        node = node.head
    # A verbless root ("Outside the centre on Saturday, a group ... held up placards" parsed
    # around "group"): the nearest verb of the sentence stands in.
    verbs = [t for t in root.doc if t.pos_ in ("VERB", "AUX") and t.i not in inside]
    return min(verbs, key=lambda t: abs(t.i - root.i)) if verbs else None


_FUTURE_AUX = frozenset(("will", "'ll", "shall", "wo", "would", "'d", "must"))
_PAST_AUX = frozenset(("was", "were", "had", "has", "have", "did", "'ve"))


def _own_tense(verb: Any) -> str | None:
    """The tense a verb's own auxiliaries and tag show, or None for a bare infinitive or -ing."""
    auxes = [c.lower_ for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if any(a in _FUTURE_AUX or a in _HEDGES for a in auxes):
        return "future"
    if "had" in auxes:
        return "past"
    if verb.lemma_ in _FUTURE_FRAME and verb.tag_ in ("VBN", "JJ", "VBZ", "VBP", "VBD", "VBG"):
        return "future"  # "is expected", "has been scheduled", "planned", "is due"
    if any(a in _PAST_AUX for a in auxes) or verb.tag_ == "VBD":
        return "past"
    if verb.tag_ == "VBN" and not auxes and verb.dep_ in ("ROOT", "acl", "relcl", "amod"):
        # "a plan published in May", or a past verb the tagger read as a participle.
        return "past"
    if verb.tag_ == "VB" and "to" in auxes and verb.head.pos_ == "VERB":
        if verb.head.lemma_ in _PAST_INFINITIVE_HEADS and verb.head.tag_ == "VBD":
            return "past"
        return "future"  # "ordered them to file within two weeks": ahead of the order
    if verb.tag_ == "MD":
        return "future"
    if verb.tag_ in ("VBZ", "VBP"):
        return "present"
    if verb.tag_ == "VBG" and any(a in ("is", "are", "am", "'s", "'re") for a in auxes):
        return "present"
    if verb.tag_ == "VBG" and verb.dep_ == "acl" and verb.lemma_ in _SCHEDULED_SPAN:
        return "future"  # "an evacuation starting at 6 a.m. Friday"
    return None


def _tense(verb: Any | None, depth: int = 0) -> str:
    """'future', 'past', 'present' or 'unknown' for the clause of `verb`.

    An infinitive or participle without auxiliaries takes the tense of the verb it depends on
    ("is expected to meet", "froze hiring"); a future frame above it makes it future.
    """
    if verb is None:
        return "unknown"
    own = _own_tense(verb)
    if own is not None:
        return own
    head = verb.head
    if head.i == verb.i or depth >= 4:
        return "present" if verb.pos_ in ("VERB", "AUX") else "unknown"
    going_to = head.lemma_ == "go" and head.tag_ == "VBG"
    if going_to or head.lemma_ in _FUTURE_FRAME or head.lemma_ in _INTENT:
        # "had been due to fly in January": a plan that belonged to the past
        return "past" if _pluperfect(head) else "future"
    return _tense(head, depth + 1)


def _pluperfect(node: Any) -> bool:
    return any(c.lower_ == "had" for n in (node, node.head) for c in n.children)


_INTENT = frozenset(
    ["want", "need", "have", "agree", "plan", "promise", "vow", "pledge", "threaten", "decide"]
)


def _rescheduled_to(tokens: list[Any]) -> bool:
    if not tokens:
        return False
    prep = tokens[0] if tokens[0].dep_ == "prep" else tokens[0].head
    return prep.lower_ in ("to", "until", "till", "for") and prep.head.lemma_ in _RESCHEDULE


def _backshifted_be(tokens: list[Any], verb: Any | None) -> bool:
    """'said the likely date was July 3', 'said landfall was most likely on Sunday': "was"
    only follows "said" back in time."""
    return (
        verb is not None
        and verb.lemma_ == "be"
        and verb.tag_ == "VBD"
        and verb.dep_ == "ccomp"
        and verb.head.lemma_ in _REPORTING
        and (
            any(t.dep_ == "attr" for t in tokens)
            or any(c.lower_ in _FUTURE_FRAME for c in verb.children if c.dep_ == "acomp")
        )
    )


_HABITUAL = re.compile(
    r"\b(?:typically|usually|normally|generally|traditionally|routinely|annually|"
    r"every\s+(?:year|summer|winter|spring|autumn|season)|each\s+year)\b",
    re.IGNORECASE,
)


def _rescheduled_from(tokens: list[Any]) -> bool:
    if not tokens:
        return False
    prep = tokens[0] if tokens[0].dep_ == "prep" else tokens[0].head
    return prep.lower_ == "from" and prep.head.lemma_ in _RESCHEDULE


def _period_label(tokens: list[Any], mention: TimeMention) -> bool:
    if mention.rule not in ("year_rel", "month_rel", "year", "quarter") or not tokens:
        return False
    inside = {t.i for t in tokens}
    prep = next((t.head for t in tokens if t.head.i not in inside), tokens[0].head)
    if prep.lower_ != "for":
        return False
    # "scheduled for next month" still dates something; "an increase for this year" does not.
    return prep.head.lemma_ not in _FUTURE_FRAME and prep.head.lemma_ not in _RESCHEDULE


def _superseded_plan(verb: Any | None) -> bool:
    """'a game scheduled for Saturday was moved to Thursday': the old date is gone."""
    if verb is None or verb.dep_ != "acl":
        return False
    clause = verb.head.head
    return clause.lemma_ in _RESCHEDULE or clause.lemma_ in _CANCELLED


def _runs_through(mention: TimeMention) -> bool:
    """'funded through March 14': the state lasts until a date ahead."""
    return re.match(r"(?:through|until|till)\b", mention.text, re.IGNORECASE) is not None


_DIRECTIVE = frozenset(
    ("order", "tell", "ask", "require", "give", "set", "urge", "direct", "instruct", "demand")
)


def _narrative_relative(mention: TimeMention) -> bool:
    """Phrases counted from whatever the clause talks about, not from publication."""
    return mention.rule == "in_count" or mention.text.lower().startswith("the following")


def _is_conditional(verb: Any | None, mention: TimeMention, sentence: str) -> bool:
    if mention.reading.hedged:
        return True
    if verb is None:
        return bool(re.search(r"\b(?:if|unless|could|may|might)\b", sentence, re.IGNORECASE))
    node = verb
    for _ in range(4):
        for child in node.children:
            if child.dep_ in ("aux", "advmod") and child.lower_ in _HEDGES:
                return True
            if child.dep_ == "mark" and child.lower_ in ("if", "unless"):
                return True
            if child.dep_ == "acomp" and child.lower_ in ("likely", "possible"):
                return True
        if node.dep_ not in ("xcomp", "advcl", "ccomp") or node.head.i == node.i:
            break
        if node.dep_ == "ccomp" and node.head.lemma_ in ("say", "tell", "add", "announce"):
            break
        node = node.head
    return False


def _is_cancelled(tokens: list[Any], verb: Any | None) -> bool:
    """The plan was called off, or the date was the original one before a change."""
    if not tokens:
        return False
    for node in tokens[0].ancestors:
        if node.lemma_ in _CANCELLED and node.lemma_ != "postpone":
            return True
        if node.lemma_ == "call" and any(c.lower_ == "off" for c in node.children):
            return True
    return verb is not None and any(c.lower_ in _SUPERSEDED for c in verb.children)


_DEADLINE_CUE = re.compile(
    r"\b(?:must|have\s+until|has\s+until|deadline|due|required\s+to|no\s+later\s+than)\b",
    re.IGNORECASE,
)


def _tree_distance(a: Any, b: Any) -> int:
    """Edges between two tokens of one parse."""
    path_a = [a, *a.ancestors]
    depth_in_a = {token.i: depth for depth, token in enumerate(path_a)}
    for depth_b, token in enumerate([b, *b.ancestors]):
        if token.i in depth_in_a:
            return depth_in_a[token.i] + depth_b
    return len(path_a) + 50


def _kind(
    tokens: list[Any], verb: Any | None, doc: Any, mention: TimeMention, previous: str
) -> EventKind:
    """The kind named by the word closest to the time phrase in the parse tree."""
    if not tokens:
        return "other"
    if mention.reading.deadline and _DEADLINE_CUE.search(doc.text):
        return "deadline"  # "must rule by Jan. 20", "have until midnight Friday to tender"
    inside = {t.i for t in tokens}
    anchor = next((t for t in tokens if t.head.i not in inside), tokens[0])
    best: tuple[float, EventKind] | None = None
    for token in doc:
        kind = _kind_of(token)
        if kind is None or token.i in inside:
            continue
        score = _tree_distance(anchor, token) + abs(token.i - anchor.i) / 100
        if best is None or score < best[0]:
            best = (score, kind)
    if best is not None:
        return best[1]
    for word in reversed(re.findall(r"[a-z]+", previous.lower())):
        if word in KIND_WORDS:
            return KIND_WORDS[word]
    if mention.reading.deadline:
        return "deadline"
    return "deadline" if re.search(r"\b(?:if|unless)\b", doc.text, re.IGNORECASE) else "other"


def _kind_of(token: Any) -> EventKind | None:
    if token.pos_ not in ("VERB", "NOUN", "PROPN", "ADJ"):
        return None
    return KIND_WORDS.get(token.lemma_.lower()) or KIND_WORDS.get(token.lower_)


_REPORTING = frozenset(
    [
        "say",
        "tell",
        "add",
        "announce",
        "report",
        "write",
        "state",
        "confirm",
        "note",
        "insist",
        "warn",
    ]
)


def _clause_head(verb: Any) -> Any:
    """Climb from the phrase's verb to the clause a reader would quote, below any "X said"."""
    node = verb
    while (
        node.dep_ in ("xcomp", "advcl", "acomp", "auxpass", "aux")
        and node.head.i != node.i
        and node.head.lemma_ not in _REPORTING
    ):
        node = node.head
    return node


def _what(doc: Any, verb: Any | None, start: int, end: int) -> str:
    """A short line saying what will happen: the clause around the phrase, minus the phrase."""
    if verb is None or verb.lemma_ in _REPORTING:
        words = list(doc)
    else:
        words = list(_clause_head(verb).subtree)
    kept = "".join(t.text_with_ws for t in words if not (t.idx < end and t.idx + len(t) > start))
    line = re.sub(r"\s+", " ", kept).strip(" ,;:-—.\"“”'")
    line = re.sub(r"^(?:that|and|but)\s+", "", line, flags=re.IGNORECASE)
    if len(line) > 110:
        line = line[:107].rsplit(" ", 1)[0] + "…"
    return line


def _entities(doc: Any) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    people: list[str] = []
    organisations: list[str] = []
    places: list[str] = []
    for ent in doc.ents:
        target = {"PERSON": people, "ORG": organisations, "GPE": places, "LOC": places,
                  "FAC": places}.get(ent.label_)  # fmt: skip
        if target is not None and ent.text not in target:
            target.append(ent.text)
    return tuple(people), tuple(organisations), tuple(places)


def _analyse(
    mention: TimeMention, doc: Any, offset: int, previous: str, moment: datetime
) -> Event | None:
    start, end = mention.start - offset, mention.end - offset
    tokens = _tokens(doc, start, end)
    verb = _governor(tokens)
    tense = _tense(verb)
    reading = mention.reading
    window: DateWindow | None
    if mention.direction == "future":
        window = reading.future
        if _narrative_relative(mention) and verb is not None and _own_tense(verb) == "past":
            window = None  # "in two years", "the following year": counted from a past event
    elif (
        _rescheduled_to(tokens)
        or (_runs_through(mention) and verb is not None and verb.tag_ != "VBD")
        or (reading.deadline and tense == "past" and verb is not None and verb.lemma_ in _DIRECTIVE)
    ):
        window = reading.future  # "moved to Aug. 29"; "ordered visitors off the island by Sunday"
    elif tense == "past" and not _backshifted_be(tokens, verb):
        window = None
    else:
        window = reading.future
    if _period_label(tokens, mention):
        window = None  # "a pay rise for this year" names a period, not something due in it
    if _rescheduled_from(tokens) or _superseded_plan(verb):
        window = None  # "postponed from April": the old date is no longer the event
    if mention.rule in ("month", "season", "month_rel", "union", "range") and _HABITUAL.search(
        doc.text
    ):
        window = None  # "the season typically runs from May through October"
    if window is None or window.latest < moment.date() or _is_cancelled(tokens, verb):
        return None
    conditional = _is_conditional(verb, mention, doc.text)
    kind = _kind(tokens, verb, doc, mention, previous)
    if reading.deadline and kind == "other":
        kind = "deadline"
    confidence = 0.9 if not reading.vague else 0.7
    if tense == "unknown" and mention.direction is None:
        confidence -= 0.2
    if conditional:
        confidence -= 0.1
    return Event(
        kind=kind,
        start=mention.start,
        end=mention.end,
        trigger=mention.text,
        window=window,
        conditional=conditional,
        what=_what(doc, verb, start, end),
        sentence=doc.text,
        confidence=max(confidence, 0.1),
        clock_time=reading.clock,
        clock_zone=reading.zone,
    )


_PRONOUN_START = re.compile(r"^(?:it|that|this|they|these|those)\b", re.IGNORECASE)


def _link_refinements(events: list[Event], sentence_of_event: Iterable[int]) -> list[Event]:
    """Mark a later mention that narrows an earlier event of the same kind nearby."""
    sentence_index = list(sentence_of_event)
    linked: list[Event] = []
    for j, event in enumerate(events):
        refines = None
        for i in range(j - 1, -1, -1):
            earlier = linked[i]
            if sentence_index[j] - sentence_index[i] > 2:
                break
            if (
                earlier.kind == event.kind
                and earlier.window.contains(event.window)
                and sentence_index[i] != sentence_index[j]
            ):
                refines = earlier.refines if earlier.refines is not None else i
                break
        if refines is not None:
            what = event.what
            if _PRONOUN_START.match(what):
                what = linked[refines].what  # "it's expected early in the week" says no more
            event = replace(event, refines=refines, what=what)
        linked.append(event)
    return linked
