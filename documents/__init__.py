"""The files golive gives an inspector (the XLSX workbook, the CSV tables, the evidence pack as
HTML and PDF), written from the store's facts for whichever face asked: Slack uploads them,
Teams serves them behind an expiring link, the command line writes them to a folder."""
