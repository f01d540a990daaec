"""Privacy by design: the one list of personal fields, keyed pseudonymisation and anonymisation.

Pure: no web framework, database or HTTP client here. ``personal`` says which fields of the
records are personal data and why; ``pseudonymise`` turns records into pseudonymised or
anonymised copies. The store's retention and exports (clearway.store.privacy_sql) use both.
"""
