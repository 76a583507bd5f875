-- PayDesk schema, version 6: the database itself refuses what raw SQL could do to the books.
-- Core already refuses these (Transitions in core/domain/Domain.cpp, RefundService::approve
-- and checkApproval, AuditLog::record); the triggers are the second line for a writer who
-- goes past the program with the sqlite3 shell or psql. Change a transition table in
-- Domain.cpp and here together: tst_storage `databaseStatesFollowTheTransitionTables`
-- compares the two edge by edge. Lifting them needs DDL rights (DROP TRIGGER); the keyed
-- audit checkpoint (`paydeskctl audit checkpoint`) is what catches a writer who has those.
--  * audit_log: rows are never updated or deleted (nor truncated).
--  * orders, payment_attempts, refunds, anomalies: the state only moves along the tables;
--    money columns and identities never change; rows are never deleted.
--  * refunds: an APPROVED refund (written or inserted) names a reviewer who is not
--    its requester and is an active FINANCE user, or "auto" within the hard auto-approve
--    ceiling (Settings::kAutoApproveCapMinor = 100000).

-- ---- SQLite ----------------------------------------------------------------------------------
@sqlite CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: audit_log rows cannot be changed');
END;
@sqlite CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: audit_log rows cannot be deleted');
END;

@sqlite CREATE TRIGGER orders_guard BEFORE UPDATE ON orders
WHEN NEW.order_no IS NOT OLD.order_no OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.currency IS NOT OLD.currency
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
      'PENDING>PAID', 'PENDING>CLOSED', 'PAID>PARTIALLY_REFUNDED', 'PAID>REFUNDED', 'PARTIALLY_REFUNDED>REFUNDED'))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an order state moves only forward and its amount never changes');
END;
@sqlite CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: orders are never deleted');
END;

@sqlite CREATE TRIGGER attempts_guard BEFORE UPDATE ON payment_attempts
WHEN NEW.out_trade_no IS NOT OLD.out_trade_no OR NEW.order_id IS NOT OLD.order_id
  OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.currency IS NOT OLD.currency
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
      'CREATED>PAYING', 'CREATED>FAILED', 'CREATED>CLOSED', 'CREATED>SUCCEEDED', 'PAYING>SUCCEEDED',
      'PAYING>FAILED', 'PAYING>CLOSED', 'CLOSED>SUCCEEDED', 'FAILED>SUCCEEDED'))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a payment state moves only forward and its amount never changes');
END;
@sqlite CREATE TRIGGER attempts_no_delete BEFORE DELETE ON payment_attempts
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: payments are never deleted');
END;

@sqlite CREATE TRIGGER refunds_four_eyes_insert BEFORE INSERT ON refunds
WHEN NEW.state = 'APPROVED'
  AND (NEW.reviewed_by = '' OR NEW.reviewed_by = NEW.requested_by
       OR (NEW.reviewed_by = 'auto' AND NEW.amount_minor > 100000)
       OR (NEW.reviewed_by <> 'auto' AND NOT EXISTS (
           SELECT 1 FROM users u WHERE u.login = NEW.reviewed_by AND u.role = 'FINANCE' AND u.active = 1)))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an approved refund needs an active FINANCE reviewer who is not its requester');
END;
@sqlite CREATE TRIGGER refunds_guard BEFORE UPDATE ON refunds
WHEN NEW.out_refund_no IS NOT OLD.out_refund_no OR NEW.order_id IS NOT OLD.order_id OR NEW.attempt_id IS NOT OLD.attempt_id
  OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.currency IS NOT OLD.currency OR NEW.requested_by IS NOT OLD.requested_by
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
      'REQUESTED>APPROVED', 'REQUESTED>REJECTED', 'APPROVED>PROCESSING', 'APPROVED>SUCCEEDED', 'APPROVED>FAILED',
      'FAILED>APPROVED', 'PROCESSING>SUCCEEDED', 'PROCESSING>CLOSED', 'APPROVED>CLOSED'))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: a refund state moves only forward and its amount and requester never change');
END;
@sqlite CREATE TRIGGER refunds_four_eyes BEFORE UPDATE ON refunds
WHEN NEW.state = 'APPROVED' AND (OLD.state <> 'APPROVED' OR NEW.reviewed_by IS NOT OLD.reviewed_by)
  AND (NEW.reviewed_by = '' OR NEW.reviewed_by = NEW.requested_by
       OR (NEW.reviewed_by = 'auto' AND NEW.amount_minor > 100000)
       OR (NEW.reviewed_by <> 'auto' AND NOT EXISTS (
           SELECT 1 FROM users u WHERE u.login = NEW.reviewed_by AND u.role = 'FINANCE' AND u.active = 1)))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an approved refund needs an active FINANCE reviewer who is not its requester');
END;
@sqlite CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: refunds are never deleted');
END;

