-- PayDesk schema, version 3: indexes for the GUI's windowed orders table and finance charts.
-- Every sortable column of the orders table gets an index (the table asks for a page of 200
-- rows by LIMIT/OFFSET in SQL, which only stays fast when the ORDER BY walks an index), and
-- the same per state, because "pending by amount" or "closed by title" is the usual view.
CREATE INDEX orders_amount ON orders (amount_minor);
CREATE INDEX orders_title ON orders (title);
CREATE INDEX orders_buyer ON orders (buyer);
CREATE INDEX orders_expires ON orders (expires_at);
CREATE INDEX orders_state ON orders (state);
CREATE INDEX orders_state_amount ON orders (state, amount_minor);
CREATE INDEX orders_state_title ON orders (state, title);
CREATE INDEX orders_state_buyer ON orders (state, buyer);
CREATE INDEX orders_state_no ON orders (state, order_no);
-- Counting "paid through WeChat Pay" (and within dates) without visiting the rows.
CREATE INDEX orders_state_channel_created ON orders (state, channel, created_at);
-- Finance: daily money received and the channel split read only this index.
CREATE INDEX attempts_state_paid ON payment_attempts (state, paid_at, amount_minor, channel);
-- Finance: orders by state over a date range, from the index alone.
CREATE INDEX orders_created_state_amount ON orders (created_at, state, amount_minor);
