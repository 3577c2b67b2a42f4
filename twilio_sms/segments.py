"""How many SMS a text costs: the one rule the server applies and static/js/sms_counter.js
repeats in the page (tests feed both the same cases).

A text made only of the GSM 03.38 alphabet goes as GSM-7: 160 characters in one SMS, 153 in
each part of a longer one; the extension table's characters (€ ^ { } [ ] ~ \\ | and the form
feed) take two. Any other character (an emoji, a curly quote) makes the whole text UCS-2:
70 in one SMS, 67 per part, counted in UTF-16 code units (an emoji outside the basic plane
takes two).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}
# Twilio refuses a body longer than this (characters as typed).
MAX_CHARACTERS = 1600


@dataclass(frozen=True)
class SegmentCount:
    encoding: str
    # Units the encoding spends: GSM-7 septets, or UTF-16 code units for UCS-2.
    units: int
    segments: int
    # How many units one segment holds at this length (160 or 153; 70 or 67).
    per_segment: int
    # The characters that forced UCS-2, each once, in the order they first appear.
    ucs2_characters: tuple[str, ...]


def _utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def segment_count(text: str) -> SegmentCount:
    forcing: list[str] = []
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENSION:
            septets += 2
        elif ch not in forcing:
            forcing.append(ch)
    if forcing:
        encoding, units = UCS2, _utf16_units(text)
    else:
        encoding, units = GSM7, septets
    if units == 0:
        return SegmentCount(encoding, 0, 0, SINGLE[encoding], tuple(forcing))
    if units <= SINGLE[encoding]:
        return SegmentCount(encoding, units, 1, SINGLE[encoding], tuple(forcing))
    per_part = PER_PART[encoding]
    return SegmentCount(encoding, units, -(-units // per_part), per_part, tuple(forcing))


def segment_line(count: SegmentCount) -> str:
    """The counter's line under the message (the page's script writes the same words)."""
    if count.segments <= 1:
        line = f"{count.units} / {count.per_segment} characters · 1 SMS"
    else:
        line = f"{count.units} characters · {count.segments} SMS ({count.per_segment} per part)"
    if count.encoding == UCS2:
        line += " · Unicode (UCS-2) because of: " + " ".join(count.ucs2_characters)
    return line