@sqlite CREATE TRIGGER anomalies_guard BEFORE UPDATE ON anomalies
WHEN NEW.kind IS NOT OLD.kind OR NEW.order_id IS NOT OLD.order_id
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ('OPEN>RESOLVED'))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an anomaly is only ever resolved');
END;
@sqlite CREATE TRIGGER anomalies_no_delete BEFORE DELETE ON anomalies
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: anomalies are never deleted');
END;

-- ---- PostgreSQL ------------------------------------------------------------------------------
@postgresql CREATE FUNCTION paydesk_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refused by the database: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
@postgresql CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER attempts_no_delete BEFORE DELETE ON payment_attempts FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER anomalies_no_delete BEFORE DELETE ON anomalies FOR EACH ROW EXECUTE FUNCTION paydesk_refuse();
@postgresql CREATE TRIGGER books_no_truncate BEFORE TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION paydesk_refuse();

@postgresql CREATE FUNCTION paydesk_orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.order_no IS DISTINCT FROM OLD.order_no OR NEW.amount_minor IS DISTINCT FROM OLD.amount_minor
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
           'PENDING>PAID', 'PENDING>CLOSED', 'PAID>PARTIALLY_REFUNDED', 'PAID>REFUNDED', 'PARTIALLY_REFUNDED>REFUNDED')) THEN
        RAISE EXCEPTION 'refused by the database: order % cannot go from % to % or change its amount', OLD.order_no, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER orders_guard BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION paydesk_orders_guard();

@postgresql CREATE FUNCTION paydesk_attempts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.out_trade_no IS DISTINCT FROM OLD.out_trade_no OR NEW.order_id IS DISTINCT FROM OLD.order_id
       OR NEW.amount_minor IS DISTINCT FROM OLD.amount_minor OR NEW.currency IS DISTINCT FROM OLD.currency
       OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
           'CREATED>PAYING', 'CREATED>FAILED', 'CREATED>CLOSED', 'CREATED>SUCCEEDED', 'PAYING>SUCCEEDED',
           'PAYING>FAILED', 'PAYING>CLOSED', 'CLOSED>SUCCEEDED', 'FAILED>SUCCEEDED')) THEN
        RAISE EXCEPTION 'refused by the database: payment % cannot go from % to % or change its amount', OLD.out_trade_no, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER attempts_guard BEFORE UPDATE ON payment_attempts FOR EACH ROW EXECUTE FUNCTION paydesk_attempts_guard();

@postgresql CREATE FUNCTION paydesk_refunds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.out_refund_no IS DISTINCT FROM OLD.out_refund_no OR NEW.order_id IS DISTINCT FROM OLD.order_id
       OR NEW.attempt_id IS DISTINCT FROM OLD.attempt_id OR NEW.amount_minor IS DISTINCT FROM OLD.amount_minor
       OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.requested_by IS DISTINCT FROM OLD.requested_by
       OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN (
           'REQUESTED>APPROVED', 'REQUESTED>REJECTED', 'APPROVED>PROCESSING', 'APPROVED>SUCCEEDED', 'APPROVED>FAILED',
           'FAILED>APPROVED', 'PROCESSING>SUCCEEDED', 'PROCESSING>CLOSED', 'APPROVED>CLOSED'))) THEN
        RAISE EXCEPTION 'refused by the database: refund % cannot go from % to % or change its amount or requester', OLD.out_refund_no, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = 'APPROVED' AND (TG_OP = 'INSERT' OR OLD.state <> 'APPROVED' OR NEW.reviewed_by IS DISTINCT FROM OLD.reviewed_by)
       AND (NEW.reviewed_by = '' OR NEW.reviewed_by = NEW.requested_by
            OR (NEW.reviewed_by = 'auto' AND NEW.amount_minor > 100000)
            OR (NEW.reviewed_by <> 'auto' AND NOT EXISTS (
                SELECT 1 FROM users u WHERE u.login = NEW.reviewed_by AND u.role = 'FINANCE' AND u.active = 1))) THEN
        RAISE EXCEPTION 'refused by the database: refund % needs an active FINANCE reviewer who is not its requester (reviewer "%")', OLD.out_refund_no, NEW.reviewed_by
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER refunds_guard BEFORE INSERT OR UPDATE ON refunds FOR EACH ROW EXECUTE FUNCTION paydesk_refunds_guard();

@postgresql CREATE FUNCTION paydesk_anomalies_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.order_id IS DISTINCT FROM OLD.order_id
       OR (NEW.state <> OLD.state AND NOT (OLD.state = 'OPEN' AND NEW.state = 'RESOLVED')) THEN
        RAISE EXCEPTION 'refused by the database: anomaly % is only ever resolved', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER anomalies_guard BEFORE UPDATE ON anomalies FOR EACH ROW EXECUTE FUNCTION paydesk_anomalies_guard();
