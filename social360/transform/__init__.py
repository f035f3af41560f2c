"""The dbt stage: running dbt in this process."""
