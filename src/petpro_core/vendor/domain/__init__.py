"""The vendor context's domain: vendors, the product and supply catalogues, purchase orders
and the inventory status read model."""
