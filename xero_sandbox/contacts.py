"""Contacts: created and updated as Xero does, with names unique among active contacts and
contact numbers unique among all contacts."""

from .documents import CONTACT_NAME_EMPTY, find_active_contact, new_id
from .render import CONTACT_DETAILS
from .store import Contact
from .wire import ZERO_ID

CONTACT_STATUSES = ("ACTIVE", "ARCHIVED")


def duplicate_name(name):
    return (  # [Xero], from its OpenAPI description
        f"The contact name {name} is already assigned to another contact. The contact name must "
        "be unique across all active contacts."
    )


def duplicate_number(number):
    """A ContactNumber names one contact: GET /Contacts/{ContactNumber} returns "a specific
    contact" (Xero's OpenAPI), "that unique contact" (Xero's SidneyAllen in
    XeroAPI/xero-php-oauth2#199); Xero refuses a second one with "The contact number ..."
    (Xero's community thread 50401, the rest of its wording not quoted: this is the sandbox's)."""
    return f"The contact number {number} is already assigned to another contact."


def write_contact(org, element, now, contact_id=None):
    """(contact, []) when written, (None, messages) when refused."""
    if not isinstance(element, dict):
        return None, ["A Contact must be a JSON object."]
    contact_id = contact_id or element.get("ContactID")
    existing = None
    if contact_id and contact_id != ZERO_ID:
        existing = org.contacts.get(str(contact_id).lower())
        if existing is None:
            return None, [f"The contact with ContactID {contact_id} could not be found."]
    name = str(element.get("Name", existing.name if existing else "") or "").strip()
    status = element.get("ContactStatus") or (existing.status if existing else "ACTIVE")
    errors = []
    if not name:
        errors.append(CONTACT_NAME_EMPTY)
    if status not in CONTACT_STATUSES:
        errors.append("ContactStatus must be ACTIVE or ARCHIVED.")
    elif name and status == "ACTIVE":
        other = find_active_contact(org, name)
        if other is not None and other is not existing:
            errors.append(duplicate_name(name))
    number = str(element.get("ContactNumber") or "").strip()
    if number and any(
        str(other.details.get("ContactNumber") or "").strip().casefold() == number.casefold()
        for other in org.contacts.values()
        if other is not existing
    ):
        errors.append(duplicate_number(number))
    if errors:
        return None, errors
    details = {key: element[key] for key in CONTACT_DETAILS if key in element}
    if existing is None:
        existing = Contact(contact_id=new_id(), name=name, status=status, updated=now)
        org.contacts[existing.contact_id] = existing
    existing.name = name
    existing.status = status
    existing.details.update(details)
    existing.updated = now
    return existing, []
