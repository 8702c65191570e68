"""The store's file index: ``files.list`` narrowed by it finds exactly what a full scan finds,
and every way a file changes keeps the index right.

The reference everywhere is a scan of every file in the store with the parsed query's own
``matches`` and Drive's access rule, which is what ``files.list`` did before the index.
"""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careerdocs.sandbox import core, drive_model
from careerdocs.sandbox.core import Response
from careerdocs.sandbox.file_index import FileTable, millis
from careerdocs.sandbox.query import parse_query, parse_time
from tests.conftest import ALICE, BOB, CAROL
from tests.sandbox import pipeline
from tests.sandbox.pipeline import FILES

KIND, PERSON, FY = "careerdocs_kind", "careerdocs_person", "careerdocs_fy"
MIDDLE = "2026-06-01T00:00:00.000Z"


class Drive(pipeline.Drive):
    """The pipeline helper, with the listings the index answers and a full scan to compare."""

    def done(self, method: str, path: str, user: str, body: Any = None, **params: Any) -> Any:
        """The JSON answer of a call that must succeed (a delete answers 204, no body)."""
        resp: Response = self.call(method, path, user, body, **params)
        assert resp.status < 300, resp.body
        return json.loads(resp.body) if resp.body else None

    def update(self, file_id: str, user: str = ALICE, body: Any = None, **params: Any) -> None:
        self.done("PATCH", f"{FILES}/{file_id}", user, body or {}, **params)

    def listed(self, q: str, user: str) -> list[str]:
        """Every id ``files.list`` answers for ``q``, all pages."""
        ids: list[str] = []
        token = None
        while True:
            params = {"q": q, "pageSize": "7", "fields": "nextPageToken,files(id)"}
            if token:
                params["pageToken"] = token
            page = self.ok("GET", FILES, user, **params)
            ids += [f["id"] for f in page["files"]]
            token = page.get("nextPageToken")
            if not token:
                return ids

    def scanned(self, q: str, user: str) -> list[str]:
        """What a full scan finds, in files.list's default order (modifiedTime desc, then id)."""
        query = parse_query(q)
        found = [
            f
            for f in self.store.files.values()
            if not drive_model.is_root(f)
            and drive_model.readable(self.store, user, f)
            and query.matches(f, self.store, user)
        ]
        found.sort(key=lambda f: f.id)
        found.sort(key=lambda f: f.modified_time, reverse=True)
        return [f.id for f in found]


def _has(key: str, value: str) -> str:
    return f"appProperties has {{ key='{key}' and value='{value}' }}"


@pytest.fixture(scope="module")
def company() -> Drive:
    """Three people's artifacts the way careerdocs lays them out, plus noise: a trashed
    duplicate, a shared file, files with explicit times, properties and a moved file."""
    drive = Drive()
    for person in (ALICE, BOB, CAROL):
        folder = drive.create(
            person,
            name=f"Career docs {person}",
            mimeType=core.FOLDER,
            appProperties={KIND: "folder", PERSON: person, FY: "FY2027"},
        )
        for kind, month in (("igp", "03"), ("tracker", "07"), ("growth_sheet", "11")):
            drive.create(
                person,
                name=f"{kind} plan {person}",
                parents=[folder],
                appProperties={KIND: kind, PERSON: person, FY: "FY2027"},
                modifiedTime=f"2026-{month}-01T12:00:00.250Z",
            )
        stale = drive.create(
            person,
            name=f"igp plan {person} (old)",
            parents=[folder],
            appProperties={KIND: "igp", PERSON: person, FY: "FY2026"},
            properties={"team": "core"},
        )
        drive.update(stale, person, {"trashed": True})
    shared = drive.create(BOB, name="Team notes", properties={"team": "core"})
    drive.share(shared, ALICE, "writer", BOB)
    moved = drive.create(ALICE, name="Moved plan", appProperties={KIND: "igp", PERSON: ALICE})
    target = drive.create(ALICE, name="Archive", mimeType=core.FOLDER)
    drive.update(moved, ALICE, addParents=target, removeParents=drive_model.root_id(ALICE))
    return drive


