"""Staff accounts, logins and bearer tokens (roles: nurse, doctor, admin)."""
