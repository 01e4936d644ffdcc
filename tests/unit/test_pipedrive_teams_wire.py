"""Pipedrive's legacy teams as the tolerant wire model reads them, who counts as an admin, and the
PUT bodies in the API's types."""

from __future__ import annotations

import pytest

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.teams import map_team, team_changes


def test_a_team_reads_with_its_numbers_flags_and_odd_shapes() -> None:
    team = map_team(wire.Team.model_validate({
        "id": 1, "name": "Closers", "description": None, "manager_id": 4, "users": [4, "5", None, {"id": 6}, 4],
        "active_flag": 0, "deleted_flag": "1", "add_time": "2019-10-07 09:06:09", "created_by_user_id": 2, "extra": [1],
    }))
    assert (team.id, team.name, team.description, team.manager_id) == ("1", "Closers", "", "4")
    assert team.member_ids == ["4", "5", "6"]
    assert not team.active and team.deleted
    assert team.add_time is not None and team.add_time.isoformat() == "2019-10-07T09:06:09+00:00"
    assert map_team(wire.Team.model_validate({"id": 2, "users": "nope", "active_flag": None})).active


def test_without_users_a_team_has_no_members() -> None:  # skip_users=1
    assert map_team(wire.Team.model_validate({"id": 3, "name": "X"})).member_ids == []


@pytest.mark.parametrize(
    ("user", "admin"),
    [
        ({"is_admin": 1}, True),
        ({"access": [{"app": "sales", "admin": True}]}, True),
        ({"access": [{"app": "projects", "admin": True}, {"app": "sales", "admin": False}]}, False),
        ({"access": "admin"}, False),
        ({}, False),
    ],
)
def test_an_admin_by_is_admin_or_the_sales_apps_access(user: dict, admin: bool) -> None:
    assert wire.User.model_validate({"id": 1, **user}).admin is admin


def test_a_put_body_has_the_apis_types_and_only_what_changed() -> None:
    assert team_changes({"name": "A", "active": False, "manager_id": "12"}) == {"name": "A", "active_flag": 0, "manager_id": 12}
    assert team_changes({"description": ""}) == {"description": ""}
    with pytest.raises(TypeError):
        team_changes({"users": [1]})
    with pytest.raises(ValueError):
        team_changes({"manager_id": "abc"})


def test_user_ids_are_text_and_anything_else_is_left_out() -> None:
    assert wire.user_ids([1, "2", None, {"id": 3}, [4]]) == ["1", "2", "3"]
    assert wire.user_ids(None) == []
