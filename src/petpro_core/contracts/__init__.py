"""The published language: integration events every context may subscribe to.

Contexts import each other's events only from here, never each other's packages.
"""
