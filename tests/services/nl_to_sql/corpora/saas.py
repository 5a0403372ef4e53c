"""SaaS billing and support desk, with mixed key styles, a self-referencing account hierarchy, a plan/feature junction and three kinds of date columns."""

from __future__ import annotations

from tests.services.nl_to_sql.questions import Case

NAME = "saas"
SETUP = """
CREATE TABLE plans (
    plan_id integer PRIMARY KEY,
    plan_name text NOT NULL UNIQUE,
    tier text NOT NULL,
    billing_cycle text NOT NULL,
    monthly_fee_usd numeric(10, 2) NOT NULL,
    seats_included integer NOT NULL,
    is_public boolean NOT NULL
);
INSERT INTO plans VALUES
    (1, 'Free', 'free', 'monthly', 0, 1, true),
    (2, 'Starter', 'basic', 'monthly', 29, 3, true),
    (3, 'Starter Annual', 'basic', 'annual', 24, 3, false),
    (4, 'Team', 'standard', 'monthly', 99, 10, true),
    (5, 'Business', 'standard', 'annual', 299, 25, true),
    (6, 'Enterprise', 'premium', 'annual', 999, 100, true);

CREATE TABLE features (
    feature_id integer PRIMARY KEY,
    feature_code text NOT NULL UNIQUE,
    feature_name text NOT NULL,
    feature_grp text NOT NULL
);
INSERT INTO features VALUES
    (1, 'API', 'API Access', 'integration'),
    (2, '2FA', 'Two-Factor Authentication', 'security'),
    (3, 'EXPORT', 'Data Export', 'data'),
    (4, 'WEBHOOKS', 'Webhooks', 'integration'),
    (5, 'SLACK', 'Slack Integration', 'integration'),
    (6, 'CUSTOM_DOMAIN', 'Custom Domains', 'branding'),
    (7, 'SSO', 'Single Sign-On', 'security'),
    (8, 'AUDIT', 'Audit Log', 'security'),
    (9, 'ANALYTICS', 'Advanced Analytics', 'data'),
    (10, 'PRIORITY_SUPPORT', 'Priority Support', 'support'),
    (11, 'SANDBOX', 'Sandbox Environment', 'integration'),
    (12, 'SLA', 'Uptime SLA', 'support'),
    (13, 'AI_ASSIST', 'AI Assistant', 'data'),
    (14, 'ONPREM', 'On-Premise Deployment', 'security');

CREATE TABLE plan_features (
    plan_id integer NOT NULL REFERENCES plans (plan_id),
    feature_id integer NOT NULL REFERENCES features (feature_id),
    limit_qty integer,
    PRIMARY KEY (plan_id, feature_id)
);
INSERT INTO plan_features VALUES
    (1, 1, 1000), (1, 2, NULL), (1, 3, 1),
    (2, 1, 10000), (2, 2, NULL), (2, 3, 10), (2, 4, 5),
    (3, 1, 10000), (3, 2, NULL), (3, 3, 10), (3, 4, 5), (3, 5, NULL),
    (4, 1, 50000), (4, 2, NULL), (4, 3, 100), (4, 4, 25), (4, 5, NULL), (4, 6, 1), (4, 9, NULL),
    (5, 1, 250000), (5, 2, NULL), (5, 3, NULL), (5, 4, 100), (5, 5, NULL), (5, 6, 5), (5, 7, NULL), (5, 8, NULL), (5, 9, NULL),
    (6, 1, NULL), (6, 2, NULL), (6, 3, NULL), (6, 4, NULL), (6, 5, NULL), (6, 6, NULL), (6, 7, NULL), (6, 8, NULL),
    (6, 9, NULL), (6, 10, NULL), (6, 11, 3), (6, 12, NULL);

CREATE TABLE account (
    "AccountID" integer PRIMARY KEY,
    "AccountName" text NOT NULL,
    industry text NOT NULL,
    country_code char(2) NOT NULL,
    employee_cnt integer NOT NULL,
    created_dt date NOT NULL,
    fk_parent_account integer REFERENCES account ("AccountID")
);
INSERT INTO account
SELECT i,
       (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Soylent', 'Tyrell',
              'Cyberdyne', 'Wonka', 'Gringotts', 'Oscorp', 'Pied Piper', 'Massive', 'Aperture', 'Black Mesa',
              'Nakatomi', 'Dunder'])[(i - 1) % 20 + 1]
       || ' ' ||
       (ARRAY['Labs', 'Systems', 'Group', 'Holdings', 'Digital', 'Partners', 'Works', 'Analytics', 'Ventures',
              'Health', 'Media', 'Logic', 'Studio', 'Capital', 'Networks'])[(i - 1) / 20 + 1],
       (ARRAY['Fintech', 'Healthcare', 'Retail', 'Education', 'Media', 'Manufacturing', 'Nonprofit', 'Gaming',
              'Fintech', 'Retail', 'Healthcare', 'Fintech', 'Media'])[(i * 7 + i / 9) % 13 + 1],
       (ARRAY['US', 'US', 'US', 'DE', 'GB', 'GB', 'FR', 'CA', 'NL', 'IN', 'BR', 'AU', 'US', 'DE', 'JP'])[(i * 11 + i / 7) % 15 + 1],
       5 + (i * 53) % 1995,
       date '2019-01-01' + i * 5 + (i * 7) % 20,
       CASE WHEN i > 255 THEN (ARRAY[3, 42, 17, 42, 8, 3, 42, 60, 17, 91, 42, 3, 125, 42, 8])[(i * 7) % 15 + 1] END
FROM generate_series(1, 300) AS i;

CREATE TABLE subscriptions (
    sub_id integer PRIMARY KEY,
    fk_account integer NOT NULL REFERENCES account ("AccountID"),
    fk_plan integer NOT NULL REFERENCES plans (plan_id),
    status text NOT NULL,
    seats integer NOT NULL,
    discount_pct integer NOT NULL,
    start_dt date NOT NULL,
    end_dt date,
    mrr_usd numeric(10, 2) NOT NULL
);
INSERT INTO subscriptions
SELECT s.i, s.acct, s.plan, s.status, s.seats, s.disc, s.start_dt,
       CASE WHEN s.status = 'cancelled' THEN s.start_dt + 60 + (s.i * 17) % 500 END,
       CASE WHEN p.monthly_fee_usd = 0 THEN 0
            ELSE round((p.monthly_fee_usd + 15 * greatest(s.seats - p.seats_included, 0)) * (100 - s.disc) / 100.0, 2) END
FROM (
    SELECT i,
           a."AccountID" AS acct,
           CASE WHEN i <= 300 THEN (ARRAY[1, 2, 2, 4, 4, 4, 5, 2, 4, 1, 5, 6, 4, 2, 3])[(i * 7 + i / 4) % 15 + 1]
                ELSE (ARRAY[4, 5, 5, 6, 4, 5, 6, 5, 4])[(i * 5) % 9 + 1] END AS plan,
           CASE WHEN i <= 300 AND i % 3 = 0 THEN 'cancelled'
                ELSE (ARRAY['active', 'active', 'active', 'trial', 'active', 'past_due', 'active', 'paused',
                            'active', 'active', 'cancelled'])[(i * 3) % 11 + 1] END AS status,
           1 + (i * 13) % 60 AS seats,
           ((i * 3) % 4) * 5 AS disc,
           CASE WHEN i <= 300 THEN a.created_dt + (i * 11) % 45
                ELSE least(a.created_dt + 200 + (i * 7) % 300, date '2024-11-30') END AS start_dt
    FROM generate_series(1, 450) AS i
    JOIN account a ON a."AccountID" = CASE WHEN i <= 300 THEN i ELSE ((i - 301) * 2) % 300 + 1 END
    WHERE i % 29 <> 0
) s
JOIN plans p ON p.plan_id = s.plan;

CREATE TABLE invoice (
    invoice_id integer PRIMARY KEY,
    subscription_id integer NOT NULL REFERENCES subscriptions (sub_id),
    issued_at timestamp NOT NULL,
    due_dt date NOT NULL,
    amt_usd numeric(12, 2) NOT NULL,
    tax_amt_usd numeric(12, 2) NOT NULL,
    status text NOT NULL,
    paid_at timestamptz
);
INSERT INTO invoice
SELECT row_number() OVER (ORDER BY x.issued_at, x.sub_id),
       x.sub_id, x.issued_at, x.issued_at::date + 30, x.amt, round(x.amt * 0.08, 2), x.st,
       CASE WHEN x.st = 'paid'
            THEN (x.issued_at + make_interval(days => (x.sub_id + x.n) % 28, hours => (x.n * 5) % 6)) AT TIME ZONE 'UTC' END
FROM (
    SELECT s.sub_id,
           g.n,
           g.d + make_interval(hours => 9 + (s.sub_id + g.n) % 5) AS issued_at,
           CASE WHEN p.billing_cycle = 'annual' THEN s.mrr_usd * 12 ELSE s.mrr_usd END AS amt,
           CASE WHEN (s.sub_id * 7 + g.n * 3) % 41 = 0 THEN 'void'
                WHEN g.d >= timestamp '2024-11-01' AND (s.sub_id + g.n) % 3 = 0 THEN 'open'
                WHEN (s.sub_id * 5 + g.n) % 37 = 0 THEN 'overdue'
                ELSE 'paid' END AS st
    FROM subscriptions s
    JOIN plans p ON p.plan_id = s.fk_plan
    CROSS JOIN LATERAL (
        SELECT o.n::integer AS n, o.d
        FROM generate_series(s.start_dt::timestamp,
                             least(coalesce(s.end_dt, date '2024-12-31'), date '2024-12-31')::timestamp,
                             CASE WHEN p.billing_cycle = 'annual' THEN interval '1 year' ELSE interval '1 month' END)
             WITH ORDINALITY AS o(d, n)
    ) g
    WHERE p.monthly_fee_usd > 0 AND s.status <> 'trial'
) x;

CREATE TABLE agents (
    agent_id integer PRIMARY KEY,
    full_name text NOT NULL,
    team text NOT NULL,
    hire_dt date NOT NULL,
    hourly_rate_eur numeric(6, 2) NOT NULL,
    is_active boolean NOT NULL
);
INSERT INTO agents
SELECT i,
       (ARRAY['Maria', 'James', 'Aisha', 'Tomasz', 'Li', 'Fatima', 'Noah', 'Priya', 'Lukas', 'Chloe', 'Diego',
              'Hannah', 'Kenji', 'Sofia', 'Omar', 'Ingrid', 'Ravi', 'Emma', 'Mateo', 'Zoe', 'Yusuf', 'Clara',
              'Ben', 'Anya'])[i]
       || ' ' ||
       (ARRAY['Garcia', 'Smith', 'Khan', 'Nowak', 'Wei', 'Haddad', 'Brown', 'Patel', 'Becker', 'Martin',
              'Lopez', 'Schmidt', 'Sato', 'Rossi', 'Farouk', 'Larsen', 'Iyer', 'Dubois', 'Silva', 'Evans',
              'Yilmaz', 'Meyer', 'Cohen', 'Petrova'])[(i * 5) % 24 + 1],
       (ARRAY['Tier 1', 'Tier 1', 'Tier 2', 'Billing', 'Tier 1', 'Enterprise Success', 'Tier 2', 'Tier 1'])[(i * 3) % 8 + 1],
       date '2018-03-01' + (i * 97) % 2000,
       22 + (i * 7) % 19 + CASE WHEN (i * 3) % 8 = 5 THEN 15 ELSE 0 END,
       i % 9 <> 0
FROM generate_series(1, 24) AS i;

CREATE TABLE support_tickets (
    "TicketID" integer PRIMARY KEY,
    "AccountID" integer NOT NULL REFERENCES account ("AccountID"),
    fk_agent integer REFERENCES agents (agent_id),
    escalated_to_agent_id integer REFERENCES agents (agent_id),
    category text NOT NULL,
    priority text NOT NULL,
    channel text NOT NULL,
    status text NOT NULL,
    issue_desc text,
    opened_at timestamptz NOT NULL,
    resolved_at timestamptz,
    first_response_minutes integer,
    reply_cnt integer NOT NULL,
    csat_score smallint
);
INSERT INTO support_tickets
SELECT t.i, t.acct,
       t.agent,
       CASE WHEN t.i % 11 = 0 OR (t.prio = 'urgent' AND t.i % 2 = 0)
            THEN (ARRAY[3, 7, 6, 14, 11, 19, 3, 7, 22])[(t.i * 5) % 9 + 1] END,
       t.cat, t.prio, t.chan, t.st,
       t.cat || ' issue reported via ' || t.chan,
       t.opened_at,
       CASE WHEN t.st IN ('resolved', 'closed') THEN t.opened_at + make_interval(hours => 1 + (t.i * 7) % 96, mins => (t.i * 13) % 60) END,
       CASE WHEN t.agent IS NOT NULL THEN 2 + (t.i * 31) % 480 END,
       (t.i * 3) % 9,
       CASE WHEN t.st IN ('resolved', 'closed') AND t.i % 4 <> 0 THEN (ARRAY[5, 4, 5, 3, 4, 2, 5, 1, 4, 3, 5])[(t.i * 7 + t.agent) % 11 + 1] END
FROM (
    SELECT g.i, a."AccountID" AS acct,
           CASE WHEN g.i % 23 = 0 THEN NULL ELSE (ARRAY[1, 2, 3, 5, 8, 10, 12, 13, 15, 16, 17, 18, 20, 21, 23, 24, 2, 5, 8, 13, 4, 9, 6, 14, 11])[(g.i * 7) % 25 + 1] END AS agent,
           (ARRAY['billing', 'bug', 'how-to', 'bug', 'feature request', 'how-to', 'outage', 'account access', 'bug', 'billing', 'how-to'])[(g.i * 3 + g.i / 13) % 11 + 1] AS cat,
           (ARRAY['normal', 'low', 'normal', 'high', 'normal', 'urgent', 'low', 'high', 'normal', 'normal'])[(g.i * 7 + g.i / 10) % 10 + 1] AS prio,
           (ARRAY['email', 'chat', 'email', 'phone', 'web form', 'chat', 'email'])[(g.i * 5 + g.i / 7) % 7 + 1] AS chan,
           CASE WHEN a.created_dt + ((g.i * 97) % (date '2024-12-31' - a.created_dt)) >= date '2024-12-10' AND g.i % 2 = 0 THEN 'open'
                ELSE (ARRAY['closed', 'resolved', 'closed', 'closed', 'resolved', 'pending', 'closed', 'resolved', 'closed'])[(g.i * 11) % 9 + 1] END AS st,
           ((a.created_dt + ((g.i * 97) % (date '2024-12-31' - a.created_dt)))::timestamp
               + make_interval(hours => 9 + (g.i * 5) % 7, mins => (g.i * 17) % 60)) AT TIME ZONE 'UTC' AS opened_at
    FROM generate_series(1, 3200) AS g(i)
    JOIN account a ON a."AccountID" = CASE WHEN g.i % 5 = 0 THEN (g.i * g.i) % 97 + 1
                                           WHEN g.i % 5 = 1 THEN (g.i * 3) % 180 + 1
                                           ELSE (g.i * 7 + g.i / 11) % 270 + 1 END
    WHERE a."AccountID" % 31 <> 7
) t;

COMMENT ON COLUMN subscriptions.mrr_usd IS 'monthly recurring revenue after discount';
COMMENT ON COLUMN support_tickets.escalated_to_agent_id IS 'agent the ticket was escalated to, if any';
"""

