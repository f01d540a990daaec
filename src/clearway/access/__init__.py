"""Who may do what: operators and their credentials, people and their roles. Pure domain code."""
