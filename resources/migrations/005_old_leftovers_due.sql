-- PayDesk schema, version 5: payments left open on finished orders by earlier versions fall due.
-- Since version 4's release the Reconciler makes an order's other open payments due for a query
-- in the same transaction that pays the order, and the timer closes them at their channel. Books
-- written before can hold such payments with nothing due (next_query_at = 0): a QR code of a
-- paid order that could still take money. Due at 1 (long past): the first timer to start after
-- the upgrade catches up on them.
UPDATE payment_attempts SET next_query_at = 1
 WHERE state IN ('CREATED', 'PAYING') AND next_query_at = 0
   AND order_id IN (SELECT id FROM orders WHERE state <> 'PENDING');
