# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce Outbound Messages in the shared webhook suite (sync_core/tests/webhook_suite.py).

Salesforce signs nothing: the path token finds the backend and the envelope's OrganizationId
must be its org's.  The sender expects SOAP: an ``Ack`` of true once stored, a SOAP fault
otherwise, and SOAP 1.1 (section 6.2) sends a fault with HTTP 500.  The suite's invariants stay
the same ("no traceback, a readable reason, nothing applied"): `read_answer` maps a SOAP
``Client`` fault with a non-empty ``faultstring`` to a refusal with that reason, and anything
else answered with a 500 (a ``Server`` fault, an HTML error page, a traceback) stays a 500."""

from hypothesis import strategies as st
from lxml import etree

from odoo.addons.sync_core.controllers.main import MAX_BODY
from odoo.addons.sync_core.tests.webhook_suite import WebhookProfile
from odoo.addons.sync_salesforce.fake import outbound as sender
from odoo.addons.sync_salesforce.outbound import OUTBOUND_NS, SOAP_ENV

ORG = "00D8d0000000001EAA"
OTHER_ORG = "00D8d0000000002EAA"
SOBJECTS = ["Account", "Contact", "Opportunity", "OpportunityLineItem", "Lead", "Case"]


def _sf_id(prefix):
    """An 18-character record id of this key prefix (drawn as a number: text is slow to draw)."""
    return st.integers(0, 10**10 - 1).map(lambda n: f"{prefix}8d{n:010d}AAA")


FIELD_NAMES = st.sampled_from(
    ["Name", "Email", "Phone", "StageName", "Amount", "IsWon", "Custom_Field__c", "x", "Id2"]
)
FIELD_VALUES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["", " ", "Acme & Co <b>", "Zoë", "\u4e2d\u6587", "a" * 300, "]]>"])
    | st.text(max_size=12).map(
        lambda text: "".join(
            c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or c >= "\ue000"
        )
    )
)


# strategies are built once (building one per draw costs more than drawing from it)
RECORD_IDS = _sf_id("001")
NOTIFICATION_IDS = _sf_id("04l")
FIELDS = st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=4)
COUNTS = st.integers(1, 4)
TENTHS = st.integers(0, 9)
SOBJECT_TYPES = st.sampled_from(SOBJECTS)
ORGS = st.sampled_from([ORG, ORG[:15]])
OTHER_ORGS = st.sampled_from([OTHER_ORG, OTHER_ORG[:15], "x", ORG[:14]])
HUGE_COUNTS = st.sampled_from([101, 500, 2000])
GARBAGE = st.binary(min_size=1, max_size=8)
TRAILERS = st.sampled_from([b"", b"\xe9"])
BREAKS = st.sampled_from(
    [
        "wrong outbound ns",
        "wrong soap ns",
        "prefixes",
        "no org",
        "empty org",
        "other org",
        "truncated",
        "doctype",
        "entity",
        "external entity",
        "huge count",
        "latin-1",
        "utf-16",
        "garbage bytes",
        "no notification",
        "undeclared type prefix",
        "nested junk",
    ]
)


@st.composite
def notifications(draw):
    out = []
    for _n in range(draw(COUNTS)):
        fields = {"Id": draw(RECORD_IDS)}
        fields.update(draw(FIELDS))
        if draw(TENTHS) == 0:
            fields.pop("Id")  # an sObject without its Id: refused
        out.append((draw(NOTIFICATION_IDS), draw(SOBJECT_TYPES), fields))
    return out


def _envelope(org, notes):
    return sender.envelope(org, notes)


@st.composite
def valid_envelopes(draw):
    org = draw(ORGS)
    return _envelope(org, draw(notifications()))


@st.composite
def broken_envelopes(draw):
    """Envelopes that are almost right: a refusal (fault) or an accepted variant each."""
    body = _envelope(ORG, draw(notifications()))
    text = body.decode()
    how = draw(BREAKS)
    if how == "wrong outbound ns":
        return text.replace(OUTBOUND_NS, "http://soap.sforce.com/2005/09/outbound-x").encode()
    if how == "wrong soap ns":
        return text.replace(SOAP_ENV, "http://www.w3.org/2003/05/soap-envelope").encode()
    if how == "prefixes":
        return (
            text.replace("soapenv:", "S:")
            .replace("xmlns:soapenv", "xmlns:S")
            .replace(
                f'<notifications xmlns="{OUTBOUND_NS}">',
                f'<o:notifications xmlns:o="{OUTBOUND_NS}">',
            )
            .encode()
        )
    if how == "no org":
        return text.replace(f"<OrganizationId>{ORG}</OrganizationId>", "").encode()
    if how == "empty org":
        return text.replace(f"<OrganizationId>{ORG}</OrganizationId>", "<OrganizationId/>").encode()
    if how == "other org":
        return text.replace(ORG, draw(OTHER_ORGS)).encode()
    if how == "truncated":
        return body[: draw(st.integers(0, max(0, len(body) - 1)))]
    if how == "doctype":
        return body.replace(b"?>", b"?><!DOCTYPE a [<!ELEMENT a ANY>]>", 1)
    if how == "entity":
        bomb = b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        return body.replace(b"?>", b"?>" + bomb, 1).replace(b"<ActionId>", b"<ActionId>&b;", 1)
    if how == "external entity":
        xxe = b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        return body.replace(b"?>", b"?>" + xxe, 1).replace(b"<ActionId>", b"<ActionId>&x;", 1)
    if how == "huge count":
        count = draw(HUGE_COUNTS)
        notes = [
            (f"04l8d{n:010d}AAA", "Account", {"Id": f"0018d{n:010d}AAA"}) for n in range(count)
        ]
        return _envelope(ORG, notes)
    if how == "latin-1":
        return text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("utf-8") + draw(
            TRAILERS
        )
    if how == "utf-16":
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    if how == "garbage bytes":
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(GARBAGE) + body[at:]
    if how == "no notification":
        start, end = text.index("<Notification>"), text.rindex("</Notification>")
        return (text[:start] + text[end + len("</Notification>") :]).encode()
    if how == "undeclared type prefix":
        return text.replace('xsi:type="sf:', 'xsi:type="zz:', 1).encode()
    return text.replace("<Notification>", "<Notification><Notification/><junk>1</junk>", 1).encode()


class SalesforceProfile(WebhookProfile):
    kind = "salesforce"
    content_type = "text/xml; charset=utf-8"
    reason_format = "SOAP fault and faultstring"
    # the 10,000 deliveries like every connector (FUZZ_EXAMPLES): an envelope stores up
    # to 4 notifications (events and jobs), ~28 ms a delivery on the 2-core machine, 10,000 in
    # about 280 s; SYNC_FUZZ_EXAMPLES sets fewer for a quick local run

    def create_backend(self, env):
        backend = env["sync.backend"].create(
            {
                "name": "Suite Salesforce",
                "kind": "salesforce",
                "salesforce_auth": "password",
                "salesforce_username": "integration@example.com",
                "salesforce_password": "pass-word",
                "salesforce_security_token": "TOKEN123",
                "salesforce_org_id": ORG,
            }
        )
        backend._salesforce_create_default_mappings()
        return backend

    def sign(self, backend, url, body, stamp=None, secret=None):
        """Outbound Messages carry no signature: only the SOAPAction header Salesforce sends."""
        return {"SOAPAction": '""'}

    def noise_headers(self):
        return ["SOAPAction", "Content-Type", "User-Agent", "X-Request-Id"]

    def encode(self, events):
        return _envelope(ORG, events)

    def valid_events(self):
        return [(sender.notification_id(), "Account", {"Id": "0018d0000000042AAA", "Name": "Acme"})]

    def bodies(self):
        return st.one_of(
            valid_envelopes(),
            valid_envelopes(),
            broken_envelopes(),
            st.binary(max_size=300),
            st.sampled_from(
                [b"", b"<", b"<a/>", b"{}", b"\xff\xfe<\x00", b"<?xml version='1.0'?>"]
            ),
        )

    def read_answer(self, status, content):
        """An Ack (HTTP 200) -> ok; a SOAP ``Client`` fault with a faultstring (HTTP 500 by
        SOAP 1.1) -> a refusal with that reason; a JSON answer (unknown endpoint, body too
        large: answered before any backend is known) as JSON; anything else stays as it is."""
        if isinstance(content, str):
            content = content.encode()
        try:
            root = etree.fromstring(
                content, parser=etree.XMLParser(resolve_entities=False, no_network=True)
            )
        except (etree.XMLSyntaxError, ValueError):
            return super().read_answer(status, content)
        body = root.find(f"{{{SOAP_ENV}}}Body")
        if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None:
            return status, None
        ack = body.findtext(f"{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack")
        if status == 200 and ack == "true":
            return 200, {"status": "ok", "stored": None}
        fault = body.find(f"{{{SOAP_ENV}}}Fault")
        if fault is None:
            return status, None
        code = (fault.findtext("faultcode") or "").strip()
        reason = (fault.findtext("faultstring") or "").strip()
        if status == 500 and code.split(":")[-1].startswith("Client"):
            # a refusal of the request, said the SOAP way; which one (400/401/403/413) SOAP does
            # not tell: 400, the suite's most lenient refusal (at most one rejected event)
            return 400, {"status": "error", "reason": reason}
        return status, {"status": "error", "reason": reason}

    def forgeries(self, backend, url, path):
        body = self.encode(self.valid_events())
        huge = body.replace(b"<ActionId>", b"<ActionId>" + b"x" * MAX_BODY, 1)
        text = body.decode()
        xxe = b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        bomb = (
            b'<!DOCTYPE d [<!ENTITY a "'
            + b"a" * 100
            + b'">'
            + b"".join(
                b'<!ENTITY %s "%s">' % (bytes([98 + n]), (b"&%s;" % bytes([97 + n])) * 10)
                for n in range(8)
            )
            + b"]>"
        )
        return [
            (
                "OrganizationId of another org",
                None,
                self.sign(backend, url, body),
                text.replace(ORG, OTHER_ORG).encode(),
            ),
            (
                "15-character id of another org",
                None,
                self.sign(backend, url, body),
                text.replace(ORG, OTHER_ORG[:15]).encode(),
            ),
            (
                "no OrganizationId",
                None,
                self.sign(backend, url, body),
                text.replace(f"<OrganizationId>{ORG}</OrganizationId>", "").encode(),
            ),
            (
                "unknown token",
                f"/sync/{backend.kind}/{'x' * 32}",
                self.sign(backend, url, body),
                body,
            ),
            (
                "other kind's path",
                f"/sync/hubspot/{path.split('/')[-1]}",
                self.sign(backend, url, body),
                body,
            ),
            ("oversized body", None, self.sign(backend, url, huge), huge),
            (
                "external entity (XXE)",
                None,
                self.sign(backend, url, body),
                body.replace(b"?>", b"?>" + xxe, 1).replace(b"<ActionId>", b"<ActionId>&x;", 1),
            ),
            (
                "entity expansion (billion laughs)",
                None,
                self.sign(backend, url, body),
                body.replace(b"?>", b"?>" + bomb, 1).replace(b"<ActionId>", b"<ActionId>&i;", 1),
            ),
            (
                "101 notifications in one message",
                None,
                self.sign(backend, url, body),
                _envelope(
                    ORG,
                    [
                        (f"04l8d{n:010d}AAA", "Account", {"Id": f"0018d{n:010d}AAA"})
                        for n in range(101)
                    ],
                ),
            ),
        ]
