"""Changes made on the server behind the app's back, as a colleague in the web app would make them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.client import CONTACT_WRITABLE, OnePageCRMClient, contact_body


async def edit_contact(client: OnePageCRMClient, contact_id: str, changes: Mapping[str, Any]) -> wire.StreamItem:
    """Change some fields of a contact, keeping the others.

    PUT /contacts/{id} replaces every writable field and the spec has no partial update, so this reads
    the contact, applies `changes` (request field names) and sends the whole contact back.
    """
    unknown = set(changes) - set(CONTACT_WRITABLE)
    if unknown:
        raise TypeError(f"not writable contact field(s): {', '.join(sorted(unknown))}")
    current = await client.get_contact(contact_id)
    return await client.replace_contact(contact_id, {**contact_body(current.contact), **changes})
