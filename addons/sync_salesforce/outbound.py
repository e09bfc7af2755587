# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce Outbound Messages (plain Python, no ORM): parse a SOAP 1.1 ``notifications``
envelope by namespace (never by prefix), and build the ``notificationsResponse`` Ack and SOAP
faults.

Parsing is hardened: a SOAP message must not carry a document type declaration (SOAP 1.1,
section 3), so any DTD or entity declaration is refused before parsing, and the parser resolves
no entity and loads nothing from the network."""

from lxml import etree

from odoo.addons.sync_core.exceptions import PayloadError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def _q(ns, name):
    return f"{{{ns}}}{name}"


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else None


def _text(element):
    if element is None:
        return None
    if element.get(_q(XSI_NS, "nil")) in ("true", "1"):
        return None
    return (element.text or "").strip()


def parse_envelope(body):
    """-> {"organization_id", "action_id", "notifications": [{"id", "sobject", "fields"}]}.

    Raise PayloadError (kept as a rejected event, answered with a SOAP fault) when the body is
    not a well-formed ``notifications`` envelope."""
    raw = body or b""
    head = raw[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in raw.upper():
        raise PayloadError("a SOAP message must not contain a document type declaration")
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise PayloadError(f"body is not well-formed XML: {exc}") from exc
    if root.tag != _q(SOAP_ENV, "Envelope"):
        raise PayloadError("not a SOAP 1.1 envelope")
    notifications = root.find(f"{_q(SOAP_ENV, 'Body')}/{_q(OUTBOUND_NS, 'notifications')}")
    if notifications is None:
        raise PayloadError("the SOAP body carries no Outbound Message notifications")
    org_id = _text(notifications.find(_q(OUTBOUND_NS, "OrganizationId")))
    if not org_id:
        raise PayloadError("the notifications carry no OrganizationId")
    notes = notifications.findall(_q(OUTBOUND_NS, "Notification"))
    if len(notes) > MAX_NOTIFICATIONS:
        # Salesforce sends at most 100 per message: more is not Salesforce, and would make one
        # request store (and enqueue) thousands of events
        raise PayloadError(
            f"{len(notes)} notifications in one message: Salesforce sends at most"
            f" {MAX_NOTIFICATIONS}"
        )
    out = []
    for note in notes:
        note_id = _text(note.find(_q(OUTBOUND_NS, "Id")))
        sobject = note.find(_q(OUTBOUND_NS, "sObject"))
        if not note_id or sobject is None:
            raise PayloadError("each Notification needs an Id and an sObject")
        sobject_type = _sobject_type(sobject)
        fields = {}
        for child in sobject:
            name = _local(child.tag)
            if name:
                fields[name] = _text(child)
        if not fields.get("Id"):
            raise PayloadError(f"notification {note_id}: the sObject has no Id")
        out.append({"id": note_id, "sobject": sobject_type, "fields": fields})
    if not out:
        raise PayloadError("the notifications carry no Notification")
    return {
        "organization_id": org_id,
        "action_id": _text(notifications.find(_q(OUTBOUND_NS, "ActionId"))),
        "notifications": out,
    }


def _sobject_type(sobject):
    """``xsi:type="sf:Account"``: the prefix is resolved through the element's namespaces; only
    the local part names the type."""
    value = sobject.get(_q(XSI_NS, "type"))
    if not value:
        raise PayloadError("an sObject without xsi:type")
    prefix, _sep, local = value.rpartition(":")
    if prefix and prefix not in sobject.nsmap:
        raise PayloadError(f"xsi:type {value} uses an undeclared prefix")
    return local


def ack():
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>'
        f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
        "</soapenv:Body></soapenv:Envelope>"
    )


def fault(reason, code="soapenv:Client"):
    text = etree.Element("faultstring")
    text.text = reason
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{code}</faultcode>{etree.tostring(text, encoding='unicode')}"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
