-- PayDesk schema, version 12: fix-ups with four eyes (issue 15). "Mark paid" records money
-- that reached the merchant without any answer the books could apply: a person names the
-- channel transaction id and says why; another FINANCE user approves it, after the channel
-- is asked once more (its verified answer decides when it can be reached). What an approval
-- does goes through the Reconciler like any channel answer; this table keeps who asked, who
-- approved, and what the channel said.
CREATE TABLE fixups (
    id {{PK}},
    kind TEXT NOT NULL,                 -- MARK_PAID
    order_id BIGINT NOT NULL REFERENCES orders (id),
    attempt_id BIGINT NOT NULL REFERENCES payment_attempts (id),
    channel_txn_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,                -- REQUESTED, APPLIED, REJECTED
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at BIGINT NOT NULL DEFAULT 0,
    review_note TEXT NOT NULL DEFAULT '',
    verification TEXT NOT NULL DEFAULT '' -- CONFIRMED (the channel verified answer) or UNREACHABLE
);
CREATE INDEX fixups_state ON fixups (state, requested_at);
-- One open fix-up per payment.
CREATE UNIQUE INDEX fixups_open_attempt ON fixups (attempt_id) WHERE state = 'REQUESTED';

-- ---- SQLite -----------------------------------------------------------------------------------
@sqlite CREATE TRIGGER fixups_guard BEFORE UPDATE ON fixups
WHEN NEW.kind IS NOT OLD.kind OR NEW.order_id IS NOT OLD.order_id OR NEW.attempt_id IS NOT OLD.attempt_id
  OR NEW.channel_txn_id IS NOT OLD.channel_txn_id OR NEW.amount_minor IS NOT OLD.amount_minor
  OR NEW.currency IS NOT OLD.currency OR NEW.requested_by IS NOT OLD.requested_by
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ('REQUESTED>APPLIED', 'REQUESTED>REJECTED'))
  OR (NEW.state = OLD.state AND OLD.state <> 'REQUESTED')
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a fix-up is decided once and its facts never change');
END;
@sqlite CREATE TRIGGER fixups_four_eyes BEFORE UPDATE ON fixups
WHEN NEW.state = 'APPLIED'
  AND (NEW.reviewed_by = '' OR NEW.reviewed_by = NEW.requested_by
       OR NOT EXISTS (SELECT 1 FROM users u WHERE u.login = NEW.reviewed_by AND u.role = 'FINANCE' AND u.active = 1))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a fix-up is applied only by an active FINANCE user who did not ask for it');
END;
@sqlite CREATE TRIGGER fixups_born_requested BEFORE INSERT ON fixups
WHEN NEW.state <> 'REQUESTED'
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a fix-up starts as a request');
END;
@sqlite CREATE TRIGGER fixups_no_delete BEFORE DELETE ON fixups
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: fix-ups are never deleted');
END;

-- ---- PostgreSQL -------------------------------------------------------------------------------
@postgresql CREATE FUNCTION paydesk_fixups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'REQUESTED' THEN
            RAISE EXCEPTION 'refused by the database: a fix-up starts as a request' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.order_id IS DISTINCT FROM OLD.order_id OR NEW.attempt_id IS DISTINCT FROM OLD.attempt_id
       OR NEW.channel_txn_id IS DISTINCT FROM OLD.channel_txn_id OR NEW.amount_minor IS DISTINCT FROM OLD.amount_minor
       OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.requested_by IS DISTINCT FROM OLD.requested_by
       OR (NEW.state <> OLD.state AND NOT (OLD.state = 'REQUESTED' AND NEW.state IN ('APPLIED', 'REJECTED')))
       OR (NEW.state = OLD.state AND OLD.state <> 'REQUESTED') THEN
        RAISE EXCEPTION 'refused by the database: fix-up % is decided once and its facts never change', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'APPLIED'
       AND (NEW.reviewed_by = '' OR NEW.reviewed_by = NEW.requested_by
            OR NOT EXISTS (SELECT 1 FROM users u WHERE u.login = NEW.reviewed_by AND u.role = 'FINANCE' AND u.active = 1)) THEN
        RAISE EXCEPTION 'refused by the database: fix-up % is applied only by an active FINANCE user who did not ask for it', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER fixups_guard BEFORE INSERT OR UPDATE ON fixups FOR EACH ROW EXECUTE FUNCTION paydesk_fixups_guard();
@postgresql CREATE TRIGGER fixups_no_delete BEFORE DELETE ON fixups FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
