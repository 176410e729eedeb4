"""The `petpro` admin CLI: the outermost layer."""
