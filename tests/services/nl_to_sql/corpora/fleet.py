"""A logistics fleet (depots, vehicles, drivers, authorizations, trips, fuel, maintenance), with what the demo data lacks: quoted CamelCase names ("Vehicle", "VehicleID"), singular table names, fk_-prefixed foreign keys, abbreviations (qty_l, amt_usd, dist_km, txn_ts), a driver-vehicle junction table, date/timestamp/timestamptz columns and unit-named numbers."""

from __future__ import annotations

from tests.services.nl_to_sql.questions import Case

NAME = "fleet"
SETUP = """
CREATE TABLE "Depot" (
    "DepotID" integer PRIMARY KEY,
    "DepotName" text NOT NULL UNIQUE,
    "City" text NOT NULL,
    "Region" text NOT NULL,
    "OpenedOn" date NOT NULL
);

CREATE TABLE "Vehicle" (
    "VehicleID" integer PRIMARY KEY,
    "PlateNo" text NOT NULL UNIQUE,
    "Make" text NOT NULL,
    "VehicleType" text NOT NULL,
    "FuelType" text NOT NULL,
    "ModelYear" integer NOT NULL,
    "CapacityKg" integer NOT NULL,
    "Status" text NOT NULL,
    "AcquiredOn" date NOT NULL,
    "PurchasePriceUsd" numeric(10, 2) NOT NULL,
    fk_depot integer NOT NULL REFERENCES "Depot" ("DepotID")
);
COMMENT ON COLUMN "Vehicle".fk_depot IS 'Home depot of the vehicle';

CREATE TABLE driver (
    driver_id integer PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    license_class text NOT NULL,
    hired_on date NOT NULL,
    hourly_rate_usd numeric(6, 2) NOT NULL,
    fk_home_depot integer NOT NULL REFERENCES "Depot" ("DepotID")
);
COMMENT ON COLUMN driver.license_class IS 'Driving licence class: B (vans), C (trucks), CE (trucks with trailer)';

CREATE TABLE "DriverVehicle" (
    fk_driver integer NOT NULL REFERENCES driver (driver_id),
    fk_vehicle integer NOT NULL REFERENCES "Vehicle" ("VehicleID"),
    "AuthorizedOn" date NOT NULL,
    PRIMARY KEY (fk_driver, fk_vehicle)
);
COMMENT ON COLUMN "DriverVehicle".fk_driver IS 'Driver authorized to drive the vehicle';

CREATE TABLE trip (
    trip_id integer PRIMARY KEY,
    fk_vehicle integer NOT NULL REFERENCES "Vehicle" ("VehicleID"),
    fk_driver integer NOT NULL REFERENCES driver (driver_id),
    dest_city text NOT NULL,
    cargo_type text NOT NULL,
    departed_at timestamptz NOT NULL,
    arrived_at timestamptz NOT NULL,
    status text NOT NULL,
    dist_km numeric(7, 1) NOT NULL,
    cargo_kg integer NOT NULL,
    revenue_usd numeric(10, 2) NOT NULL
);
COMMENT ON COLUMN trip.status IS 'on time or late, against the scheduled arrival';

CREATE TABLE fuel_txn (
    txn_id integer PRIMARY KEY,
    fk_vehicle integer NOT NULL REFERENCES "Vehicle" ("VehicleID"),
    txn_ts timestamp NOT NULL,
    qty_l numeric(6, 1) NOT NULL,
    amt_usd numeric(8, 2) NOT NULL
);
COMMENT ON COLUMN fuel_txn.qty_l IS 'Litres of fuel bought';

CREATE TABLE "MaintEvent" (
    "MaintEventID" integer PRIMARY KEY,
    "VehicleID" integer NOT NULL REFERENCES "Vehicle" ("VehicleID"),
    "ServiceDate" date NOT NULL,
    "ServiceType" text NOT NULL,
    odometer_km integer NOT NULL,
    cost_usd numeric(8, 2) NOT NULL
);

INSERT INTO "Depot" VALUES
    (1, 'Hamburg Port', 'Hamburg', 'North', date '2014-04-01'),
    (2, 'Bremen Weserpark', 'Bremen', 'North', date '2016-09-12'),
    (3, 'Berlin Ost', 'Berlin', 'East', date '2015-02-02'),
    (4, 'Leipzig Hub', 'Leipzig', 'East', date '2018-06-18'),
    (5, 'Munich South', 'Munich', 'South', date '2014-11-03'),
    (6, 'Stuttgart Feuerbach', 'Stuttgart', 'South', date '2019-03-04'),
    (7, 'Cologne Rhine', 'Cologne', 'West', date '2015-07-20'),
    (8, 'Frankfurt Airport', 'Frankfurt', 'West', date '2017-01-09');

INSERT INTO "Vehicle"
SELECT v,
       'HH-' || lpad((v * 7919 % 9000 + 1000)::text, 4, '0'),
       CASE vt
           WHEN 'Truck' THEN CASE WHEN ft = 'Electric' THEN 'Volvo'
                                  ELSE (ARRAY['MAN', 'Volvo', 'Scania', 'Mercedes-Benz', 'MAN'])[1 + v % 5] END
           WHEN 'Van' THEN (ARRAY['Mercedes-Benz', 'Ford', 'Renault', 'Volkswagen'])[1 + v % 4]
           ELSE (ARRAY['Ford', 'Toyota', 'Volkswagen'])[1 + v % 3]
       END,
       vt, ft, my,
       CASE vt WHEN 'Truck' THEN 12000 + (v * 37) % 15 * 1000
               WHEN 'Van' THEN 1200 + (v * 13) % 12 * 200
               ELSE 800 + (v * 11) % 5 * 100 END,
       CASE WHEN my <= 2015 AND v % 2 = 0 THEN 'retired'
            WHEN v % 11 = 4 THEN 'in repair'
            ELSE 'active' END,
       make_date(my, 1, 1) + (v * 37) % 280,
       CASE vt WHEN 'Truck' THEN 95000 ELSE 32000 END
           + CASE WHEN ft = 'Electric' THEN 40000 ELSE 0 END + (v * 7919) % 97 * 150,
       (ARRAY[1,1,1,1,1,1,2,2,3,3,3,3,4,4,5,5,5,6,6,7,7,7,8,8,8])[1 + (v * 7) % 25]
FROM (
    SELECT v, vt, my,
           CASE vt
               WHEN 'Truck' THEN (ARRAY['Diesel','Diesel','Diesel','CNG','Diesel','Electric','Diesel'])[1 + (v * 13) % 7]
               WHEN 'Van' THEN (ARRAY['Diesel','Petrol','Electric','Diesel','Petrol','Electric','Diesel'])[1 + (v * 13) % 7]
               ELSE (ARRAY['Petrol','Diesel','Petrol'])[1 + (v * 13) % 3]
           END AS ft
    FROM (
        SELECT v,
               (ARRAY['Truck','Truck','Truck','Truck','Van','Van','Van','Van','Pickup','Pickup'])[1 + (v * 11) % 10] AS vt,
               2012 + (v * 5) % 13 AS my
        FROM generate_series(1, 120) AS v
    ) AS a
) AS b;

INSERT INTO driver
SELECT d,
       (ARRAY['Jan','Lena','Tobias','Aylin','Marek','Sofia','Kemal','Julia','Stefan','Nina',
              'Piotr','Hannah','Luca','Emre','Katrin','Oskar','Ida','Milan','Greta','Yusuf'])[1 + (d * 7) % 20],
       (ARRAY['Becker','Hoffmann','Yilmaz','Schulz','Wagner','Kaya','Zimmermann','Krause',
              'Lange','Nowak','Hartmann','Demir','Vogel','Jansen','Petrov','Lorenz','Brandt'])[1 + (d * 11) % 17],
       (ARRAY['B','C','CE','CE','C','B','CE'])[1 + d % 7],
       date '2015-01-05' + (d * 257) % 3800,
       18 + (d * 7) % 12 + CASE (ARRAY['B','C','CE','CE','C','B','CE'])[1 + d % 7]
                               WHEN 'CE' THEN 4.5 WHEN 'C' THEN 2.25 ELSE 0 END,
       (ARRAY[1,1,1,1,1,1,2,2,3,3,3,3,4,4,5,5,5,6,6,7,7,7,8,8,8])[1 + (d * 3) % 25]
FROM generate_series(1, 90) AS d;

-- Drivers are authorized for a few vehicles of their home depot that their licence allows.
INSERT INTO "DriverVehicle"
SELECT fk_driver, fk_vehicle, authorized_on
FROM (
    SELECT d.driver_id AS fk_driver, v."VehicleID" AS fk_vehicle,
           greatest(d.hired_on, v."AcquiredOn") + 3 AS authorized_on,
           row_number() OVER (PARTITION BY d.driver_id ORDER BY (v."VehicleID" * d.driver_id) % 101, v."VehicleID") AS rn,
           2 + d.driver_id % 3 AS wanted
    FROM driver AS d
    JOIN "Vehicle" AS v ON v.fk_depot = d.fk_home_depot
    WHERE (d.license_class <> 'B' OR v."VehicleType" <> 'Truck') AND d.driver_id % 23 <> 0
) AS x
WHERE rn <= wanted;

INSERT INTO trip
SELECT row_number() OVER (ORDER BY dep, fk_driver, fk_vehicle),
       fk_vehicle, fk_driver,
       (ARRAY['Hamburg','Berlin','Munich','Cologne','Frankfurt','Stuttgart','Leipzig','Dresden',
              'Hanover','Nuremberg','Dortmund','Bremen','Rotterdam','Prague'])[1 + (k * 5 + fk_vehicle) % 14],
       cargo, dep,
       dep + (km / 65.0 + CASE WHEN late THEN 1.5 ELSE 0.25 END) * interval '1 hour',
       CASE WHEN late THEN 'late' ELSE 'on time' END,
       km,
       CASE WHEN vt = 'Truck' THEN 3000 + (k * 433 + fk_vehicle) % 9000
            WHEN vt = 'Van' THEN 200 + (k * 67 + fk_vehicle) % 1000
            ELSE 100 + (k * 31) % 600 END,
       round(km * CASE vt WHEN 'Truck' THEN 2.4 WHEN 'Van' THEN 1.6 ELSE 1.3 END
             + CASE cargo WHEN 'refrigerated' THEN 120 WHEN 'hazmat' THEN 250 ELSE 40 END, 2)
FROM (
    SELECT dv.fk_driver, dv.fk_vehicle, v."VehicleType" AS vt, k,
           ((dv."AuthorizedOn" + (k * 97 + dv.fk_driver * 13 + dv.fk_vehicle) % (w.last_day - dv."AuthorizedOn"))
               + time '06:00' + ((k * 7 + dv.fk_vehicle) % 5) * interval '1 hour' + (k * 17 % 60) * interval '1 minute')
               AT TIME ZONE 'UTC' AS dep,
           CASE v."VehicleType"
               WHEN 'Truck' THEN 80 + (k * 37 + dv.fk_vehicle * 11) % 620
               WHEN 'Van' THEN 15 + (k * 29 + dv.fk_driver) % 220
               ELSE 10 + (k * 23 + dv.fk_vehicle) % 140
           END + ((k * 3 + dv.fk_driver) % 10) / 10.0 AS km,
           CASE v."VehicleType"
               WHEN 'Truck' THEN (ARRAY['pallets','refrigerated','pallets','hazmat','bulk'])[1 + (k * 5 + dv.fk_vehicle) % 5]
               WHEN 'Van' THEN (ARRAY['parcels','parcels','refrigerated','pallets'])[1 + (k * 3 + dv.fk_driver) % 4]
               ELSE (ARRAY['parcels','equipment'])[1 + k % 2]
           END AS cargo,
           ((k + dv.fk_driver) * 7) % 20 < dv.fk_driver % 5 + 1 AS late
    FROM "DriverVehicle" AS dv
    JOIN "Vehicle" AS v ON v."VehicleID" = dv.fk_vehicle
    CROSS JOIN LATERAL (
        SELECT CASE WHEN v."Status" = 'retired' THEN date '2022-12-31' ELSE date '2025-06-30' END AS last_day
    ) AS w
    CROSS JOIN generate_series(1, 2 + (w.last_day - dv."AuthorizedOn") * (1 + (dv.fk_driver * dv.fk_vehicle) % 5) / 150) AS k
    WHERE w.last_day > dv."AuthorizedOn" AND dv.fk_driver % 17 <> 0
) AS t;

INSERT INTO fuel_txn
SELECT row_number() OVER (ORDER BY ts, fk_vehicle),
       fk_vehicle, ts, qty,
       round(qty * CASE ft WHEN 'Diesel' THEN 1.38 WHEN 'Petrol' THEN 1.52 ELSE 1.21 END
                 * (1 + (extract(year FROM ts) - 2016) * 0.035), 2)
FROM (
    SELECT v."VehicleID" AS fk_vehicle, v."FuelType" AS ft,
           (greatest(v."AcquiredOn", date '2016-01-01')
               + (k * 41 + v."VehicleID" * 3) % (w.last_day - greatest(v."AcquiredOn", date '2016-01-01')))
               + time '06:00' + ((k + v."VehicleID") % 14) * interval '1 hour' + (k * 23 % 60) * interval '1 minute' AS ts,
           CASE v."VehicleType" WHEN 'Truck' THEN 150 + (k * 31 + v."VehicleID") % 250
                                WHEN 'Van' THEN 40 + (k * 7 + v."VehicleID") % 40
                                ELSE 40 + (k * 11) % 35 END + (k % 10) / 10.0 AS qty
    FROM "Vehicle" AS v
    CROSS JOIN LATERAL (
        SELECT CASE WHEN v."Status" = 'retired' THEN date '2022-12-31' ELSE date '2025-06-30' END AS last_day
    ) AS w
    CROSS JOIN generate_series(1, 12 + (v."VehicleID" * 7) % 30) AS k
    WHERE v."FuelType" <> 'Electric'
) AS f;

INSERT INTO "MaintEvent"
SELECT row_number() OVER (ORDER BY sd, vid), vid, sd, st,
       (sd - acq) * (40 + vid % 60),
       CASE st WHEN 'Engine Repair' THEN 2400 + (k * 389 + vid * 97) % 211 * 19.5
               WHEN 'Tire Replacement' THEN 600 + (k * 53 + vid) % 97 * 9.25
               WHEN 'Brake Service' THEN 380 + (k * 29 + vid) % 61 * 7.5
               WHEN 'Oil Change' THEN 140 + (k * 13 + vid) % 41 * 2.5
               WHEN 'Battery Check' THEN 220 + (k * 17 + vid) % 31 * 4
               ELSE 90 + (k * 7 + vid) % 23 * 3 END
FROM (
    SELECT v."VehicleID" AS vid, v."AcquiredOn" AS acq, k,
           v."AcquiredOn" + 60 + (k * 173 + v."VehicleID" * 11) % (w.last_day - v."AcquiredOn" - 60) AS sd,
           CASE WHEN v."FuelType" = 'Electric' AND (k + v."VehicleID") % 6 = 0 THEN 'Battery Check'
                ELSE (ARRAY['Oil Change','Tire Replacement','Brake Service','Inspection','Engine Repair','Oil Change',
                            'Inspection','Brake Service'])[1 + (k * 5 + v."VehicleID") % 8]
           END AS st
    FROM "Vehicle" AS v
    CROSS JOIN LATERAL (
        SELECT CASE WHEN v."Status" = 'retired' THEN date '2022-12-31' ELSE date '2025-06-30' END AS last_day
    ) AS w
    CROSS JOIN generate_series(1, (v."VehicleID" * 7) % 8 * 2) AS k
) AS m;
"""
CASES = [
    Case(
        "How many vehicles do we have for each fuel type?",
        """SELECT "FuelType", count(*) FROM "Vehicle" GROUP BY 1""",
    ),
    Case(
        "How many diesel trucks are there?",
        """SELECT count(*) FROM "Vehicle" WHERE "VehicleType" = 'Truck' AND "FuelType" = 'Diesel'""",
    ),
    Case(
        "Total distance driven per vehicle type",
        """SELECT v."VehicleType", sum(t.dist_km) FROM trip t JOIN "Vehicle" v ON v."VehicleID" = t.fk_vehicle GROUP BY 1""",
    ),
    Case(
        "Which driver drove the most kilometres in 2024?",
        "SELECT fk_driver, sum(dist_km) FROM trip"
        " WHERE departed_at >= '2024-01-01' AND departed_at < '2025-01-01' GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "Which drivers never made a trip?",
        "SELECT d.* FROM driver d WHERE NOT EXISTS (SELECT 1 FROM trip t WHERE t.fk_driver = d.driver_id)",
    ),
    Case(
        "What share of trips were late?",
        "SELECT round(100.0 * count(*) FILTER (WHERE status = 'late') / count(*), 2) FROM trip",
    ),
    Case(
        "Monthly fuel spend in 2024",
        "SELECT date_trunc('month', txn_ts)::date, sum(amt_usd) FROM fuel_txn"
        " WHERE txn_ts >= '2024-01-01' AND txn_ts < '2025-01-01' GROUP BY 1",
    ),
    Case(
        "Which vehicle has cost us the most in maintenance?",
        """SELECT "VehicleID", sum(cost_usd) FROM "MaintEvent" GROUP BY 1 ORDER BY 2 DESC LIMIT 1""",
    ),
    Case("What is the average trip distance?", "SELECT round(avg(dist_km), 2) FROM trip"),
    Case(
        "Which depot has the most vehicles?",
        """SELECT fk_depot, count(*) FROM "Vehicle" GROUP BY 1 ORDER BY 2 DESC LIMIT 1""",
    ),
    Case(
        "How many litres of fuel were bought in each region?",
        """SELECT dp."Region", sum(f.qty_l) FROM fuel_txn f JOIN "Vehicle" v ON v."VehicleID" = f.fk_vehicle"""
        """ JOIN "Depot" dp ON dp."DepotID" = v.fk_depot GROUP BY 1""",
    ),
    Case(
        "Total revenue from trips made by electric vehicles",
        """SELECT sum(t.revenue_usd) FROM trip t JOIN "Vehicle" v ON v."VehicleID" = t.fk_vehicle"""
        """ WHERE v."FuelType" = 'Electric'""",
    ),
    Case(
        "How many vehicles have never been serviced?",
        """SELECT count(*) FROM "Vehicle" v"""
        """ WHERE NOT EXISTS (SELECT 1 FROM "MaintEvent" m WHERE m."VehicleID" = v."VehicleID")""",
    ),
    Case(
        "What did we spend on maintenance in 2023?",
        """SELECT sum(cost_usd) FROM "MaintEvent" WHERE "ServiceDate" >= date '2023-01-01' AND "ServiceDate" < date '2024-01-01'""",
    ),
    Case(
        "How many trips were made in March 2025?",
        "SELECT count(*) FROM trip WHERE departed_at >= '2025-03-01' AND departed_at < '2025-04-01'",
    ),
    Case(
        "Number of trips per month in 2024",
        "SELECT date_trunc('month', departed_at)::date, count(*) FROM trip"
        " WHERE departed_at >= '2024-01-01' AND departed_at < '2025-01-01' GROUP BY 1",
    ),
    Case(
        "Maintenance cost by service type",
        """SELECT "ServiceType", sum(cost_usd) FROM "MaintEvent" GROUP BY 1""",
    ),
    Case(
        "Top 3 most expensive maintenance jobs",
        """SELECT "MaintEventID", cost_usd FROM "MaintEvent" ORDER BY cost_usd DESC LIMIT 3""",
        ordered=True,
    ),
    Case(
        "Top 5 drivers by number of trips",
        "SELECT fk_driver, count(*) FROM trip GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
        ordered=True,
    ),
    Case(
        "How many kilometres did we drive in the last 30 days?",
        "SELECT sum(dist_km) FROM trip WHERE departed_at > (SELECT max(departed_at) FROM trip) - interval '30 days'",
    ),
    Case(
        "How many drivers are authorized to drive electric vehicles?",
        """SELECT count(DISTINCT dv.fk_driver) FROM "DriverVehicle" dv JOIN "Vehicle" v ON v."VehicleID" = dv.fk_vehicle"""
        """ WHERE v."FuelType" = 'Electric'""",
    ),
    Case(
        "Which vehicles have no authorized drivers?",
        """SELECT v.* FROM "Vehicle" v WHERE NOT EXISTS (SELECT 1 FROM "DriverVehicle" dv WHERE dv.fk_vehicle = v."VehicleID")""",
    ),
    Case(
        "Fuel spend per depot in 2024",
        """SELECT v.fk_depot, sum(f.amt_usd) FROM fuel_txn f JOIN "Vehicle" v ON v."VehicleID" = f.fk_vehicle"""
        " WHERE f.txn_ts >= '2024-01-01' AND f.txn_ts < '2025-01-01' GROUP BY 1",
    ),
    Case(
        "What percentage of our vehicles are electric?",
        """SELECT round(100.0 * count(*) FILTER (WHERE "FuelType" = 'Electric') / count(*), 2) FROM "Vehicle\"""",
    ),
    Case(
        "How many vehicles have been retired?",
        """SELECT count(*) FROM "Vehicle" WHERE "Status" = 'retired'""",
    ),
    Case(
        "Average trip distance by licence class",
        "SELECT d.license_class, round(avg(t.dist_km), 2) FROM trip t JOIN driver d ON d.driver_id = t.fk_driver GROUP BY 1",
    ),
    Case(
        "Which vehicle did we acquire first?",
        """SELECT "VehicleID", "AcquiredOn" FROM "Vehicle" ORDER BY "AcquiredOn" LIMIT 1""",
    ),
    Case(
        "How many drivers did we hire in 2021?",
        "SELECT count(*) FROM driver WHERE hired_on >= date '2021-01-01' AND hired_on < date '2022-01-01'",
    ),
    Case(
        "How many refrigerated trips were there in 2024?",
        "SELECT count(*) FROM trip WHERE cargo_type = 'refrigerated'"
        " AND departed_at >= '2024-01-01' AND departed_at < '2025-01-01'",
    ),
    Case(
        "Trip revenue by year",
        "SELECT date_trunc('year', departed_at)::date, sum(revenue_usd) FROM trip GROUP BY 1",
    ),
    Case(
        "Which make has the highest average cost per maintenance job?",
        """SELECT v."Make", round(avg(m.cost_usd), 2) FROM "MaintEvent" m JOIN "Vehicle" v ON v."VehicleID" = m."VehicleID\""""
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "How many trips did vehicles from the Hamburg depot make?",
        """SELECT count(*) FROM trip t JOIN "Vehicle" v ON v."VehicleID" = t.fk_vehicle"""
        """ JOIN "Depot" dp ON dp."DepotID" = v.fk_depot WHERE dp."City" = 'Hamburg'""",
    ),
    Case(
        "Total maintenance cost of diesel vehicles in the South region",
        """SELECT sum(m.cost_usd) FROM "MaintEvent" m JOIN "Vehicle" v ON v."VehicleID" = m."VehicleID\""""
        """ JOIN "Depot" dp ON dp."DepotID" = v.fk_depot WHERE v."FuelType" = 'Diesel' AND dp."Region" = 'South'""",
    ),
    Case(
        "Which driver has the most late trips?",
        "SELECT fk_driver, count(*) FROM trip WHERE status = 'late' GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "What is the average amount per fuel purchase for CNG vehicles?",
        """SELECT round(avg(f.amt_usd), 2) FROM fuel_txn f JOIN "Vehicle" v ON v."VehicleID" = f.fk_vehicle"""
        """ WHERE v."FuelType" = 'CNG'""",
    ),
    Case(
        "How many drivers are based at each depot?",
        "SELECT fk_home_depot, count(*) FROM driver GROUP BY 1",
    ),
    Case(
        "What was the longest trip?",
        "SELECT trip_id, dist_km FROM trip ORDER BY dist_km DESC LIMIT 1",
    ),
    Case(
        "Total cargo weight hauled by Scania trucks in 2023",
        """SELECT sum(t.cargo_kg) FROM trip t JOIN "Vehicle" v ON v."VehicleID" = t.fk_vehicle"""
        """ WHERE v."Make" = 'Scania' AND v."VehicleType" = 'Truck'"""
        " AND t.departed_at >= '2023-01-01' AND t.departed_at < '2024-01-01'",
    ),
]
UNANSWERABLE = [
    "What is the average insurance premium per vehicle?",
    "How many accidents did our drivers have in 2024?",
    "Which customer booked the most trips?",
    "What is the average driver rating per depot?",
    "How many speeding tickets were issued last year?",
]