def _person_query(person: str) -> str:
    """The query careerdocs sends to find one person's artifacts (workspace/google/drive.py)."""
    return (
        f"({_has(PERSON, person)} and trashed = false and "
        f"({_has(KIND, 'folder')} or {_has(FY, 'FY2027')}) and '{person}' in owners) "
        "and trashed = false"
    )


QUERY_SHAPES = [
    pytest.param(_person_query(ALICE), ALICE, id="careerdocs-person-query"),
    pytest.param(_person_query(BOB), ALICE, id="someone-elses-person-query"),
    pytest.param(f"({_has(KIND, 'folder')} or {_has(FY, 'FY2027')})", ALICE, id="markers-or"),
    pytest.param(_has(KIND, "igp"), ALICE, id="appProperties-has"),
    pytest.param(f"{_has(KIND, 'igp')} and trashed = true", BOB, id="trashed-true"),
    pytest.param(f"{_has(KIND, 'igp')} and trashed = false", BOB, id="trashed-false"),
    pytest.param("trashed = true", CAROL, id="trashed-only"),
    pytest.param("trashed = false", ALICE, id="trashed-false-only"),
    pytest.param("properties has { key='team' and value='core' }", ALICE, id="properties-has"),
    pytest.param(f"modifiedTime > '{MIDDLE}'", ALICE, id="modifiedTime-after"),
    pytest.param(f"modifiedTime <= '{MIDDLE}'", BOB, id="modifiedTime-at-or-before"),
    pytest.param("modifiedTime = '2026-07-01T12:00:00.250Z'", CAROL, id="modifiedTime-equal"),
    pytest.param("modifiedTime != '2026-07-01T12:00:00.250Z'", CAROL, id="modifiedTime-unequal"),
    pytest.param(
        f"{_has(KIND, 'growth_sheet')} and modifiedTime > '{MIDDLE}'",
        BOB,
        id="changed-growth-sheets",
    ),
    pytest.param("name contains 'plan'", ALICE, id="name-contains"),
    pytest.param("name = 'Team notes'", ALICE, id="name-equal"),
    pytest.param("'root' in parents and name contains 'career'", ALICE, id="root-alias-parent"),
    pytest.param(f"'{ALICE}' in owners", ALICE, id="owners"),
    pytest.param(f"'{BOB}' in owners and not trashed = true", ALICE, id="owners-not"),
    pytest.param(f"'{ALICE}' in writers", ALICE, id="writers-unindexed"),
    pytest.param("sharedWithMe", ALICE, id="sharedWithMe"),
    pytest.param("fullText contains 'plan'", BOB, id="fullText-unindexed"),
    pytest.param("", ALICE, id="blank"),
]


@pytest.mark.parametrize(("q", "user"), QUERY_SHAPES)
def test_files_list_finds_what_a_full_scan_finds(company: Drive, q: str, user: str) -> None:
    found = company.listed(q, user)
    assert found == company.scanned(q, user)


def test_every_query_shape_finds_something_and_leaves_something_out(company: Drive) -> None:
    """The shapes above discriminate: a list that always answered everything (or nothing)
    would fail the comparison on some of them."""
    total = len([f for f in company.store.files.values() if not drive_model.is_root(f)])
    sizes = {q.id: len(company.scanned(*q.values)) for q in QUERY_SHAPES}
    assert all(size > 0 for name, size in sizes.items() if name != "someone-elses-person-query")
    assert sizes["someone-elses-person-query"] == 0  # Bob's files are not shared with Alice
    assert sizes["careerdocs-person-query"] == 4 < total


