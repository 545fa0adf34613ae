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

from collections.abc import Iterable

from gto.core.tags import GitTag, TagRecord, renamed
from gto.core.values import build
from gto.git import objects
from gto.git.errors import PARSE_ERRORS
from gto.git.refs import TAGS, RefStore
from gto.git.signature import SignedObject, split_signature
from gto.git.store import ObjectStore

__all__ = ["Tags"]

_TAGS_PREFIX = TAGS.encode()
_MISSING = "missing object"
_LIGHTWEIGHT = "lightweight"


class Tags:
    """Tag names and tag objects of one repository, read through its refs and object store."""

    def __init__(self, refs: RefStore, store: ObjectStore) -> None:
        self._refs = refs
        self._store = store
        self._tag_refs: dict[str, str | None] | None = None
        self._tags: dict[str, TagRecord | str] = {}  # by tag object id
        self._signed: dict[str, SignedObject] = {}  # the signed ones among them

    def names(self) -> list[str]:
        """Names under refs/tags/ (packed and loose), sorted; reads no objects."""
        self._refs.refresh()
        self._tag_refs = self._scan_tag_refs()
        return sorted(self._tag_refs)

    def _scan_tag_refs(self) -> dict[str, str | None]:
        """name -> object id (None: a broken ref), in one pass over the refs."""
        return {
            ref[len(_TAGS_PREFIX) :].decode("utf-8", "replace"): oid
            for ref, oid in self._refs.under(_TAGS_PREFIX).items()
        }

    def _known_tag_refs(self) -> dict[str, str | None]:
        if self._tag_refs is None:
            self._tag_refs = self._scan_tag_refs()
        return self._tag_refs

    def read(self, names: Iterable[str]) -> list[TagRecord]:
        """Annotated tags peeled to commits, in the order of `names`; the rest is skipped."""
        return [tag for _, tag in self._classify(names) if isinstance(tag, TagRecord)]

    def problems(self, names: Iterable[str]) -> dict[str, str]:
        """Why `read_tags` skips a tag: `lightweight`, `not a commit: tree`, `missing object`..."""
        return {name: tag for name, tag in self._classify(names) if isinstance(tag, str)}

    def _classify(self, names: Iterable[str]) -> list[tuple[str, TagRecord | str]]:
        refs = self._known_tag_refs()
        result: list[tuple[str, TagRecord | str]] = []
        for name in names:
            if name in refs:
                oid = refs[name]
            else:
                oid = self._refs.get(_TAGS_PREFIX + name.encode())
                if oid is None:
                    result.append((name, "no such tag"))
                    continue
            if oid is None:
                result.append((name, "broken ref"))
                continue
            tag = self._tags.get(oid)
            if tag is None:
                tag = self._tags[oid] = self._peel_tag(oid)
            if isinstance(tag, TagRecord) and tag.name != name:
                tag = renamed(tag.name, name)
            result.append((name, tag))
        return result

    def signatures(self, names: Iterable[str]) -> dict[str, SignedObject]:
        """The signed tags among `names`, each tag object cut at its signature (read once)."""
        names = list(names)
        self._classify(names)
        refs = self._known_tag_refs()
        found = {}
        for name in names:
            oid = refs.get(name) if name in refs else self._refs.get(_TAGS_PREFIX + name.encode())
            signed = None if oid is None else self._signed.get(oid)
            if signed is not None:
                found[name] = signed
        return found

    def unpeeled(self, names: Iterable[str]) -> list[GitTag]:
        """The annotated tags among `names` as git stores them (unpeeled), in the order given.

        Lightweight tags, broken refs and malformed tag objects are skipped.
        """
        refs = self._known_tag_refs()
        found = []
        for name in names:
            oid = refs.get(name)
            raw = None if oid is None else self._store.raw(oid)
            if oid is None or raw is None or raw[0] != objects.TAG:
                continue
            fields, _, message = objects.split_object(split_signature(raw[1]).payload)
            try:
                tagger, email, created_at = objects.tagger_of(fields)
                target = fields[b"object"].decode("ascii")
            except PARSE_ERRORS:
                continue
            offset = created_at.utcoffset()
            found.append(
                GitTag(
                    name=name,
                    hexsha=oid,
                    target=target,
                    tagger_name=tagger,
                    tagger_email=email,
                    tag_time=int(created_at.timestamp()),
                    tag_time_offset=0 if offset is None else int(offset.total_seconds()),
                    message=message.decode("utf-8", "replace"),
                )
            )
        return found

    def _peel_tag(self, oid: str) -> TagRecord | str:
        """The tag object `oid`, peeled through tags of tags to a commit, or a reason to skip.

        The record is named by the object's own `tag` header; `_classify` compares it with
        the ref's name.
        """
        raw = self._store.raw(oid)
        if raw is None:
            return _MISSING
        if raw[0] != objects.TAG:
            return _LIGHTWEIGHT
        signed = split_signature(raw[1])
        if signed.format is not None:
            self._signed[oid] = signed
        fields, _, message = objects.split_object(signed.payload)
        try:
            tagger, email, created_at = objects.tagger_of(fields)
            target, kind = fields[b"object"].decode("ascii"), fields[b"type"]
            name = fields[b"tag"].decode("utf-8", "replace")
        except PARSE_ERRORS:
            return "malformed tag object"
        while kind == b"tag":
            inner = self._store.raw(target)
            if inner is None:
                return _MISSING
            inner_fields, _, _ = objects.split_object(inner[1])
            if inner[0] != objects.TAG or b"object" not in inner_fields:
                return "malformed tag object"
            target = inner_fields[b"object"].decode("ascii", "replace")
            kind = inner_fields.get(b"type", b"")
        if kind != b"commit":
            return f"not a commit: {kind.decode('ascii', 'replace')}"
        if not self._store.contains(target):
            return _MISSING
        text = message.decode("utf-8", "replace").rstrip("\n")
        return build(
            TagRecord,
            name=name,
            commit=target,
            tagger=tagger,
            tagger_email=email,
            created_at=created_at,
            message=text,
        )
