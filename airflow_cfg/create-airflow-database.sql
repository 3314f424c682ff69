-- Airflow keeps its metadata in its own database on the warehouse server.
create database airflow;
