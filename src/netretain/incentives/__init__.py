"""Offers and loyalty: offer rules as data, campaigns measured against a holdout, rewards."""