CASES = [
    Case(
        "How many accounts are in the healthcare industry?",
        "SELECT count(*) FROM account WHERE industry = 'Healthcare'",
    ),
    Case(
        "What was the sum of all invoice amounts issued in 2023?",
        "SELECT sum(amt_usd) FROM invoice WHERE issued_at >= '2023-01-01' AND issued_at < '2024-01-01'",
    ),
    Case(
        "What's the average MRR of our active subscriptions?",
        "SELECT round(avg(mrr_usd), 2) FROM subscriptions WHERE status = 'active'",
    ),
    Case(
        "Longest first response time, in minutes, on an urgent ticket?",
        "SELECT max(first_response_minutes) FROM support_tickets WHERE priority = 'urgent'",
    ),
    Case(
        "ticket volume by channel",
        "SELECT channel, count(*) FROM support_tickets GROUP BY channel",
    ),
    Case(
        "Average CSAT for each ticket category",
        "SELECT category, round(avg(csat_score), 2) FROM support_tickets GROUP BY category",
    ),
    Case(
        "How many support tickets came from Fintech accounts?",
        'SELECT count(*) FROM support_tickets t JOIN account a ON a."AccountID" = t."AccountID" '
        "WHERE a.industry = 'Fintech'",
    ),
    Case(
        "total invoiced per plan",
        "SELECT p.plan_name, sum(i.amt_usd) FROM invoice i "
        "JOIN subscriptions s ON s.sub_id = i.subscription_id JOIN plans p ON p.plan_id = s.fk_plan "
        "GROUP BY p.plan_name",
    ),
    Case(
        "How many tickets were raised by accounts that have a subscription on the Enterprise plan?",
        'SELECT count(*) FROM support_tickets t WHERE t."AccountID" IN ('
        "SELECT s.fk_account FROM subscriptions s JOIN plans p ON p.plan_id = s.fk_plan "
        "WHERE p.plan_name = 'Enterprise')",
    ),
    Case(
        "Which features come with the Business plan?",
        "SELECT f.* FROM features f JOIN plan_features pf ON pf.feature_id = f.feature_id "
        "JOIN plans p ON p.plan_id = pf.plan_id WHERE p.plan_name = 'Business'",
    ),
    Case(
        "Which plan includes the most features?",
        "SELECT plan_id, count(*) FROM plan_features GROUP BY plan_id ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "How many feature requests did we get in 2024?",
        "SELECT count(*) FROM support_tickets WHERE category = 'feature request' "
        "AND opened_at >= '2024-01-01' AND opened_at < '2025-01-01'",
    ),
    Case(
        "How many tickets opened in 2022 were assigned to agents on the billing team?",
        "SELECT count(*) FROM support_tickets t JOIN agents g ON g.agent_id = t.fk_agent "
        "WHERE g.team = 'Billing' AND t.opened_at >= '2022-01-01' AND t.opened_at < '2023-01-01'",
    ),
    Case(
        "How many accounts signed up in March 2021?",
        "SELECT count(*) FROM account WHERE created_dt >= '2021-03-01' AND created_dt < '2021-04-01'",
    ),
    Case(
        "number of tickets opened in the last 30 days",
        "SELECT count(*) FROM support_tickets "
        "WHERE opened_at > (SELECT max(opened_at) FROM support_tickets) - interval '30 days'",
    ),
    Case(
        "How much money did we collect in payments over the last 90 days?",
        "SELECT sum(amt_usd) FROM invoice WHERE paid_at > (SELECT max(paid_at) FROM invoice) - interval '90 days'",
        known_miss="'payments' names no table (paid_at is a column of invoice): refused",
    ),
    Case(
        "Invoiced amount per month in 2024",
        "SELECT date_trunc('month', issued_at)::date, sum(amt_usd) FROM invoice "
        "WHERE issued_at >= '2024-01-01' AND issued_at < '2025-01-01' GROUP BY 1",
    ),
    Case(
        "How many subscriptions started each year?",
        "SELECT date_trunc('year', start_dt)::date, count(*) FROM subscriptions GROUP BY 1",
    ),
    Case(
        "How many subscriptions were cancelled during 2023?",
        "SELECT count(*) FROM subscriptions WHERE status = 'cancelled' "
        "AND end_dt >= '2023-01-01' AND end_dt < '2024-01-01'",
    ),
    Case(
        "new accounts in 2022?",
        "SELECT count(*) FROM account WHERE created_dt >= '2022-01-01' AND created_dt < '2023-01-01'",
        known_miss="read as a listing of those accounts; the gold counts them",
    ),
    Case(
        "Which account has opened the most support tickets?",
        'SELECT "AccountID", count(*) FROM support_tickets GROUP BY "AccountID" ORDER BY 2 DESC LIMIT 1',
    ),
    Case(
        "top 5 accounts by total amount billed",
        "SELECT s.fk_account, sum(i.amt_usd) FROM invoice i JOIN subscriptions s ON s.sub_id = i.subscription_id "
        "GROUP BY s.fk_account ORDER BY 2 DESC LIMIT 5",
        ordered=True,
    ),
    Case(
        "What is our most expensive plan?",
        "SELECT plan_id, monthly_fee_usd FROM plans ORDER BY monthly_fee_usd DESC LIMIT 1",
    ),
    Case(
        "Which agent has the highest average CSAT score on the tickets assigned to them?",
        "SELECT fk_agent, round(avg(csat_score), 2) FROM support_tickets WHERE csat_score IS NOT NULL "
        "GROUP BY fk_agent ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "How many accounts have never opened a support ticket?",
        'SELECT count(*) FROM account a WHERE NOT EXISTS (SELECT 1 FROM support_tickets t WHERE t."AccountID" = a."AccountID")',
    ),
    Case(
        "Which features aren't part of any plan?",
        "SELECT f.* FROM features f WHERE NOT EXISTS (SELECT 1 FROM plan_features pf WHERE pf.feature_id = f.feature_id)",
    ),
    Case(
        "Show the agents who have never been assigned a ticket",
        "SELECT g.* FROM agents g WHERE NOT EXISTS (SELECT 1 FROM support_tickets t WHERE t.fk_agent = g.agent_id)",
    ),
    Case(
        "What percentage of tickets are urgent?",
        "SELECT round(100.0 * count(*) FILTER (WHERE priority = 'urgent') / count(*), 2) FROM support_tickets",
    ),
    Case(
        "What share of the invoices issued in 2024 have been paid?",
        "SELECT round(100.0 * count(*) FILTER (WHERE status = 'paid') / count(*), 2) FROM invoice "
        "WHERE issued_at >= '2024-01-01' AND issued_at < '2025-01-01'",
    ),
    Case(
        "Which parent account has the most subsidiaries?",
        "SELECT fk_parent_account, count(*) FROM account WHERE fk_parent_account IS NOT NULL "
        "GROUP BY fk_parent_account ORDER BY 2 DESC LIMIT 1",
        known_miss="a self reference (fk_parent_account) is not planned: refused",
    ),
    Case(
        "How many support tickets were opened by subsidiaries of Globex Group?",
        'SELECT count(*) FROM support_tickets t JOIN account c ON c."AccountID" = t."AccountID" '
        'JOIN account p ON p."AccountID" = c.fk_parent_account WHERE p."AccountName" = \'Globex Group\'',
        known_miss="a self reference (fk_parent_account) is not planned: refused",
    ),
    Case(
        "Which agent received the most escalated tickets?",
        "SELECT escalated_to_agent_id, count(*) FROM support_tickets WHERE escalated_to_agent_id IS NOT NULL "
        "GROUP BY escalated_to_agent_id ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "average hourly rate in EUR for each team",
        "SELECT team, round(avg(hourly_rate_eur), 2) FROM agents GROUP BY team",
    ),
    Case(
        "How many seats are on active Team plan subscriptions in total?",
        "SELECT sum(s.seats) FROM subscriptions s JOIN plans p ON p.plan_id = s.fk_plan "
        "WHERE p.plan_name = 'Team' AND s.status = 'active'",
    ),
    Case(
        "On average, how many hours does it take to resolve an urgent ticket?",
        "SELECT round(avg(extract(epoch FROM resolved_at - opened_at) / 3600), 2) FROM support_tickets "
        "WHERE priority = 'urgent' AND resolved_at IS NOT NULL",
        known_miss="the time between two columns is not planned: refused",
    ),
    Case(
        "overdue invoices per country",
        "SELECT a.country_code, count(*) FROM invoice i JOIN subscriptions s ON s.sub_id = i.subscription_id "
        "JOIN account a ON a.\"AccountID\" = s.fk_account WHERE i.status = 'overdue' GROUP BY a.country_code",
    ),
    Case(
        "Top 3 countries by number of accounts",
        "SELECT country_code, count(*) FROM account GROUP BY country_code ORDER BY 2 DESC LIMIT 3",
        ordered=True,
    ),
    Case(
        "Which month of 2023 saw the most tickets opened?",
        "SELECT date_trunc('month', opened_at)::date, count(*) FROM support_tickets "
        "WHERE opened_at >= '2023-01-01' AND opened_at < '2024-01-01' GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "How many distinct accounts have an active subscription on a plan with single sign-on?",
        "SELECT count(DISTINCT s.fk_account) FROM subscriptions s JOIN plan_features pf ON pf.plan_id = s.fk_plan "
        "JOIN features f ON f.feature_id = pf.feature_id WHERE f.feature_name = 'Single Sign-On' AND s.status = 'active'",
    ),
    Case(
        "What is the cheapest monthly fee among plans that include webhooks?",
        "SELECT min(p.monthly_fee_usd) FROM plans p JOIN plan_features pf ON pf.plan_id = p.plan_id "
        "JOIN features f ON f.feature_id = pf.feature_id WHERE f.feature_name = 'Webhooks'",
    ),
]

UNANSWERABLE = [
    "What is the average NPS of accounts in the retail industry?",
    "Which sales rep brought in the most new accounts in 2023?",
    "How many tickets were reopened after being closed?",
    "What reason do customers give most often when they cancel?",
    "How many users logged in to the product last week?",
]
