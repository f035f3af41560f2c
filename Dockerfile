# The project's Airflow image for docker-compose.yml: Airflow's official image (same Airflow and
# Python as the project) with the project's pinned dependencies. The project's code is not baked
# in: compose mounts the checkout at /opt/social360 (PYTHONPATH), so DAG and model edits apply
# without a rebuild. Rebuild after requirements.lock changes: `docker compose build`.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

ARG AIRFLOW_VERSION
COPY --chown=airflow:0 requirements.lock /opt/social360-requirements.lock
# Pinning apache-airflow next to the lock keeps pip from moving Airflow itself (Airflow's docs:
# "Building the image"); the image's own providers (celery for --profile celery) stay installed.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/social360-requirements.lock

ENV PYTHONPATH=/opt/social360 \
    SOCIAL360_HOME=/opt/airflow/social360 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false
