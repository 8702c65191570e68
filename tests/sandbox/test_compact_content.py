"""How the sandbox keeps thousands of files from a few templates compact without changing
what any of them holds: interned cells and rows, copy-on-write documents, heap sweeps."""

from __future__ import annotations

import gc
import re
import weakref
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from careerdocs.sandbox.docs import Document, Paragraph, Run
from careerdocs.sandbox.heap import HeapKeeper
from careerdocs.sandbox.spreadsheet import EMPTY, Cell, CellGrid, Sheet, Spreadsheet

BOLD = {"textFormat": {"bold": True}}
CHECKBOX = {"condition": {"type": "BOOLEAN"}}

cells = st.one_of(
    st.just(EMPTY),
    st.builds(Cell, kind=st.just("stringValue"), value=st.sampled_from(["a", "b", "Ada"])),
    st.builds(Cell, kind=st.just("numberValue"), value=st.sampled_from([1, 1.0, 2.5])),
    st.builds(Cell, kind=st.just("boolValue"), value=st.booleans()),
    st.builds(Cell, fmt=st.just(BOLD)),
    st.builds(Cell, validation=st.just(CHECKBOX)),
    st.builds(Cell, note=st.just("a note")),
)
positions = st.tuples(st.integers(0, 12), st.integers(0, 6))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), positions, cells),
        st.tuples(st.just("delete"), positions, st.none()),
        st.tuples(st.just("copy"), st.none(), st.none()),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_a_cell_grid_behaves_as_a_dict_of_its_non_empty_cells(ops: list[Any]) -> None:
    grid, model = CellGrid(), {}
    copies: list[tuple[CellGrid, dict[Any, Cell]]] = []
    for op, where, cell in ops:
        if op == "put":
            grid[where] = cell
            if cell.is_empty():
                model.pop(where, None)
            else:
                model[where] = cell
        elif op == "delete":
            assert grid.pop(where, None) == model.pop(where, None)
        else:
            copies.append((grid.copy(), dict(model)))
        assert dict(grid.items()) == model
        assert len(grid) == len(model)
        assert all(grid.get(key, EMPTY) == value for key, value in model.items())
    for twin, snapshot in copies:  # later changes to the original never reach a copy
        assert dict(twin.items()) == snapshot


def test_equal_cells_are_one_object_and_equal_rows_are_shared_between_sheets() -> None:
    first, second = Sheet.blank(1, "A"), Sheet.blank(2, "B")
    for sheet in (first, second):
        for row in range(100):
            sheet.put(row, 3, Cell(fmt={"textFormat": {"bold": True}}))  # a new dict each time
    assert first.get(5, 3) is second.get(99, 3)
    assert first.cells._rows[7] is second.cells._rows[42]
    # 1 and 1.0 are different cells in the API (JSON tells them apart): never merged
    first.put(0, 0, Cell(kind="numberValue", value=1))
    first.put(1, 0, Cell(kind="numberValue", value=1.0))
    assert type(first.get(0, 0).value) is int and type(first.get(1, 0).value) is float


def test_a_spreadsheet_copy_is_independent_though_it_shares_rows() -> None:
    book = Spreadsheet.new()
    sheet = book.sheets[0]
    for row in range(50):
        sheet.put(row, 0, Cell(validation=dict(CHECKBOX)))
    twin = book.copy()
    assert twin.sheets[0].cells._rows[10] is sheet.cells._rows[10]
    twin.sheets[0].put(10, 0, Cell(kind="boolValue", value=True, validation=dict(CHECKBOX)))
    assert sheet.get(10, 0) == Cell(validation=CHECKBOX)
    assert twin.sheets[0].get(10, 0).value is True


def test_change_cells_computes_each_distinct_cell_once() -> None:
    sheet = Sheet.blank(1, "A")
    for row in range(200):
        sheet.put(row, 1, Cell(fmt=BOLD))
    sheet.put(0, 1, Cell(kind="stringValue", value="Date", fmt=BOLD))
    seen: list[Cell] = []

    def change(cell: Cell) -> Cell:
        seen.append(cell)
        return Cell(cell.kind, cell.value, cell.fmt, validation=CHECKBOX)

    sheet.change_cells(((r, 1) for r in range(200)), change)
    assert len(seen) == 2
    assert sheet.get(0, 1).value == "Date" and sheet.get(0, 1).validation == CHECKBOX
    assert all(sheet.get(r, 1) == Cell(fmt=BOLD, validation=CHECKBOX) for r in range(1, 200))


def test_old_pickled_sheets_with_a_dict_of_cells_load_as_a_grid() -> None:
    sheet = Sheet.__new__(Sheet)
    sheet.__setstate__({"props": {"sheetId": 1, "title": "A"}, "cells": {(0, 0): Cell(fmt=BOLD)}})
    assert isinstance(sheet.cells, CellGrid) and sheet.get(0, 0) == Cell(fmt=BOLD)


def test_a_document_copy_shares_content_until_either_is_edited() -> None:
    original = Document.from_text("Goals\nNext steps\n")
    twin = original.copy()
    assert twin.blocks[1] is original.blocks[1]
    assert twin.revision_id != original.revision_id
    twin.insert_text(1, "My ")
    assert original.to_text() == "Goals\nNext steps\n"
    assert twin.to_text() == "My Goals\nNext steps\n"
    original.delete_range(1, 3, "requests[0]")
    assert original.to_text() == "als\nNext steps\n"
    assert twin.to_text() == "My Goals\nNext steps\n"


def test_documents_with_equal_paragraphs_hold_them_once() -> None:
    first, second = Document.from_text("Same\nOne\n"), Document.from_text("Same\nTwo\n")
    assert first.blocks[0] is second.blocks[0]
    assert first.blocks[1] is not second.blocks[1]
    built = Document([Paragraph([Run("Same")])]).compact()
    assert built.blocks[0] is first.blocks[0]
    built.replace_all(re.compile("Same"), "Changed")
    assert first.to_text() == "Same\nOne\n"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_heap_keeper_sweeps_cyclic_garbage_every_n_requests() -> None:
    keeper = HeapKeeper(every=3)
    gc.disable()
    try:
        garbage = _Cycle()
        alive = weakref.ref(garbage)
        del garbage
        keeper.answered()
        keeper.answered()
        assert alive() is not None and keeper.sweeps == 0  # cycles wait for a collection
        keeper.answered()
        assert alive() is None and keeper.sweeps == 1
    finally:
        gc.enable()
