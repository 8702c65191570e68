"""What Sheets v4 accepts in the formatting requests careerdocs sends, checked as Google checks it.

Pure checks on request JSON, used by :mod:`.sheets` for addConditionalFormatRule,
deleteConditionalFormatRule, updateDimensionProperties, setBasicFilter, the cell formats of
repeatCell / updateCells, frozen rows and columns, and a basic chart's axes. Two kinds of
refusal, both 400 INVALID_ARGUMENT in Sheets' body (``{code, message, status}``):

- a value the JSON cannot hold (an unknown enum name, two members of a oneof) is refused while
  the payload is parsed: :func:`payload_error` gives Google's parser wording, with the
  snake_case path of the field (``requests[0].add_conditional_format_rule.rule...``);
- a well-formed request Google refuses raises :class:`~.spreadsheet.SheetError`, which
  :mod:`.sheets` prefixes with ``Invalid requests[i].<kind>: ``.

Sources. The enums, the value count each condition type needs, which condition types
conditional formatting supports, "All the ranges must be on the same grid", the subset of
formats a conditional rule may set, "NumberFormat.type ... When writing, this field must be
set", "A chart may not have more than one axis per axis position" and "The link field is not
supported" on an axis title come from Google's Sheets v4 reference as published in its
discovery document (sheets.v4, revision 20261019, bundled with google-api-python-client
2.202.0: BooleanCondition.type enumDescriptions, ConditionalFormatRule, BooleanRule.format,
NumberFormat, BasicChartAxis, ChartAxisViewWindowOptions, DimensionRange, BasicFilter).
Wording seen from the real server: "ConditionType 'ONE_OF_RANGE' requires exactly one
ConditionValue, but 5 values were supplied." (a 400 reported in public notes on the Sheets
API), and the oneof refusal "Invalid value at 'requests[0].add_conditional_format_rule.rule'
(oneof), oneof field 'rule' is already set. Cannot set 'gradientRule'" (recorded in another
public Sheets fake's tests from a spike against Google). Messages marked [unconfirmed] are
this sandbox's own words for refusals the reference implies but no recording shows; where it
is unknown whether Google refuses at all (a conditional format setting a number format, say),
the sandbox refuses, so careerdocs never depends on what Google might silently drop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .core import SHEETS, ApiError
from .spreadsheet import SheetError

ENUM = "type.googleapis.com/google.apps.sheets.v4.{name}"

# ConditionType -> the values it takes in conditional formatting: an exact count, or None
# for "any number". Types the reference does not list as "Supported by ... conditional
# formatting" are absent: data-validation-only types (ONE_OF_LIST, BOOLEAN, TEXT_IS_EMAIL, ...).
CONDITIONAL_VALUES: dict[str, int] = {
    "NUMBER_GREATER": 1,
    "NUMBER_GREATER_THAN_EQ": 1,
    "NUMBER_LESS": 1,
    "NUMBER_LESS_THAN_EQ": 1,
    "NUMBER_EQ": 1,
    "NUMBER_NOT_EQ": 1,
    "NUMBER_BETWEEN": 2,
    "NUMBER_NOT_BETWEEN": 2,
    "TEXT_CONTAINS": 1,
    "TEXT_NOT_CONTAINS": 1,
    "TEXT_STARTS_WITH": 1,
    "TEXT_ENDS_WITH": 1,
    "TEXT_EQ": 1,
    "DATE_EQ": 1,
    "DATE_BEFORE": 1,
    "DATE_AFTER": 1,
    "BLANK": 0,
    "NOT_BLANK": 0,
    "CUSTOM_FORMULA": 1,
}
CONDITION_TYPES = frozenset(
    {
        *CONDITIONAL_VALUES,
        "CONDITION_TYPE_UNSPECIFIED",
        "TEXT_IS_EMAIL",
        "TEXT_IS_URL",
        "DATE_ON_OR_BEFORE",
        "DATE_ON_OR_AFTER",
        "DATE_BETWEEN",
        "DATE_NOT_BETWEEN",
        "DATE_IS_VALID",
        "ONE_OF_RANGE",
        "ONE_OF_LIST",
        "BOOLEAN",
        "TEXT_NOT_EQ",
        "DATE_NOT_EQ",
        "FILTER_EXPRESSION",
    }
)
COUNT_WORDS = {
    0: "no ConditionValues",
    1: "exactly one ConditionValue",
    2: "exactly two ConditionValues",
}
# BooleanRule.format: "Conditional formatting can only apply a subset of formatting: bold,
# italic, strikethrough, foreground color and, background color."
CONDITIONAL_FORMAT_FIELDS = frozenset({"backgroundColor", "backgroundColorStyle", "textFormat"})
CONDITIONAL_TEXT_FIELDS = frozenset(
    {"bold", "italic", "strikethrough", "foregroundColor", "foregroundColorStyle"}
)
FORMULA_START = ("=", "+")  # ConditionValue.userEnteredValue: formulas "must begin with = or +"

NUMBER_FORMAT_TYPES = frozenset(
    {"TEXT", "NUMBER", "PERCENT", "CURRENCY", "DATE", "TIME", "DATE_TIME", "SCIENTIFIC"}
)
CELL_ENUMS = {  # CellFormat field -> (proto enum, allowed names)
    "horizontalAlignment": ("HorizontalAlign", frozenset({"LEFT", "CENTER", "RIGHT"})),
    "verticalAlignment": ("VerticalAlign", frozenset({"TOP", "MIDDLE", "BOTTOM"})),
    "wrapStrategy": (
        "WrapStrategy",
        frozenset({"OVERFLOW_CELL", "LEGACY_WRAP", "CLIP", "WRAP"}),
    ),
}
DIMENSIONS = frozenset({"ROWS", "COLUMNS"})
AXIS_POSITIONS = frozenset({"BOTTOM_AXIS", "LEFT_AXIS", "RIGHT_AXIS"})
VIEW_WINDOW_MODES = frozenset(
    {"DEFAULT_VIEW_WINDOW_MODE", "VIEW_WINDOW_MODE_UNSUPPORTED", "EXPLICIT", "PRETTY"}
)


def payload_error(path: str, type_name: str, value: Any) -> ApiError:
    """Google's parser refusal of an enum value it does not know."""
    return ApiError(
        400,
        f"Invalid JSON payload received. Invalid value at '{path}' "
        f'({ENUM.format(name=type_name)}), "{value}"',
        style=SHEETS,
    )


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# -- conditional formats -----------------------------------------------------------------------


