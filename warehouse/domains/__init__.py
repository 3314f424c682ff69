"""The warehouse's domains: each one a package that declares its pipeline, API and samples."""
