"""What a notification's row says beside its type, who and when (crmtui.service.notifications.detail)."""

from __future__ import annotations

from crmtui.domain.models import Notification
from crmtui.service.notifications import detail, full_text


def note(title: str, body: str, text: str | None = None) -> Notification:
    return Notification(id="n1", title=title, body=body, text=f"{title} {body}" if text is None else text)


def test_the_detail_is_the_body_when_the_text_only_joins_headline_and_body() -> None:
    n = note("Action assigned to you", "Send case study")
    assert detail(n) == "Send case study"
    assert full_text(n) == "Action assigned to you: Send case study"


def test_a_body_that_is_only_the_contacts_name_gives_way_to_the_headline() -> None:
    n = note("Contact assigned to you", "Olga Zimmer")
    assert detail(n, "Olga Zimmer") == "Contact assigned to you"  # the name is in the Contact column already
    assert detail(n, "Zoe Varga") == "Olga Zimmer"
    assert detail(n) == "Olga Zimmer"


def test_a_text_of_its_own_is_shown_as_it_is() -> None:
    n = note("", "", text="Tom assigned you a deal")
    assert detail(n, "Olga Zimmer") == "Tom assigned you a deal"
