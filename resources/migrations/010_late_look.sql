-- PayDesk schema, version 10: the late look at payments that "did not exist" (issue 12).
-- A payment the channel said it never saw (an Alipay code nobody had scanned) is finished in
-- the books (FAILED, last_error NOT_EXIST) with next_query_at = its expiry + 2 minutes: the
-- timer's LateLook queries it once more then, so money paid on a code that could still be
-- scanned is found before the next day's bill. This partial index keeps that look cheap in
-- books with millions of finished payments (OrderRepository::dueLateLooks / nextLateLookAt).
CREATE INDEX attempts_late_look ON payment_attempts (next_query_at) WHERE state IN ('CLOSED', 'FAILED') AND next_query_at > 0;
