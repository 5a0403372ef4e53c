"""A film streaming service in CamelCase with code columns, written by an analyst new to the tool."""

from __future__ import annotations

from tests.services.nl_to_sql.questions import Case

NAME = "streaming"
SETUP = """
-- Film streaming service, "company style": singular CamelCase quoted identifiers,
-- abbreviations (Amt, Cd, Nm, Ts, Dt, Yr, Flg, DOB), code columns, tz and non-tz timestamps.
CREATE TABLE "Genre" (
  "GenreId"   int PRIMARY KEY,
  "GenreNm"   text NOT NULL
);
CREATE TABLE "Account" (
  "AccountId"        int PRIMARY KEY,
  "EmailAddr"        text NOT NULL,
  "CountryCd"        char(2) NOT NULL,
  "DOB"              date,
  "SignupTs"         timestamptz NOT NULL,
  "AcctStatusCd"     text NOT NULL,           -- 'Active','Suspended','Closed'
  "ReferredByAcctId" int REFERENCES "Account"("AccountId")   -- self reference, nullable
);
CREATE TABLE "Profile" (
  "ProfileId"  int PRIMARY KEY,
  "AccountId"  int NOT NULL REFERENCES "Account"("AccountId"),
  "ProfileNm"  text NOT NULL,
  "IsKidsFlg"  boolean NOT NULL,
  "CreatedTs"  timestamp NOT NULL
);
CREATE TABLE "Title" (
  "TitleId"        int PRIMARY KEY,
  "TitleNm"        text NOT NULL,
  "TitleTypeCd"    text NOT NULL,              -- 'Movie','Series'
  "ReleaseYr"      int NOT NULL,
  "RuntimeMin"     int NOT NULL,
  "MaturityRtg"    text NOT NULL,              -- 'G','PG','PG-13','R','TV-MA'
  "LicenseCostAmt" numeric(12,2) NOT NULL,
  "AddedDt"        date NOT NULL
);
CREATE TABLE "TitleGenre" (
  "TitleId" int REFERENCES "Title"("TitleId"),
  "GenreId" int REFERENCES "Genre"("GenreId"),
  PRIMARY KEY ("TitleId","GenreId")
);
CREATE TABLE "Subscription" (
  "SubscriptionId" int PRIMARY KEY,
  "AccountId"      int NOT NULL REFERENCES "Account"("AccountId"),
  "PlanCd"         text NOT NULL,               -- 'BASIC','STANDARD','PREMIUM'
  "StartDt"        date NOT NULL,
  "EndDt"          date,
  "StatusCd"       text NOT NULL,               -- 'ACTIVE','CANCELLED','PAUSED'
  "MonthlyFeeAmt"  numeric(6,2) NOT NULL
);
CREATE TABLE "Payment" (
  "PaymentId"       int PRIMARY KEY,
  "AccountId"       int NOT NULL REFERENCES "Account"("AccountId"),
  "SubscriptionId"  int REFERENCES "Subscription"("SubscriptionId"),  -- nullable: one-off rentals
  "PaidTs"          timestamp NOT NULL,
  "AmtUsd"          numeric(8,2) NOT NULL,
  "PaymentMethodCd" text NOT NULL,              -- 'CARD','PAYPAL','GIFT'
  "PaymentStatus"   text NOT NULL               -- 'settled','failed','refunded'
);
CREATE TABLE "WatchEvent" (
  "WatchEventId" bigint PRIMARY KEY,
  "ProfileId"    int NOT NULL REFERENCES "Profile"("ProfileId"),
  "TitleId"      int NOT NULL REFERENCES "Title"("TitleId"),
  "StartTs"      timestamptz NOT NULL,
  "WatchSec"     int NOT NULL,
  "DeviceTypeCd" text NOT NULL,                 -- 'TV','MOBILE','WEB','TABLET'
  "CompletedFlg" boolean NOT NULL
);

INSERT INTO "Genre" VALUES
 (1,'Drama'),(2,'Comedy'),(3,'Documentary'),(4,'Horror'),(5,'Thriller'),
 (6,'Animation'),(7,'Sci-Fi'),(8,'Romance'),(9,'Western');  -- Western has no titles

INSERT INTO "Account"
SELECT g,
       'user' || g || '@example.com',
       (ARRAY['US','GB','DE','FR','BR','IN','JP'])[1 + (g*7) % 7 + 0 * 0 + ((g/7) % 7) * 0],
       CASE WHEN g % 13 = 0 THEN NULL ELSE date '1950-01-01' + ((g * 997) % 20000) END,
       timestamptz '2019-01-01 00:00:00+00' + ((g * 3571) % 2100) * interval '1 day' + (g % 86400) * interval '1 second',
       CASE WHEN g % 10 = 0 THEN 'Closed' WHEN g % 17 = 0 THEN 'Suspended' ELSE 'Active' END,
       CASE WHEN g > 50 AND g % 4 = 0 THEN 1 + (g * 31) % 50 ELSE NULL END
FROM generate_series(1,1000) g;
-- country: spread deterministically
UPDATE "Account" SET "CountryCd" = (ARRAY['US','GB','DE','FR','BR','IN','JP'])[1 + ("AccountId" * 5 + "AccountId" / 3) % 7];

INSERT INTO "Profile"
SELECT p,
       1 + (p - 1) % 1000,
       (ARRAY['Main','Kids','Alex','Sam','Jordan','Taylor','Guest'])[1 + (p / 1000 + p % 3) % 7],
       (p / 1000 + p % 3) % 7 = 1,
       timestamp '2019-01-05 10:00:00' + ((p * 2711) % 2000) * interval '1 day'
FROM generate_series(1,2400) p;

INSERT INTO "Title"
SELECT t,
       (ARRAY['The','A','Last','Silent','Broken','Golden','Hidden','Lost'])[1 + t % 8] || ' ' ||
       (ARRAY['River','Empire','Signal','Garden','Storm','Mirror','Harbor','Orbit','Forest','Echo'])[1 + (t/8) % 10] || ' ' || t,
       CASE WHEN t % 3 = 0 THEN 'Series' ELSE 'Movie' END,
       1980 + (t * 7) % 45,
       CASE WHEN t % 3 = 0 THEN 20 + (t % 40) ELSE 80 + (t * 11) % 80 END,
       (ARRAY['G','PG','PG-13','R','TV-MA'])[1 + (t * 3) % 5],
       (5000 + (t * 7919) % 95000)::numeric(12,2),
       date '2019-01-01' + (t * 17) % 2000
FROM generate_series(1,300) t;

INSERT INTO "TitleGenre"
SELECT t, 1 + t % 8 FROM generate_series(1,300) t
UNION
SELECT t, 1 + (t * 5 + 3) % 8 FROM generate_series(1,300) t WHERE t % 2 = 0
UNION
SELECT t, 1 FROM generate_series(1,300) t WHERE t % 5 = 0;   -- drama is the biggest genre

INSERT INTO "Subscription"
SELECT s,
       CASE WHEN s <= 1000 THEN s ELSE (s * 37) % 1000 + 1 END,
       (ARRAY['BASIC','STANDARD','PREMIUM'])[1 + (s * 7) % 3],
       date '2019-02-01' + (s * 613) % 2000,
       CASE WHEN s % 4 = 0 THEN date '2019-02-01' + (s * 613) % 2000 + 30 + (s % 300) END,
       CASE WHEN s % 4 = 0 THEN 'CANCELLED' WHEN s % 9 = 0 THEN 'PAUSED' ELSE 'ACTIVE' END,
       (ARRAY[7.99, 13.99, 19.99])[1 + (s * 7) % 3]
FROM generate_series(1,1150) s
WHERE s % 23 <> 0 OR s > 1000;   -- some accounts (multiples of 23) never subscribed

INSERT INTO "Payment"
SELECT y,
       a.acct,
       CASE WHEN y % 6 = 0 THEN NULL ELSE a.sub END,
       timestamp '2019-03-01 08:00:00' + ((y * 1237) % 2130) * interval '1 day' + (y % 600) * interval '1 minute',
       CASE WHEN y % 6 = 0 THEN 3.99 + (y % 3) ELSE (ARRAY[7.99, 13.99, 19.99])[1 + (a.sub * 7) % 3] END,
       (ARRAY['CARD','CARD','PAYPAL','GIFT'])[1 + y % 4],
       CASE WHEN y % 25 = 0 THEN 'failed' WHEN y % 40 = 0 THEN 'refunded' ELSE 'settled' END
FROM generate_series(1,8000) y
CROSS JOIN LATERAL (
  SELECT s."SubscriptionId" AS sub, s."AccountId" AS acct
  FROM "Subscription" s
  ORDER BY s."SubscriptionId"
  OFFSET (y * 13) % 1100 LIMIT 1
) a;

INSERT INTO "WatchEvent"
SELECT w,
       1 + (w * 7) % 2200,           -- profiles 2201..2400 never watch
       1 + (w * 11) % 290,           -- titles 291..300 never watched
       timestamptz '2020-01-01 00:00:00+00' + ((w * 389) % 1825) * interval '1 day' + ((w * 97) % 86400) * interval '1 second',
       60 + (w * 53) % 7200,
       (ARRAY['TV','MOBILE','WEB','TABLET'])[1 + (w * 3) % 4],
       (w % 5) <> 0
FROM generate_series(1,20000) w;

-- a one-off rental, so the top payers do not tie
INSERT INTO "Payment" VALUES
 (8001, 926, NULL, timestamp '2022-06-15 20:30:00', 4.99, 'CARD', 'settled');

-- a few titles are clearly more popular than the rest
INSERT INTO "WatchEvent"
SELECT 20000 + i,
       1 + (i * 131) % 2200,
       CASE WHEN i <= 7 THEN 116 WHEN i <= 12 THEN 87 WHEN i <= 15 THEN 184 WHEN i <= 17 THEN 273 ELSE 51 END,
       timestamptz '2021-03-01 00:00:00+00' + (i * 47) * interval '1 day' + (i * 3613) * interval '1 second',
       1800 + i * 300,
       (ARRAY['TV','MOBILE','WEB','TABLET'])[1 + i % 4],
       i % 3 <> 0
FROM generate_series(1,18) i;
"""

