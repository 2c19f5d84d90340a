"""``kortisto operator``: an admin adds and stops operators from the shell."""

from __future__ import annotations

import pytest

from store.db import open_database, sqlite_url
from store.operators import sign_in
from tui.commands.operators import run_operator_command
from tui.i18n import set_language


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield


async def test_admin_adds_and_stops_an_operator(sqlite_path, clock, capsys) -> None:
    url = sqlite_url(sqlite_path)
    database = await open_database(url)
    await sign_in(database, "anna", clock)
    await database.close()

    added = await run_operator_command(
        url, "add", "ville", name="Ville V", acting_login="anna"
    )
    assert added == 0
    assert "Added operator ville" in capsys.readouterr().out

    database = await open_database(url)
    assert (await sign_in(database, "ville", clock)).name == "Ville V"
    await database.close()

    assert await run_operator_command(url, "stop", "ville", acting_login="anna") == 0
    database = await open_database(url)
    with pytest.raises(Exception, match="not an operator"):
        await sign_in(database, "ville", clock)
    await database.close()


async def test_only_an_admin_changes_operators(sqlite_path, clock, capsys) -> None:
    url = sqlite_url(sqlite_path)
    assert await run_operator_command(url, "add", "ville", acting_login="anna") == 0
    refused = await run_operator_command(url, "add", "eero", acting_login="ville")
    assert refused == 1
    assert "Only an admin" in capsys.readouterr().err


async def test_a_login_is_added_once(sqlite_path, clock, capsys) -> None:
    url = sqlite_url(sqlite_path)
    assert await run_operator_command(url, "add", "ville", acting_login="anna") == 0
    again = await run_operator_command(url, "add", "ville", acting_login="anna")
    assert again == 1
    assert "already an operator" in capsys.readouterr().err
