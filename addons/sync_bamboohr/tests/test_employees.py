# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import BambooCase


@tagged("post_install", "-at_install")
class TestEmployees(BambooCase):
    def test_employee_department_location(self):
        self.fake.add_employee(
            "Ann", "Lee", "ann@example.com", job_title="Consultant", department="Delivery",
            location="Brussels", employmentHistoryStatus="Contractor",
        )  # fmt: skip
        self.sync()
        ann = self.employee_of("1")
        self.assertEqual(ann.name, "Ann Lee")
        self.assertEqual(ann.work_email, "ann@example.com")
        self.assertEqual(ann.job_title, "Consultant")
        self.assertEqual(ann.department_id.name, "Delivery")
        self.assertEqual(ann.work_location_id.name, "Brussels")
        self.assertEqual(ann.employee_type, "contractor")
        audit = self.env["sync.audit"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "hr.employee")]
        )
        self.assertEqual(audit.operation, "create")
        self.assertEqual(audit.changes.get("name"), [None, "Ann Lee"], audit.changes)

    def test_manager_arriving_after_the_report(self):
        report = self.fake.add_employee("Rita", "Report", "rita@example.com", manager_id="77")
        self.sync()
        rita = self.employee_of(report["id"])
        self.assertFalse(rita.parent_id)
        self.assertEqual(rita.sync_hr_manager_ref, "77")
        # the manager arrives in a later pull (a later page)
        self.fake.employees["77"] = {
            **self.fake.employees[report["id"]], "id": "77", "firstName": "Max",
            "lastName": "Boss", "displayName": "Max Boss", "workEmail": "max@example.com",
            "supervisorEId": None,
        }  # fmt: skip
        self.fake._touch("77", "Inserted")
        self.sync()
        self.assertEqual(rita.parent_id, self.employee_of("77"))
        self.assertFalse(rita.sync_hr_manager_ref)

    def test_matched_by_work_email(self):
        existing = self.env["hr.employee"].create({"name": "Ann", "work_email": "Ann@Example.com"})
        self.fake.add_employee("Ann", "Lee", "ann@example.com")
        self.sync()
        self.assertEqual(self.employee_of("1"), existing)
        self.assertEqual(existing.name, "Ann Lee")

    def test_termination_archives_and_reports_waiting_work(self):
        emp = self.fake.add_employee("Tom", "Leaver", "tom@example.com")
        self.sync()
        tom = self.employee_of(emp["id"])
        # another sync holds approved time for him (records parked under his e-mail)
        other = self.env["sync.backend"].create({"name": "Other PSA", "kind": "generic"})
        self.env["sync.exception"].create(
            {"backend_id": other.id, "name": "Tom <tom@example.com> has no Odoo employee: "
             "2 approved time entries, 6.00 h waiting", "category": "missing_reference"}
        )  # fmt: skip
        self.fake.terminate(emp["id"])
        self.sync()
        self.assertFalse(tom.active)
        self.assertTrue(tom.exists())
        exc = self.exceptions("terminated employee with work waiting")
        self.assertEqual(len(exc), 1)
        self.assertIn("6.00 h", exc.name)
        self.assertEqual(exc.res_id, tom.id)

    def test_deleted_employee_archived_and_reconciliation_reports_removal(self):
        emp = self.fake.add_employee("Del", "Eted", "del@example.com")
        keep = self.fake.add_employee("Kept", "One", "kept@example.com")
        self.sync()
        self.fake.delete_employee(emp["id"])
        self.sync()
        self.assertFalse(self.employee_of(emp["id"]).active)
        self.assertTrue(self.employee_of(keep["id"]).active)
        self.env["sync.backend"].browse(self.backend.id).action_hr_reconcile()
        self.run_jobs()
        self.assertEqual(self.job("hr_reconcile").state, "done")
        exc = self.exceptions("employee removed from the HR platform")
        self.assertEqual(exc.mapped("external_id"), [emp["id"]])

    def test_change_feed_watermark(self):
        self.fake.add_employee("One", "A", "one@example.com")
        self.sync()
        self.fake.calls.clear()
        self.fake.advance(seconds=600)  # beyond the watermark's look-back
        self.fake.add_employee("Two", "B", "two@example.com")
        self.sync()
        self.assertEqual(self.fake.calls["GET employees/changed"], 1)
        self.assertTrue(self.employee_of("2"))
        self.assertEqual(self.job("hr_pull").state, "done")

    def test_odoo_owned_fields_filled_on_creation_only(self):
        """A firm says Odoo owns the job title and the manager: BambooHR fills them when it
        creates the employee, never overwrites them; the fields it still owns follow it."""
        boss = self.fake.add_employee("Big", "Boss", "big@example.com")
        other = self.fake.add_employee("Other", "Boss", "other@example.com")
        emp = self.fake.add_employee(
            "Own", "Er", "own@example.com", job_title="Analyst", department="Ops",
            manager_id=boss["id"],
        )  # fmt: skip
        Fields = self.env["ir.model.fields"]
        self.backend.hr_odoo_owned_field_ids = [
            Fields._get("hr.employee", "job_title").id,
            Fields._get("hr.employee", "parent_id").id,
        ]
        self.sync()
        owner = self.employee_of(emp["id"])
        self.assertEqual((owner.job_title, owner.department_id.name), ("Analyst", "Ops"))
        self.assertEqual(owner.parent_id, self.employee_of(boss["id"]))
        owner.write(
            {"job_title": "Principal (Odoo)", "parent_id": self.employee_of(other["id"]).id}
        )
        self.fake.advance(minutes=5)
        self.fake.update_employee(
            emp["id"], jobTitle="Senior Analyst", department="Sales", supervisorEId=boss["id"]
        )
        self.sync()
        self.assertEqual(owner.job_title, "Principal (Odoo)")
        self.assertEqual(owner.parent_id, self.employee_of(other["id"]))
        self.assertEqual(owner.department_id.name, "Sales")  # still BambooHR's
        audit = self.env["sync.audit"].search(
            [
                ("res_model", "=", "hr.employee"),
                ("res_id", "=", owner.id),
                ("operation", "=", "write"),
            ]
        )
        self.assertEqual(set(audit.changes), {"department_id"})

    def test_bad_record_isolated_rest_of_the_batch_applied(self):
        """One employee of the report cannot be applied (a list where BambooHR sends a name):
        its batch is split until it is alone; the four others are made in the same pull, the
        bad one is an exception keeping its raw input."""
        for i in range(5):
            self.fake.add_employee(f"Emp{i}", "Batch", f"emp{i}@example.com", department="Ops")
        self.fake.employees["3"]["displayName"] = ["Broken", "Name"]
        self.sync()
        job = self.job("hr_pull")
        self.assertEqual(job.state, "done", job.error)
        made = [self.employee_of(str(i)) for i in (1, 2, 4, 5)]
        self.assertEqual([e.name for e in made], ["Emp0 Batch", "Emp1 Batch", "Emp3 Batch",
                                                  "Emp4 Batch"])  # fmt: skip
        self.assertEqual({e.department_id.name for e in made}, {"Ops"})
        self.assertFalse(self.employee_of("3"))
        exc = self.exceptions("employee refused: AttributeError")
        self.assertEqual((len(exc), exc.external_id), (1, "3"))
        self.assertIn('"Broken"', exc.payload_text)
        self.assertIn("emp2@example.com", exc.payload_text)
