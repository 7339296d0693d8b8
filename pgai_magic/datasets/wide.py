"""A wide synthetic database: 60 tables in six domains (HR, education, retail, logistics, healthcare, banking),
some foreign keys declared and some only implied by names (`x_id` holding `x.x_id` values), for measuring what an
LLM prompt carries of a large schema. Deterministic given the seed; small tables (`rows` rows each)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of

__all__ = ["DOMAINS", "UNDECLARED", "WideColumn", "WideTable", "load", "tables"]

_POOLS: dict[str, list[str]] = {
    "first": "Anna Ben Carla David Elena Felix Grace Hugo Ines Jonas Karin Leo Maria Nils Olga Paul Rosa Sven".split(),
    "last": "Schmidt Smith Martin Garcia Rossi Jansen Tanaka Wang Silva Brown Muller Dubois Lopez Chen Costa".split(),
    "city": ["Berlin", "Paris", "Madrid", "Rome", "Vienna", "Lisbon", "Prague", "Oslo", "Dublin", "Warsaw"],
    "country": ["Germany", "France", "Spain", "Italy", "Austria", "Portugal", "Czechia", "Norway"],
    "dept": ["Engineering", "Sales", "Marketing", "Finance", "Support", "Legal", "Operations"],
    "job": ["Engineer", "Analyst", "Manager", "Designer", "Accountant", "Recruiter", "Technician"],
    "level": ["junior", "mid", "senior", "lead"],
    "leave": ["vacation", "sick", "parental", "unpaid"],
    "status": ["approved", "pending", "rejected"],
    "rating": ["exceeds", "meets", "below"],
    "subject": ["Mathematics", "Physics", "History", "Biology", "Literature", "Economics", "Chemistry"],
    "faculty": ["Science", "Arts", "Engineering", "Medicine", "Law"],
    "term": ["spring", "autumn", "summer"],
    "genre": ["fiction", "science", "history", "poetry", "reference"],
    "category": ["Grocery", "Beverages", "Household", "Snacks", "Dairy", "Frozen", "Bakery"],
    "payment": ["cash", "card", "voucher", "mobile"],
    "vehicle": ["van", "truck", "trailer", "bike"],
    "event": ["picked up", "in transit", "delivered", "delayed", "returned"],
    "specialty": ["cardiology", "oncology", "pediatrics", "neurology", "orthopedics", "dermatology"],
    "ward": ["ICU", "maternity", "surgery", "emergency", "general"],
    "blood": ["A+", "A-", "B+", "O+", "O-", "AB+"],
    "form": ["tablet", "capsule", "syrup", "injection"],
    "account": ["checking", "savings", "business"],
    "txn": ["deposit", "withdrawal", "transfer", "fee"],
    "card": ["debit", "credit", "prepaid"],
    "merchant": ["grocery", "travel", "restaurant", "fuel", "online", "pharmacy"],
    "currency": ["EUR", "USD", "GBP", "CHF", "JPY", "NOK"],
    "loan": ["mortgage", "car", "personal", "student"],
}

# table | comment | columns (name type): id = primary key, fk>T = declared foreign key to T, ref>T = the same
# without a declared key, text@POOL, int:LO:HI, num:LO:HI, date:YEAR, bool; an indented line continues the columns
DOMAINS: dict[str, str] = {
    "hr": """
offices | company offices | office_id id, city text@city, country text@country, opened_on date:2010
departments | departments of the company | department_id id, name text@dept, office_id fk>offices,
    budget num:1e5:9e6
positions | job positions and their pay band | position_id id, title text@job, level text@level,
    min_salary num:3e4:6e4, max_salary num:6e4:2e5
employees | people employed | employee_id id, first_name text@first, last_name text@last, hire_date date:2015,
    salary num:3e4:2e5, department_id fk>departments, position_id ref>positions, is_remote bool
payroll_runs | monthly payroll runs | payroll_run_id id, period_start date:2023, paid_on date:2023,
    total_gross num:1e5:5e6
