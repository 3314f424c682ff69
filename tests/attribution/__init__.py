"""Tests of the revenue change attribution domain."""