def test_children_of_a_folder_are_found_by_parent(company: Drive) -> None:
    folder = next(
        f
        for f in company.store.files.values()
        if f.app_properties == {KIND: "folder", PERSON: CAROL, FY: "FY2027"}
    )
    q = f"'{folder.id}' in parents"
    assert company.listed(q, CAROL) == company.scanned(q, CAROL)
    assert len(company.listed(q, CAROL)) == 4  # three artifacts and the trashed duplicate
    assert len(company.listed(q + " and trashed = false", CAROL)) == 3


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (_has(PERSON, ALICE), 6),  # folder, three artifacts, the trashed duplicate, moved
        (f"{_has(PERSON, ALICE)} and {_has(KIND, 'igp')}", 3),
        (f"{_has(KIND, 'folder')} or {_has(KIND, 'tracker')}", 6),
        (f"'{CAROL}' in owners", 6),  # her root folder is hers too
        ("trashed = true", 3),
        ("name = 'Team notes'", 1),
        (f"modifiedTime > '{MIDDLE}'", None),  # every file made today, and six dated later
    ],
)
def test_indexed_queries_look_only_at_their_candidates(
    company: Drive, q: str, expected: int | None
) -> None:
    candidates = parse_query(q).candidates(company.store.files.index, ALICE)
    assert candidates is not None
    everything = len(company.store.files)
    if expected is not None:
        assert len(candidates) == expected < everything
    store = company.store
    matching = {f.id for f in store.files.values() if parse_query(q).matches(f, store, ALICE)}
    assert candidates == matching


@pytest.mark.parametrize(
    "q",
    ["not trashed = true", "fullText contains 'x'", f"'{ALICE}' in readers", "trashed = false"],
)
def test_queries_the_index_cannot_narrow_fall_back_to_a_scan(company: Drive, q: str) -> None:
    assert parse_query(q).candidates(company.store.files.index, ALICE) is None


# -- the index follows every change --------------------------------------------------------------


EXACT = [
    lambda f: [f"'{p}' in parents" for p in f.parents],
    lambda f: [f"'{f.owner}' in owners"] if f.owner else [],
    lambda f: [_has(k, v) for k, v in f.app_properties.items()],
    lambda f: [f"properties has {{ key='{k}' and value='{v}' }}" for k, v in f.properties.items()],
    lambda f: [f"name = '{f.name}'"],
    lambda f: ["trashed = true"],
    lambda f: [f"modifiedTime = '{core.rfc3339(f.modified_time)}'"],
    lambda f: [f"modifiedTime > '{core.rfc3339(f.modified_time - 1)}'"],
]


def assert_index_agrees(store: core.Store) -> None:
    """For every indexed value any file has now, the index names exactly the files a scan
    finds — and a deleted file is in no lookup at all."""
    queries = {q for f in store.files.values() for make in EXACT for q in make(f)}
    for q in sorted(queries):
        query = parse_query(q)
        scanned = {f.id for f in store.files.values() if query.matches(f, store, ALICE)}
        assert query.candidates(store.files.index, ALICE) == scanned, q


