"""Tests of the whole project: DAG runs, SQL models and checks, the API, and deployment."""
