"""A hospital database (departments, physician, patients, admissions, procedure_types, admission_procedure, medications, prescriptions), and what it has that the demo data does not: quoted CamelCase patient columns, fk_-prefixed and _id keys, a physician supervisor self reference, an admission-procedure junction, a nullable admission link on prescriptions, date/timestamp/timestamptz columns, UPPER/lower/Title code columns and unit-named numbers."""

from __future__ import annotations

from tests.services.nl_to_sql.questions import Case

NAME = "clinic"
SETUP = """
CREATE TABLE departments (
    dept_id integer PRIMARY KEY,
    dept_code text NOT NULL UNIQUE,
    dept_name text NOT NULL UNIQUE,
    wing text NOT NULL,
    floor_no integer NOT NULL,
    bed_cnt integer NOT NULL,
    opened_dt date NOT NULL
);
COMMENT ON COLUMN departments.wing IS 'Building wing: North, South, East or West';

INSERT INTO departments VALUES
    (1, 'CARD', 'Cardiology', 'North', 3, 42, '2004-03-01'),
    (2, 'ONC', 'Oncology', 'North', 4, 36, '2008-09-15'),
    (3, 'PED', 'Pediatrics', 'East', 2, 30, '2001-01-10'),
    (4, 'ORTH', 'Orthopedics', 'West', 3, 28, '2006-06-01'),
    (5, 'NEUR', 'Neurology', 'West', 5, 24, '2012-02-20'),
    (6, 'ED', 'Emergency', 'South', 1, 50, '1998-05-05'),
    (7, 'OBGYN', 'Obstetrics and Gynecology', 'East', 3, 34, '2003-11-11'),
    (8, 'GI', 'Gastroenterology', 'South', 2, 20, '2015-04-01'),
    (9, 'PULM', 'Pulmonology', 'North', 5, 18, '2017-08-21'),
    (10, 'PSY', 'Psychiatry', 'East', 6, 22, '2019-10-01'),
    (11, 'DERM', 'Dermatology', 'West', 1, 0, '2022-01-17');

CREATE TABLE physician (
    physician_id integer PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    specialty text NOT NULL,
    fk_dept integer NOT NULL REFERENCES departments (dept_id),
    supervisor_id integer REFERENCES physician (physician_id),
    license_state text NOT NULL,
    hire_dt date NOT NULL,
    is_board_certified boolean NOT NULL,
    npi text NOT NULL UNIQUE
);
COMMENT ON COLUMN physician.supervisor_id IS 'Department chief the physician reports to; NULL for chiefs';

INSERT INTO physician
SELECT g,
       (ARRAY['James', 'Maria', 'Robert', 'Linda', 'David', 'Priya', 'Ahmed', 'Elena', 'Kenji', 'Sarah',
              'Michael', 'Fatima', 'Thomas', 'Grace', 'Daniel', 'Olivia', 'Samuel', 'Hannah', 'Luis', 'Chloe'])[1 + (g * 7) % 20],
       (ARRAY['Okafor', 'Nguyen', 'Schmidt', 'Patel', 'Rossi', 'Cohen', 'Kim', 'Alvarez', 'Murphy', 'Tanaka',
              'Haddad', 'Novak', 'Brennan', 'Silva', 'Larsen', 'Mendez', 'Fischer', 'Osei', 'Reyes', 'Walsh',
              'Dubois', 'Yilmaz', 'Kowalski'])[1 + (g * 3 + g / 20) % 23],
       CASE d.dept
           WHEN 1 THEN CASE WHEN g % 4 = 0 THEN 'Interventional Cardiology' ELSE 'Cardiology' END
           WHEN 2 THEN 'Oncology'
           WHEN 3 THEN 'Pediatrics'
           WHEN 4 THEN 'Orthopedic Surgery'
           WHEN 5 THEN 'Neurology'
           WHEN 6 THEN CASE WHEN g % 3 = 0 THEN 'Family Medicine' ELSE 'Emergency Medicine' END
           WHEN 7 THEN 'Obstetrics'
           WHEN 8 THEN 'Gastroenterology'
           WHEN 9 THEN 'Pulmonology'
           WHEN 10 THEN 'Psychiatry'
           ELSE 'Dermatology'
       END,
       d.dept,
       CASE WHEN g <= 11 THEN NULL ELSE d.dept END,
       (ARRAY['NY', 'NY', 'NJ', 'NY', 'CT', 'NJ', 'PA'])[1 + (g * 5) % 7],
       CASE g WHEN 46 THEN date '2024-10-01' WHEN 47 THEN date '2024-11-18'
              ELSE date '1996-01-01' + (g * 487 + g * g * 3) % 9900 END,
       g % 5 <> 0 OR g <= 11,
       (1003000000 + g * 7919)::text
FROM generate_series(1, 47) AS g
CROSS JOIN LATERAL (
    SELECT CASE WHEN g <= 11 THEN g
                ELSE (ARRAY[1, 6, 2, 3, 4, 6, 5, 7, 1, 8, 6, 9, 10, 1, 2, 6, 3, 4, 11, 5, 7, 1, 6, 2,
                            8, 3, 4, 11, 9, 6, 1, 10, 2, 7, 5, 6])[g - 11] END AS dept
) AS d;

CREATE TABLE patients (
    "PatientID" integer PRIMARY KEY,
    "FirstName" text NOT NULL,
    "LastName" text NOT NULL,
    "DateOfBirth" date NOT NULL,
    "Sex" text NOT NULL,
    "BloodType" text,
    insurance_plan text NOT NULL,
    "IsSmoker" boolean NOT NULL,
    home_zip text NOT NULL,
    registered_at timestamptz NOT NULL
);
COMMENT ON COLUMN patients.insurance_plan IS 'medicare, medicaid, private or self-pay';

INSERT INTO patients
SELECT g,
       CASE WHEN s.sex = 'F'
            THEN (ARRAY['Emma', 'Ava', 'Sophia', 'Isabella', 'Mia', 'Amelia', 'Harper', 'Evelyn', 'Abigail', 'Ella',
                        'Rosa', 'Mei', 'Aisha', 'Ingrid', 'Nadia'])[1 + (g * 11) % 15]
            ELSE (ARRAY['Liam', 'Noah', 'Oliver', 'Elijah', 'William', 'Henry', 'Lucas', 'Benjamin', 'Jack', 'Mateo',
                        'Omar', 'Wei', 'Jonas', 'Diego', 'Ravi'])[1 + (g * 11) % 15] END,
       (ARRAY['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
              'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
              'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson'])[1 + (g * 17 + g / 30) % 30],
       b.dob,
       s.sex,
       CASE WHEN g % 19 = 0 THEN NULL
            ELSE (ARRAY['O+', 'O+', 'A+', 'O+', 'B+', 'A+', 'O-', 'AB+', 'A-', 'O+', 'A+', 'B-', 'AB-', 'B+'])[1 + (g * 13) % 14] END,
       CASE WHEN b.dob < date '1959-01-01' THEN CASE WHEN g % 9 = 0 THEN 'private' ELSE 'medicare' END
            WHEN g % 10 IN (0, 1) THEN 'medicaid'
            WHEN g % 10 = 8 THEN 'self-pay'
            ELSE 'private' END,
       (g * 13) % 100 < 17,
       (10001 + (g * 37) % 900)::text,
       (timestamp '2015-03-01 10:00' + (g * 2130 / 1500) * interval '1 day'
            + ((g * 61) % 240) * interval '1 minute') AT TIME ZONE 'UTC'
FROM generate_series(1, 1500) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN (g * 7) % 100 < 53 THEN 'F' ELSE 'M' END AS sex) AS s
CROSS JOIN LATERAL (SELECT date '1932-01-01' + (g * 7919) % 32500 AS dob) AS b;

CREATE TABLE admissions (
    admission_id integer PRIMARY KEY,
    fk_patient integer NOT NULL,
    attending_physician_id integer NOT NULL,
    dept_id integer NOT NULL,
    admit_ts timestamp NOT NULL,
    discharge_ts timestamp,
    admission_type text NOT NULL,
    discharge_disposition text,
    room_no text NOT NULL,
    billed_amt_usd numeric(10, 2) NOT NULL,
    insurance_paid_pct numeric(5, 2) NOT NULL,
    is_readmission boolean NOT NULL DEFAULT false
);
COMMENT ON COLUMN admissions.discharge_ts IS 'NULL while the patient is still admitted';

WITH doc AS (
    SELECT physician_id, fk_dept,
           row_number() OVER (ORDER BY physician_id, k) - 1 AS rn,
           count(*) OVER () AS n
    FROM physician
    CROSS JOIN generate_series(1, 12) AS k
    WHERE fk_dept <> 11 AND physician_id <= 45
      AND k <= CASE WHEN physician_id = 13 THEN 12 ELSE 1 + (physician_id * 7) % 9 END
)
INSERT INTO admissions (admission_id, fk_patient, attending_physician_id, dept_id, admit_ts, discharge_ts,
                        admission_type, discharge_disposition, room_no, billed_amt_usd, insurance_paid_pct)
SELECT g,
       p."PatientID",
       doc.physician_id,
       doc.fk_dept,
       t.admit_ts,
       CASE WHEN g > 3960 AND g % 4 <> 0 THEN NULL
            ELSE t.admit_ts + t.los * interval '1 day' + ((g * 53) % 600) * interval '1 minute' END,
       CASE WHEN doc.fk_dept = 6 THEN 'EMERGENCY'
            WHEN g % 10 IN (0, 1, 2) THEN 'URGENT'
            WHEN g % 10 = 3 THEN 'EMERGENCY'
            WHEN g % 10 = 4 AND g % 3 = 0 THEN 'TRANSFER'
            ELSE 'ELECTIVE' END,
       CASE WHEN g > 3960 AND g % 4 <> 0 THEN NULL
            WHEN g % 97 = 0 THEN 'expired'
            WHEN g % 13 = 0 THEN 'transferred'
            WHEN g % 11 IN (0, 5) THEN 'rehab'
            WHEN g % 7 IN (0, 3) THEN 'home health'
            ELSE 'home' END,
       d.floor_no::text || lpad((1 + (g * 7) % 30)::text, 2, '0'),
       round(t.los * (900 + doc.fk_dept * 45) + (g * 7919) % 3000 + ((g * 37) % 100) / 100.0, 2),
       CASE p.insurance_plan WHEN 'medicare' THEN 80 WHEN 'medicaid' THEN 95 WHEN 'self-pay' THEN 0
            ELSE 70 + (g % 4) * 5 END
FROM generate_series(1, 4000) AS g
JOIN patients AS p ON p."PatientID" = 1 + ((g * 7919) % 1400 + (g * g) % 97) % 1400
JOIN doc ON doc.rn = (g * 7919 + g / 11) % doc.n
JOIN departments AS d ON d.dept_id = doc.fk_dept
CROSS JOIN LATERAL (
    SELECT timestamp '2019-01-01' + (2190 - (4000 - g)::bigint * (12000 - g) * 2191 / 48000000) * interval '1 day'
               + ((g * 397) % 1440) * interval '1 minute' AS admit_ts,
           3 + (g * 17) % 8 AS los
) AS t;

UPDATE admissions AS a
SET is_readmission = true
FROM (
    SELECT admission_id, admit_ts,
           lag(discharge_ts) OVER (PARTITION BY fk_patient ORDER BY admit_ts) AS prev_discharge
    FROM admissions
) AS x
WHERE x.admission_id = a.admission_id
  AND x.prev_discharge > x.admit_ts - interval '30 days';
ANALYZE physician, patients, admissions;

CREATE TABLE procedure_types (
    proc_code text PRIMARY KEY,
    proc_desc text NOT NULL,
    category text NOT NULL,
    base_fee_usd numeric(10, 2) NOT NULL,
    typical_minutes integer NOT NULL,
    requires_consent boolean NOT NULL
);

INSERT INTO procedure_types VALUES
    ('70450', 'CT head without contrast', 'Imaging', 420.00, 20, false),
    ('70553', 'MRI brain with and without contrast', 'Imaging', 1350.00, 45, false),
    ('71046', 'Chest X-ray, 2 views', 'Imaging', 95.00, 10, false),
    ('74177', 'CT abdomen and pelvis with contrast', 'Imaging', 780.00, 25, true),
    ('76700', 'Abdominal ultrasound', 'Imaging', 260.00, 30, false),
    ('80053', 'Comprehensive metabolic panel', 'Lab', 38.50, 5, false),
    ('85025', 'Complete blood count', 'Lab', 22.00, 5, false),
    ('84484', 'Troponin test', 'Lab', 46.00, 5, false),
    ('87040', 'Blood culture', 'Lab', 61.25, 5, false),
    ('93000', 'Electrocardiogram (ECG)', 'Diagnostic', 55.00, 15, false),
    ('93306', 'Echocardiogram', 'Diagnostic', 640.00, 40, false),
    ('95816', 'Electroencephalogram (EEG)', 'Diagnostic', 510.00, 50, false),
    ('93458', 'Cardiac catheterization', 'Surgery', 4800.00, 90, true),
    ('43239', 'Upper GI endoscopy with biopsy', 'Surgery', 1450.00, 35, true),
    ('44970', 'Laparoscopic appendectomy', 'Surgery', 6200.00, 75, true),
    ('27447', 'Total knee arthroplasty', 'Surgery', 21500.00, 120, true),
    ('59510', 'Cesarean delivery', 'Surgery', 8900.00, 60, true),
    ('97110', 'Physical therapy exercises', 'Therapy', 85.00, 30, false),
    ('90837', 'Psychotherapy, 60 minutes', 'Therapy', 180.00, 60, false),
    ('94640', 'Nebulizer treatment', 'Therapy', 48.00, 15, false),
    ('33533', 'Coronary artery bypass, single arterial graft', 'Surgery', 38500.00, 240, true);

CREATE TABLE admission_procedure (
    fk_admission integer NOT NULL,
    proc_code text NOT NULL,
    performed_at timestamptz NOT NULL,
    performed_by integer NOT NULL,
    minutes integer NOT NULL,
    qty integer NOT NULL,
    charge_amt_usd numeric(10, 2) NOT NULL,
    PRIMARY KEY (fk_admission, proc_code)
);

WITH w (proc_code, weight) AS (
    VALUES ('85025', 10), ('80053', 9), ('71046', 8), ('93000', 7), ('84484', 4), ('87040', 4),
           ('70450', 5), ('74177', 3), ('76700', 3), ('70553', 2), ('93306', 3), ('95816', 1),
           ('93458', 2), ('43239', 1), ('44970', 1), ('27447', 1), ('59510', 1), ('97110', 4),
           ('90837', 2), ('94640', 3)
),
pool AS (
    SELECT pt.*, row_number() OVER (ORDER BY pt.proc_code, k) - 1 AS rn, count(*) OVER () AS n_slots
    FROM procedure_types AS pt
    JOIN w USING (proc_code)
    CROSS JOIN generate_series(1, 10) AS k
    WHERE k <= w.weight
)
INSERT INTO admission_procedure
SELECT a.admission_id,
       pool.proc_code,
       (a.admit_ts::date + n + time '09:30' + ((a.admission_id * n * 37) % 270) * interval '1 minute')
           AT TIME ZONE 'UTC',
       CASE WHEN n = 2 THEN coalesce(ph.supervisor_id, ph.physician_id) ELSE ph.physician_id END,
       pool.typical_minutes + (a.admission_id * n) % 20,
       q.qty,
       pool.base_fee_usd * q.qty
FROM admissions AS a
JOIN physician AS ph ON ph.physician_id = a.attending_physician_id
CROSS JOIN generate_series(1, 4) AS n
JOIN pool ON pool.rn = (a.admission_id * 7919 + n * 31 + (a.admission_id * n) % 13) % pool.n_slots
CROSS JOIN LATERAL (
    SELECT CASE WHEN pool.category = 'Lab' THEN 1 + (a.admission_id + n) % 3 ELSE 1 END AS qty
) AS q
WHERE n <= (a.admission_id * 7 + a.admission_id / 5) % 5
ON CONFLICT DO NOTHING;
ANALYZE procedure_types, admission_procedure;

CREATE TABLE medications (
    med_id integer PRIMARY KEY,
    "GenericName" text NOT NULL UNIQUE,
    brand_name text NOT NULL,
    drug_class text NOT NULL,
    strength_mg numeric(8, 2) NOT NULL,
    unit_cost_usd numeric(8, 2) NOT NULL,
    is_controlled boolean NOT NULL
);

INSERT INTO medications VALUES
    (1, 'Amoxicillin', 'Amoxil', 'antibiotic', 500, 0.35, false),
    (2, 'Ceftriaxone', 'Rocephin', 'antibiotic', 1000, 12.50, false),
    (3, 'Vancomycin', 'Vancocin', 'antibiotic', 1000, 18.75, false),
    (4, 'Ibuprofen', 'Advil', 'analgesic', 400, 0.08, false),
    (5, 'Acetaminophen', 'Tylenol', 'analgesic', 500, 0.05, false),
    (6, 'Oxycodone', 'OxyContin', 'opioid', 10, 2.40, true),
    (7, 'Morphine', 'MS Contin', 'opioid', 4, 3.10, true),
    (8, 'Enoxaparin', 'Lovenox', 'anticoagulant', 40, 24.00, false),
    (9, 'Warfarin', 'Coumadin', 'anticoagulant', 5, 0.22, false),
    (10, 'Atorvastatin', 'Lipitor', 'statin', 20, 0.15, false),
    (11, 'Lisinopril', 'Zestril', 'antihypertensive', 10, 0.10, false),
    (12, 'Metoprolol', 'Lopressor', 'antihypertensive', 50, 0.12, false),
    (13, 'Metformin', 'Glucophage', 'antidiabetic', 500, 0.09, false),
    (14, 'Sertraline', 'Zoloft', 'antidepressant', 50, 0.20, false),
    (15, 'Lorazepam', 'Ativan', 'benzodiazepine', 1, 0.30, true),
    (16, 'Albuterol', 'Ventolin', 'bronchodilator', 2.5, 1.10, false),
    (17, 'Prednisone', 'Deltasone', 'corticosteroid', 20, 0.11, false),
    (18, 'Ondansetron', 'Zofran', 'antiemetic', 4, 1.75, false),
    (19, 'Isotretinoin', 'Accutane', 'retinoid', 20, 6.50, false);

CREATE TABLE prescriptions (
    rx_id integer PRIMARY KEY,
    fk_patient integer NOT NULL,
    prescriber_id integer NOT NULL,
    med_id integer NOT NULL,
    fk_admission integer,
    rx_dt date NOT NULL,
    dose_mg numeric(8, 2) NOT NULL,
    route text NOT NULL,
    qty integer NOT NULL,
    refill_cnt integer NOT NULL,
    days_supply integer NOT NULL,
    status text NOT NULL
);
COMMENT ON COLUMN prescriptions.fk_admission IS 'Admission during which it was written; NULL for outpatient prescriptions';
COMMENT ON COLUMN prescriptions.route IS 'PO oral, IV intravenous, IM intramuscular, SC subcutaneous, INH inhaled';

WITH doc AS (
    SELECT physician_id,
           row_number() OVER (ORDER BY physician_id, k) - 1 AS rn,
           count(*) OVER () AS n
    FROM physician
    CROSS JOIN generate_series(1, 6) AS k
    WHERE physician_id <= 45 AND k <= 1 + (physician_id * 5) % 6
),
src AS (
    SELECT g, a.fk_patient AS patient_id, a.attending_physician_id AS prescriber_id,
           1 + (g * 7 + a.admission_id) % 18 AS med_id, a.admission_id,
           a.admit_ts::date + g % 3 AS rx_dt
    FROM generate_series(1, 3600) AS g
    JOIN admissions AS a ON a.admission_id = 1 + (g * g * 13 + g * 5) % 4000
    UNION ALL
    SELECT g, 1 + (g * 7919 + (g * g) % 89) % 1500, doc.physician_id,
           1 + (g * 11 + g / 7) % 18, NULL,
           date '2019-01-01' + (g * 7919) % 2192
    FROM generate_series(3601, 6000) AS g
    JOIN doc ON doc.rn = (g * 4813 + g / 17) % doc.n
),
r AS (
    SELECT src.*, m.strength_mg,
           CASE WHEN src.med_id IN (3, 7, 18) AND src.admission_id IS NOT NULL THEN 'IV'
                WHEN src.med_id = 2 THEN CASE WHEN src.admission_id IS NULL THEN 'IM' ELSE 'IV' END
                WHEN src.med_id = 5 AND src.admission_id IS NOT NULL AND g % 2 = 0 THEN 'IV'
                WHEN src.med_id = 8 THEN 'SC'
                WHEN src.med_id = 16 THEN 'INH'
                ELSE 'PO' END AS route,
           CASE WHEN src.admission_id IS NOT NULL THEN 0 ELSE (g * 7) % 6 END AS refill_cnt,
           CASE WHEN src.admission_id IS NOT NULL THEN 1 + g % 5
                WHEN g % 4 = 0 THEN 90 ELSE 30 END AS days_supply
    FROM src
    JOIN medications AS m ON m.med_id = src.med_id
)
INSERT INTO prescriptions
SELECT g, patient_id, prescriber_id, med_id, admission_id, rx_dt,
       strength_mg * CASE WHEN g % 3 = 0 THEN 2 ELSE 1 END,
       route,
       CASE WHEN route = 'PO' THEN days_supply * (1 + g % 2) ELSE 1 + g % 4 END,
       refill_cnt,
       days_supply,
       CASE WHEN g % 29 = 0 THEN 'Cancelled'
            WHEN rx_dt + days_supply * (refill_cnt + 1) > date '2024-12-31' THEN 'Active'
            ELSE 'Completed' END
FROM r;
ANALYZE medications, prescriptions;

ALTER TABLE admissions ADD FOREIGN KEY (fk_patient) REFERENCES patients ("PatientID");
ALTER TABLE admissions ADD FOREIGN KEY (attending_physician_id) REFERENCES physician (physician_id);
ALTER TABLE admissions ADD FOREIGN KEY (dept_id) REFERENCES departments (dept_id);
ALTER TABLE admission_procedure ADD FOREIGN KEY (fk_admission) REFERENCES admissions (admission_id);
ALTER TABLE admission_procedure ADD FOREIGN KEY (proc_code) REFERENCES procedure_types (proc_code);
ALTER TABLE admission_procedure ADD FOREIGN KEY (performed_by) REFERENCES physician (physician_id);
ALTER TABLE prescriptions ADD FOREIGN KEY (fk_patient) REFERENCES patients ("PatientID");
ALTER TABLE prescriptions ADD FOREIGN KEY (prescriber_id) REFERENCES physician (physician_id);
ALTER TABLE prescriptions ADD FOREIGN KEY (med_id) REFERENCES medications (med_id);
ALTER TABLE prescriptions ADD FOREIGN KEY (fk_admission) REFERENCES admissions (admission_id);
"""
CASES = [
    Case("How many patients are smokers?", 'SELECT count(*) FROM patients WHERE "IsSmoker"'),
    Case(
        "admissions in 2023",
        "SELECT count(*) FROM admissions WHERE admit_ts >= '2023-01-01' AND admit_ts < '2024-01-01'",
        known_miss="read as a listing of those admissions; the gold counts them",
    ),
    Case(
        "total billed amount by department",
        "SELECT d.dept_name, sum(a.billed_amt_usd) FROM admissions AS a "
        "JOIN departments AS d ON d.dept_id = a.dept_id GROUP BY d.dept_name",
    ),
    Case(
        "What's the average billed amount for emergency admissions?",
        "SELECT round(avg(billed_amt_usd), 2) FROM admissions WHERE admission_type = 'EMERGENCY'",
    ),
    Case(
        "number of admissions per admission type",
        "SELECT admission_type, count(*) FROM admissions GROUP BY admission_type",
    ),
    Case(
        "earliest date of birth among medicaid patients",
        """SELECT min("DateOfBirth") FROM patients WHERE insurance_plan = 'medicaid'""",
    ),
    Case(
        "max dose in mg ever prescribed for oxycodone",
        "SELECT max(p.dose_mg) FROM prescriptions AS p JOIN medications AS m ON m.med_id = p.med_id "
        """WHERE m."GenericName" = 'Oxycodone'""",
    ),
    Case(
        "Which physician attended the most admissions?",
        "SELECT attending_physician_id, count(*) FROM admissions "
        "GROUP BY attending_physician_id ORDER BY count(*) DESC LIMIT 1",
    ),
    Case(
        "top 5 most expensive procedures",
        "SELECT proc_code, base_fee_usd FROM procedure_types ORDER BY base_fee_usd DESC LIMIT 5",
        ordered=True,
    ),
    Case(
        "How many prescriptions were written in March 2024?",
        "SELECT count(*) FROM prescriptions WHERE rx_dt >= '2024-03-01' AND rx_dt < '2024-04-01'",
    ),
    Case(
        "how many admissions in the last 30 days",
        "SELECT count(*) FROM admissions "
        "WHERE admit_ts > (SELECT max(admit_ts) FROM admissions) - interval '30 days'",
    ),
    Case(
        "number of prescriptions per month in 2022",
        "SELECT date_trunc('month', rx_dt)::date AS month, count(*) FROM prescriptions "
        "WHERE rx_dt >= '2022-01-01' AND rx_dt < '2023-01-01' GROUP BY 1",
    ),
    Case(
        "Total billed by year",
        "SELECT date_trunc('year', admit_ts)::date AS year, sum(billed_amt_usd) FROM admissions GROUP BY 1",
    ),
    Case(
        "list the physicians hired before 2010",
        "SELECT p.* FROM physician AS p WHERE p.hire_dt < '2010-01-01'",
    ),
    Case(
        "How many patients registered between 2017 and 2018?",
        "SELECT count(*) FROM patients "
        "WHERE registered_at >= '2017-01-01' AND registered_at < '2019-01-01'",
    ),
    Case(
        "How many patients were discharged in 2022?",
        "SELECT count(DISTINCT fk_patient) FROM admissions "
        "WHERE discharge_ts >= '2022-01-01' AND discharge_ts < '2023-01-01'",
    ),
    Case(
        "How many patients have never been admitted?",
        "SELECT count(*) FROM patients AS p "
        'WHERE NOT EXISTS (SELECT 1 FROM admissions AS a WHERE a.fk_patient = p."PatientID")',
    ),
    Case(
        "departments with no admissions",
        "SELECT d.* FROM departments AS d "
        "WHERE NOT EXISTS (SELECT 1 FROM admissions AS a WHERE a.dept_id = d.dept_id)",
    ),
    Case(
        "how many admissions had no procedures done",
        "SELECT count(*) FROM admissions AS a WHERE NOT EXISTS "
        "(SELECT 1 FROM admission_procedure AS ap WHERE ap.fk_admission = a.admission_id)",
    ),
    Case(
        "Show me the physicians who have never written a prescription.",
        "SELECT ph.* FROM physician AS ph "
        "WHERE NOT EXISTS (SELECT 1 FROM prescriptions AS p WHERE p.prescriber_id = ph.physician_id)",
    ),
    Case(
        "outpatient prescriptions with 0 refills - how many?",
        "SELECT count(*) FROM prescriptions WHERE fk_admission IS NULL AND refill_cnt = 0",
        known_miss="'outpatient' (no admission) is not known: refused",
    ),
    Case(
        "What percentage of admissions were readmissions?",
        "SELECT round(100.0 * count(*) FILTER (WHERE is_readmission) / count(*), 2) FROM admissions",
    ),
    Case(
        "How many board-certified physicians work in the cardiology department?",
        "SELECT count(*) FROM physician AS p JOIN departments AS d ON d.dept_id = p.fk_dept "
        "WHERE d.dept_name = 'Cardiology' AND p.is_board_certified",
        known_miss="a hyphenated flag name is not matched: refused",
    ),
    Case(
        "list controlled medications",
        "SELECT m.* FROM medications AS m WHERE m.is_controlled",
    ),
    Case(
        "how many doctors report to Elena Patel",
        "SELECT count(*) FROM physician AS p JOIN physician AS s ON s.physician_id = p.supervisor_id "
        "WHERE s.first_name = 'Elena' AND s.last_name = 'Patel'",
        known_miss="a self reference (supervisor) is not planned: refused",
    ),
    Case(
        "total charges for imaging procedures on medicare patients",
        "SELECT sum(ap.charge_amt_usd) FROM admission_procedure AS ap "
        "JOIN procedure_types AS pt ON pt.proc_code = ap.proc_code "
        "JOIN admissions AS a ON a.admission_id = ap.fk_admission "
        'JOIN patients AS p ON p."PatientID" = a.fk_patient '
        "WHERE pt.category = 'Imaging' AND p.insurance_plan = 'medicare'",
    ),
    Case(
        "How many different patients have had an MRI?",
        "SELECT count(DISTINCT a.fk_patient) FROM admission_procedure AS ap "
        "JOIN procedure_types AS pt ON pt.proc_code = ap.proc_code "
        "JOIN admissions AS a ON a.admission_id = ap.fk_admission "
        "WHERE pt.proc_desc ILIKE '%MRI%'",
        known_miss="'MRI' is in a description, not a category: refused",
    ),
    Case(
        "Which procedure was performed most often in 2023?",
        "SELECT proc_code, count(*) FROM admission_procedure "
        "WHERE performed_at >= '2023-01-01' AND performed_at < '2024-01-01' "
        "GROUP BY proc_code ORDER BY count(*) DESC LIMIT 1",
    ),
    Case(
        "average actual duration (minutes) of performed procedures, by category",
        "SELECT pt.category, round(avg(ap.minutes), 2) FROM admission_procedure AS ap "
        "JOIN procedure_types AS pt ON pt.proc_code = ap.proc_code GROUP BY pt.category",
        known_miss="'actual duration' names no column: refused",
    ),
    Case(
        "procedure charges per month in 2024",
        "SELECT date_trunc('month', performed_at)::date AS month, sum(charge_amt_usd) "
        "FROM admission_procedure "
        "WHERE performed_at >= '2024-01-01' AND performed_at < '2025-01-01' GROUP BY 1",
    ),
    Case(
        "How many procedures did Dr. Fatima Fischer perform?",
        "SELECT count(*) FROM admission_procedure AS ap "
        "JOIN physician AS ph ON ph.physician_id = ap.performed_by "
        "WHERE ph.first_name = 'Fatima' AND ph.last_name = 'Fischer'",
        known_miss="WRONG ROWS: counts procedure types, not procedures performed",
    ),
    Case(
        "Which wing had the highest total billed amount in 2024?",
        "SELECT d.wing, sum(a.billed_amt_usd) FROM admissions AS a "
        "JOIN departments AS d ON d.dept_id = a.dept_id "
        "WHERE a.admit_ts >= '2024-01-01' AND a.admit_ts < '2025-01-01' "
        "GROUP BY d.wing ORDER BY sum(a.billed_amt_usd) DESC LIMIT 1",
    ),
    Case(
        "top 3 departments by number of admissions in 2024",
        "SELECT dept_id, count(*) FROM admissions "
        "WHERE admit_ts >= '2024-01-01' AND admit_ts < '2025-01-01' "
        "GROUP BY dept_id ORDER BY count(*) DESC LIMIT 3",
        ordered=True,
    ),
    Case(
        "how many prescriptions were given intravenously",
        "SELECT count(*) FROM prescriptions WHERE route = 'IV'",
        known_miss="'intravenously' (route 'IV') is not known: refused",
    ),
    Case(
        "Antibiotic prescriptions in 2021?",
        "SELECT count(*) FROM prescriptions AS p JOIN medications AS m ON m.med_id = p.med_id "
        "WHERE m.drug_class = 'antibiotic' AND p.rx_dt >= '2021-01-01' AND p.rx_dt < '2022-01-01'",
        known_miss="read as a listing; the gold counts them",
    ),
    Case(
        "what's the most prescribed drug class",
        "SELECT m.drug_class, count(*) FROM prescriptions AS p "
        "JOIN medications AS m ON m.med_id = p.med_id "
        "GROUP BY m.drug_class ORDER BY count(*) DESC LIMIT 1",
    ),
    Case(
        "How many female patients were admitted in March 2024?",
        "SELECT count(DISTINCT a.fk_patient) FROM admissions AS a "
        'JOIN patients AS p ON p."PatientID" = a.fk_patient '
        """WHERE p."Sex" = 'F' AND a.admit_ts >= '2024-03-01' AND a.admit_ts < '2024-04-01'""",
    ),
    Case(
        "Which admissions don't have a discharge date yet?",
        "SELECT a.* FROM admissions AS a WHERE a.discharge_ts IS NULL",
    ),
    Case(
        "smoking rate (%) by sex",
        'SELECT "Sex", round(100.0 * count(*) FILTER (WHERE "IsSmoker") / count(*), 2) '
        'FROM patients GROUP BY "Sex"',
        known_miss="a rate per group is not planned: refused",
    ),
    Case(
        "COUNT OF ELECTIVE ADMISSIONS IN ONCOLOGY",
        "SELECT count(*) FROM admissions AS a JOIN departments AS d ON d.dept_id = a.dept_id "
        "WHERE a.admission_type = 'ELECTIVE' AND d.dept_name = 'Oncology'",
    ),
    Case(
        "Which oncologists are not board certified?",
        "SELECT p.* FROM physician AS p WHERE p.specialty = 'Oncology' AND NOT p.is_board_certified",
        known_miss="'oncologists' (specialty 'Oncology') is too far from the data: refused",
    ),
    Case(
        "how many physicians are licensed in New Jersey",
        "SELECT count(*) FROM physician WHERE license_state = 'NJ'",
        known_miss="'New Jersey' (state 'NJ') is not known: refused",
    ),
    Case(
        "number of procedures requiring consent performed in 2024",
        "SELECT count(*) FROM admission_procedure AS ap "
        "JOIN procedure_types AS pt ON pt.proc_code = ap.proc_code "
        "WHERE pt.requires_consent AND ap.performed_at >= '2024-01-01' AND ap.performed_at < '2025-01-01'",
        known_miss="'requiring consent' names a flag in another form: refused",
    ),
    Case(
        "average insurance paid pct on admissions of privately insured patients",
        "SELECT round(avg(a.insurance_paid_pct), 2) FROM admissions AS a "
        "JOIN patients AS p ON p.\"PatientID\" = a.fk_patient WHERE p.insurance_plan = 'private'",
        known_miss="'privately insured' is not a value: refused",
    ),
]
UNANSWERABLE = [
    "How many nurses work in the Pediatrics department?",
    "What is the average patient satisfaction score for Oncology admissions?",
    "Which physicians earn a salary above $300,000?",
    "What was the average emergency room wait time in 2023?",
    "How many admissions were paid for by Aetna?",
]
