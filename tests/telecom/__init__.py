"""Network KPIs: the pipeline on real and crafted landing folders, its checks, API and sample generator."""
