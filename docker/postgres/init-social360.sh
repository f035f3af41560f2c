#!/usr/bin/env bash
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): next to Airflow's metadata
# database, what `social360 warehouse up` creates on the embedded server: the pipeline's role, the
# read-only BI role, the warehouse and the demo source databases; and Metabase's own database.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v wh_password="$WAREHOUSE_PASSWORD" -v bi_password="$BI_READER_PASSWORD" <<'EOSQL'
CREATE ROLE social360 LOGIN PASSWORD :'wh_password';
CREATE ROLE bi_reader LOGIN PASSWORD :'bi_password';
CREATE DATABASE warehouse OWNER social360;
CREATE DATABASE crm OWNER social360;
CREATE DATABASE social_demo OWNER social360;
REVOKE ALL ON DATABASE warehouse FROM PUBLIC;
REVOKE ALL ON DATABASE crm FROM PUBLIC;
REVOKE ALL ON DATABASE social_demo FROM PUBLIC;
GRANT CONNECT ON DATABASE warehouse TO bi_reader;
-- bi_reader's bounds, as social360.core.warehouse.bi_role_statements() sets them on the embedded server
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC;
ALTER ROLE bi_reader CONNECTION LIMIT 10;
ALTER ROLE bi_reader SET statement_timeout = '2min';
ALTER ROLE bi_reader SET idle_in_transaction_session_timeout = '5min';
ALTER ROLE bi_reader SET idle_session_timeout = '8h';
ALTER ROLE bi_reader SET work_mem = '64MB';
ALTER ROLE bi_reader SET temp_file_limit = '2GB';
EOSQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname warehouse <<'EOSQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
EOSQL

if [[ -n "${METABASE_DB_PASSWORD:-}" ]]; then
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v mb_password="$METABASE_DB_PASSWORD" <<'EOSQL'
CREATE ROLE metabase LOGIN PASSWORD :'mb_password';
CREATE DATABASE metabase OWNER metabase;
REVOKE ALL ON DATABASE metabase FROM PUBLIC;
EOSQL
fi
