"""The canonical deal every CRM connector translates its records into (plain Python, no ORM).

A connector reads its vendor's record (HubSpot deal, Salesforce opportunity...) and hands a
`Deal` to ``sync.backend._sale_apply_deal``; the shared quote-to-order workflow of sync_sale does
the rest (customer, order lines by SKU, sale order + project once, conflicts, mirrored
opportunities).  Invoice figures travel back as `InvoiceFigures`, which the connector maps to
its own fields (``sync.backend._sale_writeback_values``).
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime

# Deal status: open (in progress), won, lost.
OPEN, WON, LOST = "open", "won", "lost"


@dataclass
class DealParty:
    """Reference to the customer of a deal in the remote system: a company (or a person for a
    B2C deal).  `remote_object` names the remote object type whose bindings hold it (e.g.
    "companies"); name/email/vat describe it when no mapping imports it."""

    remote_object: str
    external_id: str
    name: str = ""
    email: str = ""
    vat: str = ""
    is_company: bool = True


@dataclass
class DealLine:
    """One product line: `sku` = the product's Internal Reference (default_code).  A price or a
    name left to None is Odoo's (pricelist price, product description)."""

    sku: str
    quantity: float = 1.0
    name: str | None = None
    price_unit: float | None = None
    discount: float = 0.0  # percent
    external_id: str | None = None
    # what the remote says the line sells: True a service, False goods, None it does not say
    # (a product created for a missing SKU is then prefilled as the backend's default service)
    service: bool | None = None


@dataclass
class Deal:
    """A remote deal in the shape of the shared workflow.

    `status` is OPEN, WON or LOST (the connector decides, e.g. from configured won stages);
    `archived` means deleted remotely.  `lines` may be left to None with `load_lines` set: the
    workflow only calls it when it needs the lines (won deals), saving remote calls for the rest.
    """

    external_id: str
    name: str = ""
    status: str = OPEN
    stage: str = ""  # remote stage id or label; a crm.stage of that name is followed
    amount: float = 0.0
    currency_code: str = ""  # ISO 4217; empty = the company's currency
    close_date: date | None = None
    customer: DealParty | None = None
    company_key: str = ""  # legal entity: remote value mapped to a res.company on the backend
    lines: list[DealLine] | None = None
    url: str = ""  # link to the record in the remote UI
    archived: bool = False
    updated_at: datetime | None = None
    remote_object: str = "deals"  # remote object type of the bindings (order, lead, project)
    load_lines: Callable[[], list[DealLine]] | None = field(default=None, repr=False, compare=False)
    # the remote records of `customer` from a read shared by a batch of deals (None: the
    # workflow reads them itself when it imports the customer)
    load_customer: Callable[[], list] | None = field(default=None, repr=False, compare=False)

    @property
    def won(self):
        return self.status == WON and not self.archived

    @property
    def lost(self):
        return self.status == LOST and not self.archived

    @property
    def label(self):
        """How messages name the deal: its id and name."""
        return f"{self.external_id} ({self.name})" if self.name else self.external_id

    def get_lines(self):
        if self.lines is None:
            self.lines = list(self.load_lines()) if self.load_lines else []
        return self.lines

    def header(self):
        """The header fields as plain JSON-able values (hashed to skip identical updates)."""
        values = asdict(replace(self, lines=None, load_lines=None, load_customer=None))
        for key in ("lines", "load_lines", "load_customer", "updated_at"):
            values.pop(key, None)
        values["close_date"] = self.close_date.isoformat() if self.close_date else None
        return values


@dataclass
class InvoiceFigures:
    """What finance tells the CRM about the order of a deal (written back by the connector)."""

    invoice_numbers: list[str] = field(default_factory=list)
    state: str = ""  # "", not_paid, partial, paid
    amount_invoiced: float = 0.0
    amount_paid: float = 0.0
    currency_code: str = ""


def invoice_state(payment_states):
    """Payment states of the posted invoices of an order -> one state for the CRM."""
    states = set(payment_states)
    if not states:
        return ""
    if states <= {"paid", "in_payment", "reversed"}:
        return "paid"
    if states & {"paid", "in_payment", "partial"}:
        return "partial"
    return "not_paid"


def sku_of(line):
    return (line.sku or "").strip()


def missing_skus(lines, known):
    """SKUs of `lines` that are not in `known`, sorted; an empty SKU reads "(no SKU)"."""
    return sorted({sku_of(line) or "(no SKU)" for line in lines if sku_of(line) not in known})
