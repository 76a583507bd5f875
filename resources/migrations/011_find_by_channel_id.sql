-- PayDesk schema, version 11: one search box for any id (issue 15). A clerk pastes the channel's
-- transaction id or refund id from a customer's phone or a bill; out_trade_no and out_refund_no
-- are unique (indexed) already, these partial indexes make the channel's ids one probe too
-- (OrderRepository::orderIdOfAnyId). Rows without a channel id yet ('') are left out.
CREATE INDEX attempts_channel_txn ON payment_attempts (channel_txn_id) WHERE channel_txn_id <> '';
CREATE INDEX refunds_channel_refund ON refunds (channel_refund_id) WHERE channel_refund_id <> '';
