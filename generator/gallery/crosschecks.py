"""Checks across the items of a post and across posts, once each one has been read.

Each item and post may be valid on its own and still clash with another: two items making one
image file, a strip of an entry that saves no frames, two posts in one bundle folder or at one
address, or a post at an address the site generates itself (/index.xml, /tags/, /page/2/, a
theme file; see `generator.addresses`). Names are compared case-insensitively, as file systems and
hosts may. These functions return a `Problem` per clash, located at the later of the two.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from generator.addresses import POSTS_SECTION, generated_by_site, url_file
from generator.errors import Problem
from generator.gallery.model import Animation, Entry, Figure, Item, Post, Strip


def image_problems(file: Path, built: list[tuple[Item, str]]) -> list[Problem]:
    """No two items of a post make the same image; strips name progress entries.
    `built` holds each item of one post with its dotted key."""
    problems: list[Problem] = []
    entries = {item.image: item for item, _ in built if isinstance(item, Entry)}
    owners: dict[str, Item] = {}
    for item, path in built:
        for name in _produced(item):
            if name in owners:
                problems.append(Problem(file, item.line, f"{path}.image",
                                        f"image name `{name}` is already used by the item at "
                                        f"line {owners[name].line}",
                                        "give one of them its own `image:` name"))
            else:
                owners[name] = item
        if isinstance(item, (Strip, Animation)):
            problems += _progress_problems(file, item, path, entries)
    return problems


def _progress_problems(file: Path, item: Strip | Animation, path: str,
                       entries: dict[str, Entry]) -> list[Problem]:
    kind = "strip" if isinstance(item, Strip) else "animation"
    entry = entries.get(item.entry)
    if entry is None:
        close = difflib.get_close_matches(item.entry, list(entries), n=1)
        hint = (f"did you mean `{close[0]}`?" if close else
                "use the image name of an entry of this post")
        return [Problem(file, item.line, f"{path}.{kind}",
                        f"`{item.entry}` is not the image of an entry in this post", hint)]
    if not entry.settings.progress:
        return [Problem(file, item.line, f"{path}.{kind}",
                        f"entry `{item.entry}` (line {entry.line}) saves no progress frames",
                        "add `progress: true` to that entry")]
    return []


def _produced(item: Item) -> list[str]:
    """The image files an item makes in the bundle."""
    if isinstance(item, Entry):
        extra = [Strip(item.image).image, Animation(item.image).image]
        return [item.image, *(extra if item.settings.progress else [])]
    return [item.image] if isinstance(item, Figure) else []


def slug_problems(file: Path, posts: list[Post | None]) -> list[Problem]:
    """No two posts with one slug (one bundle folder), even in different case ("Post" and
    "post" are one folder on macOS and Windows). None stands for a post with problems."""
    problems: list[Problem] = []
    first: dict[str, tuple[int, Post]] = {}
    for index, post in enumerate(posts):
        if post is None:
            continue
        folded = post.slug.casefold()
        if folded in first:
            other, earlier = first[folded]
            same = "" if earlier.slug == post.slug else f" (as `{earlier.slug}`: case differs)"
            problems.append(Problem(file, post.line, f"posts[{index}].slug",
                                    f"slug `{post.slug}` is already used by posts[{other}] "
                                    f"(line {earlier.line}){same}",
                                    "set a different `slug:` on one of them"))
        else:
            first[folded] = (index, post)
    return problems


def address_problems(file: Path, posts: list[Post | None],
                      static_paths: Iterable[str] = ()) -> list[Problem]:
    """No two posts (their url, else /posts/<slug>/, or an alias) at one address, and none at
    an address the site generates (`static_paths`: the theme's static files)."""
    problems: list[Problem] = []
    valid = [(index, post) for index, post in enumerate(posts) if post is not None]
    static = tuple(static_paths)
    first: dict[str, tuple[int, Post]] = {}
    for index, post in valid:  # the default address; two alike are a duplicate slug
        if post.url is None:
            first.setdefault(url_file(f"{POSTS_SECTION}/{post.slug}/").casefold(), (index, post))
    for index, post in valid:
        addresses = [("url", post.url)] if post.url else []
        addresses += [(f"aliases[{i}]", alias) for i, alias in enumerate(post.aliases)]
        for key, address in addresses:
            generated = generated_by_site(url_file(address), static)
            if generated:
                problems.append(Problem(file, post.line, f"posts[{index}].{key}",
                                        f"`{address}` is the address of {generated}, which the "
                                        "site generates", "give the post another address"))
                continue
            owner = first.setdefault(url_file(address).casefold(), (index, post))
            if owner[0] != index:
                problems.append(Problem(file, post.line, f"posts[{index}].{key}",
                                        f"`{address}` is already the address of "
                                        f"posts[{owner[0]}] (line {owner[1].line})",
                                        "give one of them another address"))
    return problems
