"""The demo provider: a believable care provider seeded into a database, and the tour that
shows what golive would post for it. Not part of the domain: nothing in store/ imports it."""
