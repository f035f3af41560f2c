"""The glue on top: the stages in order, Airflow DAG support, the local Airflow."""
