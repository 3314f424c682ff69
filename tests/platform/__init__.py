"""Platform tests: the registry, model materialisation, loading, DAG integrity, the app factory, deployment."""
