"""Voucher selection: its pipeline on real and crafted files, its API and its sample generator."""