payslips | one payslip per employee and run | payslip_id id, payroll_run_id fk>payroll_runs,
    employee_id ref>employees, gross_pay num:2e3:2e4, tax num:300:6000, net_pay num:1e3:15e3
leave_requests | requests for time off | leave_request_id id, employee_id ref>employees, leave_type text@leave,
    start_date date:2024, days int:1:20, status text@status
trainings | training courses offered to staff | training_id id, topic text@subject, hours int:2:40,
    cost num:100:5000
training_enrollments | who took which training | training_enrollment_id id, training_id ref>trainings,
    employee_id ref>employees, completed bool, score int:0:100
performance_reviews | yearly reviews | performance_review_id id, employee_id fk>employees, review_year int:2019:2025,
    rating text@rating, bonus num:0:20000
""",
    "education": """
faculties | faculties of the university | faculty_id id, name text@faculty, founded int:1850:2000
instructors | teaching staff | instructor_id id, first_name text@first, last_name text@last, faculty_id fk>faculties,
    hired_on date:2005
courses | courses in the catalogue | course_id id, title text@subject, credits int:1:10, faculty_id ref>faculties,
    instructor_id fk>instructors
students | enrolled students | student_id id, first_name text@first, last_name text@last, birth_date date:1998,
    city text@city, enrolled_on date:2019
enrollments | students taking courses | enrollment_id id, student_id ref>students, course_id ref>courses,
    term text@term, year int:2019:2025
exams | exams of courses | exam_id id, course_id fk>courses, exam_date date:2024, max_points int:50:100
exam_results | points each student scored | exam_result_id id, exam_id ref>exams, student_id ref>students,
    points int:0:100, passed bool
scholarships | scholarships awarded | scholarship_id id, student_id fk>students, amount num:500:10000,
    awarded_on date:2022
library_books | books in the library | library_book_id id, isbn text@genre, title text@subject, genre text@genre,
    published_year int:1950:2024
book_loans | books lent to students | book_loan_id id, library_book_id ref>library_books, student_id ref>students,
    loaned_on date:2024, returned_on date:2024
""",
    "retail": """
stores | shops of the chain | store_id id, city text@city, country text@country, opened_on date:2000,
    floor_area int:200:5000
suppliers | companies supplying goods | supplier_id id, company text@last, country text@country, rating int:1:5
store_products | products sold in stores | store_product_id id, name text@category, category text@category,
    unit_price num:1:50, supplier_id fk>suppliers
purchase_orders | orders placed with suppliers | purchase_order_id id, supplier_id ref>suppliers, store_id fk>stores,
    ordered_on date:2024, status text@status
purchase_order_lines | lines of purchase orders | purchase_order_line_id id, purchase_order_id fk>purchase_orders,
    store_product_id ref>store_products, quantity int:1:500, unit_cost num:1:40
inventory_counts | stock counted in stores | inventory_count_id id, store_id ref>stores,
    store_product_id ref>store_products, counted_on date:2024, quantity_on_hand int:0:1000
promotions | price promotions | promotion_id id, store_product_id ref>store_products, discount_percent int:5:50,
    starts_on date:2024, ends_on date:2024
loyalty_members | loyalty programme members | loyalty_member_id id, first_name text@first, last_name text@last,
    joined_on date:2018, points int:0:50000
receipts | till receipts | receipt_id id, store_id fk>stores, loyalty_member_id ref>loyalty_members,
    issued_at date:2024, payment_method text@payment, total num:1:500
receipt_lines | items on receipts | receipt_line_id id, receipt_id ref>receipts, store_product_id fk>store_products,
    quantity int:1:10, line_total num:1:200
""",
    "logistics": """
warehouses | distribution warehouses | warehouse_id id, city text@city, capacity_pallets int:500:20000
carriers | transport companies | carrier_id id, company text@last, country text@country, on_time_rate num:0.5:1
vehicles | fleet vehicles | vehicle_id id, plate text@city, vehicle_type text@vehicle, carrier_id fk>carriers,
    capacity_kg int:500:40000
