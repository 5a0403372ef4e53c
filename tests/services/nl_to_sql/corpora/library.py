"""A public library (branches, authors, books, loans, fines), written by an analyst new to the tool."""

from __future__ import annotations

from tests.services.nl_to_sql.questions import Case

NAME = "library"
SETUP = """
CREATE TABLE branches (
  branch_id    serial PRIMARY KEY,
  branch_name  text NOT NULL,
  city         text NOT NULL,
  opened_on    date NOT NULL
);
CREATE TABLE authors (
  author_id    serial PRIMARY KEY,
  full_name    text NOT NULL,
  nationality  text NOT NULL,
  birth_year   int
);
CREATE TABLE books (
  book_id        serial PRIMARY KEY,
  title          text NOT NULL,
  isbn           text UNIQUE NOT NULL,
  genre          text NOT NULL,
  language       text NOT NULL,
  published_year int NOT NULL,
  page_count     int NOT NULL
);
CREATE TABLE book_authors (
  book_id   int NOT NULL REFERENCES books(book_id),
  author_id int NOT NULL REFERENCES authors(author_id),
  PRIMARY KEY (book_id, author_id)
);
CREATE TABLE members (
  member_id        serial PRIMARY KEY,
  first_name       text NOT NULL,
  last_name        text NOT NULL,
  email            text NOT NULL UNIQUE,
  membership_type  text NOT NULL,
  home_branch_id   int NOT NULL REFERENCES branches(branch_id),
  joined_on        date NOT NULL,
  member_status    text NOT NULL
);
CREATE TABLE loans (
  loan_id      serial PRIMARY KEY,
  book_id      int NOT NULL REFERENCES books(book_id),
  member_id    int NOT NULL REFERENCES members(member_id),
  branch_id    int NOT NULL REFERENCES branches(branch_id),
  loaned_at    timestamptz NOT NULL,
  due_date     date NOT NULL,
  returned_at  timestamptz,
  loan_status  text NOT NULL
);
CREATE TABLE fines (
  fine_id     serial PRIMARY KEY,
  loan_id     int NOT NULL REFERENCES loans(loan_id),
  amount      numeric(7,2) NOT NULL,
  reason      text NOT NULL,
  issued_on   date NOT NULL,
  fine_status text NOT NULL
);

INSERT INTO branches (branch_name, city, opened_on) VALUES
 ('Central Library','Springfield','1962-04-01'),
 ('Riverside','Springfield','1988-09-15'),
 ('Oakwood','Shelbyville','1995-03-20'),
 ('Hillcrest','Shelbyville','2003-06-01'),
 ('Harbor Point','Capital City','2010-11-11'),
 ('Maple Grove','Capital City','2015-02-02'),
 ('Northgate','Ogdenville','2019-08-30'),
 ('Eastfield','Ogdenville','2021-05-05');

INSERT INTO authors (full_name, nationality, birth_year)
SELECT (ARRAY['Anna','Boris','Clara','Diego','Elena','Farid','Greta','Hiro','Ines','Jonas','Kofi','Lena','Mateo','Nora','Omar'])[1 + g % 15]
       || ' ' ||
       (ARRAY['Archer','Bauer','Castillo','Dubois','Eriksen','Fischer','Garcia','Hoffmann','Ivanova','Jensen','Kowalski','Larsen','Moreau','Nakamura','Okafor','Petrov','Quinn','Rossi','Silva','Tanaka'])[1 + (g * 7) % 20]
       || CASE WHEN g > 150 THEN ' Jr' ELSE '' END,
       (ARRAY['British','American','French','German','Japanese','Spanish','Nigerian','Italian','Swedish','Brazilian'])[1 + (g * 3) % 10],
       CASE WHEN g % 13 = 0 THEN NULL ELSE 1920 + (g * 17) % 80 END
FROM generate_series(1, 300) g;

INSERT INTO books (title, isbn, genre, language, published_year, page_count)
SELECT (ARRAY['The','A','Our','Their','No'])[1 + g % 5] || ' ' ||
       (ARRAY['Silent','Broken','Hidden','Golden','Last','Distant','Burning','Quiet','Lost','Winter'])[1 + (g*3) % 10] || ' ' ||
       (ARRAY['River','Garden','Empire','Letter','Island','Mirror','Road','House','Storm','Crown','Orchard','Signal'])[1 + (g*7) % 12]
       || ' ' || g,
       '978-' || lpad((g * 7919 % 1000000000)::text, 9, '0') || '-' || (g % 10),
       (ARRAY['Fiction','Mystery','Science Fiction','Fantasy','Biography','History','Science','Poetry','Children','Romance','Thriller','Cookery'])[1 + floor(12 * power(((g * 5) % 1200) / 1200.0, 1.7))::int],
       (ARRAY['English','English','English','English','Spanish','French','German','Japanese'])[1 + g % 8],
       1950 + (g * 11) % 75 - CASE WHEN g = 1125 THEN 2 ELSE 0 END,  -- one book older than the rest
       80 + (g * 37) % 720
FROM generate_series(1, 1200) g;

INSERT INTO book_authors (book_id, author_id)
SELECT g, 1 + (g * 13) % 280 FROM generate_series(1, 1200) g
UNION
SELECT g, 1 + (g * 29 + 5) % 280 FROM generate_series(1, 1200) g WHERE g % 4 = 0;
-- authors 281..300 have no books

INSERT INTO members (first_name, last_name, email, membership_type, home_branch_id, joined_on, member_status)
SELECT (ARRAY['Alex','Sam','Jordan','Taylor','Morgan','Casey','Riley','Jamie','Avery','Quinn','Drew','Robin','Charlie','Emery','Harper','Rowan','Sky','Peyton'])[1 + g % 18],
       (ARRAY['Smith','Jones','Brown','Wilson','Taylor','Clark','Walker','Hall','Young','King','Wright','Green','Baker','Adams','Nelson','Hill','Scott','Moore','Lee','Ward','Turner'])[1 + (g * 11) % 21],
       'member' || g || '@example.org',
       (ARRAY['Standard','Standard','Standard','Student','Senior','Premium'])[1 + (g * 7) % 6],
       CASE WHEN g % 20 = 7 THEN 1 ELSE 1 + (g * 3) % 8 END,  -- Central Library is the home of a few more
       date '2015-01-01' + ((g * 1733) % 3800),
       CASE WHEN g % 17 = 0 THEN 'Suspended' WHEN g % 9 = 0 THEN 'Expired' ELSE 'Active' END
FROM generate_series(1, 2000) g;
-- members whose id is a multiple of 50 never borrow (see loans)

INSERT INTO loans (book_id, member_id, branch_id, loaned_at, due_date, returned_at, loan_status)
SELECT b, m, br, la AT TIME ZONE 'UTC', (la + interval '21 days')::date,
       CASE WHEN g % 97 = 0 THEN NULL               -- lost
            WHEN la > timestamp '2025-06-10' AND g % 3 <> 0 THEN NULL  -- still out
            ELSE (la + make_interval(days => (g * 7) % 35, hours => g % 9)) AT TIME ZONE 'UTC' END,
       CASE WHEN g % 97 = 0 THEN 'lost'
            WHEN la > timestamp '2025-06-10' AND g % 3 <> 0 THEN 'on loan'
            ELSE 'returned' END
FROM (
  SELECT g,
         1 + floor(1150 * power(((g * 31) % 10007) / 10007.0, 2))::int AS b,                        -- books 1151..1200 never loaned
         CASE WHEN mm % 50 = 0 THEN mm - 1 ELSE mm END AS m,
         1 + floor(8 * power(((g * 5) % 1000) / 1000.0, 1.6))::int AS br,
         timestamp '2019-01-01 09:00' + make_interval(days => (g * 2357) % 2373, mins => (g * 37) % 600) AS la  -- UTC wall time
  FROM (SELECT g, 1 + floor(2000 * power(((g * 53) % 9973) / 9973.0, 1.5))::int AS mm FROM generate_series(1, 8000) g) g0
) s;

INSERT INTO fines (loan_id, amount, reason, issued_on, fine_status)
SELECT l.loan_id,
       CASE WHEN l.loan_status = 'lost' THEN 25.00 + (l.loan_id % 6) * 2.9
            ELSE round((((l.returned_at AT TIME ZONE 'UTC')::date - l.due_date) * 0.25)::numeric, 2) END,
       CASE WHEN l.loan_status = 'lost' THEN 'lost item' ELSE 'late return' END,
       CASE WHEN l.loan_status = 'lost' THEN l.due_date + 30 ELSE (l.returned_at AT TIME ZONE 'UTC')::date END,
       (ARRAY['paid','paid','unpaid','waived'])[1 + l.loan_id % 4]
FROM loans l
WHERE l.loan_status = 'lost' OR (l.returned_at IS NOT NULL AND (l.returned_at AT TIME ZONE 'UTC')::date > l.due_date)
ORDER BY l.loan_id;
INSERT INTO fines (loan_id, amount, reason, issued_on, fine_status)
SELECT loan_id, 5.00 + (loan_id % 4) * 2.5, 'damaged', (returned_at AT TIME ZONE 'UTC')::date, (ARRAY['paid','unpaid'])[1 + loan_id % 2]
FROM loans WHERE loan_id % 61 = 0 AND returned_at IS NOT NULL;
"""
CASES = [
    Case("how many members are there", "SELECT count(*) FROM members"),
    Case("How many books do we have?", "SELECT count(*) FROM books"),
    Case("total amount of all fines", "SELECT sum(amount) FROM fines"),
    Case("average fine amount", "SELECT round(avg(amount), 2) FROM fines"),
    Case("number of loans per branch", "SELECT branch_id, count(*) FROM loans GROUP BY branch_id"),
    Case(
        "how many members per membership type",
        "SELECT membership_type, count(*) FROM members GROUP BY membership_type",
    ),
    Case(
        "number of loans per month in 2024",
        "SELECT date_trunc('month', loaned_at)::date, count(*) FROM loans WHERE loaned_at >= timestamptz '2024-01-01 00:00:00+00' AND loaned_at < timestamptz '2025-01-01 00:00:00+00' GROUP BY 1",
    ),
    Case(
        "loans per year",
        "SELECT date_trunc('year', loaned_at)::date, count(*) FROM loans GROUP BY 1",
    ),
    Case(
        "top 5 books by number of loans",
        "SELECT book_id, count(*) FROM loans GROUP BY book_id ORDER BY 2 DESC LIMIT 5",
        ordered=True,
    ),
    Case(
        "which branch has the most loans",
        "SELECT branch_id, count(*) FROM loans GROUP BY branch_id ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "which member has the most loans",
        "SELECT member_id, count(*) FROM loans GROUP BY member_id ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "top 10 members by total fines",
        "SELECT l.member_id, sum(f.amount) FROM fines f JOIN loans l ON l.loan_id = f.loan_id GROUP BY l.member_id ORDER BY 2 DESC LIMIT 10",
        ordered=True,
    ),
    Case("total unpaid fines", "SELECT sum(amount) FROM fines WHERE fine_status = 'unpaid'"),
    Case(
        "how many suspended members",
        "SELECT count(*) FROM members WHERE member_status = 'Suspended'",
    ),
    Case(
        "how many student members are there",
        "SELECT count(*) FROM members WHERE membership_type = 'Student'",
    ),
    Case("how many mystery books", "SELECT count(*) FROM books WHERE genre = 'Mystery'"),
    Case(
        "members who never borrowed a book",
        "SELECT m.* FROM members m WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.member_id = m.member_id)",
    ),
    Case(
        "books that have never been loaned",
        "SELECT b.* FROM books b WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.book_id)",
    ),
    Case(
        "authors without books",
        "SELECT a.* FROM authors a WHERE NOT EXISTS (SELECT 1 FROM book_authors ba WHERE ba.author_id = a.author_id)",
    ),
    Case(
        "how many members have no fines",
        "SELECT count(*) FROM members m WHERE NOT EXISTS (SELECT 1 FROM fines f JOIN loans l ON l.loan_id = f.loan_id WHERE l.member_id = m.member_id)",
    ),
    Case(
        "what percentage of loans were lost",
        "SELECT round(100.0 * count(*) FILTER (WHERE loan_status = 'lost') / count(*), 2) FROM loans",
    ),
    Case(
        "share of fine amount by reason",
        "SELECT reason, round(100.0 * sum(amount) / (SELECT sum(amount) FROM fines), 2) FROM fines GROUP BY reason",
        known_miss="a share of a sum per group is not planned: refused",
    ),
    Case(
        "how many loans in 2023",
        "SELECT count(*) FROM loans WHERE loaned_at >= timestamptz '2023-01-01 00:00:00+00' AND loaned_at < timestamptz '2024-01-01 00:00:00+00'",
    ),
    Case(
        "loans in the last 30 days",
        "SELECT l.* FROM loans l WHERE l.loaned_at > (SELECT max(loaned_at) FROM loans) - interval '30 days'",
    ),
    Case(
        "how many members joined before 2020",
        "SELECT count(*) FROM members WHERE joined_on < date '2020-01-01'",
    ),
    Case(
        "number of books published before 1970",
        "SELECT count(*) FROM books WHERE published_year < 1970",
    ),
    Case(
        "average page count by genre",
        "SELECT genre, round(avg(page_count), 2) FROM books GROUP BY genre",
    ),
    Case(
        "top 5 authors by number of books",
        "SELECT author_id, count(*) FROM book_authors GROUP BY author_id ORDER BY 2 DESC LIMIT 5",
    ),
    Case(
        "which genre is borrowed the most",
        "SELECT b.genre, count(*) FROM loans l JOIN books b ON b.book_id = l.book_id GROUP BY b.genre ORDER BY 2 DESC LIMIT 1",
    ),
    Case(
        "total fines per branch",
        "SELECT l.branch_id, sum(f.amount) FROM fines f JOIN loans l ON l.loan_id = f.loan_id GROUP BY l.branch_id",
    ),
    Case(
        "how many loans of Spanish books",
        "SELECT count(*) FROM loans l JOIN books b ON b.book_id = l.book_id WHERE b.language = 'Spanish'",
    ),
    Case(
        "how many members live in Springfield",
        "SELECT count(*) FROM members m JOIN branches b ON b.branch_id = m.home_branch_id WHERE b.city = 'Springfield'",
    ),
    Case("books with more than 500 pages", "SELECT b.* FROM books b WHERE b.page_count > 500"),
    Case(
        "members with more than 20 loans",
        "SELECT m.* FROM members m WHERE m.member_id IN (SELECT member_id FROM loans GROUP BY member_id HAVING count(*) > 20)",
    ),
    Case("how many fines over 10", "SELECT count(*) FROM fines WHERE amount > 10"),
    Case(
        "average fine by membership type",
        "SELECT m.membership_type, round(avg(f.amount), 2) FROM fines f JOIN loans l ON l.loan_id = f.loan_id JOIN members m ON m.member_id = l.member_id GROUP BY m.membership_type",
    ),
    Case(
        "list the 10 most recent loans",
        "SELECT l.* FROM loans l ORDER BY l.loaned_at DESC LIMIT 10",
        ordered=True,
    ),
    Case(
        "which city has the most members",
        "SELECT b.city, count(*) FROM members m JOIN branches b ON b.branch_id = m.home_branch_id GROUP BY b.city ORDER BY 2 DESC LIMIT 1",
    ),
    Case("how many French authors", "SELECT count(*) FROM authors WHERE nationality = 'French'"),
    Case(
        "number of loans in March 2024",
        "SELECT count(*) FROM loans WHERE loaned_at >= timestamptz '2024-03-01 00:00:00+00' AND loaned_at < timestamptz '2024-04-01 00:00:00+00'",
    ),
    Case(
        "how many books were written by Japanese authors",
        "SELECT count(DISTINCT ba.book_id) FROM book_authors ba JOIN authors a ON a.author_id = ba.author_id WHERE a.nationality = 'Japanese'",
    ),
    Case(
        "fines issued in 2024 by status",
        "SELECT fine_status, count(*) FROM fines WHERE issued_on >= date '2024-01-01' AND issued_on < date '2025-01-01' GROUP BY fine_status",
    ),
    Case("number of waived fines", "SELECT count(*) FROM fines WHERE fine_status = 'waived'"),
    Case("total fines for lost items", "SELECT sum(amount) FROM fines WHERE reason = 'lost item'"),
    Case(
        "loans per genre",
        "SELECT b.genre, count(*) FROM loans l JOIN books b ON b.book_id = l.book_id GROUP BY b.genre",
    ),
    Case(
        "how many loans did premium members make",
        "SELECT count(*) FROM loans l JOIN members m ON m.member_id = l.member_id WHERE m.membership_type = 'Premium'",
    ),
    Case(
        "number of fines per year",
        "SELECT date_trunc('year', issued_on)::date, count(*) FROM fines GROUP BY 1",
    ),
    Case(
        "how many members joined per year",
        "SELECT date_trunc('year', joined_on)::date, count(*) FROM members GROUP BY 1",
    ),
    Case(
        "average page_count per genre",
        "SELECT genre, round(avg(page_count), 2) FROM books GROUP BY genre",
    ),
    Case("books with page count over 500", "SELECT b.* FROM books b WHERE b.page_count > 500"),
    Case("fines with amount over 10", "SELECT f.* FROM fines f WHERE f.amount > 10"),
    Case("how many loans are on loan", "SELECT count(*) FROM loans WHERE loan_status = 'on loan'"),
    Case(
        "members without loans",
        "SELECT m.* FROM members m WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.member_id = m.member_id)",
    ),
    Case(
        "how many books published in 2020", "SELECT count(*) FROM books WHERE published_year = 2020"
    ),
    Case(
        "how many authors were born before 1950",
        "SELECT count(*) FROM authors WHERE birth_year < 1950",
    ),
    Case(
        "total fines in 2024",
        "SELECT sum(amount) FROM fines WHERE issued_on >= date '2024-01-01' AND issued_on < date '2025-01-01'",
    ),
    Case(
        "members who joined in 2024",
        "SELECT m.* FROM members m WHERE m.joined_on >= date '2024-01-01' AND m.joined_on < date '2025-01-01'",
    ),
    Case(
        "top 3 branches by total fines",
        "SELECT l.branch_id, sum(f.amount) FROM fines f JOIN loans l ON l.loan_id = f.loan_id GROUP BY l.branch_id ORDER BY 2 DESC LIMIT 3",
        ordered=True,
    ),
    Case("how many english books", "SELECT count(*) FROM books WHERE language = 'English'"),
    Case(
        "how many science fiction books",
        "SELECT count(*) FROM books WHERE genre = 'Science Fiction'",
    ),
    Case(
        "which members have unpaid fines",
        "SELECT m.* FROM members m WHERE EXISTS (SELECT 1 FROM fines f JOIN loans l ON l.loan_id = f.loan_id WHERE l.member_id = m.member_id AND f.fine_status = 'unpaid')",
    ),
    Case(
        "number of books per author nationality",
        "SELECT a.nationality, count(DISTINCT ba.book_id) FROM book_authors ba JOIN authors a ON a.author_id = ba.author_id GROUP BY a.nationality",
    ),
    Case(
        "how many loans at Riverside",
        "SELECT count(*) FROM loans l JOIN branches b ON b.branch_id = l.branch_id WHERE b.branch_name = 'Riverside'",
    ),
    Case(
        "how many loans of books by Nigerian authors",
        "SELECT count(*) FROM loans l WHERE EXISTS (SELECT 1 FROM book_authors ba JOIN authors a ON a.author_id = ba.author_id WHERE ba.book_id = l.book_id AND a.nationality = 'Nigerian')",
    ),
    Case(
        "percentage of members who are students",
        "SELECT round(100.0 * count(*) FILTER (WHERE membership_type = 'Student') / count(*), 2) FROM members",
    ),
    Case("expired members", "SELECT m.* FROM members m WHERE m.member_status = 'Expired'"),
    Case(
        "loans per month",
        "SELECT date_trunc('month', loaned_at)::date, count(*) FROM loans GROUP BY 1",
    ),
    Case(
        "average fine amount per year",
        "SELECT date_trunc('year', issued_on)::date, round(avg(amount), 2) FROM fines GROUP BY 1",
    ),
    Case(
        "total fines per member status",
        "SELECT m.member_status, sum(f.amount) FROM fines f JOIN loans l ON l.loan_id = f.loan_id JOIN members m ON m.member_id = l.member_id GROUP BY m.member_status",
    ),
    Case(
        "how many loans before 2020",
        "SELECT count(*) FROM loans WHERE loaned_at < timestamptz '2020-01-01 00:00:00+00'",
    ),
    Case(
        "number of members per home branch",
        "SELECT home_branch_id, count(*) FROM members GROUP BY home_branch_id",
    ),
    Case(
        "how many books has each author written",
        "SELECT a.author_id, count(ba.book_id) FROM authors a LEFT JOIN book_authors ba ON ba.author_id = a.author_id GROUP BY a.author_id",
    ),
    Case("maximum fine amount", "SELECT max(amount) FROM fines"),
    Case(
        "oldest book", "SELECT book_id, published_year FROM books ORDER BY published_year LIMIT 1"
    ),
    Case(
        "how many loans of Fiction books in 2024",
        "SELECT count(*) FROM loans l JOIN books b ON b.book_id = l.book_id WHERE b.genre = 'Fiction' AND l.loaned_at >= timestamptz '2024-01-01 00:00:00+00' AND l.loaned_at < timestamptz '2025-01-01 00:00:00+00'",
    ),
    Case("number of books per genre", "SELECT genre, count(*) FROM books GROUP BY genre"),
    Case("number of fines per reason", "SELECT reason, count(*) FROM fines GROUP BY reason"),
    Case("books per year", "SELECT published_year, count(*) FROM books GROUP BY published_year"),
    Case("how many fiction books", "SELECT count(*) FROM books WHERE genre = 'Fiction'"),
    Case(
        "loans at Central Library in 2025",
        "SELECT l.* FROM loans l JOIN branches b ON b.branch_id = l.branch_id WHERE b.branch_name = 'Central Library' AND l.loaned_at >= timestamptz '2025-01-01 00:00:00+00' AND l.loaned_at < timestamptz '2026-01-01 00:00:00+00'",
    ),
    Case(
        "how many members in Capital City",
        "SELECT count(*) FROM members m JOIN branches b ON b.branch_id = m.home_branch_id WHERE b.city = 'Capital City'",
    ),
    Case(
        "loans in the last 7 days",
        "SELECT l.* FROM loans l WHERE l.loaned_at > (SELECT max(loaned_at) FROM loans) - interval '7 days'",
    ),
    Case(
        "fines issued in the last 90 days",
        "SELECT f.* FROM fines f WHERE f.issued_on > (SELECT max(issued_on) FROM fines) - interval '90 days'",
    ),
    Case("average birth year of authors", "SELECT round(avg(birth_year), 2) FROM authors"),
    Case(
        "top 3 genres by number of loans in 2024",
        "SELECT b.genre, count(*) FROM loans l JOIN books b ON b.book_id = l.book_id WHERE l.loaned_at >= timestamptz '2024-01-01 00:00:00+00' AND l.loaned_at < timestamptz '2025-01-01 00:00:00+00' GROUP BY b.genre ORDER BY 2 DESC LIMIT 3",
        ordered=True,
    ),
    Case(
        "total fines of senior members",
        "SELECT sum(f.amount) FROM fines f JOIN loans l ON l.loan_id = f.loan_id JOIN members m ON m.member_id = l.member_id WHERE m.membership_type = 'Senior'",
    ),
    Case(
        "members with no loans in 2024",
        "SELECT m.* FROM members m WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.member_id = m.member_id AND l.loaned_at >= timestamptz '2024-01-01 00:00:00+00' AND l.loaned_at < timestamptz '2025-01-01 00:00:00+00')",
    ),
]
UNANSWERABLE = []
