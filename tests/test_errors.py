"""errors: one hierarchy of domain errors, each with its exit status; problems in a file."""

from __future__ import annotations

import inspect

import pytest

from crmcli import errors
from crmcli.errors import CrmError, ExitStatus, InvalidInput, Problem


def _error_classes() -> list[type[CrmError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, CrmError)]


def test_exit_statuses_are_the_documented_numbers():
    assert (ExitStatus.SUCCESS, ExitStatus.ERROR, ExitStatus.USAGE) == (0, 1, 2)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_every_error_is_a_domain_error_with_a_status_and_a_docstring(cls):
    assert cls.exit_status in ExitStatus and cls.exit_status != ExitStatus.SUCCESS
    assert cls.__doc__ and cls.__doc__.strip()
    expected = ExitStatus.USAGE if issubclass(cls, errors.UsageError) else ExitStatus.ERROR
    assert cls.exit_status == expected


def test_database_errors_are_one_family():
    for cls in (errors.NoDatabase, errors.ForeignDatabase, errors.NotADatabase):
        assert issubclass(cls, errors.DatabaseError)


def test_a_problem_names_file_line_and_field():
    assert str(Problem("people.csv", 7, "birthday", "not a date: '31/02'")) == (
        "people.csv:7: birthday: not a date: '31/02'"
    )
    assert str(Problem("people.csv", 1, None, "no header")) == "people.csv:1: no header"


def test_invalid_input_lists_up_to_twenty_problems_and_counts_the_rest():
    problems = [Problem("f.csv", n, "phone", "bad") for n in range(2, 27)]
    error = InvalidInput(problems)
    lines = str(error).splitlines()
    assert lines[0] == "25 problems; nothing was imported"
    assert lines[1] == "  f.csv:2: phone: bad"
    assert lines[20] == "  f.csv:21: phone: bad"
    assert lines[21] == "  … and 5 more"
    assert len(lines) == 22
    assert error.problems == problems and error.exit_status == ExitStatus.ERROR


def test_invalid_input_takes_its_own_summary_and_details():
    error = InvalidInput([], summary="3 rows refused", details=["see rejects.csv"])
    assert str(error) == "3 rows refused\n  see rejects.csv"
    assert (
        str(InvalidInput([Problem("f", 2, None, "x")]))
        == "1 problem; nothing was imported\n  f:2: x"
    )


def test_a_field_message_names_fields_plainly_or_as_asked():
    error = errors.FieldUsageError(
        errors.Named("amount"), " is the value of a ", errors.Named("compensation")
    )
    assert str(error) == "amount is the value of a compensation"
    assert error.text(lambda f: f"--{f}") == "--amount is the value of a --compensation"
    assert isinstance(error, errors.UsageError) and error.exit_status == ExitStatus.USAGE
    assert errors.FieldValueError(errors.Named("on"), " is late").exit_status == ExitStatus.ERROR


def test_a_field_message_from_a_template_keeps_its_fields_for_the_cli():
    # A translated template: its placeholders are values or fields (said as options).
    from crmcli.errors import FieldUsageError, Named

    needs = ["", Named("cause"), " (why)", "; ", Named("detail"), " (what)"]
    error = FieldUsageError.said(
        "{stage} 단계에는 {fields}이(가) 필요합니다 ({n:03d}, {v!r})",
        stage="cause-found",
        fields=needs,
        n=7,
        v="x",
    )
    assert str(error) == (
        "cause-found 단계에는 cause (why); detail (what)이(가) 필요합니다 (007, 'x')"
    )
    assert error.text(lambda f: "--" + f) == (
        "cause-found 단계에는 --cause (why); --detail (what)이(가) 필요합니다 (007, 'x')"
    )
