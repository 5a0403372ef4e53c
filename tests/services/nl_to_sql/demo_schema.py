"""The demo data set's schema as the service introspects it, built without a database.

``test_the_demo_schema_is_what_introspection_finds`` keeps it true to the data set;
sample values and row estimates, which the offline engine does not read, are left out.
"""

from __future__ import annotations

from quart_app.services.nl_to_sql.schema import Column, ForeignKey, Schema, Table

TIME = "timestamp with time zone"


def _columns(*columns: tuple[str, str] | Column) -> tuple[Column, ...]:
    return tuple(
        column if isinstance(column, Column) else Column(column[0], column[1], nullable=False)
        for column in columns
    )


def _references(column: str, table: str) -> ForeignKey:
    return ForeignKey((column,), table, ("id",))


COUNTRIES = (
    "Australia", "Brazil", "Canada", "France", "Germany", "India", "Italy", "Japan", "Mexico",
    "Netherlands", "Poland", "Spain", "Sweden", "United Kingdom", "United States",
)  # fmt: skip
CATEGORIES = (
    "Books", "Clothing", "Electronics", "Home", "Kitchen", "Office", "Outdoors", "Sports",
)  # fmt: skip
STATUSES = ("cancelled", "delivered", "pending", "returned", "shipped")

DEMO_SCHEMA = Schema(
    (
        Table(
            "customers",
            "public",
            _columns(
                ("id", "integer"),
                ("name", "text"),
                ("email", "text"),
                Column("country", "text", nullable=False, values=COUNTRIES),
                ("created_at", TIME),
            ),
            primary_key=("id",),
        ),
        Table(
            "order_items",
            "public",
            _columns(
                ("order_id", "integer"),
                ("product_id", "integer"),
                ("quantity", "integer"),
                ("unit_price", "numeric"),
            ),
            primary_key=("order_id", "product_id"),
            foreign_keys=(_references("order_id", "orders"), _references("product_id", "products")),
        ),
        Table(
            "orders",
            "public",
            _columns(
                ("id", "integer"),
                ("customer_id", "integer"),
                ("ordered_at", TIME),
                Column("status", "text", nullable=False, values=STATUSES),
            ),
            primary_key=("id",),
            foreign_keys=(_references("customer_id", "customers"),),
        ),
        Table(
            "page_views",
            "public",
            _columns(
                ("id", "bigint"),
                Column("customer_id", "integer", nullable=True),
                ("url", "text"),
                ("viewed_at", TIME),
            ),
            primary_key=("id",),
            foreign_keys=(_references("customer_id", "customers"),),
        ),
        Table(
            "products",
            "public",
            _columns(
                ("id", "integer"),
                ("name", "text"),
                Column("category", "text", nullable=False, values=CATEGORIES),
                ("price", "numeric"),
            ),
            primary_key=("id",),
        ),
    ),
    introspected_at=0.0,
)


def without_samples(schema: Schema) -> Schema:
    """``schema`` as ``DEMO_SCHEMA`` writes it: no sample values, no row estimates."""
    return Schema(
        tuple(
            Table(
                table.name,
                table.schema,
                tuple(
                    Column(column.name, column.type, column.nullable, values=column.values)
                    for column in table.columns
                ),
                table.primary_key,
                table.foreign_keys,
            )
            for table in schema.tables
        ),
        introspected_at=0.0,
    )
