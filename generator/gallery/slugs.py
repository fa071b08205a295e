"""Names derived from text: image file stems (from prompts) and post slugs (from titles).

`image_name` reproduces the names the seed post's author gave his images ("Half-Life" ->
`halflife`, "Sid Meier's Civilization" -> `sid_meiers_civilization`); `post_slug` is what Hugo's
`urlize` would make of a title, Unicode letters kept ("Мой пост" -> `мой-пост`). A name too
long for a file is cut at a word end and ends in a short hash of the whole text.
"""

from __future__ import annotations

import hashlib
import unicodedata

# Longest name, in UTF-8 bytes: file systems allow 255 per name, and image files get suffixes
# (`-iterations`, `-1600.webp`, a UTC stamp in replaced/) on top of it.
MAX_NAME_BYTES = 100

# Removed outright, so "Baldur's" -> "baldurs" and "Half-Life" -> "halflife".
_DROPPED = frozenset("'\u2019-\u2010\u2011")


def _is_word_char(char: str) -> bool:
    """Letters, digits and combining marks (any script) are kept; everything else separates."""
    return unicodedata.category(char)[0] in "LNM"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _join_words(text: str, separator: str, dropped: frozenset[str]) -> str:
    """Lowercase NFKC `text`; drop `dropped`, turn every other run of non-word chars into one
    `separator` and trim it from both ends."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text).lower():
        if char in dropped:
            continue
        if _is_word_char(char):
            out.append(char)
        elif out and out[-1] != separator:
            out.append(separator)
    return "".join(out).strip(separator)


def _fit(name: str, separator: str, text: str) -> str:
    """`name` if short enough for a file name, else cut at a word end plus a hash of `text`."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = f"{separator}{_short_hash(text)}"
    cut = name.encode("utf-8")[: MAX_NAME_BYTES - len(suffix)].decode("utf-8", errors="ignore")
    if separator in cut:
        cut = cut[: cut.rindex(separator)]
    return cut.rstrip(separator) + suffix


def image_name(prompt: str) -> str:
    """The default image name of a prompt: `the_witcher_wild_hunt`; `img_<hash>` if empty."""
    name = _join_words(prompt, "_", _DROPPED)
    return _fit(name, "_", prompt) if name else f"img_{_short_hash(prompt)}"


def post_slug(text: str) -> str:
    """A URL slug like Hugo's urlize: `один-из-этих-постов`; `post-<hash>` if nothing is left."""
    slug = _join_words(text, "-", frozenset("'\u2019"))
    return _fit(slug, "-", text) if slug else f"post-{_short_hash(text)}"
