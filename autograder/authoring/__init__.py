"""Turning the reference into what students and course tools receive."""
