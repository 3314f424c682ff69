"""Loading, modelling and serving helpers shared by the DAGs, the API, the quickstart and the tests."""