def check_conditional_rule(rule: Any, where: str) -> list[dict[str, Any]]:
    """Check a ConditionalFormatRule; returns its ranges. ``where`` is the snake_case path
    of the rule in the request (for parser errors)."""
    if not isinstance(rule, Mapping):
        raise SheetError("A rule is required.")  # [unconfirmed]
    boolean, gradient = rule.get("booleanRule"), rule.get("gradientRule")
    if boolean is not None and gradient is not None:
        raise ApiError(
            400,
            f"Invalid value at '{where}' (oneof), oneof field 'rule' is already set. "
            "Cannot set 'gradientRule'",
            style=SHEETS,
        )
    if boolean is None and gradient is None:
        raise SheetError(
            "Exactly one of booleanRule and gradientRule is required."
        )  # [unconfirmed]
    ranges = rule.get("ranges")
    if not isinstance(ranges, list) or not ranges or not all(isinstance(r, dict) for r in ranges):
        raise SheetError("At least one range is required.")  # [unconfirmed]
    if len({int(r.get("sheetId") or 0) for r in ranges}) > 1:
        raise SheetError("All the ranges must be on the same grid.")  # [unconfirmed wording]
    if boolean is not None:
        _check_boolean_rule(boolean, f"{where}.boolean_rule")
    return ranges


