"""The register of personal data: every column that holds it, with its category and purpose.

Models declare their columns here (``@personal_data(...)`` on the class, or
``register_personal_field``); export, erasure and the privacy policy's data inventory read
``personal_fields()`` so that a new column cannot be forgotten by them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import TypeVar

ModelClass = TypeVar("ModelClass", bound=type)


class Category(enum.StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    CREDENTIALS = "credentials"
    TECHNICAL = "technical"
    THIRD_PARTY_IDS = "third_party_ids"
    CONTENT = "content"
    FILES = "files"
    PREFERENCES = "preferences"
    REQUESTS = "requests"


@dataclasses.dataclass(frozen=True)
class PersonalField:
    table: str
    column: str
    category: Category
    purpose: str


class PersonalFieldConflict(ValueError):
    """One column declared twice with different categories or purposes."""


class PersonalDataRegister:
    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], PersonalField] = {}

    def register(self, table: str, column: str, category: Category | str, purpose: str) -> PersonalField:
        """Declare a column; declaring the same thing again (a re-imported module) changes nothing."""
        if not purpose.strip():
            raise ValueError(f"{table}.{column}: say why this personal data is kept")
        field = PersonalField(table, column, Category(category), purpose.strip())
        existing = self._fields.setdefault((table, column), field)
        if existing != field:
            raise PersonalFieldConflict(f"{table}.{column} is already declared as {existing}")
        return field

    def fields(self, table: str | None = None) -> tuple[PersonalField, ...]:
        return tuple(field for field in self._fields.values() if table is None or field.table == table)


_register = PersonalDataRegister()


def register_personal_field(table: str, column: str, category: Category | str, purpose: str) -> PersonalField:
    return _register.register(table, column, category, purpose)


def personal_fields(table: str | None = None) -> tuple[PersonalField, ...]:
    """Every declared personal-data column, in declaration order, optionally of one table."""
    return _register.fields(table)


def personal_data(
    register: PersonalDataRegister | None = None, **columns: tuple[Category | str, str]
) -> Callable[[ModelClass], ModelClass]:
    """Class decorator: ``@personal_data(email=(Category.CONTACT, "sign-in and notices"))``.

    The table name comes from ``__tablename__``; a column the model does not have is refused
    so that a typo cannot leave a column out of exports and erasure.
    """

    def declare(model: ModelClass) -> ModelClass:
        table = model.__tablename__
        for column, (category, purpose) in columns.items():
            if not hasattr(model, column):
                raise AttributeError(f"{model.__name__} has no column {column!r} to declare as personal data")
            (register or _register).register(table, column, category, purpose)
        return model

    return declare