drivers | truck drivers | driver_id id, first_name text@first, last_name text@last, carrier_id ref>carriers,
    licensed_on date:2000
routes | planned delivery routes | route_id id, origin_warehouse_id fk>warehouses, distance_km int:10:2000,
    driver_id ref>drivers
route_stops | stops along routes | route_stop_id id, route_id ref>routes, stop_number int:1:20, city text@city
shipments | consignments shipped | shipment_id id, warehouse_id ref>warehouses, carrier_id fk>carriers,
    route_id ref>routes, shipped_on date:2024, weight_kg num:1:20000, delivered bool
shipment_events | tracking events of shipments | shipment_event_id id, shipment_id ref>shipments,
    event_type text@event, event_date date:2024
fuel_purchases | fuel bought for vehicles | fuel_purchase_id id, vehicle_id ref>vehicles, purchased_on date:2024,
    liters num:20:600, cost num:30:1200
maintenance_jobs | vehicle repairs and services | maintenance_job_id id, vehicle_id fk>vehicles, done_on date:2023,
    cost num:50:9000, description text@event
""",
    "healthcare": """
hospitals | hospitals of the network | hospital_id id, name text@city, city text@city, beds int:50:1500
wards | wards inside hospitals | ward_id id, hospital_id fk>hospitals, ward_type text@ward, capacity int:5:80
doctors | physicians | doctor_id id, first_name text@first, last_name text@last, specialty text@specialty,
    hospital_id ref>hospitals
patients | registered patients | patient_id id, first_name text@first, last_name text@last, birth_date date:1950,
    blood_type text@blood, city text@city
appointments | scheduled consultations | appointment_id id, patient_id ref>patients, doctor_id fk>doctors,
    scheduled_on date:2024, attended bool
admissions | hospital stays | admission_id id, patient_id fk>patients, ward_id ref>wards, admitted_on date:2024,
    discharged_on date:2024
medications | drugs on the formulary | medication_id id, name text@specialty, dosage_form text@form,
    unit_cost num:1:300
prescriptions | medications prescribed | prescription_id id, patient_id ref>patients, doctor_id ref>doctors,
    medication_id ref>medications, prescribed_on date:2024, quantity int:1:90
lab_tests | laboratory tests | lab_test_id id, patient_id ref>patients, test_name text@specialty,
    result_value num:0:200, tested_on date:2024
patient_invoices | bills sent to patients | patient_invoice_id id, admission_id fk>admissions, amount num:100:50000,
    paid bool, issued_on date:2024
""",
    "banking": """
branches | bank branches | branch_id id, city text@city, country text@country, opened_on date:1990
currencies | currencies the bank handles | currency_id id, code text@currency, decimals int:0:3
clients | bank clients | client_id id, first_name text@first, last_name text@last, birth_date date:1950,
    branch_id fk>branches, segment text@level
bank_accounts | accounts held by clients | bank_account_id id, client_id ref>clients, account_type text@account,
    currency_id fk>currencies, balance num:0:500000, opened_on date:2010
transactions | account transactions | transaction_id id, bank_account_id ref>bank_accounts, booked_on date:2024,
    amount num:1:20000, transaction_type text@txn
loans | loans granted | loan_id id, client_id fk>clients, loan_type text@loan, principal num:1000:900000,
    interest_rate num:0.5:12, granted_on date:2015
loan_payments | repayments of loans | loan_payment_id id, loan_id ref>loans, paid_on date:2024, amount num:100:9000
cards | payment cards | card_id id, bank_account_id fk>bank_accounts, card_type text@card, expires_on date:2026,
    blocked bool
card_transactions | card payments | card_transaction_id id, card_id ref>cards, merchant_category text@merchant,
    amount num:1:3000, spent_on date:2024
