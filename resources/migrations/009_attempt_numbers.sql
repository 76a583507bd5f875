-- PayDesk schema, version 9: payment numbers valid on every channel (issue 17).
-- Attempts were numbered "<order_no>-NN"; Alipay documents out_trade_no as letters, digits and
-- underscore only (at most 64), so new attempts are numbered "<order_no>_NN" (Ids::outTradeNo).
--
-- Existing numbers are NOT rewritten: each is the name the channel knows the payment by (a
-- query, a close, a refund and the daily bill all use it), and 006 guards it as the payment's
-- identity. They stay as they are and are read alike (Ids::orderNoOf / attemptIndexOf parse
-- both "_NN" and "-NN"; lookups are by the exact number).
--
-- What this migration adds: the database refuses a new Alipay payment whose number is outside
-- Alipay's alphabet, so a writer that still makes "-NN" numbers (an old seat on a shared
-- PostgreSQL, a script) fails here, not at the gateway. Rows already written are untouched:
-- the check is on INSERT only.

-- ---- SQLite ----------------------------------------------------------------------------------
@sqlite CREATE TRIGGER attempts_alipay_number BEFORE INSERT ON payment_attempts
WHEN NEW.channel = 'alipay'
  AND (length(NEW.out_trade_no) NOT BETWEEN 1 AND 64 OR NEW.out_trade_no GLOB '*[^A-Za-z0-9_]*')
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an Alipay out_trade_no is 1 to 64 letters, digits or underscores');
END;

-- ---- PostgreSQL ------------------------------------------------------------------------------
@postgresql CREATE FUNCTION paydesk_attempts_alipay_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.channel = 'alipay' AND NEW.out_trade_no !~ '^[A-Za-z0-9_]{1,64}$' THEN
        RAISE EXCEPTION 'refused by the database: an Alipay out_trade_no is 1 to 64 letters, digits or underscores (not %)', NEW.out_trade_no
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
@postgresql CREATE TRIGGER attempts_alipay_number BEFORE INSERT ON payment_attempts FOR EACH ROW EXECUTE FUNCTION paydesk_attempts_alipay_number();
