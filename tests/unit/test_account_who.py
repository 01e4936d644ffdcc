"""Who the header says is signed in when the server names the user only by a number (Crust's token)."""

from __future__ import annotations

from crmtui.domain.models import Account, User


def test_a_user_known_by_a_number_shows_its_last_digits_until_a_record_names_them() -> None:
    account = Account(user=User(id="552043555061770775"), name="Crust · crm.example.com")
    assert account.label == "user …0775 · Crust · crm.example.com"
    assert not account.learn_name("999", "Someone Else")  # another user's record
    assert not account.learn_name(account.user.id, "  ")
    assert account.label == "user …0775 · Crust · crm.example.com"
    assert account.learn_name(account.user.id, "Alex Morgan")
    assert account.label == "Alex Morgan · Crust · crm.example.com"
    assert not account.learn_name(account.user.id, "alex@crust.example")  # named already: kept


def test_a_user_with_a_name_of_their_own_keeps_it() -> None:
    account = Account(user=User(id="7", first_name="Sam", last_name="Lee"), name="Acme")
    assert account.label == "Sam Lee · Acme"
    assert not account.learn_name("7", "Other")
    assert Account(user=User(id="42"), name="Acme").label == "42 · Acme"  # a short id is readable as it is
