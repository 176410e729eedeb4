"""Auth domain model: users, pets, refresh sessions and the rules that govern them."""
