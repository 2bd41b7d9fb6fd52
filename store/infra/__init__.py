"""The store's machinery: the engine and sessions, migrations, column types, bulk inserts,
the wall clock, request keys and the errors every rule raises. Nothing here knows a record's
rules."""
