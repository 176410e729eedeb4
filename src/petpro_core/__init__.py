"""PetPro's pure core: domain and application layers of every bounded context.

Imports only the standard library. Adapters implement the ports declared here; runtimes
compose them.
"""
