-- PayDesk schema, version 13: shift and day closings (Z reports, issue 15). A clerk closes a
-- shift (the orders they took since their last close); finance closes a business day (all
-- orders, the day in Beijing time as the channels bills count it). Each closing keeps who
-- closed it, when, the window and the totals as they were; closings are never changed.
CREATE TABLE closings (
    id {{PK}},
    kind TEXT NOT NULL,                -- SHIFT or DAY
    login TEXT NOT NULL DEFAULT '',    -- SHIFT: whose orders
    business_date TEXT NOT NULL,       -- YYYY-MM-DD (Beijing)
    from_ms BIGINT NOT NULL,
    to_ms BIGINT NOT NULL,
    totals TEXT NOT NULL,              -- JSON, as shown on the report
    closed_by TEXT NOT NULL,
    closed_at BIGINT NOT NULL
);
CREATE INDEX closings_shift ON closings (kind, login, to_ms);
CREATE UNIQUE INDEX closings_one_day ON closings (business_date) WHERE kind = 'DAY';

@sqlite CREATE TRIGGER closings_no_update BEFORE UPDATE ON closings
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a closing is never changed');
END;
@sqlite CREATE TRIGGER closings_no_delete BEFORE DELETE ON closings
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a closing is never deleted');
END;
@postgresql CREATE TRIGGER closings_append_only BEFORE UPDATE OR DELETE ON closings FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