def _check_boolean_rule(rule: Any, where: str) -> None:
    if not isinstance(rule, Mapping) or not isinstance(rule.get("condition"), Mapping):
        raise SheetError("A boolean rule needs a condition.")  # [unconfirmed]
    condition = rule["condition"]
    kind = condition.get("type")
    if kind not in CONDITION_TYPES:
        raise payload_error(f"{where}.condition.type", "ConditionType", kind)
    if kind not in CONDITIONAL_VALUES:
        raise SheetError(
            f"ConditionType '{kind}' is not supported by conditional formatting."
        )  # [unconfirmed]
    values = condition.get("values") or []
    wanted = CONDITIONAL_VALUES[kind]
    if len(values) != wanted:
        raise SheetError(
            f"ConditionType '{kind}' requires {COUNT_WORDS[wanted]}, "
            f"but {len(values)} values were supplied."
        )
    for value in values:
        if not isinstance(value, Mapping) or not (
            value.get("userEnteredValue") is not None or value.get("relativeDate")
        ):
            raise SheetError("A condition value needs a userEnteredValue.")  # [unconfirmed]
    if kind == "CUSTOM_FORMULA" and not str(values[0].get("userEnteredValue", "")).startswith(
        FORMULA_START
    ):
        raise SheetError(
            f"Invalid ConditionValue.userEnteredValue: {values[0].get('userEnteredValue')}"
        )  # [unconfirmed]
    _check_conditional_format(rule.get("format") or {})


def _check_conditional_format(fmt: Mapping[str, Any]) -> None:
    extra = sorted(set(fmt) - CONDITIONAL_FORMAT_FIELDS)
    extra += sorted(
        f"textFormat.{k}" for k in set(fmt.get("textFormat") or {}) - CONDITIONAL_TEXT_FIELDS
    )
    if extra:
        raise SheetError(
            "Conditional formatting can only set bold, italic, strikethrough, foreground "
            f"color and background color, not {', '.join(extra)}."
        )  # [unconfirmed]: the reference says "can only apply a subset"


def check_rule_index(index: Any, count: int, *, adding: bool) -> int:
    """The index of a rule to add (0..count) or delete (0..count-1)."""
    value = int(index or 0)
    limit = count if adding else count - 1
    if not 0 <= value <= limit:
        raise SheetError(f"No conditional format rule at index {value}.")  # [unconfirmed]
    return value


# -- cell formats ------------------------------------------------------------------------------


def check_cell_format(cell: Any, where: str) -> None:
    """The userEnteredFormat of a CellData being written: enums known, a number format typed."""
    if not isinstance(cell, Mapping):
        return
    fmt = cell.get("userEnteredFormat")
    if not isinstance(fmt, Mapping):
        return
    path = f"{where}.user_entered_format"
    number = fmt.get("numberFormat")
    if number is not None:
        kind = (number or {}).get("type")
        if kind is None:
            # NumberFormat.type: "When writing, this field must be set."
            raise SheetError("NumberFormat.type must be set.")  # [unconfirmed wording]
        if kind not in NUMBER_FORMAT_TYPES and kind != "NUMBER_FORMAT_TYPE_UNSPECIFIED":
            raise payload_error(f"{path}.number_format.type", "NumberFormat.Type", kind)
        if kind == "NUMBER_FORMAT_TYPE_UNSPECIFIED":
            raise SheetError("NumberFormat.type must be set.")  # [unconfirmed wording]
    for name, (type_name, allowed) in CELL_ENUMS.items():
        value = fmt.get(name)
        if value is not None and value not in allowed:
            raise payload_error(f"{path}.{snake(name)}", type_name, value)
    link = (fmt.get("textFormat") or {}).get("link")
    if link is not None and not (isinstance(link, Mapping) and link.get("uri")):
        raise SheetError("A link needs a uri.")  # [unconfirmed]


