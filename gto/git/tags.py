"""The annotated tags of a repository: refs under refs/tags/ and their tag objects.

Refs come from the last `names()` (one scan of the refs); names that are not in it are
looked up one by one. Each tag object is read once per repository opened, and peeled
through tags of tags to its commit; what cannot be read that way (a lightweight tag,
a tag of a tree, a missing object) is a reason, for `gto doctor` and `check-ref`.
So is a ref whose name is not the name inside its tag object (its `tag` header): the event
is in the name, and a signature covers the object's name, not the ref's, so a ref re-pointed
at another tag (`m#prod#2` at the object of `m#staging#1`) is no event at all.
A signed tag's message is shown without its signature, as git shows it; the object cut
where git cuts it (gto.git.signature) is kept, so verifying it reads nothing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gto.core.skips import LIGHTWEIGHT, not_a_commit, renamed
from gto.core.tags import GitTag, TagRecord
from gto.git import objects
from gto.git.errors import PARSE_ERRORS
from gto.git.refs import TAGS, RefStore
from gto.git.signature import SignedObject, split_signature
from gto.git.store import ObjectStore
from gto.git.tag_cache import Parsed, TagCache

__all__ = ["Tags"]

_TAGS_PREFIX = TAGS.encode()
_MISSING = "missing object"
_UNLISTED = ""  # no object id: what a name that `names()` did not list looks up to


class Tags:
    """Tag names and tag objects of one repository, read through its refs and object store."""

    def __init__(self, refs: RefStore, store: ObjectStore, cache: TagCache | None = None) -> None:
        self._refs = refs
        self._store = store
        self._cache = cache
        self._tag_refs: dict[str, str | None] | None = None
        self._complete = False  # whether `_tag_refs` holds every tag
        self._tags: dict[str, TagRecord | str] = {}  # by tag object id
        self._signed: dict[str, SignedObject] = {}  # the signed ones among them
        # One string per distinct commit id, tagger and email, however many tags repeat it.
        self._ids: dict[str, str] = {}
        self._known_commits: set[str] = set()

    def _settle_cache(self) -> None:
        """Write what a read parsed to the tag cache, and let its entries go.

        After a scan of every tag, entries of tag objects no ref names any more are
        dropped, so the file stays the size of the registry. Done as soon as the tag
        objects are read, before the registry is built: the two never share memory.
        """
        if self._cache is not None:
            named = None
            if self._complete and self._tag_refs is not None:
                named = [oid for oid in self._tag_refs.values() if oid is not None]
            self._cache.save(named)
            self._cache.release()

    def release(self) -> None:
        """Forget the refs and tag objects read so far (a later read reads them again).

        After a read of every tag, the caller keeps what it made of them (events), and
        they are the biggest values of a command: a registry is built without them.
        """
        if self._complete:
            self._tag_refs = None
            self._tags = {}

    def names(self, prefixes: Sequence[str] | None = None) -> list[str]:
        """Names under refs/tags/ (packed and loose), sorted; reads no objects.

        With `prefixes`, only the names that start with one of them (a sorted packed-refs
        is bisected rather than read whole).
        """
        self._refs.refresh()
        self._complete = prefixes is None
        if prefixes is None:
            self._tag_refs = self._scan_tag_refs(_TAGS_PREFIX)
        else:
            self._tag_refs = {}
            for prefix in prefixes:
                self._tag_refs.update(
                    self._scan_tag_refs(_TAGS_PREFIX + prefix.encode("utf-8", "surrogateescape"))
                )
        return sorted(self._tag_refs)

    def _scan_tag_refs(self, prefix: bytes) -> dict[str, str | None]:
        """name -> object id (None: a broken ref) of the tags under `prefix`, in one pass."""
        return self._refs.names_under(_TAGS_PREFIX, prefix[len(_TAGS_PREFIX) :])

    def _known_tag_refs(self) -> dict[str, str | None]:
        """What the last `names()` listed (every tag if there was none); other names are
        looked up one by one."""
        if self._tag_refs is None:
            self._tag_refs = self._scan_tag_refs(_TAGS_PREFIX)
            self._complete = True
        return self._tag_refs

    def _lookup(self, refs: dict[str, str | None], name: str) -> tuple[str | None] | None:
        """(object id or None for a broken ref,) of tag `name`; None if there is no such tag."""
        oid = refs.get(name, _UNLISTED)  # one lookup: a registry's names all come here
        if oid != _UNLISTED:
            return (oid,)
        oid = self._refs.get(_TAGS_PREFIX + name.encode("utf-8", "surrogateescape"))
        return None if oid is None else (oid,)

    def read(self, names: Iterable[str]) -> list[TagRecord]:
        """Annotated tags peeled to commits, in the order of `names`; the rest is skipped."""
        return [tag for _, tag in self._classify(names) if isinstance(tag, TagRecord)]

    def problems(self, names: Iterable[str]) -> dict[str, str]:
        """Why `read_tags` skips a tag: `lightweight`, `not a commit: tree`, `missing object`..."""
        return {name: tag for name, tag in self._classify(names) if isinstance(tag, str)}

    def _classify(self, names: Iterable[str]) -> list[tuple[str, TagRecord | str]]:
        """Each name with its tag, or why it has none; each object is read once (until
        `release`)."""
        refs = self._known_tag_refs()
        located = [(name, self._lookup(refs, name)) for name in names]
        unread = {oid for _, found in located if found for oid in found if oid}
        unread.difference_update(self._tags)
        worth = unread and self._cache is not None and self._cache.worth_loading(len(unread))
        cache = self._cache if worth else None  # nothing to look up: not even its header
        gone = self._gone(unread, cache)
        result: list[tuple[str, TagRecord | str]] = []
        for name, found in located:
            if found is None:
                result.append((name, "no such tag"))
                continue
            oid = found[0]
            if oid is None:
                result.append((name, "broken ref"))
                continue
            tag = self._tags.get(oid)
            if tag is None:
                tag = self._tags[oid] = self._peel_tag(oid, cache, oid in gone)
            if isinstance(tag, TagRecord) and tag.name != name:
                tag = renamed(tag.name, name)
            result.append((name, tag))
        self._settle_cache()
        return result

    def signatures(self, names: Iterable[str]) -> dict[str, SignedObject]:
        """The signed tags among `names`, each tag object cut at its signature (read once)."""
        names = list(names)
        self._classify(names)
        refs = self._known_tag_refs()
        found = {}
        for name in names:
            ref = self._lookup(refs, name)
            oid = None if ref is None else ref[0]
            signed = None if oid is None else self._signed.get(oid)
            if signed is not None:
                found[name] = signed
        return found

    def unpeeled(self, names: Iterable[str]) -> list[GitTag]:
        """The annotated tags among `names` as git stores them (unpeeled), in the order given.

        Lightweight tags, broken refs, malformed tag objects and refs whose name is not
        their object's own are skipped, as the registry skips them.
        """
        refs = self._known_tag_refs()
        found = []
        for name in names:
            ref = self._lookup(refs, name)
            oid = None if ref is None else ref[0]
            raw = None if oid is None else self._store.raw(oid)
            if oid is None or raw is None or raw[0] != objects.TAG:
                continue
            try:
                own, target, _, tagger, email, seconds, offset, message = _header(
                    split_signature(raw[1]).payload
                )
            except PARSE_ERRORS:
                continue
            if own != name:
                continue
            found.append(
                GitTag(
                    name=name,
                    hexsha=oid,
                    target=target,
                    tagger_name=tagger,
                    tagger_email=email,
                    tag_time=seconds,
                    tag_time_offset=offset,
                    message=message.decode("utf-8", "replace"),
                )
            )
        return found

    def _gone(self, unread: set[str], cache: TagCache | None) -> set[str]:
        """The tag objects among `unread` that the store lost (pruned, or in an alternate that
        went away): the tag cache must not answer for them. Asked of them all at once, cached
        or not (one that is not would read as missing anyway), when the cache has entries."""
        if cache is None or not unread or not cache.holds_any():  # no entries loaded for none
            return set()
        return self._store.missing(unread)

    def _peel_tag(self, oid: str, cache: TagCache | None, gone: bool) -> TagRecord | str:
        """The tag object `oid`, peeled through tags of tags to a commit, or a reason to skip.

        The record is named by the object's own `tag` header; `_classify` compares it with
        the ref's name. A tag of a commit comes from the tag cache when a command parsed it
        before and the object is still here (`gone` when it is not); only whether the commit
        is here is asked again (a partial store may lack it).
        """
        parsed = None if cache is None or gone else cache.get(oid)
        if parsed is None:
            found = self._parse(oid)
            if isinstance(found, str):
                return found
            (name, commit, tagger, email, seconds, offset, message), cacheable = found
            ids = self._ids  # many tags share a commit, a tagger, an email: one str each
            commit = ids.setdefault(commit, commit)
            tagger = ids.setdefault(tagger, tagger)
            email = ids.setdefault(email, email)
            if cacheable and cache is not None:
                cache.add(oid, (name, commit, tagger, email, seconds, offset, message))
        else:
            name, commit, tagger, email, seconds, offset, message = parsed
        if commit not in self._known_commits:
            if not self._store.contains(commit):
                return _MISSING
            self._known_commits.add(commit)
        return TagRecord(name, commit, tagger, email, objects.moment(seconds, offset), message)

    def _parse(self, oid: str) -> tuple[Parsed, bool] | str:
        """What the tag object `oid` says, peeled to a commit, and whether that holds for good
        (a tag of a tag also depends on the inner objects); or why it cannot be read."""
        raw = self._store.raw(oid)
        if raw is None:
            return _MISSING
        if raw[0] != objects.TAG:
            return LIGHTWEIGHT
        signed = split_signature(raw[1])
        if signed.format is not None:
            self._signed[oid] = signed
        try:
            name, commit, kind, tagger_name, email, seconds, offset, message = _header(
                signed.payload
            )
        except PARSE_ERRORS:
            return "malformed tag object"
        direct = kind == b"commit"
        while kind == b"tag":
            inner = self._store.raw(commit)
            if inner is None:
                return _MISSING
            inner_fields, _, _ = objects.split_object(inner[1])
            if inner[0] != objects.TAG or b"object" not in inner_fields:
                return "malformed tag object"
            commit = inner_fields[b"object"].decode("ascii", "replace")
            kind = inner_fields.get(b"type", b"")
        if kind != b"commit":
            return not_a_commit(kind.decode("ascii", "replace"))
        text = message.decode("utf-8", "replace").rstrip("\n")
        # A signed tag is not cached: verifying it needs its signature, read from the object.
        parsed = (name, commit, tagger_name, email, seconds, offset, text)
        return parsed, direct and signed.format is None


def _header(payload: bytes) -> tuple[str, str, bytes, str, str, int, int, bytes]:
    """A tag object's own name, target id and type, tagger name and email, unix seconds,
    offset east of UTC and message.

    Raises:
        One of PARSE_ERRORS: a header missing, or a tagger or time that is malformed (a
        time no datetime can hold too).
    """
    target, kind, own_name, tagger, message = objects.tag_header(payload)
    if target is None or kind is None or own_name is None:
        raise KeyError("object")
    name, email, seconds, offset = (  # very old tags have no tagger
        ("", "", 0, 0) if tagger is None else objects.signature_parts(tagger)
    )
    objects.moment(seconds, offset)
    return (
        own_name.decode("utf-8", "replace"),
        target.decode("ascii"),
        kind,
        name,
        email,
        seconds,
        offset,
        message,
    )
