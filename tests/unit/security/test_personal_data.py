import pytest

from studio_app.security import personal_data as personal_data_module
from studio_app.security.personal_data import (
    Category,
    PersonalDataRegister,
    PersonalField,
    PersonalFieldConflict,
    personal_data,
    personal_fields,
    register_personal_field,
)


@pytest.fixture
def register() -> PersonalDataRegister:
    return PersonalDataRegister()


class Account:
    __tablename__ = "account"
    email = None
    display_name = None


def test_declared_fields_are_listed_in_order(register):
    register.register("account", "email", Category.CONTACT, "sign-in and notices")
    register.register("session", "ip_address", "technical", "security of the account")

    assert register.fields() == (
        PersonalField("account", "email", Category.CONTACT, "sign-in and notices"),
        PersonalField("session", "ip_address", Category.TECHNICAL, "security of the account"),
    )
    assert [field.column for field in register.fields("session")] == ["ip_address"]


def test_declaring_the_same_field_again_changes_nothing(register):
    register.register("account", "email", Category.CONTACT, "sign-in")
    register.register("account", "email", Category.CONTACT, "sign-in")

    assert len(register.fields()) == 1


def test_conflicting_declaration_is_refused(register):
    register.register("account", "email", Category.CONTACT, "sign-in")

    with pytest.raises(PersonalFieldConflict):
        register.register("account", "email", Category.IDENTITY, "sign-in")


def test_unknown_category_and_missing_purpose_are_refused(register):
    with pytest.raises(ValueError, match="health"):
        register.register("account", "email", "health", "sign-in")
    with pytest.raises(ValueError, match="why"):
        register.register("account", "email", Category.CONTACT, "  ")


def test_decorator_declares_columns_under_the_table_name(register):
    personal_data(
        register,
        email=(Category.CONTACT, "sign-in"),
        display_name=(Category.IDENTITY, "shown to collaborators"),
    )(Account)

    assert [(field.table, field.column, field.category) for field in register.fields()] == [
        ("account", "email", Category.CONTACT),
        ("account", "display_name", Category.IDENTITY),
    ]


def test_decorator_refuses_a_column_the_model_lacks(register):
    with pytest.raises(AttributeError, match="emial"):
        personal_data(register, emial=(Category.CONTACT, "sign-in"))(Account)


def test_module_functions_use_the_app_register(monkeypatch, register):
    monkeypatch.setattr(personal_data_module, "_register", register)

    register_personal_field("account", "email", Category.CONTACT, "sign-in")

    assert personal_fields() == (PersonalField("account", "email", Category.CONTACT, "sign-in"),)
