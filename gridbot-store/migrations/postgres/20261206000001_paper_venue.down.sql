DROP TABLE paper_venue_entries;
DROP TABLE paper_venues;
