"""The store: SQLAlchemy Core tables, the clearance repository, Alembic migrations.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) through CLEARWAY_DATABASE_URL.
"""
