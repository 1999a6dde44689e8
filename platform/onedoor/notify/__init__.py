"""In-app notifications: which audit codes tell whom (rules.py), and the pages that show them."""
