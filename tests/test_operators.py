"""Who may open the register, and operators' own preferences."""

from __future__ import annotations

import pytest

from store.db import Database
from store.errors import NotAnOperator
from store.operators import add_operator, get_preference, set_preference, sign_in


async def test_first_login_of_a_register_without_admin_becomes_admin(
    database: Database, clock
) -> None:
    await add_operator(database, "myyja", clock, is_salesperson=True)
    first = await sign_in(database, "anna", clock)
    assert first.is_admin
    again = await sign_in(database, "anna", clock)
    assert again.id == first.id


async def test_unknown_login_is_refused_once_there_is_an_admin(
    database: Database, clock
) -> None:
    await sign_in(database, "anna", clock)
    with pytest.raises(NotAnOperator) as refused:
        await sign_in(database, "stranger", clock)
    assert "stranger" in str(refused.value)


async def test_preferences_are_per_operator_and_overwritten(
    database: Database, clock
) -> None:
    anna = await sign_in(database, "anna", clock)
    ville = await add_operator(database, "ville", clock)
    await set_preference(database, anna.id, "card_panels", {"contact": False})
    await set_preference(database, anna.id, "card_panels", {"contact": True})
    assert await get_preference(database, anna.id, "card_panels") == {"contact": True}
    assert await get_preference(database, ville.id, "card_panels", {}) == {}
