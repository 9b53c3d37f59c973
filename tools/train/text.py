"""Training text for earshot: template command sentences and general English.

Output alphabet: a-z, space, apostrophe. Every sentence returned here is already
in that alphabet (numbers spelled out, punctuation stripped, lowercase), and it
is exactly the text handed to the TTS engines, so the label is what is spoken.

Sources
  (a) command sentences from the templates in this file (numbers, times, timers,
      directions and distances, device control, media, playing cards, yes/no/
      stop/cancel and other one-word commands);
  (b) general English sentences from Debian's ``fortunes`` package
      (``/usr/share/games/fortunes``: fortune-mod's collection of quotations,
      jokes and literature excerpts, about 450 k words; the offensive set lives
      in ``fortunes-off``, which is not used). Sentences are split, normalized
      and limited to 2..20 words / 110 characters.

Splits are disjoint by sentence: a sentence belongs to train, dev or test by a
hash of its normalized text (90 / 5 / 5 %). One exception, by design: the closed
set ``CORE_COMMANDS`` (one- and two-word commands such as "yes", "stop",
"turn left") is in every split, because a split that never trains on "yes"
would be useless; held-out sets still differ from training by the voice.

Everything is deterministic given a ``random.Random`` seed.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import unicodedata
from functools import lru_cache

FORTUNE_DIR = "/usr/share/games/fortunes"
# Files that are code, ascii art, or mostly non-prose.
FORTUNE_SKIP = {"ascii-art", "perl", "translate-me", "debian", "linux", "knghtbrd", "zippy", "definitions"}

ALPHABET = set("abcdefghijklmnopqrstuvwxyz' ")
# Sentences with these words are dropped from the general set (slurs and the like:
# fortune's non-"off" collection still holds a few).
BLOCKLIST = {"nigger", "niggers", "faggot", "faggots", "fag", "fags", "kike", "kikes", "spic", "spics",
             "chink", "chinks", "wetback", "wetbacks", "halfbreed", "retard", "retards", "tranny", "dyke",
             "dykes", "cunt", "cunts", "whore", "whores", "slut", "sluts", "rape", "raped", "rapist", "gook"}
SPLITS = ("train", "dev", "test")
MAX_WORDS = 20
MAX_CHARS = 110

# ----------------------------------------------------------------------------- numbers

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
        "nine": "ninth", "twelve": "twelfth"}
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]


def number_words(n: int) -> str:
    """Cardinal number in words, e.g. 1234 -> 'one thousand two hundred thirty four'."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("" if o == 0 else " " + _ONES[o])
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + ("" if r == 0 else " " + number_words(r))
    for value, name in _SCALES:
        if n >= value:
            q, r = divmod(n, value)
            return number_words(q) + " " + name + ("" if r == 0 else " " + number_words(r))
    raise AssertionError(n)