exchange_rates | daily exchange rates | exchange_rate_id id, currency_id ref>currencies, rate_date date:2024,
    rate_to_eur num:0.005:2
""",
}


@dataclass(frozen=True)
class WideColumn:
    name: str
    spec: str  # 'id', 'fk>T', 'ref>T', 'text@POOL', 'int:LO:HI', 'num:LO:HI', 'date:YEAR', 'bool'


@dataclass(frozen=True)
class WideTable:
    domain: str
    name: str
    comment: str
    columns: tuple[WideColumn, ...]


def tables() -> list[WideTable]:
    """The 60 tables of the schema, parsed from DOMAINS, in dependency order within each domain."""
    out = []
    for domain, text in DOMAINS.items():
        joined = re.sub(r",\n\s+", ", ", text.strip())  # an indented line continues the column list
        for line in joined.splitlines():
            name, comment, cols = (part.strip() for part in line.split("|"))
            columns = tuple(WideColumn(*c.strip().split(" ", 1)) for c in cols.split(","))
            out.append(WideTable(domain, name, comment, columns))
    return out


UNDECLARED = sorted(
    (t.name, c.name, c.spec.split(">", 1)[1]) for t in tables() for c in t.columns if c.spec.startswith("ref>")
)  # (table, column, referenced table): the foreign keys implied by names, not declared


def _ddl(t: WideTable, schema: str) -> sql.Composed:
    parts = []
    for c in t.columns:
        kind = c.spec.split(">")[0].split("@")[0].split(":")[0]
        typ = {"id": "integer PRIMARY KEY", "fk": "integer", "ref": "integer", "text": "text", "int": "integer"}.get(
            kind, {"num": "numeric(14, 2)", "date": "date", "bool": "boolean"}.get(kind, "text")
        )
        parts.append(sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(typ)))
        if kind == "fk":
            target = c.spec.split(">", 1)[1]
            parts[-1] += sql.SQL(" REFERENCES {}").format(sql.Identifier(schema, target))
    return sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(schema, t.name), sql.SQL(", ").join(parts))


def _value(spec: str, i: int, rng: np.random.Generator, rows: int) -> Any:
    kind, _, arg = spec.replace(">", ":", 1).replace("@", ":", 1).partition(":")
    if kind == "id":
        return i + 1
    if kind in ("fk", "ref"):
        return int(rng.integers(1, rows + 1))
    if kind == "text":
        pool = _POOLS[arg]
        return pool[int(rng.integers(len(pool)))]
    if kind == "bool":
        return bool(rng.random() < 0.7)
    if kind == "date":
        return dt.date(int(arg), 1, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
    lo, hi = (float(x) for x in arg.split(":"))
    if kind == "int":
        return int(rng.integers(int(lo), int(hi) + 1))
    return round(float(rng.uniform(lo, hi)), 2)


def load(conn_or_session: LoadTarget, schema: str = "wide", *, seed: int = 0, rows: int = 40) -> dict[str, int]:
    """(Re)create the 60 tables in `schema` (dropped first when it exists) with `rows` rows each; ANALYZEd so the
    catalog sees their values. Returns the row count of each table."""
    conn = connection_of(conn_or_session)
    rng = np.random.default_rng(seed)
    s = sql.Identifier(schema)
    with conn.transaction():
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(s))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(s))
        for t in tables():
            conn.execute(_ddl(t, schema))
            comment = sql.SQL("COMMENT ON TABLE {} IS {}")
            conn.execute(comment.format(sql.Identifier(schema, t.name), sql.Literal(t.comment)))
            names = sql.SQL(", ").join(sql.Identifier(c.name) for c in t.columns)
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(schema, t.name), names)
            with conn.cursor().copy(copy_sql) as copy:
                for i in range(rows):
                    copy.write_row([_value(c.spec, i, rng, rows) for c in t.columns])
    for t in tables():
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, t.name)))
    return {t.name: rows for t in tables()}
