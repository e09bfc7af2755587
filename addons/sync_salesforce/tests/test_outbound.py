# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from lxml import etree

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_salesforce import salesforce_adapter
from odoo.addons.sync_salesforce.fake import outbound as sender
from odoo.addons.sync_salesforce.fake.server import SalesforceFake
from odoo.addons.sync_salesforce.outbound import OUTBOUND_NS, SOAP_ENV

ORG = "00D8d0000000001EAA"


@tagged("-at_install", "post_install")
class TestOutboundMessages(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Salesforce OM",
                "kind": "salesforce",
                "salesforce_auth": "password",
                "salesforce_username": "integration@example.com",
                "salesforce_password": "pass-word",
                "salesforce_security_token": "TOKEN123",
                "salesforce_org_id": ORG,
            }
        )
        cls.backend._salesforce_create_default_mappings()
        cls.path = f"/sync/salesforce/{cls.backend.webhook_token}"

    def post(self, body):
        return self.url_open(
            self.base_url() + self.path,
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    @staticmethod
    def ack_of(response):
        root = etree.fromstring(response.content)
        return root.findtext(
            f"{{{SOAP_ENV}}}Body/{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack"
        )

    @staticmethod
    def fault_of(response):
        root = etree.fromstring(response.content)
        return root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")

    def test_notifications_are_stored_once_and_acknowledged(self):
        notes = [
            (sender.notification_id(), "Account", {"Id": "0018d0000000001AAA", "Name": "Acme"}),
            (sender.notification_id(), "Contact", {"Id": "0038d0000000001AAA", "Email": None}),
        ]
        res = self.post(sender.envelope(ORG, notes))
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(self.ack_of(res), "true")
        events = self.events()
        self.assertEqual(len(events), 2)
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertEqual(set(events.mapped("dedup_key")), {n[0] for n in notes})
        account = events.filtered(lambda e: e.object_name == "Account")
        self.assertEqual(account.external_id, "0018d0000000001AAA")
        self.assertEqual(account.job_id.kind, "import_record")
        # Salesforce delivers again (no Ack seen): acknowledged, counted, not stored twice
        res = self.post(sender.envelope(ORG, notes))
        self.assertEqual(self.ack_of(res), "true")
        self.assertEqual(len(self.events()), 2)
        self.assertEqual(account.delivery_count, 2)

    def test_other_prefixes_are_parsed_by_namespace(self):
        body = (
            f'<e:Envelope xmlns:e="{SOAP_ENV}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
            f'<e:Body><om:notifications xmlns:om="{OUTBOUND_NS}"><om:OrganizationId>{ORG[:15]}'
            "</om:OrganizationId><om:Notification><om:Id>04l8d0000000777AAA</om:Id>"
            '<om:sObject i:type="obj:Account" xmlns:obj="urn:sobject.partner.soap.sforce.com">'
            "<obj:Id>0018d0000000002AAA</obj:Id></om:sObject></om:Notification>"
            "</om:notifications></e:Body></e:Envelope>"
        ).encode()
        res = self.post(body)
        self.assertEqual(self.ack_of(res), "true", res.text)
        self.assertEqual(self.events().object_name, "Account")

    def test_wrong_org_is_refused_with_a_fault_and_nothing_stored(self):
        notes = [(sender.notification_id(), "Account", {"Id": "0018d0000000001AAA"})]
        res = self.post(sender.envelope("00D8d0000000999EAA", notes))
        self.assertEqual(res.status_code, 500)
        self.assertIn("OrganizationId", self.fault_of(res).findtext("faultstring"))
        self.assertFalse(self.events())

    def test_malformed_envelopes_get_a_fault_and_are_kept_as_rejected(self):
        bodies = (
            b"<soapenv:Envelope><unclosed>",
            f'<Envelope xmlns="{SOAP_ENV}"><Body><other/></Body></Envelope>'.encode(),
            (
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY big "boom">]>'
                + f'<Envelope xmlns="{SOAP_ENV}"><Body>&big;</Body></Envelope>'.encode()
            ),
        )
        for body in bodies:
            res = self.post(body)
            self.assertEqual(res.status_code, 500)
            fault = self.fault_of(res)
            self.assertEqual(fault.findtext("faultcode"), "soapenv:Client")
        rejected = self.events()
        self.assertEqual(len(rejected), 3)
        self.assertEqual(set(rejected.mapped("state")), {"rejected"})
        self.assertIn("document type declaration", " ".join(rejected.mapped("reason")))

    def test_recorded_shapes_are_acknowledged(self):
        """What Salesforce's listener examples and recorded messages look like: a UTF-8 byte
        order mark before the XML declaration (or no declaration at all), pretty-printed with
        CRLF line ends, a real SessionId, the 15-character OrganizationId of the Url fields,
        ISO stamps with milliseconds and Z, booleans as text, a custom object's type."""
        org15 = ORG[:15]
        body = (
            '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\r\n'
            " <soapenv:Body>\r\n"
            f'  <notifications xmlns="{OUTBOUND_NS}">\r\n'
            f"   <OrganizationId>{org15}</OrganizationId>\r\n"
            "   <ActionId>04k8d0000000Xy1AAE</ActionId>\r\n"
            f"   <SessionId>{org15}!AQsAQFakeSessionValue.x_Y</SessionId>\r\n"
            f"   <EnterpriseUrl>https://na1.example.my.salesforce.com/services/Soap/c/60.0/{org15}"
            "</EnterpriseUrl>\r\n"
            f"   <PartnerUrl>https://na1.example.my.salesforce.com/services/Soap/u/60.0/{org15}"
            "</PartnerUrl>\r\n"
            "   <Notification>\r\n"
            "    <Id>04l8d000001AbCdAAK</Id>\r\n"
            '    <sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            "\r\n"
            "     <sf:Id>0038d000004XyZ1AAK</sf:Id>\r\n"
            "     <sf:CreatedDate>2017-12-11T21:49:24.000Z</sf:CreatedDate>\r\n"
            "     <sf:FirstName>Jos\u00e9</sf:FirstName>\r\n"
            "     <sf:IsDeleted>false</sf:IsDeleted>\r\n"
            "     <sf:LastName>N\u00fa\u00f1ez &amp; Co</sf:LastName>\r\n"
            "    </sObject>\r\n"
            "   </Notification>\r\n"
            "   <Notification>\r\n"
            "    <Id>04l8d000001AbCeAAK</Id>\r\n"
            '    <sObject xsi:type="sf:Region__c" '
            'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">\r\n'
            "     <sf:Id>a298d000000K4P0AAK</sf:Id>\r\n"
            "     <sf:Code__c>AR</sf:Code__c>\r\n"
            "    </sObject>\r\n"
            "   </Notification>\r\n"
            "  </notifications>\r\n"
            " </soapenv:Body>\r\n"
            "</soapenv:Envelope>\r\n"
        ).encode()
        for variant in (body, body.split(b"\r\n", 1)[1]):  # with BOM + declaration, without
            res = self.post(variant)
            self.assertEqual(res.status_code, 200, res.text)
            self.assertEqual(self.ack_of(res), "true")
        # sent chunked (no Content-Length), as an HTTP/1.1 client may
        res = self.post(iter([body[:700], body[700:]]))
        self.assertEqual(self.ack_of(res), "true", res.text)
        events = self.events()
        self.assertEqual(len(events), 2)
        self.assertEqual(events[0].delivery_count, 3)
        contact = events.filtered(lambda e: e.object_name == "Contact")
        self.assertEqual(contact.external_id, "0038d000004XyZ1AAK")
        self.assertEqual(contact.state, "queued")
        # an object nothing maps is kept, acknowledged, ignored
        self.assertEqual(events.filtered(lambda e: e.object_name == "Region__c").state, "ignored")

    def test_empty_notifications_get_a_client_fault(self):
        """A listener's 'empty' sample: a notifications element with nothing inside."""
        body = (
            '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>\n'
            f'<notifications xmlns="{OUTBOUND_NS}">\n</notifications>\n'
            "</soapenv:Body></soapenv:Envelope>"
        ).encode()
        res = self.post(body)
        fault = self.fault_of(res)
        self.assertEqual(fault.findtext("faultcode"), "soapenv:Client")
        self.assertTrue(fault.findtext("faultstring"))
        self.assertEqual(self.events().state, "rejected")


