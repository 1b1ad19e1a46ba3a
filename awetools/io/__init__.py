"""Readers and writers for every file awetools consumes or produces."""
