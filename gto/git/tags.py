"""The annotated tags of a repository: refs under refs/tags/ and their tag objects.

Refs come from the last `names()` (one scan of the refs); names that are not in it are
looked up one by one. Each tag object is read once per repository opened, and peeled
through tags of tags to its commit; what cannot be read that way (a lightweight tag,
a tag of a tree, a missing object) is a reason, for `gto doctor` and `check-ref`.
A signed tag's message is shown without its signature, as git shows it; the object cut
where git cuts it (gto.git.signature) is kept, so verifying it reads nothing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from gto.core.tags import GitTag, TagRecord
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

    def names(self, prefixes: Sequence[str] | None = None) -> list[str]:
        """Names under refs/tags/ (packed and loose), sorted; reads no objects.

        With `prefixes`, only the names that start with one of them (a sorted packed-refs
        is bisected rather than read whole).
        """
        self._refs.refresh()
        if prefixes is None:
            self._tag_refs = self._scan_tag_refs(_TAGS_PREFIX)
        else:
            self._tag_refs = {}
            for prefix in prefixes:
                self._tag_refs.update(
                    self._scan_tag_refs(_TAGS_PREFIX + prefix.encode("utf-8", "surrogateescape"))
                )
        return sorted(self._tag_refs)

    @staticmethod
    def _decoded(refs: dict[bytes, str | None]) -> dict[str, str | None]:
        return {
            ref[len(_TAGS_PREFIX) :].decode("utf-8", "replace"): oid for ref, oid in refs.items()
        }

    def _scan_tag_refs(self, prefix: bytes) -> dict[str, str | None]:
        """name -> object id (None: a broken ref) of the tags under `prefix`, in one pass."""
        return self._decoded(self._refs.under(prefix))

    def _known_tag_refs(self) -> dict[str, str | None]:
        """What the last `names()` listed (every tag if there was none); other names are
        looked up one by one."""
        if self._tag_refs is None:
            self._tag_refs = self._scan_tag_refs(_TAGS_PREFIX)
        return self._tag_refs

    def _lookup(self, refs: dict[str, str | None], name: str) -> tuple[str | None] | None:
        """(object id or None for a broken ref,) of tag `name`; None if there is no such tag."""
        if name in refs:
            return (refs[name],)
        oid = self._refs.get(_TAGS_PREFIX + name.encode("utf-8", "surrogateescape"))
        return None if oid is None else (oid,)

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
            found = self._lookup(refs, name)
            if found is None:
                result.append((name, "no such tag"))
                continue
            oid = found[0]
            if oid is None:
                result.append((name, "broken ref"))
                continue
            tag = self._tags.get(oid)
            if tag is None:
                tag = self._tags[oid] = self._peel_tag(name, oid)
            elif isinstance(tag, TagRecord) and tag.name != name:
                tag = replace(tag, name=name)  # two refs on one tag object
            result.append((name, tag))
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

        Lightweight tags, broken refs and malformed tag objects are skipped.
        """
        refs = self._known_tag_refs()
        found = []
        for name in names:
            ref = self._lookup(refs, name)
            oid = None if ref is None else ref[0]
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

    def _peel_tag(self, name: str, oid: str) -> TagRecord | str:
        """The tag object `oid`, peeled through tags of tags to a commit, or a reason to skip."""
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
