# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Outbound Messages as Salesforce sends them: a SOAP 1.1 ``notifications`` envelope
(namespace ``http://soap.sforce.com/2005/09/outbound``) of up to 100 ``Notification``s, each
with its own Id and the sObject's fields (enterprise namespace
``urn:sobject.enterprise.soap.sforce.com``, type in ``xsi:type``), posted with
``SOAPAction: ""``.  The listener acknowledges with ``notificationsResponse/Ack`` = true;
anything else makes Salesforce retry (for 24 hours)."""

import itertools
import urllib.error
import urllib.request
from xml.sax.saxutils import escape

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOBJECT_NS = "urn:sobject.enterprise.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_ids = itertools.count(1)


def notification_id():
    """A fresh notification id (key prefix 04l, 18 characters)."""
    return f"04l8d{next(_ids):010d}AAA"


def envelope(org_id, notifications, action_id="04k8d0000000001AAA", base_url="https://fake"):
    """notifications: [(notification id, sObject type, {field: value})] -> XML bytes.

    Prefixes are chosen like Salesforce's (``soapenv``, ``sf``), but a receiver must resolve
    namespaces, not prefixes."""
    parts = []
    for note_id, sobject, fields in notifications:
        values = "".join(
            f"\n     <sf:{name}>{escape(_text(value))}</sf:{name}>"
            if value is not None
            else f'\n     <sf:{name} xsi:nil="true"/>'
            for name, value in fields.items()
        )
        parts.append(
            f"\n   <Notification>\n    <Id>{escape(note_id)}</Id>"
            f'\n    <sObject xsi:type="sf:{sobject}" xmlns:sf="{SOBJECT_NS}">{values}'
            "\n    </sObject>\n   </Notification>"
        )
    # indented like the messages Salesforce sends (one space a level)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="{XSI_NS}">'
        "\n <soapenv:Body>"
        f'\n  <notifications xmlns="{OUTBOUND_NS}">'
        f"\n   <OrganizationId>{escape(org_id)}</OrganizationId>"
        f"\n   <ActionId>{escape(action_id)}</ActionId>"
        '\n   <SessionId xsi:nil="true"/>'
        f"\n   <EnterpriseUrl>{base_url}/services/Soap/c/59.0/{org_id[:15]}</EnterpriseUrl>"
        f"\n   <PartnerUrl>{base_url}/services/Soap/u/59.0/{org_id[:15]}</PartnerUrl>"
        f"{''.join(parts)}"
        "\n  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n"
    ).encode()


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def send(url, body, timeout=10):
    """POST one envelope like Salesforce; return (HTTP status, response body as text)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": '""',
            "User-Agent": "Jakarta Commons-HttpClient/3.1",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