@tagged("-at_install", "post_install")
class TestOutboundRefetch(HttpCase):
    """Notifications arriving out of order never roll a record back: the job re-fetches."""

    def setUp(self):
        super().setUp()
        salesforce_adapter.forget_sessions()
        self.fake = SalesforceFake(password="pass-word", security_token="TOKEN123")
        url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.backend = self.env["sync.backend"].create(
            {
                "name": "Salesforce OM refetch",
                "kind": "salesforce",
                "base_url": url,
                "salesforce_auth": "password",
                "salesforce_username": self.fake.username,
                "salesforce_password": "pass-word",
                "salesforce_security_token": "TOKEN123",
                "salesforce_org_id": self.fake.org_id,
            }
        )
        self.backend._salesforce_create_default_mappings()

    def test_out_of_order_notifications_apply_the_current_state(self):
        acc = self.fake.add("Account", {"Name": "Acme v1"})
        old = (sender.notification_id(), "Account", {"Id": acc, "Name": "Acme v1"})
        self.fake.update("Account", acc, {"Name": "Acme v2"})
        new = (sender.notification_id(), "Account", {"Id": acc, "Name": "Acme v2"})
        url = f"{self.base_url()}/sync/salesforce/{self.backend.webhook_token}"
        for note in (new, old):  # the older notification arrives last
            res = self.url_open(
                url,
                data=sender.envelope(self.fake.org_id, [note]),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            )
            self.assertEqual(res.status_code, 200, res.text)
            self.assertIn("<Ack>true</Ack>", res.text)
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", acc)]
        )
        partner = self.env["res.partner"].browse(binding.res_id)
        self.assertEqual(partner.name, "Acme v2")
        self.assertEqual(self.fake.calls("/queryAll"), 1)  # both notifications, one batch read

    def test_a_full_message_of_100_notifications_is_one_batch_read(self):
        ids = [self.fake.add("Account", {"Name": f"Acc {i:03d}"}) for i in range(100)]
        notes = [(sender.notification_id(), "Account", {"Id": rec_id}) for rec_id in ids]
        res = self.url_open(
            f"{self.base_url()}/sync/salesforce/{self.backend.webhook_token}",
            data=sender.envelope(self.fake.org_id, notes),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        self.assertIn("<Ack>true</Ack>", res.text)
        with self.enter_registry_test_mode():
            self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        bindings = self.env["sync.binding"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(bindings), 100)
        self.assertEqual(self.fake.calls("/queryAll"), 1)