CASES = [
    Case("How many accounts are there?", 'SELECT count(*) FROM "Account"'),
    Case("How many titles do we have?", 'SELECT count(*) FROM "Title"'),
    Case(
        "How many movies are there?",
        """SELECT count(*) FROM "Title" WHERE "TitleTypeCd" = 'Movie'""",
    ),
    Case(
        "How many series are in the catalog?",
        """SELECT count(*) FROM "Title" WHERE "TitleTypeCd" = 'Series'""",
    ),
    Case(
        "How many accounts are in JP?",
        """SELECT count(*) FROM "Account" WHERE "CountryCd" = 'JP'""",
    ),
    Case(
        "Number of accounts per country",
        'SELECT "CountryCd", count(*) FROM "Account" GROUP BY "CountryCd"',
    ),
    Case(
        "How many suspended accounts are there?",
        """SELECT count(*) FROM "Account" WHERE "AcctStatusCd" = 'Suspended'""",
    ),
    Case("What is the total amount of all payments?", 'SELECT sum("AmtUsd") FROM "Payment"'),
    Case(
        "Total amount paid in 2023",
        """SELECT sum("AmtUsd") FROM "Payment" WHERE "PaidTs" >= '2023-01-01' AND "PaidTs" < '2024-01-01'""",
    ),
    Case(
        "Total payment amount per month in 2024",
        """SELECT date_trunc('month', "PaidTs")::date, sum("AmtUsd") FROM "Payment" WHERE "PaidTs" >= '2024-01-01' AND "PaidTs" < '2025-01-01' GROUP BY 1""",
    ),
    Case(
        "Average monthly fee of premium subscriptions",
        """SELECT round(avg("MonthlyFeeAmt"), 2) FROM "Subscription" WHERE "PlanCd" = 'PREMIUM'""",
    ),
    Case(
        "How many subscriptions are there per plan?",
        'SELECT "PlanCd", count(*) FROM "Subscription" GROUP BY "PlanCd"',
    ),
    Case(
        "How many cancelled subscriptions are there?",
        """SELECT count(*) FROM "Subscription" WHERE "StatusCd" = 'CANCELLED'""",
    ),
    Case(
        "What is the average runtime of movies?",
        """SELECT round(avg("RuntimeMin"), 2) FROM "Title" WHERE "TitleTypeCd" = 'Movie'""",
    ),
    Case(
        "Which genre has the most titles?",
        'SELECT "GenreId", count(*) FROM "TitleGenre" GROUP BY "GenreId" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "Number of titles per genre",
        'SELECT g."GenreId", count(tg."TitleId") FROM "Genre" g LEFT JOIN "TitleGenre" tg ON tg."GenreId" = g."GenreId" GROUP BY g."GenreId"',
    ),
    Case(
        "How many horror titles are there?",
        """SELECT count(*) FROM "TitleGenre" tg JOIN "Genre" g ON g."GenreId" = tg."GenreId" WHERE g."GenreNm" = 'Horror'""",
    ),
    Case(
        "Top 5 titles by number of watch events",
        'SELECT "TitleId", count(*) FROM "WatchEvent" GROUP BY "TitleId" ORDER BY 2 DESC LIMIT 5',
        ordered=True,
    ),
    Case(
        "Which title was watched the most?",
        'SELECT "TitleId", count(*) FROM "WatchEvent" GROUP BY "TitleId" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "Total watch time per device type",
        'SELECT "DeviceTypeCd", sum("WatchSec") FROM "WatchEvent" GROUP BY "DeviceTypeCd"',
    ),
    Case(
        "How many watch events were on mobile?",
        """SELECT count(*) FROM "WatchEvent" WHERE "DeviceTypeCd" = 'MOBILE'""",
    ),
    Case(
        "Number of watch events per year",
        """SELECT date_trunc('year', "StartTs")::date, count(*) FROM "WatchEvent" GROUP BY 1""",
    ),
    Case(
        "How many accounts signed up in 2021?",
        """SELECT count(*) FROM "Account" WHERE "SignupTs" >= timestamptz '2021-01-01 00:00:00+00' AND "SignupTs" < timestamptz '2022-01-01 00:00:00+00'""",
    ),
    Case(
        "How many accounts signed up each year?",
        """SELECT date_trunc('year', "SignupTs")::date, count(*) FROM "Account" GROUP BY 1""",
    ),
    Case(
        "How many accounts have never made a payment?",
        'SELECT count(*) FROM "Account" a WHERE NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."AccountId" = a."AccountId")',
    ),
    Case(
        "Which titles were never watched?",
        'SELECT t.* FROM "Title" t WHERE NOT EXISTS (SELECT 1 FROM "WatchEvent" w WHERE w."TitleId" = t."TitleId")',
    ),
    Case(
        "How many profiles have no watch events?",
        'SELECT count(*) FROM "Profile" p WHERE NOT EXISTS (SELECT 1 FROM "WatchEvent" w WHERE w."ProfileId" = p."ProfileId")',
    ),
    Case(
        "Accounts without a subscription",
        'SELECT a.* FROM "Account" a WHERE NOT EXISTS (SELECT 1 FROM "Subscription" s WHERE s."AccountId" = a."AccountId")',
    ),
    Case(
        "What percentage of payments failed?",
        """SELECT round(100.0 * count(*) FILTER (WHERE "PaymentStatus" = 'failed') / count(*), 2) FROM "Payment" """,
    ),
    Case(
        "What share of watch events were completed?",
        'SELECT round(100.0 * count(*) FILTER (WHERE "CompletedFlg") / count(*), 2) FROM "WatchEvent"',
    ),
    Case(
        "What percentage of profiles are kids profiles?",
        'SELECT round(100.0 * count(*) FILTER (WHERE "IsKidsFlg") / count(*), 2) FROM "Profile"',
    ),
    Case(
        "How many payments were made in the last 30 days?",
        """SELECT count(*) FROM "Payment" WHERE "PaidTs" > (SELECT max("PaidTs") FROM "Payment") - interval '30 days'""",
    ),
    Case(
        "Total amount paid before 2020",
        """SELECT sum("AmtUsd") FROM "Payment" WHERE "PaidTs" < '2020-01-01'""",
    ),
    Case(
        "How many payments were made between 2021 and 2022?",
        """SELECT count(*) FROM "Payment" WHERE "PaidTs" >= '2021-01-01' AND "PaidTs" < '2023-01-01'""",
    ),
    Case(
        "Total amount paid per payment method",
        'SELECT "PaymentMethodCd", sum("AmtUsd") FROM "Payment" GROUP BY "PaymentMethodCd"',
    ),
    Case(
        "Which country has the most watch events?",
        'SELECT a."CountryCd", count(*) FROM "WatchEvent" w JOIN "Profile" p ON p."ProfileId" = w."ProfileId" '
        'JOIN "Account" a ON a."AccountId" = p."AccountId" GROUP BY a."CountryCd" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "Total amount paid by accounts in BR",
        """SELECT sum(p."AmtUsd") FROM "Payment" p JOIN "Account" a ON a."AccountId" = p."AccountId" WHERE a."CountryCd" = 'BR'""",
    ),
    Case(
        "Average watch time per genre",
        'SELECT tg."GenreId", round(avg(w."WatchSec"), 2) FROM "WatchEvent" w JOIN "TitleGenre" tg ON tg."TitleId" = w."TitleId" GROUP BY tg."GenreId"',
    ),
    Case(
        "How many comedy titles were watched on TV?",
        """SELECT count(DISTINCT w."TitleId") FROM "WatchEvent" w JOIN "TitleGenre" tg ON tg."TitleId" = w."TitleId" JOIN "Genre" g ON g."GenreId" = tg."GenreId" WHERE g."GenreNm" = 'Comedy' AND w."DeviceTypeCd" = 'TV'""",
    ),
    Case(
        "Top 3 accounts by total amount paid",
        'SELECT "AccountId", sum("AmtUsd") FROM "Payment" GROUP BY "AccountId" ORDER BY 2 DESC LIMIT 3',
        ordered=True,
    ),
    Case(
        "Which plan brings in the most revenue?",
        'SELECT s."PlanCd", sum(p."AmtUsd") FROM "Payment" p JOIN "Subscription" s ON s."SubscriptionId" = p."SubscriptionId" GROUP BY s."PlanCd" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "How many titles were released before 2000?",
        'SELECT count(*) FROM "Title" WHERE "ReleaseYr" < 2000',
    ),
    Case(
        "How many titles were added in 2022?",
        """SELECT count(*) FROM "Title" WHERE "AddedDt" >= '2022-01-01' AND "AddedDt" < '2023-01-01'""",
    ),
    Case(
        "How many accounts have no date of birth?",
        'SELECT count(*) FROM "Account" WHERE "DOB" IS NULL',
    ),
    Case(
        "How many accounts were referred by another account?",
        'SELECT count(*) FROM "Account" WHERE "ReferredByAcctId" IS NOT NULL',
        known_miss="a self reference (ReferredByAcctId) is not planned: refused",
    ),
    Case(
        "Number of refunded payments per year",
        """SELECT date_trunc('year', "PaidTs")::date, count(*) FROM "Payment" WHERE "PaymentStatus" = 'refunded' GROUP BY 1""",
    ),
    Case(
        "Average payment amount per country",
        'SELECT a."CountryCd", round(avg(p."AmtUsd"), 2) FROM "Payment" p JOIN "Account" a ON a."AccountId" = p."AccountId" GROUP BY a."CountryCd"',
    ),
    Case(
        "Which title has the highest license cost?",
        'SELECT "TitleId", "LicenseCostAmt" FROM "Title" ORDER BY "LicenseCostAmt" DESC LIMIT 1',
    ),
    Case(
        "How many R rated titles are there?",
        """SELECT count(*) FROM "Title" WHERE "MaturityRtg" = 'R'""",
    ),
    Case(
        "How many watch events were there in the last 30 days?",
        """SELECT count(*) FROM "WatchEvent" WHERE "StartTs" > (SELECT max("StartTs") FROM "WatchEvent") - interval '30 days'""",
    ),
    Case(
        "How many subscriptions started in 2020?",
        """SELECT count(*) FROM "Subscription" WHERE "StartDt" >= '2020-01-01' AND "StartDt" < '2021-01-01'""",
    ),
    Case(
        "How many payments were made with PayPal?",
        """SELECT count(*) FROM "Payment" WHERE "PaymentMethodCd" = 'PAYPAL'""",
    ),
    Case(
        "What is the total amount of failed payments?",
        """SELECT sum("AmtUsd") FROM "Payment" WHERE "PaymentStatus" = 'failed'""",
    ),
    Case(
        "How many accounts signed up between 2021 and 2022?",
        """SELECT count(*) FROM "Account" WHERE "SignupTs" >= timestamptz '2021-01-01 00:00:00+00' AND "SignupTs" < timestamptz '2023-01-01 00:00:00+00'""",
    ),
    Case(
        "Which genre was watched the most in 2023?",
        """SELECT tg."GenreId", count(*) FROM "WatchEvent" w JOIN "TitleGenre" tg ON tg."TitleId" = w."TitleId" """
        """WHERE w."StartTs" >= timestamptz '2023-01-01 00:00:00+00' AND w."StartTs" < timestamptz '2024-01-01 00:00:00+00' """
        """GROUP BY tg."GenreId" ORDER BY 2 DESC LIMIT 1""",
    ),
    Case(
        "List the 10 most expensive titles",
        'SELECT t.* FROM "Title" t ORDER BY t."LicenseCostAmt" DESC LIMIT 10',
        ordered=True,
    ),
    Case(
        "How many active premium subscriptions are there?",
        """SELECT count(*) FROM "Subscription" WHERE "StatusCd" = 'ACTIVE' AND "PlanCd" = 'PREMIUM'""",
    ),
    Case(
        "How many PG-13 movies were released after 2010?",
        """SELECT count(*) FROM "Title" WHERE "MaturityRtg" = 'PG-13' AND "TitleTypeCd" = 'Movie' AND "ReleaseYr" > 2010""",
    ),
    Case(
        "Which genres have no titles?",
        'SELECT g.* FROM "Genre" g WHERE NOT EXISTS (SELECT 1 FROM "TitleGenre" tg WHERE tg."GenreId" = g."GenreId")',
    ),
    Case(
        "How many hours did kids profiles watch?",
        'SELECT round(sum(w."WatchSec") / 3600.0, 2) FROM "WatchEvent" w JOIN "Profile" p ON p."ProfileId" = w."ProfileId" WHERE p."IsKidsFlg"',
        known_miss="seconds to hours is arithmetic the question does not spell: refused",
    ),
    Case(
        "Number of payments per payment status",
        'SELECT "PaymentStatus", count(*) FROM "Payment" GROUP BY "PaymentStatus"',
    ),
    Case(
        "Average license cost per maturity rating",
        'SELECT "MaturityRtg", round(avg("LicenseCostAmt"), 2) FROM "Title" GROUP BY "MaturityRtg"',
    ),
    Case(
        "How many closed accounts are in DE?",
        """SELECT count(*) FROM "Account" WHERE "AcctStatusCd" = 'Closed' AND "CountryCd" = 'DE'""",
    ),
    Case(
        "Which device type has the most completed watch events?",
        'SELECT "DeviceTypeCd", count(*) FROM "WatchEvent" WHERE "CompletedFlg" GROUP BY "DeviceTypeCd" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "How many accounts are in IN?",
        """SELECT count(*) FROM "Account" WHERE "CountryCd" = 'IN'""",
    ),
    Case(
        "How many accounts were born before 1960?",
        """SELECT count(*) FROM "Account" WHERE "DOB" < '1960-01-01'""",
    ),
    Case(
        "Average payment amount per plan",
        'SELECT s."PlanCd", round(avg(p."AmtUsd"), 2) FROM "Payment" p JOIN "Subscription" s ON s."SubscriptionId" = p."SubscriptionId" GROUP BY s."PlanCd"',
    ),
    Case(
        "How many payments are not linked to a subscription?",
        'SELECT count(*) FROM "Payment" WHERE "SubscriptionId" IS NULL',
    ),
    Case(
        "Average watch seconds per title type",
        'SELECT t."TitleTypeCd", round(avg(w."WatchSec"), 2) FROM "WatchEvent" w JOIN "Title" t ON t."TitleId" = w."TitleId" GROUP BY t."TitleTypeCd"',
    ),
    Case(
        "Total payments per country in 2024",
        """SELECT a."CountryCd", sum(p."AmtUsd") FROM "Payment" p JOIN "Account" a ON a."AccountId" = p."AccountId" """
        """WHERE p."PaidTs" >= '2024-01-01' AND p."PaidTs" < '2025-01-01' GROUP BY a."CountryCd" """,
    ),
]

UNANSWERABLE = []
