"""Questions over the demo data set with the SQL that answers each, for the offline engine.

Results are compared, not SQL text: the engine's rows must match the expected
rows on some choice of its columns (see ``same_result``). ``known_miss`` marks
questions the engine gets wrong today; they are counted in the accuracy, and
the test fails if one starts passing, so the figure stays honest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    question: str
    expected_sql: str
    ordered: bool = False  # the order of the rows is part of the answer
    known_miss: str | None = None


MONEY = "sum(oi.quantity * oi.unit_price)"

CASES = [
    # Counts
    Case("How many customers are there?", "SELECT count(*) FROM customers"),
    Case("How many orders were shipped in 2024?",
         "SELECT count(*) FROM orders WHERE status = 'shipped' AND ordered_at >= '2024-01-01' AND ordered_at < '2025-01-01'"),
    Case("How many orders were cancelled?", "SELECT count(*) FROM orders WHERE status = 'cancelled'"),
    Case("Number of products in the Electronics category",
         "SELECT count(*) FROM products WHERE category = 'Electronics'"),
    Case("How many page views were there in March 2024?",
         "SELECT count(*) FROM page_views WHERE viewed_at >= '2024-03-01' AND viewed_at < '2024-04-01'"),
    Case("How many customers signed up in 2023?",
         "SELECT count(*) FROM customers WHERE created_at >= '2023-01-01' AND created_at < '2024-01-01'"),
    Case("How many customers from Germany placed orders in 2024?",
         "SELECT count(DISTINCT c.id) FROM customers c JOIN orders o ON o.customer_id = c.id "
         "WHERE c.country = 'Germany' AND o.ordered_at >= '2024-01-01' AND o.ordered_at < '2025-01-01'"),
    Case("How many page views in the last 30 days?",
         "SELECT count(*) FROM page_views WHERE viewed_at > (SELECT max(viewed_at) FROM page_views) - interval '30 days'"),
    Case("How many orders in the last 7 days?",
         "SELECT count(*) FROM orders WHERE ordered_at > (SELECT max(ordered_at) FROM orders) - interval '7 days'"),
    Case("How many customers have more than 30 orders?",
         "SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 30) t"),
    Case("Count the orders of customers from Japan",
         "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = 'Japan'"),
    # Top-N with ordering
    Case("Top 5 customers by total spend",
         f"SELECT c.id, c.name, {MONEY} FROM customers c JOIN orders o ON o.customer_id = c.id "
         "JOIN order_items oi ON oi.order_id = o.id GROUP BY c.id ORDER BY 3 DESC LIMIT 5", ordered=True),
    Case("Top 3 products by revenue",
         f"SELECT p.id, p.name, {MONEY} FROM products p JOIN order_items oi ON oi.product_id = p.id "
         "GROUP BY p.id ORDER BY 3 DESC LIMIT 3", ordered=True),
    Case("Top 3 countries by number of customers",
         "SELECT country, count(*) FROM customers GROUP BY country ORDER BY 2 DESC LIMIT 3", ordered=True),
    Case("Which country has the most customers?",
         "SELECT country, count(*) FROM customers GROUP BY country ORDER BY 2 DESC LIMIT 1"),
    Case("Which customer has the most orders?",
         "SELECT c.id, c.name, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id "
         "GROUP BY c.id ORDER BY 3 DESC, c.id LIMIT 1"),
    Case("10 most expensive products",
         "SELECT * FROM products ORDER BY price DESC, id LIMIT 10", ordered=True),
    Case("The 5 cheapest products in the Books category",
         "SELECT * FROM products WHERE category = 'Books' ORDER BY price, id LIMIT 5", ordered=True),
    Case("Top 5 categories by revenue in 2024",
         f"SELECT p.category, {MONEY} FROM products p JOIN order_items oi ON oi.product_id = p.id "
         "JOIN orders o ON o.id = oi.order_id WHERE o.ordered_at >= '2024-01-01' AND o.ordered_at < '2025-01-01' "
         "GROUP BY p.category ORDER BY 2 DESC LIMIT 5", ordered=True),
    Case("Which product category has the highest revenue?",
         f"SELECT p.category, {MONEY} FROM products p JOIN order_items oi ON oi.product_id = p.id "
         "GROUP BY p.category ORDER BY 2 DESC LIMIT 1"),
    Case("5 newest customers", "SELECT * FROM customers ORDER BY created_at DESC, id LIMIT 5", ordered=True),
    Case("Top 10 customers by number of orders in 2025",
         "SELECT c.id, c.name, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id "
         "WHERE o.ordered_at >= '2025-01-01' AND o.ordered_at < '2026-01-01' GROUP BY c.id ORDER BY 3 DESC, c.id LIMIT 10",
         ordered=True),
    # Aggregates by group
    Case("Average order value per country",
         f"SELECT c.country, round(avg(t.v), 2) FROM (SELECT o.id, o.customer_id, {MONEY} AS v FROM orders o "
         "JOIN order_items oi ON oi.order_id = o.id GROUP BY o.id) t JOIN customers c ON c.id = t.customer_id GROUP BY c.country"),
    Case("Total revenue per product category",
         f"SELECT p.category, {MONEY} FROM products p JOIN order_items oi ON oi.product_id = p.id GROUP BY p.category"),
    Case("Number of orders by status", "SELECT status, count(*) FROM orders GROUP BY status"),
    Case("How many products are in each category?", "SELECT category, count(*) FROM products GROUP BY category"),
    Case("Average price per category", "SELECT category, round(avg(price), 2) FROM products GROUP BY category"),
    Case("Number of customers per country", "SELECT country, count(*) FROM customers GROUP BY country"),
    Case("Revenue by month in 2024",
         f"SELECT date_trunc('month', o.ordered_at), {MONEY} FROM orders o JOIN order_items oi ON oi.order_id = o.id "
         "WHERE o.ordered_at >= '2024-01-01' AND o.ordered_at < '2025-01-01' GROUP BY 1"),
    Case("Number of page views per month in 2023",
         "SELECT date_trunc('month', viewed_at), count(*) FROM page_views "
         "WHERE viewed_at >= '2023-01-01' AND viewed_at < '2024-01-01' GROUP BY 1"),
    Case("Total quantity sold per category",
         "SELECT p.category, sum(oi.quantity) FROM order_items oi JOIN products p ON p.id = oi.product_id GROUP BY p.category"),
    Case("Number of orders per year", "SELECT date_trunc('year', ordered_at), count(*) FROM orders GROUP BY 1"),
    Case("Total revenue from customers in France",
         f"SELECT {MONEY} FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN customers c ON c.id = o.customer_id "
         "WHERE c.country = 'France'"),
    Case("Total revenue in 2023",
         f"SELECT {MONEY} FROM order_items oi JOIN orders o ON o.id = oi.order_id "
         "WHERE o.ordered_at >= '2023-01-01' AND o.ordered_at < '2024-01-01'"),
    Case("Average price of products in the Books category",
         "SELECT round(avg(price), 2) FROM products WHERE category = 'Books'"),
    Case("What is the average order value?",
         f"SELECT round(avg(v), 2) FROM (SELECT o.id, {MONEY} AS v FROM orders o JOIN order_items oi ON oi.order_id = o.id GROUP BY o.id) t"),
    Case("Maximum price of products in the Outdoors category",
         "SELECT max(price) FROM products WHERE category = 'Outdoors'"),
    Case("Number of delivered orders per country",
         "SELECT c.country, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'delivered' GROUP BY c.country"),
    # Filters on values found in the data, joins, listings
    Case("Customers from Germany", "SELECT * FROM customers WHERE country = 'Germany'"),
    Case("List the products in the Kitchen category", "SELECT * FROM products WHERE category = 'Kitchen'"),
    Case("Show pending orders from customers in Canada",
         "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'pending' AND c.country = 'Canada'"),
    Case("Products with a price over 450", "SELECT * FROM products WHERE price > 450"),
    Case("Products cheaper than 10", "SELECT * FROM products WHERE price < 10"),
    Case("Customers from Brazil who signed up in 2025",
         "SELECT * FROM customers WHERE country = 'Brazil' AND created_at >= '2025-01-01' AND created_at < '2026-01-01'"),
    Case("List 10 orders from customers in the United Kingdom",
         "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = 'United Kingdom' ORDER BY o.id LIMIT 10"),
    Case("Returned orders in December 2024",
         "SELECT * FROM orders WHERE status = 'returned' AND ordered_at >= '2024-12-01' AND ordered_at < '2025-01-01'"),
    Case("Page views of customers from Poland in the last 7 days",
         "SELECT pv.* FROM page_views pv JOIN customers c ON c.id = pv.customer_id WHERE c.country = 'Poland' "
         "AND pv.viewed_at > (SELECT max(viewed_at) FROM page_views) - interval '7 days'"),
    Case("Customers with more than 35 orders",
         "SELECT c.* FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id HAVING count(*) > 35"),
]  # fmt: skip

# Absence and shares: "with 0 orders" once returned every
# customer. Each must be answered right or refused, never answered with every row.
ABSENCE = [
    Case("Customers with 0 orders",
         "SELECT c.* FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"),
    Case("Customers who never placed an order",
         "SELECT c.* FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"),
    Case("Customers with no orders",
         "SELECT c.* FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"),
    Case("How many customers have never ordered?",
         "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"),
    Case("Products without any order items",
         "SELECT p.* FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items oi WHERE oi.product_id = p.id)"),
    Case("What share of page views are anonymous?",
         "SELECT round(100.0 * count(*) FILTER (WHERE customer_id IS NULL) / count(*), 2) FROM page_views"),
    Case("Customers with 3 orders",
         "SELECT c.* FROM customers c WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) = 3"),
    Case("What percentage of orders were cancelled?",
         "SELECT round(100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 2) FROM orders"),
]  # fmt: skip

# Phrasings found by trying the engine as a new user would, after the corpora: each was
# answered wrongly or refused before.
PHRASINGS = [
    Case("How many countries are there?", "SELECT count(DISTINCT country) FROM customers"),
    Case("How many distinct countries do customers come from?", "SELECT count(DISTINCT country) FROM customers"),
    Case("Average number of items per order",
         "SELECT round(avg(n), 2) FROM (SELECT order_id, count(*) AS n FROM order_items GROUP BY order_id) t"),
    Case("Orders that are not cancelled", "SELECT * FROM orders WHERE status <> 'cancelled'"),
    Case("Count orders by status and year",
         "SELECT status, date_trunc('year', ordered_at)::date, count(*) FROM orders GROUP BY 1, 2"),
    Case("Orders between 2023 and 2024",
         "SELECT * FROM orders WHERE ordered_at >= '2023-01-01' AND ordered_at < '2025-01-01'"),
    Case("Median price per category",
         "SELECT category, percentile_cont(0.5) WITHIN GROUP (ORDER BY price) FROM products GROUP BY category"),
    Case("Revenue this year",
         f"SELECT {MONEY} FROM order_items oi JOIN orders o ON o.id = oi.order_id "
         "WHERE o.ordered_at >= date_trunc('year', (SELECT max(ordered_at) FROM orders))"),
]  # fmt: skip

# Questions the engine must refuse with conversion_failed rather than guess.
UNANSWERABLE = [
    "What is the profit per product?",
    "Customers with 0 refunds",
    "Customers whose orders were all cancelled",
    "Customers with more orders than returns",
    "Which employees work in the Berlin office?",
    "How many refunds were issued last year?",
]

# Written after the engine was tuned on CASES and never tuned on: its score here
# is the honest estimate of how the engine does on new phrasings.
HELD_OUT = [
    Case("What is the total number of products?", "SELECT count(*) FROM products"),
    Case("How many orders did customers from Italy place?",
         "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = 'Italy'"),
    Case("Show me the 3 most expensive products in the Sports category",
         "SELECT * FROM products WHERE category = 'Sports' ORDER BY price DESC, id LIMIT 3", ordered=True),
    Case("Revenue per country",
         f"SELECT c.country, {MONEY} FROM customers c JOIN orders o ON o.customer_id = c.id "
         "JOIN order_items oi ON oi.order_id = o.id GROUP BY c.country"),
    Case("How many page views did anonymous visitors make?",
         "SELECT count(*) FROM page_views WHERE customer_id IS NULL"),
    Case("Average quantity per order item", "SELECT round(avg(quantity), 2) FROM order_items"),
    Case("Orders per status in 2025",
         "SELECT status, count(*) FROM orders WHERE ordered_at >= '2025-01-01' AND ordered_at < '2026-01-01' GROUP BY status"),
    Case("Which 5 countries have the fewest customers?",
         "SELECT country, count(*) FROM customers GROUP BY country ORDER BY 2, 1 LIMIT 5", ordered=True),
    Case("Total sales in June 2024",
         f"SELECT {MONEY} FROM order_items oi JOIN orders o ON o.id = oi.order_id "
         "WHERE o.ordered_at >= '2024-06-01' AND o.ordered_at < '2024-07-01'"),
    Case("Customers from Sweden", "SELECT * FROM customers WHERE country = 'Sweden'"),
    Case("Minimum price per category", "SELECT category, min(price) FROM products GROUP BY category"),
    Case("How many orders were delivered last month?",
         "SELECT count(*) FROM orders WHERE status = 'delivered' "
         "AND ordered_at > (SELECT max(ordered_at) FROM orders) - interval '1 month'"),
    Case("Top 5 products by quantity sold",
         "SELECT p.id, p.name, sum(oi.quantity) FROM products p JOIN order_items oi ON oi.product_id = p.id "
         "GROUP BY p.id ORDER BY 3 DESC, p.id LIMIT 5", ordered=True),
    Case("Number of page views per customer country",
         "SELECT c.country, count(*) FROM page_views pv JOIN customers c ON c.id = pv.customer_id GROUP BY c.country"),
    Case("List the 10 most recent orders", "SELECT * FROM orders ORDER BY ordered_at DESC, id LIMIT 10", ordered=True),
]  # fmt: skip