def ordinal_words(n: int) -> str:
    """Ordinal in words: 1 -> 'first', 23 -> 'twenty third', 40 -> 'fortieth'."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORD:
        last = _ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last = last + "th"
    return " ".join(words[:-1] + [last])


def year_words(n: int) -> str:
    """Years read in pairs: 1984 -> 'nineteen eighty four', 1905 -> 'nineteen oh five'."""
    if 2000 <= n <= 2009:
        return number_words(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return number_words(hi) + " hundred"
    return number_words(hi) + " " + (("oh " + _ONES[lo]) if lo < 10 else number_words(lo))


def digits_words(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s)


# ----------------------------------------------------------------------------- normalization

_ABBREV = {
    "mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "jr": "junior", "sr": "senior",
    "vs": "versus", "etc": "et cetera", "prof": "professor", "mt": "mount", "gen": "general",
    "capt": "captain", "col": "colonel", "lt": "lieutenant", "sgt": "sergeant", "gov": "governor",
    "wm": "william", "geo": "george", "chas": "charles", "ft": "feet", "lb": "pound", "lbs": "pounds",
    "oz": "ounces", "mph": "miles per hour", "km": "kilometers", "kg": "kilograms",
}
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number "}
_OK_SINGLE = {"a", "i", "o"}


def _num_token(m: re.Match) -> str:
    s = m.group(0)
    cur = ""
    if s[0] in "$£":
        cur, s = s[0], s[1:]
    s = s.replace(",", "")
    suffix = ""
    low = s.lower()
    for suf in ("st", "nd", "rd", "th"):
        if low.endswith(suf):
            suffix, s = suf, s[: -len(suf)]
            break
    if low.endswith("s") and not suffix and s[:-1].isdigit():  # 1960s
        s = s[:-1]
        w = year_words(int(s)) if len(s) == 4 else number_words(int(s))
        words = w.split()
        last = words[-1]
        last = last[:-1] + "ies" if last.endswith("y") else last + "s"
        return " " + " ".join(words[:-1] + [last]) + " "
    if ":" in s:  # clock time 10:30
        h, mi = s.split(":", 1)
        if not (h.isdigit() and mi.isdigit()):
            return " "
        h, mi = int(h), int(mi)
        if mi == 0:
            return f" {number_words(h)} o'clock "
        return f" {number_words(h)} {('oh ' + _ONES[mi]) if mi < 10 else number_words(mi)} "
    if "." in s:
        a, b = s.split(".", 1)
        if not b.isdigit():
            return " " + _num_words(a) + " "
        w = (number_words(int(a)) if a else "") + " point " + digits_words(b)
        if cur:
            w = _num_words(a) + (" dollars " if cur == "$" else " pounds ") + number_words(int(b[:2].ljust(2, "0"))) + " cents"
            cur = ""
        return " " + w + " "
    if not s.isdigit():
        return " "
    n = int(s)
    if suffix:
        return " " + ordinal_words(n) + " "
    if cur:
        return " " + number_words(n) + (" dollar" if n == 1 else " dollars") * (cur == "$") + \
               (" pound" if n == 1 else " pounds") * (cur == "£") + " "
    if len(s) == 4 and 1100 <= n <= 2099 and "," not in m.group(0):
        return " " + year_words(n) + " "
    if len(s) > 1 and s[0] == "0":
        return " " + digits_words(s) + " "
    if n >= 10**15:
        return " " + digits_words(s) + " "
    return " " + number_words(n) + " "


def _num_words(a: str) -> str:
    return number_words(int(a)) if a.isdigit() else ""


_NUM_RE = re.compile(r"[$£]?\d[\d,]*(?:\.\d+|:\d\d)?(?:st|nd|rd|th|s)?\b", re.IGNORECASE)


def normalize(text: str) -> str | None:
    """Map free text to the output alphabet, or None when it cannot be read reliably.

    Lowercase, accents stripped, numbers/ordinals/years/times/money spelled out,
    common abbreviations expanded, punctuation removed (apostrophes kept inside
    words). Rejected (None): acronyms (two capitals in a token), tokens mixing
    letters and digits, stray single letters, very long tokens, empty results.
    """
    text = re.sub(r".\x08", "", text)  # fortune's overstriking
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    if not text.isascii():
        return None
    for tok in re.findall(r"[A-Za-z0-9']+", text):
        if sum(c.isupper() for c in tok) >= 2 and tok.lower() not in ("i'm", "i'd", "i'll", "i've"):
            return None  # acronym / shouting: the TTS would spell it or read it oddly
        if re.search(r"[a-zA-Z]\d|\d[a-zA-Z]", tok) and not re.fullmatch(r"\d+(st|nd|rd|th|s)", tok, re.I):
            return None
    text = _NUM_RE.sub(_num_token, text)
    for k, v in _SYMBOLS.items():
        text = text.replace(k, v)
    text = text.lower()
    # Abbreviations with a period ("Dr.") or bare.
    text = re.sub(r"\b([a-z]+)\.", lambda m: (" " + _ABBREV[m.group(1)] + " ") if m.group(1) in _ABBREV else m.group(0), text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    words = []
    for w in text.split():
        w = w.strip("'")
        if not w:
            continue
        if w in _ABBREV:
            w = _ABBREV[w]
        if len(w) == 1 and w not in _OK_SINGLE:
            return None
        if len(w) > 18:
            return None
        words.append(w)
    if not words:
        return None
    out = " ".join(words)
    assert set(out) <= ALPHABET, out
    return out


def edit_distance(ref, hyp) -> tuple[int, int]:
    """(Levenshtein edits, len(ref)) between two sequences: characters of strings, or words of lists."""
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)], len(ref)


# ----------------------------------------------------------------------------- splits


def split_of(sentence: str) -> str:
    """train / dev / test by a stable hash of the normalized sentence (90/5/5)."""
    if sentence in CORE_COMMANDS:
        return "all"
    h = int.from_bytes(hashlib.blake2b(sentence.encode(), digest_size=8).digest(), "little") % 1000
    return "train" if h < 900 else ("dev" if h < 950 else "test")


def in_split(sentence: str, split: str) -> bool:
    s = split_of(sentence)
    return s == "all" or s == split


# ----------------------------------------------------------------------------- command templates

CORE_COMMANDS = {
    "yes", "no", "stop", "cancel", "go", "start", "pause", "resume", "next", "previous", "back",
    "left", "right", "up", "down", "on", "off", "okay", "help", "repeat", "again", "wait", "continue",
    "forward", "backward", "faster", "slower", "louder", "quieter", "mute", "unmute", "play", "skip",
    "turn left", "turn right", "go forward", "go back", "go backward", "stop now", "yes please",
    "no thanks", "no thank you", "cancel that", "never mind", "volume up", "volume down", "lights on",
    "lights off", "stand by", "hold on", "go home", "go left", "go right", "move forward", "move back",
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
}

ROOMS = ["kitchen", "living room", "bedroom", "bathroom", "hallway", "garage", "office", "basement",
         "dining room", "porch", "garden", "attic", "nursery", "guest room", "study", "laundry room"]
DEVICES = ["lights", "light", "lamp", "fan", "heater", "air conditioner", "television", "radio",
           "speaker", "oven", "dishwasher", "washing machine", "coffee maker", "kettle", "blinds",
           "curtains", "door", "garage door", "alarm", "camera", "sprinkler", "thermostat", "printer",
           "computer", "projector", "vacuum", "humidifier", "music", "ceiling fan", "porch light"]
COLORS = ["red", "green", "blue", "white", "yellow", "orange", "purple", "pink", "warm white",
          "cool white", "teal", "violet"]
UNITS_DIST = ["meter", "centimeter", "foot", "inch", "step", "yard", "kilometer", "mile"]
PLURAL = {"foot": "feet", "inch": "inches", "step": "steps", "meter": "meters", "centimeter": "centimeters",
          "yard": "yards", "kilometer": "kilometers", "mile": "miles", "second": "seconds",
          "minute": "minutes", "hour": "hours", "degree": "degrees", "percent": "percent",
          "day": "days", "week": "weeks"}
DIRECTIONS = ["forward", "forwards", "backward", "backwards", "back", "left", "right", "up", "down",
              "ahead", "straight", "north", "south", "east", "west", "north east", "south west"]
RANKS = ["ace", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "jack",
         "queen", "king"]
SUITS = ["hearts", "diamonds", "clubs", "spades"]
GENRES = ["jazz", "rock", "classical music", "pop", "the blues", "country music", "hip hop",
          "some music", "something relaxing", "the news", "a podcast", "an audiobook", "the radio",
          "my playlist", "the morning playlist", "white noise", "rain sounds", "folk music", "reggae"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
NAMES = ["mom", "dad", "anna", "john", "maria", "david", "sarah", "michael", "emma", "james",
         "grandma", "the office", "the doctor", "alex", "sophie", "peter", "lucy", "tom"]
POLITE_PRE = ["", "", "", "", "please ", "could you ", "can you ", "hey ", "now "]
POLITE_POST = ["", "", "", "", "", " please", " now", " right now", " thanks"]


def _pl(unit: str, n: int) -> str:
    return unit if n == 1 else PLURAL.get(unit, unit + "s")


def _num(r: random.Random, lo=0, hi=100) -> int:
    # Favour small numbers, but cover up to hi (and rarely much larger).
    x = r.random()
    if x < 0.5:
        return r.randint(lo, min(hi, 12))
    if x < 0.9:
        return r.randint(lo, hi)
    return r.randint(lo, hi * 10)


def _clock(r: random.Random) -> str:
    h = r.randint(1, 12)
    m = r.choice([0, 0, 5, 10, 15, 20, 25, 30, 30, 40, 45, 50, 55, r.randint(0, 59)])
    style = r.random()
    if m == 0 and style < 0.5:
        t = f"{number_words(h)} o'clock"
    elif m == 15 and style < 0.4:
        t = f"quarter past {number_words(h)}"
    elif m == 30 and style < 0.4:
        t = f"half past {number_words(h)}"
    elif m == 45 and style < 0.4:
        t = f"quarter to {number_words(h % 12 + 1)}"
    elif m == 0:
        t = number_words(h)
    else:
        t = f"{number_words(h)} {('oh ' + _ONES[m]) if m < 10 else number_words(m)}"
    return t + r.choice(["", "", "", " in the morning", " in the afternoon", " in the evening", " tonight"])


def _duration(r: random.Random) -> str:
    unit = r.choice(["second", "minute", "minute", "minute", "hour"])
    n = _num(r, 1, 90)
    s = f"{number_words(n)} {_pl(unit, n)}"
    if r.random() < 0.1:
        s = r.choice(["an hour and a half", "half an hour", "a minute", "an hour", "a quarter of an hour",
                      f"{number_words(r.randint(1, 5))} hours and {number_words(r.randint(1, 59))} minutes"])
    return s


def _phone(r: random.Random) -> str:
    n = r.choice([3, 4, 7, 7, 10])
    return " ".join(r.choice(_ONES[:10] + ["oh"]) if i == 0 else _ONES[r.randint(0, 9)] for i in range(n))


def _t_numbers(r):
    c = r.random()
    if c < 0.25:
        return number_words(_num(r, 0, 1000))
    if c < 0.45:
        return " ".join(_ONES[r.randint(0, 9)] for _ in range(r.randint(2, 8)))
    if c < 0.6:
        return r.choice(["call ", "dial ", "the number is ", "my code is ", "enter ", "pin "]) + _phone(r)
    if c < 0.7:
        return r.choice(["channel ", "page ", "number ", "level ", "floor ", "room ", "track ", "chapter "]) + number_words(_num(r, 1, 500))
    if c < 0.8:
        return f"{number_words(_num(r, 0, 50))} {r.choice(['plus', 'minus', 'times', 'divided by'])} {number_words(_num(r, 0, 50))}"
    if c < 0.9:
        return "the " + ordinal_words(r.randint(1, 40)) + r.choice(["", " one", " floor", " item", " of " + r.choice(MONTHS)])
    return f"{number_words(r.randint(1, 99))} point {' '.join(_ONES[r.randint(0, 9)] for _ in range(r.randint(1, 2)))}"


def _t_time(r):
    c = r.random()
    if c < 0.35:
        return r.choice(["set a timer for ", "start a timer for ", "timer ", "set the timer to ", "remind me in ",
                         "wake me up in ", "count down from ", "add "]) + _duration(r) + \
               r.choice(["", "", " to the timer", " for the pasta", " for the eggs"]) * (r.random() < 0.2)
    if c < 0.65:
        return r.choice(["set an alarm for ", "wake me up at ", "remind me at ", "alarm at ", "set the alarm to ",
                         "schedule it for ", "meet at ", "call me at "]) + _clock(r) + \
               (" on " + r.choice(WEEKDAYS) if r.random() < 0.2 else "")
    if c < 0.8:
        return r.choice(["what time is it", "what's the time", "how long is left", "cancel the timer",
                         "stop the alarm", "snooze", "snooze for " + _duration(r), "pause the timer",
                         "resume the timer", "how much time is left on the timer", "delete all alarms",
                         "what's the date today", "what day is it", "turn off the alarm"])
    if c < 0.9:
        return f"it is {_clock(r)}"
    return r.choice(["remind me on ", "set a reminder for ", "what's the weather on "]) + \
        r.choice(WEEKDAYS + [f"{r.choice(MONTHS)} {ordinal_words(r.randint(1, 31))}", "tomorrow", "tonight"])


def _t_direction(r):
    c = r.random()
    if c < 0.4:
        u = r.choice(UNITS_DIST)
        n = _num(r, 1, 100)
        return f"{r.choice(['go', 'move', 'drive', 'walk', 'roll', 'go', 'back up', 'fly'])} {r.choice(DIRECTIONS)} {number_words(n)} {_pl(u, n)}"
    if c < 0.6:
        n = r.choice([15, 30, 45, 60, 90, 90, 90, 120, 180, 270, 360, r.randint(1, 359)])
        return f"{r.choice(['turn', 'rotate', 'spin', 'turn'])} {r.choice(['left', 'right', 'around', 'clockwise', 'counterclockwise'])} {number_words(n)} {_pl('degree', n)}"
    if c < 0.8:
        return r.choice(["turn left", "turn right", "turn around", "go straight", "stop here", "go forward",
                         "go back", "move up", "move down", "keep going", "slow down", "speed up", "go home",
                         "come here", "follow me", "stay there", "take the next left", "take the second right",
                         "park here", "go to the " + r.choice(ROOMS), "return to base", "go up the stairs",
                         "move a little to the left", "move a little to the right", "face north", "reverse"])
    return f"{r.choice(['go', 'move', 'walk'])} {r.choice(DIRECTIONS)} for {_duration(r)}"


def _t_device(r):
    dev, room = r.choice(DEVICES), r.choice(ROOMS)
    c = r.random()
    where = r.choice([f"the {room} ", f"the {room} ", "the ", "all the ", "my "])
    if c < 0.45:
        return f"turn {r.choice(['on', 'off'])} {where}{dev}" if r.random() < 0.6 else f"turn {where}{dev} {r.choice(['on', 'off'])}"
    if c < 0.55:
        return f"{r.choice(['switch on', 'switch off', 'open', 'close', 'lock', 'unlock', 'start', 'stop'])} {where}{dev}"
    if c < 0.7:
        n = r.choice([10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100, r.randint(1, 100)])
        return f"{r.choice(['dim', 'set', 'brighten'])} {where}{r.choice(['lights', 'lamp', 'light'])} to {number_words(n)} percent"
    if c < 0.8:
        t = r.randint(15, 30) if r.random() < 0.5 else r.randint(60, 80)
        return f"set the {r.choice(['temperature', 'thermostat', 'heating'])} to {number_words(t)} degrees"
    if c < 0.9:
        return f"{r.choice(['make', 'set', 'change'])} {where}{r.choice(['lights', 'lamp'])} {r.choice(COLORS)}"
    return r.choice([f"is the {room} {dev} on", f"is the {dev} off", f"{r.choice(['raise', 'lower'])} the blinds",
                     "turn everything off", "good night", "i'm leaving", "i'm home", f"lock the {r.choice(['front', 'back'])} door",
                     f"turn {r.choice(['up', 'down'])} the heat", f"what's the temperature in the {room}"])


def _t_media(r):
    c = r.random()
    if c < 0.3:
        return r.choice(["play ", "put on ", "shuffle ", "i want to hear ", "play some "]) + r.choice(GENRES)
    if c < 0.55:
        return r.choice(["pause", "pause the music", "stop the music", "resume", "next song", "previous song",
                         "skip this song", "play the next track", "go back a song", "repeat this song",
                         "shuffle on", "shuffle off", "turn it up", "turn it down", "mute the television", "louder please",
                         "what song is this", "like this song", "add this to my playlist", "stop playback",
                         "play it again", "skip forward", "rewind", "fast forward"])
    if c < 0.75:
        n = r.choice([10, 20, 30, 50, 5, r.randint(0, 100)])
        return r.choice([f"set the volume to {number_words(n)}", f"volume {number_words(r.randint(0, 11))}",
                         f"turn the volume {r.choice(['up', 'down'])} by {number_words(r.randint(1, 20))}",
                         f"skip ahead {_duration(r)}", f"go back {number_words(r.randint(5, 60))} seconds"])
    return r.choice([f"play track {number_words(r.randint(1, 30))}", f"play chapter {number_words(r.randint(1, 40))}",
                     f"switch to channel {number_words(_num(r, 1, 200))}", f"play the {ordinal_words(r.randint(1, 12))} song",
                     f"play {r.choice(GENRES)} in the {r.choice(ROOMS)}", f"call {r.choice(NAMES)}",
                     f"send a message to {r.choice(NAMES)}", "read my messages"])


def _t_cards(r):
    card = f"{r.choice(RANKS)} of {r.choice(SUITS)}"
    c = r.random()
    if c < 0.45:
        return card
    if c < 0.75:
        return r.choice(["play the ", "i play the ", "discard the ", "draw the ", "pick the ", "i have the ",
                         "is it the "]) + card
    n = r.randint(1, 7)
    return r.choice([f"draw {number_words(n)} {_pl('card', n)}", "shuffle the deck", "deal the cards", "i fold",
                     "hit me", "i stand", "call", "raise", f"raise {number_words(r.choice([5, 10, 20, 50, 100]))}",
                     "all in", "check", "new game", f"deal {number_words(n)} cards each", "pair of " +
                     r.choice(["aces", "kings", "queens", "jacks", "tens", "twos", "threes", "sevens"]),
                     f"{card} and {r.choice(RANKS)} of {r.choice(SUITS)}"])


def _t_yesno(r):
    c = r.random()
    if c < 0.6:
        return r.choice(sorted(CORE_COMMANDS))
    return r.choice(["yes please", "yes i do", "no i don't", "no thanks", "stop that", "cancel everything",
                     "that's right", "that's wrong", "correct", "not now", "of course", "absolutely", "sure",
                     "maybe later", "i don't know", "confirm", "go ahead", "abort", "try again", "stop stop",
                     "yes yes", "no no no", "cancel the order", "that's all", "i'm done", "exit", "quit",
                     "undo", "say that again", "what did you say", "okay thanks", "never mind", "stop listening",
                     "wake up", "go to sleep", "thank you", "hello", "goodbye", "good morning"])


_TEMPLATES = [(_t_numbers, 0.17), (_t_time, 0.17), (_t_direction, 0.16), (_t_device, 0.18), (_t_media, 0.12),
              (_t_cards, 0.08), (_t_yesno, 0.12)]


def _command_once(r: random.Random) -> str:
    x, acc = r.random(), 0.0
    for fn, w in _TEMPLATES:
        acc += w
        if x < acc:
            break
    s = fn(r)
    if r.random() < 0.25 and fn not in (_t_cards, _t_numbers):
        s = r.choice(POLITE_PRE) + s + r.choice(POLITE_POST)
    return " ".join(s.split())


def command_sentence(r: random.Random, split: str) -> str:
    """One template command sentence that belongs to `split`."""
    for _ in range(1000):
        s = _command_once(r)
        assert set(s) <= ALPHABET, s
        if in_split(s, split):
            return s
    raise RuntimeError("no command sentence for split " + split)


# ----------------------------------------------------------------------------- general sentences


def _fortune_records():
    for name in sorted(os.listdir(FORTUNE_DIR)):
        path = os.path.join(FORTUNE_DIR, name)
        if "." in name or name in FORTUNE_SKIP or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            data = f.read()
        for rec in data.split("\n%\n"):
            lines = [ln for ln in rec.split("\n") if not ln.strip().startswith("--")]
            # An inline attribution ("... -- Author") ends the text.
            yield " ".join(ln.strip() for ln in lines).split(" --")[0]


_SENT_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


@lru_cache(maxsize=1)
def general_sentences() -> tuple[str, ...]:
    """All usable general-English sentences (normalized, deduplicated, sorted)."""
    if not os.path.isdir(FORTUNE_DIR):
        raise FileNotFoundError(f"{FORTUNE_DIR} missing: install Debian's 'fortunes' package "
                                "(EARSHOT_SETUP_TRAIN=1 tools/setup)")
    out = set()
    for rec in _fortune_records():
        if re.search(r"[<>{}\\|_^~]|https?:|www\.|\.com\b", rec):
            continue
        for sent in _SENT_RE.split(rec):
            sent = sent.strip()
            if ":" in sent and not re.search(r"\d:\d\d", sent):
                # dialogue / headings "Q: ..." — keep only the text after a short label
                head, _, tail = sent.partition(":")
                if len(head.split()) > 2:
                    continue
                sent = tail
            n = normalize(sent)
            if n is None:
                continue
            words = n.split()
            if BLOCKLIST.intersection(words):
                continue
            if not (2 <= len(words) <= MAX_WORDS) or len(n) > MAX_CHARS:
                continue
            out.add(n)
    return tuple(sorted(out))


@lru_cache(maxsize=3)
def general_for_split(split: str) -> tuple[str, ...]:
    return tuple(s for s in general_sentences() if in_split(s, split))


def general_sentence(r: random.Random, split: str) -> str:
    pool = general_for_split(split)
    return pool[r.randrange(len(pool))]


def sentence(r: random.Random, split: str, command_frac: float = 0.6) -> tuple[str, str]:
    """(kind, text): a command sentence with probability command_frac, else general."""
    if r.random() < command_frac:
        return "command", command_sentence(r, split)
    return "general", general_sentence(r, split)


if __name__ == "__main__":
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="Print sample training sentences / statistics.")
    ap.add_argument("--split", default="train", choices=SPLITS)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kind", choices=["command", "general", "mix"], default="mix")
    ap.add_argument("--stats", action="store_true")
    a = ap.parse_args()
    if a.stats:
        g = general_sentences()
        per = {s: len(general_for_split(s)) for s in SPLITS}
        words = sum(len(s.split()) for s in g)
        print(f"general sentences: {len(g)} ({words} words), per split {per}")
        r = random.Random(a.seed)
        cmds = {command_sentence(r, "train") for _ in range(20000)}
        print(f"distinct command sentences in 20000 train draws: {len(cmds)}")
        sys.exit(0)
    r = random.Random(a.seed)
    for _ in range(a.n):
        if a.kind == "command":
            print(command_sentence(r, a.split))
        elif a.kind == "general":
            print(general_sentence(r, a.split))
        else:
            print("%-8s %s" % sentence(r, a.split))
