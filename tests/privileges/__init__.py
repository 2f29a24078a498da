"""The privilege tables: who may not do what, on every surface (admin, API, login).

Each row names a person, what they try, and the refusal they meet; after each table, a
few controls show that the same people can still do what their role is for. One folder
across the packages, since each table spans the admin, the API and the pages of all of
them.
"""