def check_frozen(
    grid: Mapping[str, Any], rows: int, cols: int, before: Mapping[str, Any] | None = None
) -> None:
    """Frozen counts must not be negative, and at least one row and one column must stay
    unfrozen: Sheets refuses to freeze row 1 of a one-row grid with "You can't freeze all
    visible rows" (a 400 quoted in public notes on the Sheets API). Only counts that change
    (from ``before``) are checked here; shrinking a grid onto its frozen rows is refused by
    the resize (:meth:`~.spreadsheet.Spreadsheet.delete_dimension`)."""
    for key, limit, noun in (
        ("frozenRowCount", rows, "rows"),
        ("frozenColumnCount", cols, "columns"),
    ):
        value = int(grid.get(key) or 0)
        if before is not None and value == int(before.get(key) or 0):
            continue
        if value < 0:
            raise SheetError(f"Invalid {key}: {value}")  # [unconfirmed]
        if value and value >= limit:
            raise SheetError(f"You can't freeze all visible {noun} on the sheet.")
            # [unconfirmed: "on the sheet." and the columns' wording]


# -- dimensions and filters --------------------------------------------------------------------


def check_dimension_properties(properties: Any) -> None:
    if not isinstance(properties, Mapping):
        raise SheetError("properties are required.")  # [unconfirmed]
    size = properties.get("pixelSize")
    if size is not None and int(size) < 0:
        raise SheetError(f"Invalid pixelSize: {size}")  # [unconfirmed]


def check_dimension(value: Any, where: str) -> str:
    if value not in DIMENSIONS:
        if value is None or value == "DIMENSION_UNSPECIFIED":
            raise SheetError("The dimension must be ROWS or COLUMNS.")  # [unconfirmed]
        raise payload_error(f"{where}.dimension", "Dimension", value)
    return str(value)


def check_basic_filter(spec: Any) -> dict[str, Any]:
    """A BasicFilter to set: a range (or a table id, which the sandbox does not model)."""
    if not isinstance(spec, Mapping):
        raise SheetError("A filter is required.")  # [unconfirmed]
    if spec.get("tableId"):
        raise SheetError("This request is not supported by the sandbox.")
    if not isinstance(spec.get("range"), Mapping):
        raise SheetError("The filter needs a range.")  # [unconfirmed]
    return dict(spec)


# -- charts ------------------------------------------------------------------------------------


def check_chart_axes(spec: Mapping[str, Any], where: str) -> None:
    """A basic chart's ``axis`` list: known positions, one axis per position, a view window
    whose mode is known and whose minimum is below its maximum, no link in the title format."""
    basic = spec.get("basicChart")
    if not isinstance(basic, Mapping) or basic.get("axis") is None:
        return
    axes = basic["axis"]
    if not isinstance(axes, list):
        raise SheetError("axis must be a list.")  # [unconfirmed]
    seen: set[str] = set()
    for i, axis in enumerate(axes):
        path = f"{where}.basic_chart.axis[{i}]"
        position = (axis or {}).get("position")
        if position not in AXIS_POSITIONS:
            if position in (None, "BASIC_CHART_AXIS_POSITION_UNSPECIFIED"):
                raise SheetError("An axis needs a position.")  # [unconfirmed]
            raise payload_error(f"{path}.position", "BasicChartAxisPosition", position)
        if position in seen:
            # BasicChartAxis: "A chart may not have more than one axis per axis position."
            raise SheetError(f"More than one axis at position {position}.")  # [unconfirmed wording]
        seen.add(position)
        if ((axis.get("format") or {}).get("link")) is not None:
            raise SheetError("The link field is not supported in an axis format.")  # [unconfirmed]
        _check_view_window(axis.get("viewWindowOptions"), f"{path}.view_window_options")


def _check_view_window(options: Any, where: str) -> None:
    if options is None:
        return
    mode = options.get("viewWindowMode")
    if mode is not None and mode not in VIEW_WINDOW_MODES:
        raise payload_error(
            f"{where}.view_window_mode", "ChartAxisViewWindowOptions.ViewWindowMode", mode
        )
    low, high = options.get("viewWindowMin"), options.get("viewWindowMax")
    if low is not None and high is not None and float(low) >= float(high):
        raise SheetError(
            f"viewWindowMin ({low}) must be less than viewWindowMax ({high})."
        )  # [unconfirmed]


def sheet_ids(ranges: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(r.get("sheetId") or 0) for r in ranges}
