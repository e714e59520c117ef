"""Fixtures of the evaluation tests: the implementation tests' World and workspace (Lemgo with
four relevant Leistungen, Reifegradmodell 1.1), plus helpers to read exports back."""

import io

import pytest
from python_calamine import CalamineWorkbook

from kompass.accounts.tests.conftest import World, world  # noqa: F401 - fixtures
from kompass.implementation.tests.conftest import Workspace, maturity_model_1_1, ws  # noqa: F401


def read_xlsx(response) -> dict[str, list[list]]:
    """Every sheet of an XLSX response as rows, read by python-calamine (not openpyxl)."""
    data = b"".join(response.streaming_content)
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def read_csv(response) -> list[list[str]]:
    import csv

    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def levels(db):
    return maturity_model_1_1()