def test_index_follows_create_update_trash_move_transfer_and_delete() -> None:
    drive = Drive()
    folder = drive.create(name="Career docs", mimeType=core.FOLDER)
    inner = drive.create(name="Inner", mimeType=core.FOLDER, parents=[folder])
    doc = drive.create(
        name="IGP",
        parents=[inner],
        appProperties={KIND: "igp", PERSON: ALICE},
        properties={"a": "1"},
    )
    assert_index_agrees(drive.store)

    drive.update(doc, body={"appProperties": {KIND: "tracker", PERSON: None}, "name": "Tracker"})
    assert drive.listed(_has(KIND, "igp"), ALICE) == []
    assert drive.listed(_has(KIND, "tracker"), ALICE) == [doc]
    assert drive.listed(_has(PERSON, ALICE), ALICE) == []
    assert drive.listed("name = 'Tracker'", ALICE) == [doc]
    assert_index_agrees(drive.store)

    drive.update(doc, body={"modifiedTime": "2030-01-01T00:00:00.001Z"})
    assert drive.listed("modifiedTime > '2030-01-01T00:00:00Z'", ALICE) == [doc]
    assert_index_agrees(drive.store)

    drive.update(folder, body={"trashed": True})  # trashes everything below it too
    assert set(drive.listed("trashed = true", ALICE)) == {folder, inner, doc}
    assert_index_agrees(drive.store)
    drive.update(folder, body={"trashed": False})
    assert drive.listed("trashed = true", ALICE) == []
    assert_index_agrees(drive.store)

    drive.update(doc, addParents=folder, removeParents=inner)
    assert drive.listed(f"'{inner}' in parents", ALICE) == []
    assert set(drive.listed(f"'{folder}' in parents", ALICE)) == {inner, doc}
    assert_index_agrees(drive.store)

    drive.done(
        "POST",
        f"{FILES}/{doc}/permissions",
        ALICE,
        {"type": "user", "role": "owner", "emailAddress": BOB},
        transferOwnership="true",
    )
    assert doc in drive.listed(f"'{BOB}' in owners", BOB)
    assert doc not in drive.listed(f"'{ALICE}' in owners", ALICE)
    assert_index_agrees(drive.store)

    drive.share(folder, BOB, "writer", ALICE)
    bobs = drive.create(BOB, name="Bobs file", parents=[folder])  # Alice's folder, Bob's file
    assert bobs in drive.listed(f"'{folder}' in parents", BOB)
    drive.done("DELETE", f"{FILES}/{folder}", ALICE)  # Bob's files survive, parentless
    assert folder not in drive.store.files and inner not in drive.store.files
    assert drive.store.files[bobs].parents == []
    assert drive.listed(f"'{folder}' in parents", BOB) == []
    assert_index_agrees(drive.store)
    assert drive.store.files.index.children(folder) == set()
    assert drive.store.files.index.named("Inner") == set()


def test_assigning_an_indexed_attribute_reindexes_and_removal_forgets() -> None:
    store = core.Store()
    f = store.add_file(core.File(id="f1", name="a", mime_type=core.GDOC, owner=ALICE))
    f.app_properties = {KIND: "igp"}
    f.parents = ["p1"]
    f.trashed = True
    f.name = "b"
    assert_index_agrees(store)
    index = store.files.index
    assert index.with_app_property(KIND, "igp") == index.children("p1") == {"f1"}
    removed = store.files.pop("f1")
    assert index.with_app_property(KIND, "igp") == index.children("p1") == set()
    removed.parents = ["p2"]  # no longer in a table: nothing to update
    assert index.children("p2") == set() and len(index) == 0


def test_a_pickled_store_is_indexed_when_loaded() -> None:
    drive = Drive()
    made = drive.create(name="IGP", appProperties={KIND: "igp"})
    loaded: core.Store = pickle.loads(pickle.dumps(drive.store))
    assert isinstance(loaded.files, FileTable)
    assert loaded.files.index.with_app_property(KIND, "igp") == {made}
    loaded.files[made].app_properties = {KIND: "tracker"}  # the loaded file reports to its index
    assert loaded.files.index.with_app_property(KIND, "tracker") == {made}
    assert drive.store.files.index.with_app_property(KIND, "igp") == {made}  # not the old one


def test_a_store_saved_before_the_index_is_indexed_when_loaded() -> None:
    old = core.Store()
    state = old.__getstate__()
    f = core.File(id="f1", name="a", mime_type=core.GDOC, owner=ALICE, parents=["p"])
    state["files"] = {"f1": f}  # what a pickle from before the index holds
    loaded = core.Store.__new__(core.Store)
    loaded.__setstate__(state)
    assert isinstance(loaded.files, FileTable)
    assert loaded.files.index.children("p") == {"f1"}
    assert loaded.files == {"f1": f}


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_millis_is_the_time_queries_compare(seconds: float) -> None:
    assert millis(seconds) == parse_time(core.rfc3339(seconds))


def test_millis_truncates_like_the_api() -> None:
    moment = datetime(2026, 3, 1, 10, 0, 0, 999_999, tzinfo=timezone.utc).timestamp()
    assert core.rfc3339(moment).endswith(".999Z")
    assert millis(moment) % 1000 == 999
