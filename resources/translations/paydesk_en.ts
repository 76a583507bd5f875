<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>ActionPolicy</name>
    <message>
        <source>Taking payments is a counter action for CLERK or ADMIN users.</source>
        <translation>Taking payments is a counter action for CLERK or ADMIN users.</translation>
    </message>
    <message>
        <source>Only a FINANCE user can review refunds.</source>
        <translation>Only a FINANCE user can review refunds.</translation>
    </message>
    <message>
        <source>Only FINANCE or ADMIN users can resolve anomalies.</source>
        <translation>Only FINANCE or ADMIN users can resolve anomalies.</translation>
    </message>
    <message>
        <source>Only an ADMIN can change settings.</source>
        <translation>Only an ADMIN can change settings.</translation>
    </message>
    <message>
        <source>Select an order first.</source>
        <translation>Select an order first.</translation>
    </message>
    <message>
        <source>Repay is a counter action for CLERK or ADMIN users.</source>
        <translation>Repay is a counter action for CLERK or ADMIN users.</translation>
    </message>
    <message>
        <source>Only a pending order can be paid again; this one is %1.</source>
        <translation>Only a pending order can be paid again; this one is %1.</translation>
    </message>
    <message>
        <source>A free order needs no payment.</source>
        <translation>A free order needs no payment.</translation>
    </message>
    <message>
        <source>The order&apos;s time is up; it is being closed.</source>
        <translation>The order&apos;s time is up; it is being closed.</translation>
    </message>
    <message>
        <source>Closing an order is a counter action for CLERK or ADMIN users.</source>
        <translation>Closing an order is a counter action for CLERK or ADMIN users.</translation>
    </message>
    <message>
        <source>Only a pending order can be closed; this one is %1.</source>
        <translation>Only a pending order can be closed; this one is %1.</translation>
    </message>
    <message>
        <source>Refunds are requested by CLERK or FINANCE users.</source>
        <translation>Refunds are requested by CLERK or FINANCE users.</translation>
    </message>
    <message>
        <source>Only a paid order can be refunded; this one is %1.</source>
        <translation>Only a paid order can be refunded; this one is %1.</translation>
    </message>
    <message>
        <source>Nothing is left to refund on this order.</source>
        <translation>Nothing is left to refund on this order.</translation>
    </message>
    <message>
        <source>Only FINANCE or ADMIN users can reconcile the channels&apos; bills.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A receipt is for a paid order; this one is %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marking an order paid is asked for by CLERK or FINANCE users.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only an unpaid order can be marked paid; this one is %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AnomalyRepository</name>
    <message>
        <source>There is no anomaly %1.</source>
        <translation>There is no anomaly %1.</translation>
    </message>
    <message>
        <source>The anomaly was already resolved.</source>
        <translation>The anomaly was already resolved.</translation>
    </message>
</context>
<context>
    <name>AttemptCloser</name>
    <message>
        <source>The %1 channel is not configured.</source>
        <translation>The %1 channel is not configured.</translation>
    </message>
</context>
<context>
    <name>AuditCheckpoint</name>
    <message>
        <source>This is not an audit checkpoint file: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>format is not %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seq is not an entry number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>made_at is not a time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hash is not a SHA-256 hex digest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>key_id or mac is missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audit checkpoint key in %1 is not 32 bytes; it was not written by PayDesk.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no audit checkpoint key in %1: checkpoints are verified on the machine (or with the secret file) that made them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audit chain is broken at entry %1 (%2); no checkpoint is made over it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The checkpoint was signed with another key (%1, this machine has %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The checkpoint&apos;s signature does not match its contents: the file was edited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the log ends at entry %1 but the checkpoint of %2 vouches for %3 entries (entries were removed and the chain rebuilt)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>entry %1 is not the entry the checkpoint vouches for: entries up to it were rewritten and their hashes recomputed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditLog</name>
    <message>
        <source>The audit log has no head row; the database is damaged.</source>
        <translation>The audit log has no head row; the database is damaged.</translation>
    </message>
    <message>
        <source>entry %1 is missing (the next one is %2)</source>
        <translation>entry %1 is missing (the next one is %2)</translation>
    </message>
    <message>
        <source>its details are not the canonical JSON that was hashed</source>
        <translation>its details are not the canonical JSON that was hashed</translation>
    </message>
    <message>
        <source>it does not follow the entry before it (previous hash differs)</source>
        <translation>it does not follow the entry before it (previous hash differs)</translation>
    </message>
    <message>
        <source>its contents do not match its hash (the row was edited)</source>
        <translation>its contents do not match its hash (the row was edited)</translation>
    </message>
    <message>
        <source>the chain head is missing</source>
        <translation>the chain head is missing</translation>
    </message>
    <message>
        <source>the log ends at entry %1 but the chain head says %2 (entries were removed)</source>
        <translation>the log ends at entry %1 but the chain head says %2 (entries were removed)</translation>
    </message>
</context>
<context>
    <name>BillAmount</name>
    <message>
        <source>&quot;%1&quot; is not a bill amount: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>use digits with an optional decimal point, like 12.30.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it has a fraction of a minor unit (at most %1 decimal places).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it is too large.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BillParser</name>
    <message>
        <source>The bill is refused: line %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill is refused: line %1, column %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill is refused: its summary states %1 %2, but its lines add up to %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a time like 2026-12-02 09:15:00.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The simulated channel writes its bills in WeChat Pay&apos;s or Alipay&apos;s format; name one of those channels.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the file is not UTF-8 text.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>there is no column header line.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the column header line has no such column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 fields where the header has %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a refund line needs its refund number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a refund line needs a refund amount above zero.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a trade state of a bill (SUCCESS, REFUND, REVOKED).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the summary (总交易单数 ...) is missing; the file may be cut short.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the summary line after its header is missing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 fields where the summary header has %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nothing may follow the summary line.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the number of lines is missing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the summary has no such column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill is refused: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill is refused: the archive holds two files ending in _业务明细.csv.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill is refused: the archive holds no file ending in _业务明细.csv.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the file is not GBK text.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a detail line after the totals.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a payment cannot be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a refund is written as a negative amount.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a business type this bill may hold (交易, 退款).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the footer #交易合计 is missing; the file may be cut short.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the footer #退款合计 is missing; the file may be cut short.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 lines</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChannelProfile</name>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>Cannot read %1: %2</translation>
    </message>
    <message>
        <source>The gateway URL &quot;%1&quot; is not an absolute http(s) URL.</source>
        <translation>The gateway URL &quot;%1&quot; is not an absolute http(s) URL.</translation>
    </message>
    <message>
        <source>Refusing plain http to %1: only https is allowed, except for a loopback sandbox (127.0.0.0/8, ::1, localhost).</source>
        <translation>Refusing plain http to %1: only https is allowed, except for a loopback sandbox (127.0.0.0/8, ::1, localhost).</translation>
    </message>
    <message>
        <source>The gateway URL must be https (got &quot;%1&quot;).</source>
        <translation>The gateway URL must be https (got &quot;%1&quot;).</translation>
    </message>
    <message>
        <source>Unknown key &quot;%1&quot; in the channel profile.</source>
        <translation>Unknown key &quot;%1&quot; in the channel profile.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a string.</source>
        <translation>&quot;%1&quot; must be a string.</translation>
    </message>
    <message>
        <source>&quot;channel&quot; must be &quot;wechat&quot; or &quot;alipay&quot; (got &quot;%1&quot;).</source>
        <translation>&quot;channel&quot; must be &quot;wechat&quot; or &quot;alipay&quot; (got &quot;%1&quot;).</translation>
    </message>
    <message>
        <source>&quot;platform_certificates&quot; must be a list of PEM texts.</source>
        <translation>&quot;platform_certificates&quot; must be a list of PEM texts.</translation>
    </message>
    <message>
        <source>%1 is not a JSON object: %2</source>
        <translation>%1 is not a JSON object: %2</translation>
    </message>
    <message>
        <source>A profile is for WeChat Pay or Alipay.</source>
        <translation>A profile is for WeChat Pay or Alipay.</translation>
    </message>
    <message>
        <source>The profile has no app_id.</source>
        <translation>The profile has no app_id.</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs merchant_id (mchid).</source>
        <translation>A WeChat Pay profile needs merchant_id (mchid).</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs merchant_serial (the merchant API certificate serial).</source>
        <translation>A WeChat Pay profile needs merchant_serial (the merchant API certificate serial).</translation>
    </message>
    <message>
        <source>notify_url &quot;%1&quot; is not an absolute http(s) URL.</source>
        <translation>notify_url &quot;%1&quot; is not an absolute http(s) URL.</translation>
    </message>
    <message>
        <source>The profile has no private_key.</source>
        <translation>The profile has no private_key.</translation>
    </message>
    <message>
        <source>private_key: %1</source>
        <translation>private_key: %1</translation>
    </message>
    <message>
        <source>api_v3_key must be exactly 32 bytes (it has %1).</source>
        <translation>api_v3_key must be exactly 32 bytes (it has %1).</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs platform_public_key with platform_public_key_id, or platform_certificates, to verify WeChat Pay&apos;s answers.</source>
        <translation>A WeChat Pay profile needs platform_public_key with platform_public_key_id, or platform_certificates, to verify WeChat Pay&apos;s answers.</translation>
    </message>
    <message>
        <source>platform_public_key needs its platform_public_key_id (PUB_KEY_ID_...).</source>
        <translation>platform_public_key needs its platform_public_key_id (PUB_KEY_ID_...).</translation>
    </message>
    <message>
        <source>platform_certificates: %1</source>
        <translation>platform_certificates: %1</translation>
    </message>
    <message>
        <source>An Alipay profile needs platform_public_key (the Alipay public key).</source>
        <translation>An Alipay profile needs platform_public_key (the Alipay public key).</translation>
    </message>
    <message>
        <source>platform_public_key: %1</source>
        <translation>platform_public_key: %1</translation>
    </message>
    <message>
        <source>Refusing plain http to %1: a loopback gateway may use http only in a sandbox profile (&quot;sandbox&quot;: true); use https.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;sandbox&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChannelProfileStore</name>
    <message>
        <source>No %1 channel is configured: add one with paydeskctl channel add %1 --profile FILE.</source>
        <translation>No %1 channel is configured: add one with paydeskctl channel add %1 --profile FILE.</translation>
    </message>
    <message>
        <source>The secrets of the %1 profile are in the %2 store, but this run uses the %3 store (%4). Run with the same secret store, or add the profile again.</source>
        <translation>The secrets of the %1 profile are in the %2 store, but this run uses the %3 store (%4). Run with the same secret store, or add the profile again.</translation>
    </message>
    <message>
        <source>No %1 channel is configured.</source>
        <translation>No %1 channel is configured.</translation>
    </message>
    <message>
        <source>The simulated channel has no profile.</source>
        <translation>The simulated channel has no profile.</translation>
    </message>
    <message>
        <source>%1 channel: %2</source>
        <translation>%1 channel: %2</translation>
    </message>
    <message>
        <source>Only an active administrator can change payment channel profiles; &quot;%1&quot; is not one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 profile has no seal in the secret store (it was stored by an older PayDesk, or written past PayDesk), so it is not used. An ADMIN must add it again: paydeskctl channel add %1 --profile FILE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stored %1 profile does not match the one an ADMIN saved: its gateway, ids or platform keys were changed past PayDesk. It is not used; an ADMIN must add it again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChannelSetup</name>
    <message>
        <source>%1 (simulated)</source>
        <translation>%1 (simulated)</translation>
    </message>
    <message>
        <source>The payment channels&apos; secrets cannot be read: %1</source>
        <translation>The payment channels&apos; secrets cannot be read: %1</translation>
    </message>
</context>
<context>
    <name>ClosingRepository</name>
    <message>
        <source>%1 is closed already.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ClosingService</name>
    <message>
        <source>A shift is closed by counter staff (CLERK or ADMIN); %1 is %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A day is closed by FINANCE or ADMIN users; %1 is %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the day as YYYY-MM-DD.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was closed already, by %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not over yet; close it once the day has ended.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Database</name>
    <message>
        <source>&quot;%1&quot; is not a PostgreSQL URL; use postgresql://user:password@host:port/database.</source>
        <translation>&quot;%1&quot; is not a PostgreSQL URL; use postgresql://user:password@host:port/database.</translation>
    </message>
    <message>
        <source>Unknown database URL &quot;%1&quot;: use sqlite:/path/file.db or postgresql://user@host/db.</source>
        <translation>Unknown database URL &quot;%1&quot;: use sqlite:/path/file.db or postgresql://user@host/db.</translation>
    </message>
    <message>
        <source>The SQLite URL has no file path.</source>
        <translation>The SQLite URL has no file path.</translation>
    </message>
    <message>
        <source>Cannot create the folder %1.</source>
        <translation>Cannot create the folder %1.</translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation>Cannot open the database %1: %2</translation>
    </message>
    <message>
        <source>Migration %1 is missing from the program.</source>
        <translation>Migration %1 is missing from the program.</translation>
    </message>
    <message>
        <source>migration %1</source>
        <translation>migration %1</translation>
    </message>
    <message>
        <source>Cannot create the database file %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DateRange</name>
    <message>
        <source>Any time</source>
        <translation>Any time</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Today</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Last 7 days</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Last 30 days</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>This month</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>Custom…</translation>
    </message>
</context>
<context>
    <name>DemoDriver</name>
    <message>
        <source>Pearl milk tea</source>
        <translation>Pearl milk tea</translation>
    </message>
    <message>
        <source>Americano</source>
        <translation>Americano</translation>
    </message>
    <message>
        <source>Caffe latte</source>
        <translation>Caffe latte</translation>
    </message>
    <message>
        <source>Soup dumplings</source>
        <translation>Soup dumplings</translation>
    </message>
    <message>
        <source>Beef noodle soup</source>
        <translation>Beef noodle soup</translation>
    </message>
    <message>
        <source>Matcha cake</source>
        <translation>Matcha cake</translation>
    </message>
    <message>
        <source>Phone case</source>
        <translation>Phone case</translation>
    </message>
    <message>
        <source>Thermos flask</source>
        <translation>Thermos flask</translation>
    </message>
    <message>
        <source>Flower bouquet</source>
        <translation>Flower bouquet</translation>
    </message>
    <message>
        <source>Parking fee</source>
        <translation>Parking fee</translation>
    </message>
</context>
<context>
    <name>DemoSeeder</name>
    <message>
        <source>The demo can seed between 0 and 5,000,000 orders.</source>
        <translation>The demo can seed between 0 and 5,000,000 orders.</translation>
    </message>
    <message>
        <source>The demo history spans 1 to 3650 days.</source>
        <translation>The demo history spans 1 to 3650 days.</translation>
    </message>
    <message>
        <source>This database has real users; demo data goes only into a new or demo database.</source>
        <translation>This database has real users; demo data goes only into a new or demo database.</translation>
    </message>
    <message>
        <source>The database already has %1 orders; seed demo data into an empty one.</source>
        <translation>The database already has %1 orders; seed demo data into an empty one.</translation>
    </message>
    <message>
        <source>The counter simulator is only part of a demo database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counter simulator</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Duration</name>
    <message>
        <source>&quot;%1&quot; is not a duration: use a whole number with ms, s, m, h or d, like 30m.</source>
        <translation>&quot;%1&quot; is not a duration: use a whole number with ms, s, m, h or d, like 30m.</translation>
    </message>
    <message>
        <source>%1d %2h</source>
        <translation>%1d %2h</translation>
    </message>
    <message numerus="yes">
        <source>%n s</source>
        <translation>
            <numerusform>%n s</numerusform>
            <numerusform>%n s</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
</context>
<context>
    <name>EncryptedFileSecretStore</name>
    <message>
        <source>The encrypted secrets file needs a passphrase in PAYDESK_SECRET_PASSPHRASE.</source>
        <translation>The encrypted secrets file needs a passphrase in PAYDESK_SECRET_PASSPHRASE.</translation>
    </message>
    <message>
        <source>No secrets file: set PAYDESK_SECRET_FILE.</source>
        <translation>No secrets file: set PAYDESK_SECRET_FILE.</translation>
    </message>
    <message>
        <source>Cannot read the secrets file %1: %2</source>
        <translation>Cannot read the secrets file %1: %2</translation>
    </message>
    <message>
        <source>%1 is not a PayDesk secrets file.</source>
        <translation>%1 is not a PayDesk secrets file.</translation>
    </message>
    <message>
        <source>Cannot open the secrets file %1: the passphrase (PAYDESK_SECRET_PASSPHRASE) is wrong or the file was altered.</source>
        <translation>Cannot open the secrets file %1: the passphrase (PAYDESK_SECRET_PASSPHRASE) is wrong or the file was altered.</translation>
    </message>
    <message>
        <source>Cannot write the secrets file %1: %2</source>
        <translation>Cannot write the secrets file %1: %2</translation>
    </message>
    <message>
        <source>No secret %1: %2 does not exist.</source>
        <translation>No secret %1: %2 does not exist.</translation>
    </message>
    <message>
        <source>No secret %1 in %2.</source>
        <translation>No secret %1 in %2.</translation>
    </message>
    <message>
        <source>%1 has unusable key-derivation parameters (scrypt N=%2, r=%3, p=%4; PayDesk accepts N a power of two from 1024 to %5, r up to %6, p up to %7, at most %8 MiB of memory). The file may have been altered.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FinanceStats</name>
    <message>
        <source>Choose a range whose end is not before its start.</source>
        <translation>Choose a range whose end is not before its start.</translation>
    </message>
    <message>
        <source>Choose a range of at most three years.</source>
        <translation>Choose a range of at most three years.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Cannot write %1: %2</translation>
    </message>
</context>
<context>
    <name>FixupRepository</name>
    <message>
        <source>Payment %1 already has a fix-up waiting for review.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no fix-up %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A fix-up is decided as applied or rejected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-up %1 was decided by someone else first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KeychainSecretStore</name>
    <message>
        <source>PAYDESK_SECRET_STORE must be &quot;keychain&quot; or &quot;file&quot; (got &quot;%1&quot;).</source>
        <translation>PAYDESK_SECRET_STORE must be &quot;keychain&quot; or &quot;file&quot; (got &quot;%1&quot;).</translation>
    </message>
    <message>
        <source>No OS keychain answers here. Set PAYDESK_SECRET_PASSPHRASE to keep the channel secrets in an encrypted file instead (%1).</source>
        <translation>No OS keychain answers here. Set PAYDESK_SECRET_PASSPHRASE to keep the channel secrets in an encrypted file instead (%1).</translation>
    </message>
    <message>
        <source>No secret %1 in the keychain.</source>
        <translation>No secret %1 in the keychain.</translation>
    </message>
    <message>
        <source>The keychain refused access to %1: %2</source>
        <translation>The keychain refused access to %1: %2</translation>
    </message>
    <message>
        <source>OS keychain (service %1)</source>
        <translation>OS keychain (service %1)</translation>
    </message>
    <message>
        <source>The keychain did not answer in time.</source>
        <translation>The keychain did not answer in time.</translation>
    </message>
    <message>
        <source>The keychain failed on %1: %2. Where no keychain runs, set PAYDESK_SECRET_PASSPHRASE to keep the secrets in an encrypted file.</source>
        <translation>The keychain failed on %1: %2. Where no keychain runs, set PAYDESK_SECRET_PASSPHRASE to keep the secrets in an encrypted file.</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Pending</source>
        <translation>Pending</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Partly refunded</source>
        <translation>Partly refunded</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Closed</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Waiting for payment</source>
        <translation>Waiting for payment</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Failed</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>Requested</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>Approved</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>Processing</source>
        <translation>Processing</translation>
    </message>
    <message>
        <source>Paid after close</source>
        <translation>Paid after close</translation>
    </message>
    <message>
        <source>Duplicate payment</source>
        <translation>Duplicate payment</translation>
    </message>
    <message>
        <source>Amount mismatch</source>
        <translation>Amount mismatch</translation>
    </message>
    <message>
        <source>Refund abnormal</source>
        <translation>Refund abnormal</translation>
    </message>
    <message>
        <source>Refund closed by channel</source>
        <translation>Refund closed by channel</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Resolved</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>Clerk</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>Finance</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation>Simulator</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>WeChat Pay</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>Alipay</translation>
    </message>
    <message>
        <source>time ran out</source>
        <translation>time ran out</translation>
    </message>
    <message>
        <source>closed by hand</source>
        <translation>closed by hand</translation>
    </message>
    <message>
        <source>just now</source>
        <translation>just now</translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n min ago</numerusform>
            <numerusform>%n min ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation>
            <numerusform>%n h ago</numerusform>
            <numerusform>%n h ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n d ago</source>
        <translation>
            <numerusform>%n d ago</numerusform>
            <numerusform>%n d ago</numerusform>
        </translation>
    </message>
    <message>
        <source>Order created</source>
        <translation>Order created</translation>
    </message>
    <message>
        <source>Order refused</source>
        <translation>Order refused</translation>
    </message>
    <message>
        <source>Payment re-issued</source>
        <translation>Payment re-issued</translation>
    </message>
    <message>
        <source>Repay refused</source>
        <translation>Repay refused</translation>
    </message>
    <message>
        <source>Order closed</source>
        <translation>Order closed</translation>
    </message>
    <message>
        <source>Close refused</source>
        <translation>Close refused</translation>
    </message>
    <message>
        <source>Order paid</source>
        <translation>Order paid</translation>
    </message>
    <message>
        <source>Payment issued</source>
        <translation>Payment issued</translation>
    </message>
    <message>
        <source>Payment could not be issued</source>
        <translation>Payment could not be issued</translation>
    </message>
    <message>
        <source>Payment closed</source>
        <translation>Payment closed</translation>
    </message>
    <message>
        <source>Payment failed</source>
        <translation>Payment failed</translation>
    </message>
    <message>
        <source>Late payment</source>
        <translation>Late payment</translation>
    </message>
    <message>
        <source>Refund requested</source>
        <translation>Refund requested</translation>
    </message>
    <message>
        <source>Refund refused</source>
        <translation>Refund refused</translation>
    </message>
    <message>
        <source>Refund approved automatically</source>
        <translation>Refund approved automatically</translation>
    </message>
    <message>
        <source>Refund approved</source>
        <translation>Refund approved</translation>
    </message>
    <message>
        <source>Refund rejected</source>
        <translation>Refund rejected</translation>
    </message>
    <message>
        <source>Refund sent</source>
        <translation>Refund sent</translation>
    </message>
    <message>
        <source>Refund completed</source>
        <translation>Refund completed</translation>
    </message>
    <message>
        <source>Refund failed</source>
        <translation>Refund failed</translation>
    </message>
    <message>
        <source>Refund closed</source>
        <translation>Refund closed</translation>
    </message>
    <message>
        <source>Anomaly opened</source>
        <translation>Anomaly opened</translation>
    </message>
    <message>
        <source>Anomaly resolved</source>
        <translation>Anomaly resolved</translation>
    </message>
    <message>
        <source>Anomaly resolution refused</source>
        <translation>Anomaly resolution refused</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>Signed in</translation>
    </message>
    <message>
        <source>Sign-in failed</source>
        <translation>Sign-in failed</translation>
    </message>
    <message>
        <source>Sign-in slowed down</source>
        <translation>Sign-in slowed down</translation>
    </message>
    <message>
        <source>User added</source>
        <translation>User added</translation>
    </message>
    <message>
        <source>User enabled</source>
        <translation>User enabled</translation>
    </message>
    <message>
        <source>User disabled</source>
        <translation>User disabled</translation>
    </message>
    <message>
        <source>Password changed</source>
        <translation>Password changed</translation>
    </message>
    <message>
        <source>Channel configured</source>
        <translation>Channel configured</translation>
    </message>
    <message>
        <source>Channel removed</source>
        <translation>Channel removed</translation>
    </message>
    <message>
        <source>Channel profile changed</source>
        <translation>Channel profile changed</translation>
    </message>
    <message>
        <source>Channel change refused</source>
        <translation>Channel change refused</translation>
    </message>
    <message>
        <source>Channel profile not trusted</source>
        <translation>Channel profile not trusted</translation>
    </message>
    <message>
        <source>Demo data created</source>
        <translation>Demo data created</translation>
    </message>
    <message>
        <source>Refund unconfirmed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differs from the channel&apos;s bill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation type="unfinished">PayDesk</translation>
    </message>
    <message>
        <source>Timer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-approval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Setup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel notification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counter simulator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>abnormal at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the channel named another amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown to the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payment failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>revoked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>processing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a new order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>order %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payment %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>anomaly %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>setting %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the %1 channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the %1 bill of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} created order {order} of {amount} ({title})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused a new order of {amount}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} re-issued order {order} as payment {payment} on {channel}, valid until {expires}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused a repay of order {order}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} closed order {order} ({reason})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused closing order {order}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded order {order} as paid (payment {payment})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} issued payment {payment} on {channel}, valid until {expires}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment {payment} could not be issued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} closed payment {payment} at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded payment {payment} as failed at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded payment {payment} arriving late for {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who}: the channel named {stated_amount} for payment {payment}, which was for {expected_amount}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} requested refund {refund} of {amount} on order {order}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused a refund of {amount} on {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} approved refund {refund} (within the limit of {threshold})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} approved refund {refund} of {amount}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused approving refund {refund}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} rejected refund {refund} of {amount}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused rejecting refund {refund}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} sent refund {refund} of {amount} again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused retrying refund {refund}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} sent refund {refund} to the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as paid out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as refused by the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as closed by the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as abnormal at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} got no verifiable answer about refund {refund}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who}: the channel named {stated_amount} for refund {refund}, which was for {expected_amount}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} opened an anomaly ({kind}) for {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} resolved {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused resolving {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} signed in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-in failed for {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-ins for {object} slowed down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who}&apos;s session was locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} signed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} added {object} ({role})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} enabled {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} disabled {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} changed the password of {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} made {object} {role}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} changed {object} from {before} to {after}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused changing {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} reconciled {object}: {matched} matched, {differences} differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} found no bill for {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} created the demo&apos;s history ({orders} orders)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who}: %1 ({object})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(unset)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: “%2”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished">%1 (%2)</translation>
    </message>
    <message>
        <source>Payment amount differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approval refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rejection refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund sent again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund amount differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bill reconciled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No bill from the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Session locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Role changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Setting changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Setting change refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Notification refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel answer refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refunded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid asked for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid approved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid approval refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid rejected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid rejection refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} asked to mark payment {payment} of order {order} paid with transaction {txn} ({amount}): {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused marking an order paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} approved marking order {order} paid with transaction {txn}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused approving {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} rejected marking order {order} paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} was refused rejecting {object}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift close refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Day closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Day close refused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} closed their shift: paid {paid}, refunded {refunded}, net {net}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{who} closed the day {date}: paid {paid}, refunded {refunded}, net {net}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>The amount cannot be negative.</source>
        <translation>The amount cannot be negative.</translation>
    </message>
    <message>
        <source>A refund must be at least %1.</source>
        <translation>A refund must be at least %1.</translation>
    </message>
    <message>
        <source>A payment must be at least %1; zero is only allowed as an order total.</source>
        <translation>A payment must be at least %1; zero is only allowed as an order total.</translation>
    </message>
    <message>
        <source>The amount is above the channel maximum of %1 %2.</source>
        <translation>The amount is above the channel maximum of %1 %2.</translation>
    </message>
    <message>
        <source>Enter an amount.</source>
        <translation>Enter an amount.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an amount: use digits and at most one decimal point, like 12.30.</source>
        <translation>&quot;%1&quot; is not an amount: use digits and at most one decimal point, like 12.30.</translation>
    </message>
    <message>
        <source>%1 amounts have no decimals.</source>
        <translation>%1 amounts have no decimals.</translation>
    </message>
    <message>
        <source>%1 amounts have at most %2 decimal places.</source>
        <translation>%1 amounts have at most %2 decimal places.</translation>
    </message>
</context>
<context>
    <name>NoSecretStore</name>
    <message>
        <source>No secret store is open here.</source>
        <translation>No secret store is open here.</translation>
    </message>
</context>
<context>
    <name>OrderExport</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Cannot write %1: %2</translation>
    </message>
    <message>
        <source>The export was cancelled; no file was written.</source>
        <translation>The export was cancelled; no file was written.</translation>
    </message>
</context>
<context>
    <name>OrderRepository</name>
    <message>
        <source>There is no order %1.</source>
        <translation>There is no order %1.</translation>
    </message>
    <message>
        <source>There is no order with id %1.</source>
        <translation>There is no order with id %1.</translation>
    </message>
    <message>
        <source>There is no payment %1.</source>
        <translation>There is no payment %1.</translation>
    </message>
    <message>
        <source>The order is no longer %1: someone else changed it first.</source>
        <translation>The order is no longer %1: someone else changed it first.</translation>
    </message>
    <message>
        <source>The payment is no longer %1: someone else changed it first.</source>
        <translation>The payment is no longer %1: someone else changed it first.</translation>
    </message>
</context>
<context>
    <name>OrderService</name>
    <message>
        <source>Unknown currency &quot;%1&quot;; use CNY, USD, HKD, JPY or EUR.</source>
        <translation>Unknown currency &quot;%1&quot;; use CNY, USD, HKD, JPY or EUR.</translation>
    </message>
    <message>
        <source>A free order has a total of 0, not %1.</source>
        <translation>A free order has a total of 0, not %1.</translation>
    </message>
    <message>
        <source>An order needs a title (what is being sold).</source>
        <translation>An order needs a title (what is being sold).</translation>
    </message>
    <message>
        <source>The title is %1 characters; the channels accept at most %2.</source>
        <translation>The title is %1 characters; the channels accept at most %2.</translation>
    </message>
    <message>
        <source>The pay timeout must be between 1 second and 7 days, not %1.</source>
        <translation>The pay timeout must be between 1 second and 7 days, not %1.</translation>
    </message>
</context>
<context>
    <name>Receipt</name>
    <message>
        <source>Order %1 was never paid: there is no payment to give a receipt for.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 is %2: a receipt is given once the channel has paid the money back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation type="unfinished">WeChat Pay</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation type="unfinished">Alipay</translation>
    </message>
    <message>
        <source>Simulated channel (demo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation type="unfinished">PayDesk</translation>
    </message>
    <message>
        <source>Refund receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order no</source>
        <translation type="unfinished">Order no</translation>
    </message>
    <message>
        <source>Item</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid</source>
        <translation type="unfinished">Paid</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation type="unfinished">Refunded</translation>
    </message>
    <message>
        <source>Refunded at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel</source>
        <translation type="unfinished">Channel</translation>
    </message>
    <message>
        <source>Refund no</source>
        <translation type="unfinished">Refund no</translation>
    </message>
    <message>
        <source>Channel refund id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid with transaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid at</source>
        <translation type="unfinished">Paid at</translation>
    </message>
    <message>
        <source>Transaction id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation type="unfinished">Payment no</translation>
    </message>
    <message>
        <source>Refunded since</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Printed %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Printed %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The money goes back to the account it was paid from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thank you. Keep this receipt for a refund.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The receipt&apos;s page could not be set up.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReconRepository</name>
    <message>
        <source>There is no stored bill %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReconService</name>
    <message>
        <source>Only FINANCE or ADMIN users can reconcile bills.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has not been reconciled for %2 yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name the bill&apos;s day as YYYY-MM-DD.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Reconciler</name>
    <message>
        <source>paid</source>
        <translation>paid</translation>
    </message>
    <message>
        <source>already applied, nothing changed</source>
        <translation>already applied, nothing changed</translation>
    </message>
    <message>
        <source>money arrived after the order closed: anomaly opened, refund proposed</source>
        <translation>money arrived after the order closed: anomaly opened, refund proposed</translation>
    </message>
    <message>
        <source>second payment for the order: anomaly opened, refund proposed</source>
        <translation>second payment for the order: anomaly opened, refund proposed</translation>
    </message>
    <message>
        <source>payment closed at the channel</source>
        <translation>payment closed at the channel</translation>
    </message>
    <message>
        <source>payment failed at the channel</source>
        <translation>payment failed at the channel</translation>
    </message>
    <message>
        <source>not paid yet</source>
        <translation>not paid yet</translation>
    </message>
    <message>
        <source>refund succeeded</source>
        <translation>refund succeeded</translation>
    </message>
    <message>
        <source>refund processing at the channel</source>
        <translation>refund processing at the channel</translation>
    </message>
    <message>
        <source>refund closed by the channel: anomaly opened</source>
        <translation>refund closed by the channel: anomaly opened</translation>
    </message>
    <message>
        <source>There is no payment %1 in our books.</source>
        <translation>There is no payment %1 in our books.</translation>
    </message>
    <message>
        <source>There is no refund %1 in our books.</source>
        <translation>There is no refund %1 in our books.</translation>
    </message>
    <message>
        <source>refund abnormal at the channel: anomaly opened, the amount stays held</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund refused by the channel: anomaly opened</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no verifiable answer about the refund: it stays in progress and is asked about again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the channel&apos;s answer names another amount: books unchanged, anomaly opened</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RefundRepository</name>
    <message>
        <source>The payment to refund does not exist.</source>
        <translation>The payment to refund does not exist.</translation>
    </message>
    <message>
        <source>Payment %1 is %2, not paid; only paid money can be refunded.</source>
        <translation>Payment %1 is %2, not paid; only paid money can be refunded.</translation>
    </message>
    <message>
        <source>Payment %1 was made more than 365 days ago; the channels refuse refunds after that.</source>
        <translation>Payment %1 was made more than 365 days ago; the channels refuse refunds after that.</translation>
    </message>
    <message>
        <source>Payment %1 already has %2 refunds, the most a channel accepts.</source>
        <translation>Payment %1 already has %2 refunds, the most a channel accepts.</translation>
    </message>
    <message>
        <source>Only %1 is left to refund on payment %2; %3 is too much.</source>
        <translation>Only %1 is left to refund on payment %2; %3 is too much.</translation>
    </message>
    <message>
        <source>There is no refund %1.</source>
        <translation>There is no refund %1.</translation>
    </message>
    <message>
        <source>The refund is no longer %1: someone else changed it first.</source>
        <translation>The refund is no longer %1: someone else changed it first.</translation>
    </message>
</context>
<context>
    <name>RefundService</name>
    <message>
        <source>Payment %1 is %2, not paid; only paid money can be refunded.</source>
        <translation>Payment %1 is %2, not paid; only paid money can be refunded.</translation>
    </message>
    <message>
        <source>Order %1 has no payment %2.</source>
        <translation>Order %1 has no payment %2.</translation>
    </message>
    <message>
        <source>Order %1 is %2 and has no paid payment to refund.</source>
        <translation>Order %1 is %2 and has no paid payment to refund.</translation>
    </message>
    <message>
        <source>Refunds are requested by CLERK or FINANCE staff; %1 is %2.</source>
        <translation>Refunds are requested by CLERK or FINANCE staff; %1 is %2.</translation>
    </message>
    <message>
        <source>Give a reason for the refund (the customer will see it).</source>
        <translation>Give a reason for the refund (the customer will see it).</translation>
    </message>
    <message>
        <source>Nothing is left to refund on payment %1.</source>
        <translation>Nothing is left to refund on payment %1.</translation>
    </message>
    <message>
        <source>approved automatically: at most %1</source>
        <translation>approved automatically: at most %1</translation>
    </message>
    <message>
        <source>Refunds are reviewed by FINANCE staff; %1 is %2.</source>
        <translation>Refunds are reviewed by FINANCE staff; %1 is %2.</translation>
    </message>
    <message>
        <source>Say why the refund is rejected; the requester will read it.</source>
        <translation>Say why the refund is rejected; the requester will read it.</translation>
    </message>
    <message>
        <source>You requested refund %1 yourself; another FINANCE colleague has to review it.</source>
        <translation>You requested refund %1 yourself; another FINANCE colleague has to review it.</translation>
    </message>
    <message>
        <source>Refund %1 is already %2 (by %3).</source>
        <translation>Refund %1 is already %2 (by %3).</translation>
    </message>
    <message>
        <source>Anomalies are resolved by FINANCE or ADMIN staff.</source>
        <translation>Anomalies are resolved by FINANCE or ADMIN staff.</translation>
    </message>
    <message>
        <source>Describe how the anomaly was resolved.</source>
        <translation>Describe how the anomaly was resolved.</translation>
    </message>
    <message>
        <source>Refunds are retried by FINANCE staff; %1 is %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Say why the refund is sent again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You requested refund %1 yourself; another FINANCE colleague has to retry it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 is %2; only a refund the channel refused can be retried.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only %1 is left to refund on payment %2; refund %3 for %4 no longer fits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 is %2, not APPROVED.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 carries no review by a second person (requested by %2, reviewed by &quot;%3&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 for %2 is marked approved automatically, above the auto-approve limit %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 was approved by &quot;%2&quot;, who is not a user.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 was approved by %2, who is not an active FINANCE user.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>There is no setting called &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 must be between %2 and %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only an administrator can change settings.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Sql</name>
    <message>
        <source>%1: already exists (%2)</source>
        <translation>%1: already exists (%2)</translation>
    </message>
    <message>
        <source>Database error in %1: %2</source>
        <translation>Database error in %1: %2</translation>
    </message>
</context>
<context>
    <name>SystemText</name>
    <message>
        <source>Payment {payment} arrived after order {order} was closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment {payment} is a second payment for order {order}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel reports {stated} paid on {payment}, which was for {expected}; the order was left as it was.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel reports refund {refund} succeeded with {stated}, but it was for {expected}; it stays in progress.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund {refund} went abnormal at the channel (e.g. the buyer&apos;s account is closed); have it paid out at the merchant platform or settle it with the customer another way. Its amount stays held.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund {refund} was closed by the channel without paying out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel refused refund {refund} ({error}); nothing was paid out. Finance can retry it with the same number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No verifiable answer about refund {refund} after {tries} tries (last: {error}); it stays in progress and its amount held. Check it at the merchant platform.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The {channel} bill of {date} shows a refund our books never saw: {refund} of {amount} (payment {payment}, line {line}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The {channel} bill of {date} shows a payment our books never saw: {payment}, {amount} (channel transaction {txn}, line {line}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The {channel} bill of {date} differs from our books: {difference} of {ref} (ours {ours}, bill {bill}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pending</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paid</source>
        <translation type="unfinished">paid</translation>
    </message>
    <message>
        <source>partly refunded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refunded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>time ran out</source>
        <translation type="unfinished">time ran out</translation>
    </message>
    <message>
        <source>closed by hand</source>
        <translation type="unfinished">closed by hand</translation>
    </message>
    <message>
        <source>created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting for payment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>requested</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>approved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rejected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>processing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a clerk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a finance user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an administrator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation type="unfinished">Simulator</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation type="unfinished">WeChat Pay</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation type="unfinished">Alipay</translation>
    </message>
    <message>
        <source>a payment at the channel only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a payment in our books only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the payment amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the payment currency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the payment state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a refund at the channel only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a refund in our books only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the refund amount</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the refund state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>closed %1 (time ran out, %2 after its deadline)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Transitions</name>
    <message>
        <source>Cannot go from %1 to %2.</source>
        <translation>Cannot go from %1 to %2.</translation>
    </message>
</context>
<context>
    <name>UserDirectory</name>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>There is no user &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Only an administrator can manage users.</source>
        <translation>Only an administrator can manage users.</translation>
    </message>
    <message>
        <source>A password needs at least %1 characters.</source>
        <translation>A password needs at least %1 characters.</translation>
    </message>
    <message>
        <source>A login is 2 to 32 lower-case letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, starting with a letter or digit.</source>
        <translation>A login is 2 to 32 lower-case letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, starting with a letter or digit.</translation>
    </message>
    <message>
        <source>Could not hash the password.</source>
        <translation>Could not hash the password.</translation>
    </message>
    <message>
        <source>The first user of a database must be an ADMIN.</source>
        <translation>The first user of a database must be an ADMIN.</translation>
    </message>
    <message>
        <source>There is already a user &quot;%1&quot;.</source>
        <translation>There is already a user &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>Wrong login or password.</translation>
    </message>
    <message numerus="yes">
        <source>Too many failed logins for &quot;%1&quot;; try again in %n second(s).</source>
        <translation>
            <numerusform>Too many failed logins for &quot;%1&quot;; try again in %n second.</numerusform>
            <numerusform>Too many failed logins for &quot;%1&quot;; try again in %n seconds.</numerusform>
        </translation>
    </message>
    <message>
        <source>The account &quot;%1&quot; is disabled.</source>
        <translation>The account &quot;%1&quot; is disabled.</translation>
    </message>
    <message>
        <source>You cannot disable your own account.</source>
        <translation>You cannot disable your own account.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a user of these books; sign in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The account %1 is disabled; sign in again with an active account.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is reserved for PayDesk&apos;s own entries in the books; choose another login.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is the last active administrator; make someone else ADMIN first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>PayDesk: back office for WeChat Pay and Alipay merchants.</source>
        <translation>PayDesk: back office for WeChat Pay and Alipay merchants.</translation>
    </message>
    <message>
        <source>Run the offline demo (simulated channel, scripted customers).</source>
        <translation>Run the offline demo (simulated channel, scripted customers).</translation>
    </message>
    <message>
        <source>Keep the demo database in DIR (default: a temporary folder).</source>
        <translation>Keep the demo database in DIR (default: a temporary folder).</translation>
    </message>
    <message>
        <source>Orders in the demo history (default 2000).</source>
        <translation>Orders in the demo history (default 2000).</translation>
    </message>
    <message>
        <source>Seconds between new demo counter orders (default 6).</source>
        <translation>Seconds between new demo counter orders (default 6).</translation>
    </message>
    <message>
        <source>Run time N times faster (demo).</source>
        <translation>Run time N times faster (demo).</translation>
    </message>
    <message>
        <source>Database URL: sqlite:/path/file.db or postgresql://user@host/db.</source>
        <translation>Database URL: sqlite:/path/file.db or postgresql://user@host/db.</translation>
    </message>
    <message>
        <source>Language: en or zh_CN (default: settings, then the system).</source>
        <translation>Language: en or zh_CN (default: settings, then the system).</translation>
    </message>
    <message>
        <source>Sign in as LOGIN; the password comes from PAYDESK_PASSWORD.</source>
        <translation>Sign in as LOGIN; the password comes from PAYDESK_PASSWORD.</translation>
    </message>
    <message>
        <source>Save a screenshot of the main window to FILE and quit.</source>
        <translation>Save a screenshot of the main window to FILE and quit.</translation>
    </message>
    <message>
        <source>Milliseconds to wait before the screenshot (default 2500).</source>
        <translation>Milliseconds to wait before the screenshot (default 2500).</translation>
    </message>
    <message>
        <source>--time-scale takes a number from 1 to 10000.</source>
        <translation>--time-scale takes a number from 1 to 10000.</translation>
    </message>
    <message>
        <source>--demo-orders takes a number from 0 to 5000000.</source>
        <translation>--demo-orders takes a number from 0 to 5000000.</translation>
    </message>
    <message>
        <source>--demo-interval takes seconds from 0.2 to 3600.</source>
        <translation>--demo-interval takes seconds from 0.2 to 3600.</translation>
    </message>
    <message>
        <source>Use either --db or --demo-dir for the demo, not both.</source>
        <translation>Use either --db or --demo-dir for the demo, not both.</translation>
    </message>
    <message>
        <source>PayDesk cannot start</source>
        <translation>PayDesk cannot start</translation>
    </message>
    <message>
        <source>Select this order on the Orders page (first-pending: the newest pending order).</source>
        <translation>Select this order on the Orders page (first-pending: the newest pending order).</translation>
    </message>
    <message>
        <source>--page takes one of: %1.</source>
        <translation>--page takes one of: %1.</translation>
    </message>
    <message>
        <source>Writing the demo&apos;s history (%1 orders)…</source>
        <translation>Writing the demo&apos;s history (%1 orders)…</translation>
    </message>
    <message>
        <source>PayDesk demo</source>
        <translation>PayDesk demo</translation>
    </message>
    <message>
        <source>%1 is not a demo database: --demo opens a new one or an earlier demo. Leave out --demo to work on it.</source>
        <translation>%1 is not a demo database: --demo opens a new one or an earlier demo. Leave out --demo to work on it.</translation>
    </message>
    <message>
        <source>--time-scale runs only on a demo database; %1 is not one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open this page: orders, review, anomalies, finance, reconciliation, audit, settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a dialog at start: repay (for the selected order, code issued), new-order, reconcile (fetch a bill) or shortcuts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--open takes repay, new-order, reconcile or shortcuts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no display to open a window on (DISPLAY is not set). Run it in a desktop session, or with QT_QPA_PLATFORM=offscreen for screenshots; paydeskctl works without one.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk</name>
    <message>
        <source>Unknown trade_status &quot;%1&quot;.</source>
        <translation>Unknown trade_status &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Asked about %1 but Alipay answered about &quot;%2&quot;.</source>
        <translation>Asked about %1 but Alipay answered about &quot;%2&quot;.</translation>
    </message>
    <message>
        <source>A paid trade with a malformed total_amount &quot;%1&quot;.</source>
        <translation>A paid trade with a malformed total_amount &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Unknown trade_state &quot;%1&quot;.</source>
        <translation>Unknown trade_state &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Asked about %1 but WeChat Pay answered about &quot;%2&quot;.</source>
        <translation>Asked about %1 but WeChat Pay answered about &quot;%2&quot;.</translation>
    </message>
    <message>
        <source>The answer is for merchant %1, not %2.</source>
        <translation>The answer is for merchant %1, not %2.</translation>
    </message>
    <message>
        <source>A paid transaction without amount.total.</source>
        <translation>A paid transaction without amount.total.</translation>
    </message>
    <message>
        <source>Unknown refund status &quot;%1&quot;.</source>
        <translation>Unknown refund status &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Asked about refund %1 but WeChat Pay answered about &quot;%2&quot;.</source>
        <translation>Asked about refund %1 but WeChat Pay answered about &quot;%2&quot;.</translation>
    </message>
    <message>
        <source>The notification names no merchant (mchid); this profile is merchant %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The notification names no app (appid); this profile is app %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The answer is for app %1, not %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::AlipayChannel</name>
    <message>
        <source>This is not an Alipay profile.</source>
        <translation>This is not an Alipay profile.</translation>
    </message>
    <message>
        <source>The Alipay gateway answered HTTP %1.</source>
        <translation>The Alipay gateway answered HTTP %1.</translation>
    </message>
    <message>
        <source>The answer has no %1 object.</source>
        <translation>The answer has no %1 object.</translation>
    </message>
    <message>
        <source>The Alipay answer is not signed; it is treated as forged.</source>
        <translation>The Alipay answer is not signed; it is treated as forged.</translation>
    </message>
    <message>
        <source>The Alipay answer&apos;s signature does not match its content: it was altered or forged.</source>
        <translation>The Alipay answer&apos;s signature does not match its content: it was altered or forged.</translation>
    </message>
    <message>
        <source>Alipay QR payments take a positive CNY amount.</source>
        <translation>Alipay QR payments take a positive CNY amount.</translation>
    </message>
    <message>
        <source>The answer is about another trade.</source>
        <translation>The answer is about another trade.</translation>
    </message>
    <message>
        <source>The answer has no qr_code.</source>
        <translation>The answer has no qr_code.</translation>
    </message>
    <message>
        <source>A refund needs a positive CNY amount no larger than the payment.</source>
        <translation>A refund needs a positive CNY amount no larger than the payment.</translation>
    </message>
    <message>
        <source>Alipay has no refund %1 for %2.</source>
        <translation>Alipay has no refund %1 for %2.</translation>
    </message>
    <message>
        <source>The answer is about another refund.</source>
        <translation>The answer is about another refund.</translation>
    </message>
    <message>
        <source>Malformed refund_amount.</source>
        <translation>Malformed refund_amount.</translation>
    </message>
    <message>
        <source>The Alipay notification is not signed; it is treated as forged.</source>
        <translation>The Alipay notification is not signed; it is treated as forged.</translation>
    </message>
    <message>
        <source>Unsupported sign_type &quot;%1&quot; (only RSA2).</source>
        <translation>Unsupported sign_type &quot;%1&quot; (only RSA2).</translation>
    </message>
    <message>
        <source>The Alipay notification&apos;s signature does not match: it was altered or forged.</source>
        <translation>The Alipay notification&apos;s signature does not match: it was altered or forged.</translation>
    </message>
    <message>
        <source>The notification is for app %1, not %2.</source>
        <translation>The notification is for app %1, not %2.</translation>
    </message>
    <message>
        <source>Malformed refund_fee.</source>
        <translation>Malformed refund_fee.</translation>
    </message>
    <message>
        <source>PayDesk fetches Alipay&apos;s trade bills only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill_download_url &quot;%1&quot; is not https.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill download answered HTTP %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill download is not a readable zip: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The notification names no seller_id; this profile expects seller %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The notification is for seller %1, not %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The notification has no readable notify_time (&quot;%1&quot;); it is refused.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The notification was sent at %1 (Beijing time), more than 24 hours ago or ahead of our clock: a replay or a wrong clock, refused.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::AnomalyModel</name>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>Opened</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>Resolution</translation>
    </message>
    <message>
        <source>Resolved by</source>
        <translation>Resolved by</translation>
    </message>
    <message>
        <source>No order of ours; the channel&apos;s out_trade_no is %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none) %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::AttemptModel</name>
    <message>
        <source>Payment no</source>
        <translation>Payment no</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>Expires</translation>
    </message>
    <message>
        <source>Paid at</source>
        <translation>Paid at</translation>
    </message>
    <message>
        <source>Channel&apos;s answer</source>
        <translation>Channel&apos;s answer</translation>
    </message>
</context>
<context>
    <name>paydesk::AuditModel</name>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>User</source>
        <translation>User</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>Object</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>paydesk::ChannelHttp</name>
    <message>
        <source>No answer within %1 ms (the request may have landed).</source>
        <translation>No answer within %1 ms (the request may have landed).</translation>
    </message>
</context>
<context>
    <name>paydesk::FinanceTableModel</name>
    <message>
        <source>Day</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>Payments</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>Refunds</source>
        <translation>Refunds</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>Net</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>Refund state</source>
        <translation>Refund state</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>Orders</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Fees (channel&apos;s bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Net after fees (channel&apos;s bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No bill of this day was reconciled: the channels&apos; fees are not known yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From the channel&apos;s bill (the latest reconciliation of each channel&apos;s day)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>—</source>
        <translation type="unfinished">—</translation>
    </message>
</context>
<context>
    <name>paydesk::FixupModel</name>
    <message>
        <source>No</source>
        <translation type="unfinished">No</translation>
    </message>
    <message>
        <source>Order</source>
        <translation type="unfinished">Order</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation type="unfinished">Payment</translation>
    </message>
    <message>
        <source>Channel transaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount</source>
        <translation type="unfinished">Amount</translation>
    </message>
    <message>
        <source>Asked by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished">Reason</translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished">State</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished">%1 (%2)</translation>
    </message>
    <message>
        <source>Waiting for review</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rejected by %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied by %1, confirmed by the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied by %1, channel not reached</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::FixupService</name>
    <message>
        <source>Fix-ups are asked for by CLERK or FINANCE users; %1 is %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a channel transaction id (6 to 64 letters, digits, &apos;_&apos; or &apos;-&apos;); copy it from the customer&apos;s payment record or the merchant platform.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Say why the order is to be marked paid (what the customer showed, where the money was seen).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 is %2: its money is in the books already.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 has no payment to mark paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 has no payment %2.</source>
        <translation type="unfinished">Order %1 has no payment %2.</translation>
    </message>
    <message>
        <source>Payment %1 is paid in the books already.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transaction %1 is in the books already, on order %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-ups are decided by FINANCE staff; %1 is %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Say why the fix-up is rejected; the requester will read it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-up %1 was decided already (%2 by %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You asked for fix-up %1 yourself; another FINANCE colleague has to approve it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 says it has no payment %2: it cannot be marked paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 answered about %2, but the answer could not be verified (%3); nothing was changed. Try again later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 says payment %2 was not made (%3): it cannot be marked paid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 names transaction %2 for payment %3, not %4: check the transaction id and ask again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 says payment %2 was %3 %4, not %5 %6: finance has to look at it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>confirmed by %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 could not be reached; approved on your word</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 is paid (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The money on closed order %1 is in the books (%2); anomaly %3 proposes the refund.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-up %1 applied (%2): %3.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::LateLook</name>
    <message>
        <source>the %1 channel is not set up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payment %1 was scanned after it was given up; closed it at %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payment %1 was paid after the channel said it did not exist: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>payment %1: no late look possible (%2); the daily bill will show any money</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::OrderTableModel</name>
    <message>
        <source>Order no</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Title</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>Time left</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>This column cannot be sorted.</source>
        <translation>This column cannot be sorted.</translation>
    </message>
    <message>
        <source>closing</source>
        <translation>closing</translation>
    </message>
    <message>
        <source>Closed: the time to pay ran out</source>
        <translation>Closed: the time to pay ran out</translation>
    </message>
    <message>
        <source>Closed by hand</source>
        <translation>Closed by hand</translation>
    </message>
    <message>
        <source>Closing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Being closed at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The time to pay ran out; the timer is closing it at the channel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::PaymentService</name>
    <message>
        <source>%1 is a counter action: it needs a CLERK or ADMIN account; %2 is %3.</source>
        <translation>%1 is a counter action: it needs a CLERK or ADMIN account; %2 is %3.</translation>
    </message>
    <message>
        <source>The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.</source>
        <translation>The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.</translation>
    </message>
    <message>
        <source>Order %1 ran out of time and is being closed; create a new order instead.</source>
        <translation>Order %1 ran out of time and is being closed; create a new order instead.</translation>
    </message>
    <message>
        <source>Only %1 is left before order %2 closes; a new payment needs at least %3 (%4 safety buffer + the channel&apos;s minimum of %5). Create a new order instead.</source>
        <translation>Only %1 is left before order %2 closes; a new payment needs at least %3 (%4 safety buffer + the channel&apos;s minimum of %5). Create a new order instead.</translation>
    </message>
    <message>
        <source>Checkout</source>
        <translation>Checkout</translation>
    </message>
    <message>
        <source>Creating the payment at %1 (try %2 of %3)…</source>
        <translation>Creating the payment at %1 (try %2 of %3)…</translation>
    </message>
    <message>
        <source>The %1 channel is not set up.</source>
        <translation>The %1 channel is not set up.</translation>
    </message>
    <message>
        <source>Payment %1 is ready to scan.</source>
        <translation>Payment %1 is ready to scan.</translation>
    </message>
    <message>
        <source>%1; retrying in %2 s with the same payment number…</source>
        <translation>%1; retrying in %2 s with the same payment number…</translation>
    </message>
    <message>
        <source>Closing an order</source>
        <translation>Closing an order</translation>
    </message>
    <message>
        <source>Order %1 was already closed (%2).</source>
        <translation>Order %1 was already closed (%2).</translation>
    </message>
    <message>
        <source>Order %1 is %2; only a pending order can be closed.</source>
        <translation>Order %1 is %2; only a pending order can be closed.</translation>
    </message>
    <message>
        <source>Order %1 is closed.</source>
        <translation>Order %1 is closed.</translation>
    </message>
    <message>
        <source>Could not close the payment at the channel (%1); the order stays pending. Try again.</source>
        <translation>Could not close the payment at the channel (%1); the order stays pending. Try again.</translation>
    </message>
    <message>
        <source>Order %1 was paid by the customer before it could be closed; it is now %2.</source>
        <translation>Order %1 was paid by the customer before it could be closed; it is now %2.</translation>
    </message>
    <message>
        <source>Repay</source>
        <translation>Repay</translation>
    </message>
    <message>
        <source>Order %1 is %2; only a pending order can be repaid.</source>
        <translation>Order %1 is %2; only a pending order can be repaid.</translation>
    </message>
    <message>
        <source>Order %1 was paid while the old payment was being closed; nothing new was created.</source>
        <translation>Order %1 was paid while the old payment was being closed; nothing new was created.</translation>
    </message>
    <message>
        <source>The previous payment could not be closed at the channel (%1); no new payment was made. Try again.</source>
        <translation>The previous payment could not be closed at the channel (%1); no new payment was made. Try again.</translation>
    </message>
    <message>
        <source>Someone else re-issued the payment of order %1 just now; refresh to see it.</source>
        <translation>Someone else re-issued the payment of order %1 just now; refresh to see it.</translation>
    </message>
    <message>
        <source>%1: the %2 channel is not set up</source>
        <translation>%1: the %2 channel is not set up</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>Payment %1 was given up (the order was closed or re-issued elsewhere) while the channel made it; it was closed at the channel again.</source>
        <translation>Payment %1 was given up (the order was closed or re-issued elsewhere) while the channel made it; it was closed at the channel again.</translation>
    </message>
    <message>
        <source>Order %1 is gone.</source>
        <translation>Order %1 is gone.</translation>
    </message>
    <message>
        <source>Order %1 got a new payment while it was being closed; it stays pending. Try again.</source>
        <translation>Order %1 got a new payment while it was being closed; it stays pending. Try again.</translation>
    </message>
    <message>
        <source>Order %1 was closed while the old payment was being closed; nothing new was created.</source>
        <translation>Order %1 was closed while the old payment was being closed; nothing new was created.</translation>
    </message>
    <message>
        <source>Order %1 became %2 meanwhile; only a pending order can be repaid.</source>
        <translation>Order %1 became %2 meanwhile; only a pending order can be repaid.</translation>
    </message>
    <message>
        <source>Order %1 is no longer pending.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ReconDifferenceModel</name>
    <message>
        <source>Payment at the channel only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment in our books only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment amount differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Currency differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment state differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund at the channel only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund in our books only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund amount differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund state differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel took this money, but our books have no such payment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Our books show this payment as paid that day, but the channel&apos;s bill does not.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill shows another amount for this payment than our books.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill shows another currency for this payment than our books.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid at the channel but not in our books (money after a close), or the other way round.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel paid back this refund, but our books have no such refund.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Our books show this refund as paid back that day, but the channel&apos;s bill does not.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill shows another amount for this refund than our books.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The refund ended differently at the channel than in our books.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation type="unfinished">Payment no</translation>
    </message>
    <message>
        <source>Refund no</source>
        <translation type="unfinished">Refund no</translation>
    </message>
    <message>
        <source>Order</source>
        <translation type="unfinished">Order</translation>
    </message>
    <message>
        <source>Bill says</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Our books say</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Detail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished">State</translation>
    </message>
    <message>
        <source>Bill line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No order of ours: the money is only at the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Without an order of ours no anomaly can be opened: settle it with the channel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>—</source>
        <translation type="unfinished">—</translation>
    </message>
    <message>
        <source>not on the bill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not in our books</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ours %1, bill %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>channel transaction %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of payment %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No anomaly opened</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (anomaly %2)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ReconRunModel</name>
    <message>
        <source>Channel</source>
        <translation type="unfinished">Channel</translation>
    </message>
    <message>
        <source>Bill day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Matched</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid (bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid (books)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refunded (bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refunded (books)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fees (bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Net after fees (bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Net (books)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciled at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By</source>
        <translation type="unfinished">By</translation>
    </message>
    <message>
        <source>Every row of the bill matched our books</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s) between the bill and our books; %1 new in this run</source>
        <translation>
            <numerusform>%n difference between the bill and our books; %1 new in this run</numerusform>
            <numerusform>%n differences between the bill and our books; %1 new in this run</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 payment(s) and %2 refund(s) on the bill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What our books say now for this channel&apos;s Beijing day (%1 payment(s), %2 refund(s))</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From the channel&apos;s bill: its fee total, and paid − refunded − fees</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s), %1 new</source>
        <translation>
            <numerusform>%n difference, %1 new</numerusform>
            <numerusform>%n differences, %1 new</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s)</source>
        <translation>
            <numerusform>%n difference</numerusform>
            <numerusform>%n differences</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ReconScheduler</name>
    <message>
        <source>reconciliation: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bill %1 %2 not fetched (%3); asking again in 30 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bill %1 %2 not ready yet (%3); asking again in 30 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bill %1 %2: the channel has none (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reconciliation %1 %2 failed (%3); trying again in 30 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>reconciled %1 %2: %n difference(s)</source>
        <translation>
            <numerusform>reconciled %1 %2: %n difference</numerusform>
            <numerusform>reconciled %1 %2: %n differences</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>paydesk::RefundModel</name>
    <message>
        <source>Refund no</source>
        <translation>Refund no</translation>
    </message>
    <message>
        <source>Order no</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation>Payment no</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>Requested by</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>Requested</translation>
    </message>
    <message>
        <source>Reviewed by</source>
        <translation>Reviewed by</translation>
    </message>
    <message>
        <source>Review note</source>
        <translation>Review note</translation>
    </message>
</context>
<context>
    <name>paydesk::ReviewQueueModel</name>
    <message>
        <source>Refund no</source>
        <translation>Refund no</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>Payment</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>Requested by</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <source>Channel said</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::SimulatedChannel</name>
    <message>
        <source>The simulated channel has no payment %1.</source>
        <translation>The simulated channel has no payment %1.</translation>
    </message>
    <message>
        <source>Payment %1 is closed at the channel; a customer can no longer pay it.</source>
        <translation>Payment %1 is closed at the channel; a customer can no longer pay it.</translation>
    </message>
    <message>
        <source>A bill difference needs the payment or refund it is about.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An unknown payment needs a positive amount.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment %1 is not closed at the channel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A wrong amount must still be positive.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::SyncEngine</name>
    <message>
        <source>released %1 claims of a stopped instance (%2)</source>
        <translation>released %1 claims of a stopped instance (%2)</translation>
    </message>
    <message>
        <source>timer started: %1 due times loaded in %2 ms</source>
        <translation>timer started: %1 due times loaded in %2 ms</translation>
    </message>
    <message>
        <source>order %1 was paid at the last moment: PAID</source>
        <translation>order %1 was paid at the last moment: PAID</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>not configured</translation>
    </message>
    <message>
        <source>payment %1: %2</source>
        <translation>payment %1: %2</translation>
    </message>
    <message>
        <source>refund %1: %2; will retry with the same refund number</source>
        <translation>refund %1: %2; will retry with the same refund number</translation>
    </message>
    <message>
        <source>refund %1 sent: %2</source>
        <translation>refund %1 sent: %2</translation>
    </message>
    <message>
        <source>refund %1: %2</source>
        <translation>refund %1: %2</translation>
    </message>
    <message>
        <source>the channel does not know payment %1</source>
        <translation>the channel does not know payment %1</translation>
    </message>
    <message>
        <source>channel unreachable (%1)</source>
        <translation>channel unreachable (%1)</translation>
    </message>
    <message>
        <source>order %1: %2; retrying in %3 s</source>
        <translation>order %1: %2; retrying in %3 s</translation>
    </message>
    <message>
        <source>payment %1 is still open on a finished order; %2; retrying in %3 s</source>
        <translation>payment %1 is still open on a finished order; %2; retrying in %3 s</translation>
    </message>
    <message>
        <source>payment %1 was left open on a finished order: %2</source>
        <translation>payment %1 was left open on a finished order: %2</translation>
    </message>
    <message>
        <source>the channel does not know it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund %1 not sent: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refund %1 sent: %2 (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 is no longer pending.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::TimelineModel</name>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::UserModel</name>
    <message>
        <source>Login</source>
        <translation>Login</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Active</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>Disabled</translation>
    </message>
</context>
<context>
    <name>paydesk::WeChatPayChannel</name>
    <message>
        <source>This is not a WeChat Pay profile.</source>
        <translation>This is not a WeChat Pay profile.</translation>
    </message>
    <message>
        <source>WeChat Pay native payments take a positive CNY amount.</source>
        <translation>WeChat Pay native payments take a positive CNY amount.</translation>
    </message>
    <message>
        <source>The answer has no code_url.</source>
        <translation>The answer has no code_url.</translation>
    </message>
    <message>
        <source>A refund needs a positive CNY amount no larger than the payment.</source>
        <translation>A refund needs a positive CNY amount no larger than the payment.</translation>
    </message>
    <message>
        <source>The notification is not JSON: %1</source>
        <translation>The notification is not JSON: %1</translation>
    </message>
    <message>
        <source>Cannot decrypt the notification resource (is the APIv3 key right?): %1</source>
        <translation>Cannot decrypt the notification resource (is the APIv3 key right?): %1</translation>
    </message>
    <message>
        <source>Unsupported notification event_type &quot;%1&quot;.</source>
        <translation>Unsupported notification event_type &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>WeChat Pay&apos;s HTTP %1 answer is not signed; it is treated as forged.</source>
        <translation>WeChat Pay&apos;s HTTP %1 answer is not signed; it is treated as forged.</translation>
    </message>
    <message>
        <source>A bill needs a date.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill answer has no SHA1 hash_value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill&apos;s download_url &quot;%1&quot; is not on the gateway %2; PayDesk does not send its signature anywhere else.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill download is not a valid gzip file: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The downloaded bill&apos;s SHA-1 %1 is not the %2 WeChat Pay signed: the file was altered or truncated, and is refused.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::alipay</name>
    <message>
        <source>Alipay answered code %1.</source>
        <translation>Alipay answered code %1.</translation>
    </message>
    <message>
        <source>Alipay refused our request signature: check the app private key (%1)</source>
        <translation>Alipay refused our request signature: check the app private key (%1)</translation>
    </message>
</context>
<context>
    <name>paydesk::bills</name>
    <message>
        <source>Cannot create a temporary folder for the zip.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the zip archive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1 into the zip (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot finish the zip archive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read back the zip archive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write the zip to a temporary file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is not a zip archive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zip archive&apos;s directory cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zip archive&apos;s directory is corrupt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A zip entry cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zip entry %1 is too large.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zip entry %1 cannot be opened.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zip entry %1 is truncated or corrupt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start decompressing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file inflates to more than %1 bytes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is not a complete gzip stream.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::crypto</name>
    <message>
        <source>The certificate is not a PEM X.509 certificate.</source>
        <translation>The certificate is not a PEM X.509 certificate.</translation>
    </message>
    <message>
        <source>The certificate has no usable public key.</source>
        <translation>The certificate has no usable public key.</translation>
    </message>
    <message>
        <source>The certificate&apos;s key is not an RSA key.</source>
        <translation>The certificate&apos;s key is not an RSA key.</translation>
    </message>
    <message>
        <source>No key for the certificate.</source>
        <translation>No key for the certificate.</translation>
    </message>
    <message>
        <source>Cannot make the certificate: %1</source>
        <translation>Cannot make the certificate: %1</translation>
    </message>
    <message>
        <source>An AES-256-GCM key is 32 bytes; this one has %1.</source>
        <translation>An AES-256-GCM key is 32 bytes; this one has %1.</translation>
    </message>
    <message>
        <source>An AES-256-GCM nonce is 12 bytes; this one has %1.</source>
        <translation>An AES-256-GCM nonce is 12 bytes; this one has %1.</translation>
    </message>
    <message>
        <source>Encryption failed: %1</source>
        <translation>Encryption failed: %1</translation>
    </message>
    <message>
        <source>The ciphertext is shorter than its 16-byte tag.</source>
        <translation>The ciphertext is shorter than its 16-byte tag.</translation>
    </message>
    <message>
        <source>Decryption failed: %1</source>
        <translation>Decryption failed: %1</translation>
    </message>
    <message>
        <source>The ciphertext failed authentication (wrong key, nonce or associated data, or it was altered).</source>
        <translation>The ciphertext failed authentication (wrong key, nonce or associated data, or it was altered).</translation>
    </message>
    <message>
        <source>scrypt refused its parameters (N=%1, r=%2, p=%3): %4</source>
        <translation>scrypt refused its parameters (N=%1, r=%2, p=%3): %4</translation>
    </message>
    <message>
        <source>scrypt parameters N=%1, r=%2, p=%3 are outside what PayDesk accepts (N a power of two up to %4, r up to %5, p up to %6, at most %7 MiB of memory).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::crypto::PrivateKey</name>
    <message>
        <source>Cannot generate an RSA key: %1</source>
        <translation>Cannot generate an RSA key: %1</translation>
    </message>
    <message>
        <source>The private key is not a PEM or base64 RSA private key (PKCS#8 or PKCS#1).</source>
        <translation>The private key is not a PEM or base64 RSA private key (PKCS#8 or PKCS#1).</translation>
    </message>
    <message>
        <source>The private key is not an RSA key.</source>
        <translation>The private key is not an RSA key.</translation>
    </message>
    <message>
        <source>The private key has %1 bits; at least 2048 are required.</source>
        <translation>The private key has %1 bits; at least 2048 are required.</translation>
    </message>
    <message>
        <source>No private key to sign with.</source>
        <translation>No private key to sign with.</translation>
    </message>
    <message>
        <source>Signing failed: %1</source>
        <translation>Signing failed: %1</translation>
    </message>
</context>
<context>
    <name>paydesk::crypto::PublicKey</name>
    <message>
        <source>The public key is not a PEM or base64 RSA public key or certificate.</source>
        <translation>The public key is not a PEM or base64 RSA public key or certificate.</translation>
    </message>
    <message>
        <source>The public key is not an RSA key.</source>
        <translation>The public key is not an RSA key.</translation>
    </message>
    <message>
        <source>The public key has %1 bits; at least 2048 are required.</source>
        <translation>The public key has %1 bits; at least 2048 are required.</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::AnomaliesPage</name>
    <message>
        <source>&amp;Resolve</source>
        <translation>&amp;Resolve</translation>
    </message>
    <message>
        <source>&amp;Open order</source>
        <translation>&amp;Open order</translation>
    </message>
    <message>
        <source>Anomalies</source>
        <translation>Anomalies</translation>
    </message>
    <message>
        <source>&amp;Show:</source>
        <translation>&amp;Show:</translation>
    </message>
    <message>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <source>&amp;Note:</source>
        <translation>&amp;Note:</translation>
    </message>
    <message>
        <source>How it was settled (required)</source>
        <translation>How it was settled (required)</translation>
    </message>
    <message>
        <source>Money taken twice or after closing also waits as a refund request in Refund review.</source>
        <translation>Money taken twice or after closing also waits as a refund request in Refund review.</translation>
    </message>
    <message>
        <source>Select an anomaly first.</source>
        <translation>Select an anomaly first.</translation>
    </message>
    <message>
        <source>This anomaly is already resolved.</source>
        <translation>This anomaly is already resolved.</translation>
    </message>
    <message>
        <source>Write how it was settled.</source>
        <translation>Write how it was settled.</translation>
    </message>
    <message>
        <source>Mark as resolved with your note</source>
        <translation>Mark as resolved with your note</translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation>Not resolved</translation>
    </message>
    <message>
        <source>Anomaly %1 resolved.</source>
        <translation>Anomaly %1 resolved.</translation>
    </message>
    <message>
        <source>Show this anomaly&apos;s order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This anomaly has no order of ours.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::AuditPage</name>
    <message>
        <source>&amp;Verify chain</source>
        <translation>&amp;Verify chain</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Audit log</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>&amp;Search:</translation>
    </message>
    <message>
        <source>Action, object, user or details</source>
        <translation>Action, object, user or details</translation>
    </message>
    <message>
        <source>Recomputing every entry&apos;s hash…</source>
        <translation>Recomputing every entry&apos;s hash…</translation>
    </message>
    <message>
        <source>%1 entries checked</source>
        <translation>%1 entries checked</translation>
    </message>
    <message>
        <source>✔ The chain is intact: %1 entries checked.</source>
        <translation>✔ The chain is intact: %1 entries checked.</translation>
    </message>
    <message>
        <source>✘ The chain is broken at entry %1: %2</source>
        <translation>✘ The chain is broken at entry %1: %2</translation>
    </message>
    <message>
        <source>Show ra&amp;w details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show each entry&apos;s details as stored (JSON, times in milliseconds since 1970)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ChannelProfileDialog</name>
    <message>
        <source>Payment channel profile</source>
        <translation>Payment channel profile</translation>
    </message>
    <message>
        <source>&amp;Load a profile file…</source>
        <translation>&amp;Load a profile file…</translation>
    </message>
    <message>
        <source>A JSON profile as &quot;paydeskctl channel add&quot; reads it (paydesk-sandbox writes one)</source>
        <translation>A JSON profile as &quot;paydeskctl channel add&quot; reads it (paydesk-sandbox writes one)</translation>
    </message>
    <message>
        <source>Fill in the form, or load a profile file.</source>
        <translation>Fill in the form, or load a profile file.</translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation>&amp;Channel:</translation>
    </message>
    <message>
        <source>Optional, e.g. Shop 1</source>
        <translation>Optional, e.g. Shop 1</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Merchant id:</source>
        <translation>&amp;Merchant id:</translation>
    </message>
    <message>
        <source>&amp;App id:</source>
        <translation>&amp;App id:</translation>
    </message>
    <message>
        <source>Serial of the merchant API certificate</source>
        <translation>Serial of the merchant API certificate</translation>
    </message>
    <message>
        <source>Certificate &amp;serial:</source>
        <translation>Certificate &amp;serial:</translation>
    </message>
    <message>
        <source>Merchant private key (PEM file)</source>
        <translation>Merchant private key (PEM file)</translation>
    </message>
    <message>
        <source>&amp;Private key:</source>
        <translation>&amp;Private key:</translation>
    </message>
    <message>
        <source>32 characters</source>
        <translation>32 characters</translation>
    </message>
    <message>
        <source>API&amp;v3 key:</source>
        <translation>API&amp;v3 key:</translation>
    </message>
    <message>
        <source>PUB_KEY_ID_… (with the public key below)</source>
        <translation>PUB_KEY_ID_… (with the public key below)</translation>
    </message>
    <message>
        <source>Public &amp;key id:</source>
        <translation>Public &amp;key id:</translation>
    </message>
    <message>
        <source>Platform / Alipay public key (PEM file)</source>
        <translation>Platform / Alipay public key (PEM file)</translation>
    </message>
    <message>
        <source>P&amp;ublic key:</source>
        <translation>P&amp;ublic key:</translation>
    </message>
    <message>
        <source>Optional platform certificate (PEM file)</source>
        <translation>Optional platform certificate (PEM file)</translation>
    </message>
    <message>
        <source>Platform c&amp;ertificate:</source>
        <translation>Platform c&amp;ertificate:</translation>
    </message>
    <message>
        <source>&amp;Gateway URL:</source>
        <translation>&amp;Gateway URL:</translation>
    </message>
    <message>
        <source>Optional: where the channel posts payment notifications</source>
        <translation>Optional: where the channel posts payment notifications</translation>
    </message>
    <message>
        <source>N&amp;otify URL:</source>
        <translation>N&amp;otify URL:</translation>
    </message>
    <message>
        <source>Load a channel profile</source>
        <translation>Load a channel profile</translation>
    </message>
    <message>
        <source>Profiles (*.json)</source>
        <translation>Profiles (*.json)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM files (*.pem *.crt *.key);;All files (*)</translation>
    </message>
    <message>
        <source>mchid, e.g. 1900000109</source>
        <translation>mchid, e.g. 1900000109</translation>
    </message>
    <message>
        <source>Optional: the seller id</source>
        <translation>Optional: the seller id</translation>
    </message>
    <message>
        <source>appid, e.g. wxd678efh567hg6787</source>
        <translation>appid, e.g. wxd678efh567hg6787</translation>
    </message>
    <message>
        <source>app_id, e.g. 2021000000000000</source>
        <translation>app_id, e.g. 2021000000000000</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>From %1</translation>
    </message>
    <message numerus="yes">
        <source>%n certificate(s) from the file</source>
        <translation>
            <numerusform>%n certificate from the file</numerusform>
            <numerusform>%n certificates from the file</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose the merchant private key (a PEM file).</source>
        <translation>Choose the merchant private key (a PEM file).</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ChannelProfilesBox</name>
    <message>
        <source>Payment channels</source>
        <translation>Payment channels</translation>
    </message>
    <message>
        <source>Add or re&amp;place…</source>
        <translation>Add or re&amp;place…</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>&amp;Test</translation>
    </message>
    <message>
        <source>Re&amp;move…</source>
        <translation>Re&amp;move…</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>App / merchant</source>
        <translation>App / merchant</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Channel profiles</source>
        <translation>Channel profiles</translation>
    </message>
    <message>
        <source>Merchant private keys and the APIv3 key go into the system keychain (or the encrypted secrets file named by PAYDESK_SECRET_FILE), never into the database.</source>
        <translation>Merchant private keys and the APIv3 key go into the system keychain (or the encrypted secrets file named by PAYDESK_SECRET_FILE), never into the database.</translation>
    </message>
    <message>
        <source>Connected now: %1.</source>
        <translation>Connected now: %1.</translation>
    </message>
    <message>
        <source>none</source>
        <translation>none</translation>
    </message>
    <message>
        <source>This is the offline demo: every channel is simulated, whatever is stored below.</source>
        <translation>This is the offline demo: every channel is simulated, whatever is stored below.</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>No WeChat Pay or Alipay profile is stored yet.</source>
        <translation>No WeChat Pay or Alipay profile is stored yet.</translation>
    </message>
    <message>
        <source>Only an ADMIN can change the payment channels.</source>
        <translation>Only an ADMIN can change the payment channels.</translation>
    </message>
    <message>
        <source>Enter a WeChat Pay or Alipay merchant profile (replaces one of the same channel)</source>
        <translation>Enter a WeChat Pay or Alipay merchant profile (replaces one of the same channel)</translation>
    </message>
    <message>
        <source>One signed request to the channel and a verified answer</source>
        <translation>One signed request to the channel and a verified answer</translation>
    </message>
    <message>
        <source>Select a profile first.</source>
        <translation>Select a profile first.</translation>
    </message>
    <message>
        <source>Forget the profile and its secrets</source>
        <translation>Forget the profile and its secrets</translation>
    </message>
    <message>
        <source>Saved the %1 profile; its secrets are in %2.</source>
        <translation>Saved the %1 profile; its secrets are in %2.</translation>
    </message>
    <message>
        <source>Connected.</source>
        <translation>Connected.</translation>
    </message>
    <message>
        <source>Testing %1…</source>
        <translation>Testing %1…</translation>
    </message>
    <message>
        <source>%1: ok in %2 ms (signed request accepted, signed answer verified).</source>
        <translation>%1: ok in %2 ms (signed request accepted, signed answer verified).</translation>
    </message>
    <message>
        <source>%1: the test failed: %2</source>
        <translation>%1: the test failed: %2</translation>
    </message>
    <message>
        <source>%1: no answer within 20 s.</source>
        <translation>%1: no answer within 20 s.</translation>
    </message>
    <message>
        <source>Remove channel</source>
        <translation>Remove channel</translation>
    </message>
    <message>
        <source>Remove the %1 profile and its secrets?

No new payments can be taken on %1 until a profile is added again.</source>
        <translation>Remove the %1 profile and its secrets?

No new payments can be taken on %1 until a profile is added again.</translation>
    </message>
    <message>
        <source>Removed the %1 profile.</source>
        <translation>Removed the %1 profile.</translation>
    </message>
    <message>
        <source>Removed the %1 profile; restart PayDesk to disconnect the channel.</source>
        <translation>Removed the %1 profile; restart PayDesk to disconnect the channel.</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ClosingDialog</name>
    <message>
        <source>PayDesk</source>
        <translation type="unfinished">PayDesk</translation>
    </message>
    <message>
        <source>Day report (Z) %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation type="unfinished">Clerk</translation>
    </message>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payments</source>
        <translation type="unfinished">Payments</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation type="unfinished">Paid</translation>
    </message>
    <message>
        <source>Refunds</source>
        <translation type="unfinished">Refunds</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation type="unfinished">Refunded</translation>
    </message>
    <message>
        <source>Total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Net</source>
        <translation type="unfinished">Net</translation>
    </message>
    <message>
        <source>Still pending</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n order(s), %1</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Against the channels&apos; bills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not reconciled yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bill agrees (%1 paid, %2 refunded)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bill differs: %1 paid, %2 refunded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no payments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closed %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not closed yet: a preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save as PDF…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Print…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shift and day close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>My shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A business day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Report:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Business day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Day:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Close day…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Close shift…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your role closes no shifts or days.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closed %1 by %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not closed yet; closing keeps these totals as they are now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close %1 with net %2? A closed day is kept as it is and cannot be closed again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close your shift with net %1? The next shift starts now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close shift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The report was saved to %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::CountdownDelegate</name>
    <message>
        <source>closing</source>
        <translation>closing</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::FinancePage</name>
    <message>
        <source>Finance</source>
        <translation>Finance</translation>
    </message>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Range:</translation>
    </message>
    <message>
        <source>From date</source>
        <translation>From date</translation>
    </message>
    <message>
        <source>To date</source>
        <translation>To date</translation>
    </message>
    <message>
        <source>&amp;Daily as:</source>
        <translation>&amp;Daily as:</translation>
    </message>
    <message>
        <source>Bars</source>
        <translation>Bars</translation>
    </message>
    <message>
        <source>Lines</source>
        <translation>Lines</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>Re&amp;fresh</translation>
    </message>
    <message>
        <source>Orders by state</source>
        <translation>Orders by state</translation>
    </message>
    <message>
        <source>Money received by channel</source>
        <translation>Money received by channel</translation>
    </message>
    <message>
        <source>Refund backlog (now)</source>
        <translation>Refund backlog (now)</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Export CSV…</translation>
    </message>
    <message>
        <source>Save the table behind this chart as a CSV file</source>
        <translation>Save the table behind this chart as a CSV file</translation>
    </message>
    <message>
        <source>Adding up…</source>
        <translation>Adding up…</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>Net</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Export chart data</source>
        <translation>Export chart data</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>Saved %1.</translation>
    </message>
    <message>
        <source>Daily paid, refunded and net; fees and net after fees from the channels&apos; bills</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fees: no channel bill reconciled in this range yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>from the channels&apos; bills of %n day(s): fees %1, net after fees %2</source>
        <translation>
            <numerusform>from the channels&apos; bills of %n day: fees %1, net after fees %2</numerusform>
            <numerusform>from the channels&apos; bills of %n days: fees %1, net after fees %2</numerusform>
        </translation>
    </message>
    <message>
        <source>Net after fees (channel&apos;s bill)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fees (channel&apos;s bill, right axis)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 to %2: paid %3, refunded %4, net %5; %6</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fees</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::FixupReviewBox</name>
    <message>
        <source>Appro&amp;ve mark paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reject &amp;mark paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark paid: money that came without an answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>N&amp;ote:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What you checked (required to reject)</source>
        <translation type="unfinished">What you checked (required to reject)</translation>
    </message>
    <message>
        <source>Asks the channel first: its verified answer decides; only when it cannot be reached does your word stand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only a FINANCE user decides a fix-up.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You asked for this one yourself; another FINANCE colleague approves it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asking the channel about fix-up %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-up %1 rejected; order %2 is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::LoginDialog</name>
    <message>
        <source>&amp;Sign in</source>
        <translation>&amp;Sign in</translation>
    </message>
    <message>
        <source>Sign in to PayDesk</source>
        <translation>Sign in to PayDesk</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>Database: %1</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>&amp;User:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Password:</translation>
    </message>
    <message>
        <source>Demo logins (password = login): clerk (counter), finance (refund review), admin (settings).</source>
        <translation>Demo logins (password = login): clerk (counter), finance (refund review), admin (settings).</translation>
    </message>
    <message>
        <source>Enter your user name.</source>
        <translation>Enter your user name.</translation>
    </message>
    <message>
        <source>Set up PayDesk</source>
        <translation>Set up PayDesk</translation>
    </message>
    <message>
        <source>This database has no users yet. Create the first administrator account; it adds the other staff in Settings.</source>
        <translation>This database has no users yet. Create the first administrator account; it adds the other staff in Settings.</translation>
    </message>
    <message numerus="yes">
        <source>At least %n characters</source>
        <translation>
            <numerusform>At least %n characters</numerusform>
            <numerusform>At least %n characters</numerusform>
        </translation>
    </message>
    <message>
        <source>e.g. admin</source>
        <translation>e.g. admin</translation>
    </message>
    <message>
        <source>&amp;Repeat:</source>
        <translation>&amp;Repeat:</translation>
    </message>
    <message>
        <source>&amp;Create and sign in</source>
        <translation>&amp;Create and sign in</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>The two passwords differ.</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::MainWindow</name>
    <message>
        <source>PayDesk — %1 (%2) — DEMO</source>
        <translation>PayDesk — %1 (%2) — DEMO</translation>
    </message>
    <message>
        <source>PayDesk — %1 (%2)</source>
        <translation>PayDesk — %1 (%2)</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk</translation>
    </message>
    <message>
        <source>DEMO — simulated payments</source>
        <translation>DEMO — simulated payments</translation>
    </message>
    <message>
        <source>Offline demo: a simulated channel and scripted customers; no real money moves.</source>
        <translation>Offline demo: a simulated channel and scripted customers; no real money moves.</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>Pages</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>Orders</translation>
    </message>
    <message>
        <source>Refund review</source>
        <translation>Refund review</translation>
    </message>
    <message>
        <source>Anomalies</source>
        <translation>Anomalies</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>Finance</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Audit log</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>%1 (Ctrl+%2)</source>
        <translation>%1 (Ctrl+%2)</translation>
    </message>
    <message>
        <source>Signed in as %1
%2</source>
        <translation>Signed in as %1
%2</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>Database: %1</translation>
    </message>
    <message>
        <source> DEMO </source>
        <translation> DEMO </translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>Working…</translation>
    </message>
    <message>
        <source>Timer: off</source>
        <translation>Timer: off</translation>
    </message>
    <message>
        <source>Channel error — %1</source>
        <translation>Channel error — %1</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>idle</translation>
    </message>
    <message>
        <source>next in %1</source>
        <translation>next in %1</translation>
    </message>
    <message>
        <source>running</source>
        <translation>running</translation>
    </message>
    <message numerus="yes">
        <source>Timer: %1 · %n job(s) in flight</source>
        <translation>
            <numerusform>Timer: %1 · %n job in flight</numerusform>
            <numerusform>Timer: %1 · %n jobs in flight</numerusform>
        </translation>
    </message>
    <message>
        <source>Keyboard shortcuts (F1)</source>
        <translation>Keyboard shortcuts (F1)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <source> or </source>
        <translation> or </translation>
    </message>
    <message>
        <source> … </source>
        <translation> … </translation>
    </message>
    <message>
        <source>New order at the counter (shows the QR code)</source>
        <translation>New order at the counter (shows the QR code)</translation>
    </message>
    <message>
        <source> or Enter on an order</source>
        <translation> or Enter on an order</translation>
    </message>
    <message>
        <source>Repay: a new payment code for the selected order</source>
        <translation>Repay: a new payment code for the selected order</translation>
    </message>
    <message>
        <source>Close the selected unpaid order (asks first)</source>
        <translation>Close the selected unpaid order (asks first)</translation>
    </message>
    <message>
        <source>Request a refund on the selected paid order</source>
        <translation>Request a refund on the selected paid order</translation>
    </message>
    <message>
        <source>Ask the channel about the selected order now</source>
        <translation>Ask the channel about the selected order now</translation>
    </message>
    <message>
        <source>Refresh the page</source>
        <translation>Refresh the page</translation>
    </message>
    <message>
        <source>Export the filtered orders as CSV</source>
        <translation>Export the filtered orders as CSV</translation>
    </message>
    <message>
        <source>Refund review: approve the selected refund (asks first)</source>
        <translation>Refund review: approve the selected refund (asks first)</translation>
    </message>
    <message>
        <source>Alt+underlined letter</source>
        <translation>Alt+underlined letter</translation>
    </message>
    <message>
        <source>Jump to that field or press that button</source>
        <translation>Jump to that field or press that button</translation>
    </message>
    <message>
        <source>Tab / Shift+Tab, arrows</source>
        <translation>Tab / Shift+Tab, arrows</translation>
    </message>
    <message>
        <source>Move between fields; move in tables</source>
        <translation>Move between fields; move in tables</translation>
    </message>
    <message>
        <source>This list</source>
        <translation>This list</translation>
    </message>
    <message>
        <source>Quit PayDesk</source>
        <translation>Quit PayDesk</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Keys</translation>
    </message>
    <message>
        <source>What it does</source>
        <translation>What it does</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>No payment channel connected</source>
        <translation>No payment channel connected</translation>
    </message>
    <message>
        <source>Channels (simulated): %1</source>
        <translation>Channels (simulated): %1</translation>
    </message>
    <message>
        <source>Channels: %1</source>
        <translation>Channels: %1</translation>
    </message>
    <message>
        <source>Every channel is simulated: scripted customers pay, ignore or pay late; no real money moves.</source>
        <translation>Every channel is simulated: scripted customers pay, ignore or pay late; no real money moves.</translation>
    </message>
    <message>
        <source>The payment channels this window talks to, and the last error the timer met on each.</source>
        <translation>The payment channels this window talks to, and the last error the timer met on each.</translation>
    </message>
    <message>
        <source>Sign &amp;out (Ctrl+Shift+L)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PayDesk is locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Sign in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 signed out. Sign in to go on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locked after %1 without input. %2 or a colleague signs in to go on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go to Orders, Refund review, Anomalies, Finance, Reconciliation, Audit log, Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation: fetch a channel&apos;s daily bill and reconcile it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation: import a downloaded bill file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> or Enter on a difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation: open the difference&apos;s order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time runs %1× faster</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo time: every clock, countdown and pay-by time here runs %1 times faster than the wall clock.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search the orders (order no, title, buyer, any payment or refund id)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt of the selected paid order or its refund: print or save as PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark the selected unpaid order paid (money without an answer; another FINANCE user approves)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close shift or &amp;day… (Ctrl+Shift+Z)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close shift or day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close your shift, or a business day (finance): the Z report to print or save</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::MarkPaidDialog</name>
    <message>
        <source>&amp;Ask for review</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark order %1 paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For money that reached you for %1 (%2) without any answer from the channel. Another FINANCE user approves it; the channel is asked once more first, and its answer decides.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Payment the money came for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Payment:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 4200001234202612041234567890</source>
        <translation type="unfinished">e.g. 4200001234202612041234567890</translation>
    </message>
    <message>
        <source>Channel transaction id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel &amp;transaction id:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the customer showed, where the money was seen…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished">Reason</translation>
    </message>
    <message>
        <source>&amp;Reason:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 has no payment to mark paid.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::NewOrderDialog</name>
    <message>
        <source>&amp;Create and show code</source>
        <translation>&amp;Create and show code</translation>
    </message>
    <message>
        <source>New order</source>
        <translation>New order</translation>
    </message>
    <message>
        <source>e.g. 25.00</source>
        <translation>e.g. 25.00</translation>
    </message>
    <message>
        <source>&amp;Amount (¥):</source>
        <translation>&amp;Amount (¥):</translation>
    </message>
    <message>
        <source>What the customer buys</source>
        <translation>What the customer buys</translation>
    </message>
    <message>
        <source>&amp;Title:</source>
        <translation>&amp;Title:</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>Optional</translation>
    </message>
    <message>
        <source>&amp;Buyer:</source>
        <translation>&amp;Buyer:</translation>
    </message>
    <message>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <source>Time to &amp;pay:</source>
        <translation>Time to &amp;pay:</translation>
    </message>
    <message>
        <source>C&amp;hannel:</source>
        <translation>C&amp;hannel:</translation>
    </message>
    <message>
        <source>No payment channel is set up. Add a channel profile in Settings.</source>
        <translation>No payment channel is set up. Add a channel profile in Settings.</translation>
    </message>
    <message>
        <source>%1 needs more time to pay than %2 min: choose at least %3 min.</source>
        <translation>%1 needs more time to pay than %2 min: choose at least %3 min.</translation>
    </message>
    <message>
        <source>Enter the amount the customer pays.</source>
        <translation>Enter the amount the customer pays.</translation>
    </message>
    <message>
        <source>Enter a title: what the customer buys (they see it when paying).</source>
        <translation>Enter a title: what the customer buys (they see it when paying).</translation>
    </message>
    <message>
        <source>Create the order and show its payment code (Enter)</source>
        <translation>Create the order and show its payment code (Enter)</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrderDetailPane</name>
    <message>
        <source>&amp;Payments</source>
        <translation>&amp;Payments</translation>
    </message>
    <message>
        <source>Re&amp;funds</source>
        <translation>Re&amp;funds</translation>
    </message>
    <message>
        <source>T&amp;imeline</source>
        <translation>T&amp;imeline</translation>
    </message>
    <message>
        <source>No order selected</source>
        <translation>No order selected</translation>
    </message>
    <message>
        <source>Select an order in the table to see its payments, refunds and timeline.</source>
        <translation>Select an order in the table to see its payments, refunds and timeline.</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation>%1 by %2</translation>
    </message>
    <message>
        <source>Pay by</source>
        <translation>Pay by</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Closed</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>Re&amp;funds (%1)</source>
        <translation>Re&amp;funds (%1)</translation>
    </message>
    <message>
        <source>&amp;Payments (%1)</source>
        <translation>&amp;Payments (%1)</translation>
    </message>
    <message>
        <source>Show raw details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing (the time to pay ran out)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrderWatch</name>
    <message>
        <source>The time to pay order %1 has run out; it is being closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 was paid at %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 is paid and partly refunded (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 has been refunded in full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 was closed: the time to pay ran out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Order %1 was closed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrdersPage</name>
    <message>
        <source>&amp;New order…</source>
        <translation>&amp;New order…</translation>
    </message>
    <message>
        <source>Re&amp;pay…</source>
        <translation>Re&amp;pay…</translation>
    </message>
    <message>
        <source>C&amp;lose order…</source>
        <translation>C&amp;lose order…</translation>
    </message>
    <message>
        <source>Re&amp;fund…</source>
        <translation>Re&amp;fund…</translation>
    </message>
    <message>
        <source>As&amp;k channel</source>
        <translation>As&amp;k channel</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Refresh</translation>
    </message>
    <message>
        <source>&amp;Export CSV…</source>
        <translation>&amp;Export CSV…</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Search</translation>
    </message>
    <message>
        <source>Search orders</source>
        <translation>Search orders</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>All states</translation>
    </message>
    <message>
        <source>State filter</source>
        <translation>State filter</translation>
    </message>
    <message>
        <source>All channels</source>
        <translation>All channels</translation>
    </message>
    <message>
        <source>Channel filter</source>
        <translation>Channel filter</translation>
    </message>
    <message>
        <source>Date range</source>
        <translation>Date range</translation>
    </message>
    <message>
        <source>From date</source>
        <translation>From date</translation>
    </message>
    <message>
        <source>To date</source>
        <translation>To date</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>&amp;Search:</translation>
    </message>
    <message>
        <source>S&amp;tate:</source>
        <translation>S&amp;tate:</translation>
    </message>
    <message>
        <source>C&amp;hannel:</source>
        <translation>C&amp;hannel:</translation>
    </message>
    <message>
        <source>&amp;Date:</source>
        <translation>&amp;Date:</translation>
    </message>
    <message numerus="yes">
        <source>%n order(s)</source>
        <translation>
            <numerusform>%n order</numerusform>
            <numerusform>%n orders</numerusform>
        </translation>
    </message>
    <message>
        <source>Take a payment at the counter and show its QR code</source>
        <translation>Take a payment at the counter and show its QR code</translation>
    </message>
    <message>
        <source>Issue a new payment code for this order</source>
        <translation>Issue a new payment code for this order</translation>
    </message>
    <message>
        <source>Close this unpaid order at the channel and here</source>
        <translation>Close this unpaid order at the channel and here</translation>
    </message>
    <message>
        <source>Ask for money back to the customer (reviewed by finance)</source>
        <translation>Ask for money back to the customer (reviewed by finance)</translation>
    </message>
    <message>
        <source>Ask the channel about this order&apos;s payments now</source>
        <translation>Ask the channel about this order&apos;s payments now</translation>
    </message>
    <message>
        <source>Re-read the orders now</source>
        <translation>Re-read the orders now</translation>
    </message>
    <message>
        <source>Write the orders that match the filter to a CSV file</source>
        <translation>Write the orders that match the filter to a CSV file</translation>
    </message>
    <message>
        <source>Order %1 created.</source>
        <translation>Order %1 created.</translation>
    </message>
    <message>
        <source>Close order</source>
        <translation>Close order</translation>
    </message>
    <message>
        <source>Close order %1 (%2, %3)?

The customer can no longer pay it; any open payment code is closed at the channel first.</source>
        <translation>Close order %1 (%2, %3)?

The customer can no longer pay it; any open payment code is closed at the channel first.</translation>
    </message>
    <message>
        <source>Closing %1…</source>
        <translation>Closing %1…</translation>
    </message>
    <message>
        <source>Order not closed</source>
        <translation>Order not closed</translation>
    </message>
    <message>
        <source>Order %1 closed.</source>
        <translation>Order %1 closed.</translation>
    </message>
    <message>
        <source>Refund %1 requested and approved automatically.</source>
        <translation>Refund %1 requested and approved automatically.</translation>
    </message>
    <message>
        <source>Refund %1 requested; it waits for review by finance.</source>
        <translation>Refund %1 requested; it waits for review by finance.</translation>
    </message>
    <message>
        <source>Asking the channel about %1…</source>
        <translation>Asking the channel about %1…</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>%1 is %2.</source>
        <translation>%1 is %2.</translation>
    </message>
    <message>
        <source>Export orders</source>
        <translation>Export orders</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Exporting orders…</source>
        <translation>Exporting orders…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n order(s) to %1.</source>
        <translation>
            <numerusform>Exported %n order to %1.</numerusform>
            <numerusform>Exported %n orders to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>Clear search</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>↑ %n new order(s) — show</source>
        <translation>
            <numerusform>↑ %n new order — show</numerusform>
            <numerusform>↑ %n new orders — show</numerusform>
        </translation>
    </message>
    <message>
        <source>New orders came in while you were reading; they wait here so the rows do not move.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n match(es) in other states — show all</source>
        <translation>
            <numerusform>%n match in other states — show all</numerusform>
            <numerusform>%n matches in other states — show all</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n match(es) outside these filters — show all</source>
        <translation>
            <numerusform>%n match outside these filters — show all</numerusform>
            <numerusform>%n matches outside these filters — show all</numerusform>
        </translation>
    </message>
    <message>
        <source>Clear the state, channel and date filters and keep the search</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>No order here matches “%1”, but %n in other states or dates do.</source>
        <translation>
            <numerusform>No order here matches “%1”, but %n in other states or dates does.</numerusform>
            <numerusform>No order here matches “%1”, but %n in other states or dates do.</numerusform>
        </translation>
    </message>
    <message>
        <source>No order matches “%1”.
Search looks in the order number, the title and the buyer; Escape clears the search.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No orders in this state, channel or date range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No orders yet. New order (Ctrl+N) takes a payment at the counter.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is now %2 and no longer matches the filter; nothing is selected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is nothing to close.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search order no, title, buyer, or any payment or refund id (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rece&amp;ipt…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print or save the customer&apos;s receipt of this payment or a refund</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Mark paid…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Money came for this order without an answer: ask finance to mark it paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fix-up %1 asks to mark %2 paid; another FINANCE user approves it on the Refund review page.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::PaymentPanel</name>
    <message>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <source>Show this code to the customer. The order is paid once they confirm in the app.</source>
        <translation>Show this code to the customer. The order is paid once they confirm in the app.</translation>
    </message>
    <message>
        <source>The channel refused the payment: %1</source>
        <translation>The channel refused the payment: %1</translation>
    </message>
    <message>
        <source>Asking the channel for a payment code…</source>
        <translation>Asking the channel for a payment code…</translation>
    </message>
    <message>
        <source>This code expires in %1</source>
        <translation>This code expires in %1</translation>
    </message>
    <message>
        <source>This code has expired</source>
        <translation>This code has expired</translation>
    </message>
    <message>
        <source>Paid at %1. The customer need not scan again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The order was closed: the time to pay ran out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The order was closed; this code no longer takes payments.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid</source>
        <translation type="unfinished">Paid</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation type="unfinished">Closed</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This code can no longer be paid. While the order is open, Repay issues a new one.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::QrWidget</name>
    <message>
        <source>Payment QR code</source>
        <translation>Payment QR code</translation>
    </message>
    <message>
        <source>No payment code yet</source>
        <translation>No payment code yet</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReceiptDialog</name>
    <message>
        <source>&amp;Save as PDF…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Print…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Receipt for:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation type="unfinished">&amp;Language:</translation>
    </message>
    <message>
        <source>The payment (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Which receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the receipt to a PDF file (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print the receipt (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The receipt was saved to %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReconPage</name>
    <message>
        <source>&amp;Fetch and reconcile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Import bill file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open order</source>
        <translation type="unfinished">&amp;Open order</translation>
    </message>
    <message>
        <source>Fetch and reconcile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import bill file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciliation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channels&apos; daily bills against our books</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation type="unfinished">Re&amp;fresh</translation>
    </message>
    <message>
        <source>Reconciliation runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differences of the selected run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Each difference with an order of ours opens an anomaly; money to give back waits in Refund review.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 You see the results read-only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No reconciliation yet.

Fetch a channel&apos;s daily bill (%1) or import a bill file downloaded from the merchant platform (%2) to check our books against the money the channel moved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No reconciliation yet.

FINANCE staff check the channels&apos; daily bills against our books here; the results will show on this page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a run to see its differences.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing reconciled yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differences — %1, bill of %2 (run %3 by %4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>No differences: all %n row(s) of the bill matched our books.</source>
        <translation>
            <numerusform>No differences: all %n row of the bill matched our books.</numerusform>
            <numerusform>No differences: all %n rows of the bill matched our books.</numerusform>
        </translation>
    </message>
    <message>
        <source>A reconciliation is running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Neither WeChat Pay nor Alipay is connected; import a bill file instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download a channel&apos;s daily bill and check it against our books (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check a bill file downloaded from the merchant platform against our books (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a difference first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This money is only at the channel: there is no order of ours to open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show order %1 on the Orders page (%2 or Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not reconciled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 channel is not connected here; import its bill file instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fetching the %1 bill of %2…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bill not fetched</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 bill of %2 could not be fetched: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bill not ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 bill of %2 is not ready yet. Channels publish a day&apos;s bill the next morning; try again later.

The channel said: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No bill for that day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no bill for %2: the channel saw neither payments nor refunds that day, so there is nothing to reconcile.

The channel said: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the bill file to import.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciling the %1 bill of %2 against our books…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished">Cannot read %1: %2</translation>
    </message>
    <message>
        <source>The %1 bill of %2 was not reconciled: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Imported the %1 bill of %2: %3 matched, %4 difference(s), %5 new.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconciled %1 for %2: %3 matched, %4 difference(s), %5 new.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The channel said: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save this run&apos;s differences as a CSV file (Ctrl+E)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No differences to export: select a run that has some.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished">CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished">Export</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished">Cannot write %1: %2</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n difference(s) to %1.</source>
        <translation>
            <numerusform>Exported %n difference to %1.</numerusform>
            <numerusform>Exported %n differences to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>How it was settled (required to resolve)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;solve</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This difference opened no anomaly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its anomaly is resolved already.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write how it was settled first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolve its anomaly with your note (audited)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation type="unfinished">Not resolved</translation>
    </message>
    <message>
        <source>Anomaly %1 resolved.</source>
        <translation type="unfinished">Anomaly %1 resolved.</translation>
    </message>
    <message>
        <source>Reconciled days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Green: the bill matched our books. Red: differences. Click a day to see its run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&quot;background:%1&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; matched&amp;nbsp;&amp;nbsp; &lt;span style=&quot;background:%2&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No reconciliation of %1 yet.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReconRunDialog</name>
    <message>
        <source>Fetch and reconcile a bill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Import a bill file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PayDesk downloads the channel&apos;s daily bill and checks every payment and refund on it against our books. Channels publish a day&apos;s bill the next morning and keep it for about three months.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a trade bill downloaded by hand from the channel&apos;s merchant platform (WeChat Pay: the CSV trade bill; Alipay: the zip of the business details). It is checked against our books like a fetched bill; differences open anomalies but change no order.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation type="unfinished">&amp;Channel:</translation>
    </message>
    <message>
        <source>Bill &amp;day (Beijing time):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bill file (required)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Reconcile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Import and reconcile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a bill file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bill files (*.csv *.zip *.txt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No channel to choose.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the bill file first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::RefundDialog</name>
    <message>
        <source>&amp;All that is left</source>
        <translation>&amp;All that is left</translation>
    </message>
    <message>
        <source>&amp;Request refund</source>
        <translation>&amp;Request refund</translation>
    </message>
    <message>
        <source>Refund %1</source>
        <translation>Refund %1</translation>
    </message>
    <message>
        <source>Order %1, %2, paid %3.</source>
        <translation>Order %1, %2, paid %3.</translation>
    </message>
    <message>
        <source>%1 can still be refunded.</source>
        <translation>%1 can still be refunded.</translation>
    </message>
    <message>
        <source>Refundable:</source>
        <translation>Refundable:</translation>
    </message>
    <message>
        <source>e.g. 12.30</source>
        <translation>e.g. 12.30</translation>
    </message>
    <message>
        <source>Refund amount</source>
        <translation>Refund amount</translation>
    </message>
    <message>
        <source>&amp;Amount (%1):</source>
        <translation>&amp;Amount (%1):</translation>
    </message>
    <message>
        <source>Why the money goes back (required; the reviewer reads it)</source>
        <translation>Why the money goes back (required; the reviewer reads it)</translation>
    </message>
    <message>
        <source>R&amp;eason:</source>
        <translation>R&amp;eason:</translation>
    </message>
    <message>
        <source>A FINANCE user other than you reviews the request before any money moves.</source>
        <translation>A FINANCE user other than you reviews the request before any money moves.</translation>
    </message>
    <message>
        <source>At most %1 can be refunded on this order.</source>
        <translation>At most %1 can be refunded on this order.</translation>
    </message>
    <message>
        <source>Enter an amount within what is refundable.</source>
        <translation>Enter an amount within what is refundable.</translation>
    </message>
    <message>
        <source>Give a reason for the refund.</source>
        <translation>Give a reason for the refund.</translation>
    </message>
    <message>
        <source>Request a refund of %1 on order %2 (%3)?</source>
        <translation>Request a refund of %1 on order %2 (%3)?</translation>
    </message>
    <message>
        <source>It is within the auto-approve limit of %1: it is approved at once and the money goes back to the customer.</source>
        <translation>It is within the auto-approve limit of %1: it is approved at once and the money goes back to the customer.</translation>
    </message>
    <message>
        <source>No money moves until a FINANCE user other than you approves it.</source>
        <translation>No money moves until a FINANCE user other than you approves it.</translation>
    </message>
    <message>
        <source>Request refund</source>
        <translation>Request refund</translation>
    </message>
    <message>
        <source>Nothing is left to refund on this order: other refunds took it meanwhile.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::RepayDialog</name>
    <message>
        <source>&amp;Issue new code</source>
        <translation>&amp;Issue new code</translation>
    </message>
    <message>
        <source>Repay %1</source>
        <translation>Repay %1</translation>
    </message>
    <message>
        <source>Order %1, %2: %3</source>
        <translation>Order %1, %2: %3</translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation>&amp;Channel:</translation>
    </message>
    <message>
        <source>Time for the customer:</source>
        <translation>Time for the customer:</translation>
    </message>
    <message>
        <source>No payment channel is set up. Add a channel profile in Settings.</source>
        <translation>No payment channel is set up. Add a channel profile in Settings.</translation>
    </message>
    <message>
        <source>The new code will be valid for %1.</source>
        <translation>The new code will be valid for %1.</translation>
    </message>
    <message>
        <source>Closing the previous code and asking the channel for a new one…</source>
        <translation>Closing the previous code and asking the channel for a new one…</translation>
    </message>
    <message>
        <source>There is nothing to repay.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReviewPage</name>
    <message>
        <source>&amp;Approve</source>
        <translation>&amp;Approve</translation>
    </message>
    <message>
        <source>Re&amp;ject</source>
        <translation>Re&amp;ject</translation>
    </message>
    <message>
        <source>Refund review</source>
        <translation>Refund review</translation>
    </message>
    <message>
        <source>&amp;Note:</source>
        <translation>&amp;Note:</translation>
    </message>
    <message>
        <source>What you checked (required to reject)</source>
        <translation>What you checked (required to reject)</translation>
    </message>
    <message numerus="yes">
        <source>%n refund(s) waiting, %1 in total.</source>
        <translation>
            <numerusform>%n refund waiting, %1 in total.</numerusform>
            <numerusform>%n refunds waiting, %1 in total.</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a refund in the queue first.</source>
        <translation>Select a refund in the queue first.</translation>
    </message>
    <message>
        <source>You requested this refund; another FINANCE user must review it.</source>
        <translation>You requested this refund; another FINANCE user must review it.</translation>
    </message>
    <message>
        <source>Approve: the timer sends the refund to the channel (Ctrl+Enter)</source>
        <translation>Approve: the timer sends the refund to the channel (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Reject: the amount becomes refundable again</source>
        <translation>Reject: the amount becomes refundable again</translation>
    </message>
    <message>
        <source>Write a note saying why.</source>
        <translation>Write a note saying why.</translation>
    </message>
    <message>
        <source>Not approved</source>
        <translation>Not approved</translation>
    </message>
    <message>
        <source>Not rejected</source>
        <translation>Not rejected</translation>
    </message>
    <message>
        <source>Refund %1 approved.</source>
        <translation>Refund %1 approved.</translation>
    </message>
    <message>
        <source>Refund %1 rejected.</source>
        <translation>Refund %1 rejected.</translation>
    </message>
    <message>
        <source>Approve refund %1 of %2 on order %3 (requested by %4)?

The timer sends it to the channel right away; money that reached the customer cannot be taken back.</source>
        <translation>Approve refund %1 of %2 on order %3 (requested by %4)?

The timer sends it to the channel right away; money that reached the customer cannot be taken back.</translation>
    </message>
    <message>
        <source>Reject refund %1 of %2 on order %3?

No money moves; %4 is refundable again and %5 sees your note.</source>
        <translation>Reject refund %1 of %2 on order %3?

No money moves; %4 is refundable again and %5 sees your note.</translation>
    </message>
    <message>
        <source>Approve refund</source>
        <translation>Approve refund</translation>
    </message>
    <message>
        <source>Reject refund</source>
        <translation>Reject refund</translation>
    </message>
    <message>
        <source>Send a&amp;gain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Queue:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for review</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refused by the channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why it can go out now (required)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n refund(s) refused by the channel, %1 in total: the customer has not been paid.</source>
        <translation>
            <numerusform>%n refund refused by the channel, %1: the customer has not been paid.</numerusform>
            <numerusform>%n refunds refused by the channel, %1 in total: the customer has not been paid.</numerusform>
        </translation>
    </message>
    <message>
        <source>Only a refund the channel refused can be sent again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send again with the same refund number; the timer sends it at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write a note saying why it can go out now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send refund %1 of %2 on order %3 again?

The channel refused it: &quot;%4&quot;. It goes out with the same refund number, so the customer is paid at most once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send refund again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not sent again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refund %1 goes out again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approve</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refunds the channel refused are not approved again; use Send again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not approved: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::ui::SettingsPage</name>
    <message>
        <source>&amp;Save settings</source>
        <translation>&amp;Save settings</translation>
    </message>
    <message>
        <source>&amp;Add user…</source>
        <translation>&amp;Add user…</translation>
    </message>
    <message>
        <source>&amp;Disable user</source>
        <translation>&amp;Disable user</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>You can still choose the language.</source>
        <translation>You can still choose the language.</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>Payments</translation>
    </message>
    <message>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <source>How long a customer has to pay a new order (pay_timeout_s)</source>
        <translation>How long a customer has to pay a new order (pay_timeout_s)</translation>
    </message>
    <message>
        <source>Default &amp;time to pay:</source>
        <translation>Default &amp;time to pay:</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>A repaid code expires this long before its order, so a late payment never lands on a closed order (repay_buffer_s)</source>
        <translation>A repaid code expires this long before its order, so a late payment never lands on a closed order (repay_buffer_s)</translation>
    </message>
    <message>
        <source>&amp;Repay safety buffer:</source>
        <translation>&amp;Repay safety buffer:</translation>
    </message>
    <message>
        <source>0 = every refund is reviewed</source>
        <translation>0 = every refund is reviewed</translation>
    </message>
    <message>
        <source>Refunds up to this amount are approved at once (auto_approve_minor); 0 turns it off</source>
        <translation>Refunds up to this amount are approved at once (auto_approve_minor); 0 turns it off</translation>
    </message>
    <message>
        <source>Auto-approve refunds up to (¥):</source>
        <translation>Auto-approve refunds up to (¥):</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>Follow the system</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <source>Applies the next time PayDesk starts (this computer only).</source>
        <translation>Applies the next time PayDesk starts (this computer only).</translation>
    </message>
    <message>
        <source>Staff accounts</source>
        <translation>Staff accounts</translation>
    </message>
    <message>
        <source>&amp;Enable user</source>
        <translation>&amp;Enable user</translation>
    </message>
    <message>
        <source>You cannot disable yourself.</source>
        <translation>You cannot disable yourself.</translation>
    </message>
    <message>
        <source>The language changes the next time PayDesk starts.</source>
        <translation>The language changes the next time PayDesk starts.</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>Settings saved.</translation>
    </message>
    <message>
        <source>User %1 added.</source>
        <translation>User %1 added.</translation>
    </message>
    <message>
        <source>Add user</source>
        <translation>Add user</translation>
    </message>
    <message numerus="yes">
        <source>At least %n characters</source>
        <translation>
            <numerusform>At least %n characters</numerusform>
            <numerusform>At least %n characters</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Login:</source>
        <translation>&amp;Login:</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Role:</source>
        <translation>&amp;Role:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Password:</translation>
    </message>
    <message>
        <source>Re&amp;peat:</source>
        <translation>Re&amp;peat:</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>The two passwords differ.</translation>
    </message>
    <message>
        <source>Disable user</source>
        <translation>Disable user</translation>
    </message>
    <message>
        <source>Disable %1? They can no longer sign in.</source>
        <translation>Disable %1? They can no longer sign in.</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>Users</translation>
    </message>
    <message>
        <source>Auto-approve refunds</source>
        <translation>Auto-approve refunds</translation>
    </message>
    <message>
        <source>Refunds of up to %1 will be approved at once, without a FINANCE review, and sent to the customer. Save this limit?</source>
        <translation>Refunds of up to %1 will be approved at once, without a FINANCE review, and sent to the customer. Save this limit?</translation>
    </message>
    <message>
        <source>The window locks after this long without input; a password opens it (idle_lock_s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Lock after idle:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>:00 Beijing time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The timer reconciles yesterday&apos;s bills from this hour on (recon_at_minute); WeChat Pay and Alipay publish them in the morning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconcile &amp;bills from:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Days missed while PayDesk was not running are reconciled this far back (recon_catch_up_days)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Catch up on bills for:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>paydesk::wechatpay</name>
    <message>
        <source>The notification resource uses &quot;%1&quot;, not AEAD_AES_256_GCM.</source>
        <translation>The notification resource uses &quot;%1&quot;, not AEAD_AES_256_GCM.</translation>
    </message>
    <message>
        <source>The notification ciphertext is not base64.</source>
        <translation>The notification ciphertext is not base64.</translation>
    </message>
    <message>
        <source>WeChat Pay answered HTTP %1.</source>
        <translation>WeChat Pay answered HTTP %1.</translation>
    </message>
    <message>
        <source>WeChat Pay refused our request signature: check the merchant serial and private key (%1)</source>
        <translation>WeChat Pay refused our request signature: check the merchant serial and private key (%1)</translation>
    </message>
</context>
<context>
    <name>paydesk::wechatpay::Verifier</name>
    <message>
        <source>The answer is not signed (Wechatpay-Signature, -Serial, -Timestamp or -Nonce is missing); it is treated as forged.</source>
        <translation>The answer is not signed (Wechatpay-Signature, -Serial, -Timestamp or -Nonce is missing); it is treated as forged.</translation>
    </message>
    <message>
        <source>Unsupported Wechatpay-Signature-Type &quot;%1&quot;.</source>
        <translation>Unsupported Wechatpay-Signature-Type &quot;%1&quot;.</translation>
    </message>
    <message>
        <source>Wechatpay-Timestamp &quot;%1&quot; is not a number.</source>
        <translation>Wechatpay-Timestamp &quot;%1&quot; is not a number.</translation>
    </message>
    <message>
        <source>Wechatpay-Serial &quot;%1&quot; is neither the configured WeChat Pay public key id nor a known platform certificate serial.</source>
        <translation>Wechatpay-Serial &quot;%1&quot; is neither the configured WeChat Pay public key id nor a known platform certificate serial.</translation>
    </message>
    <message>
        <source>The signature does not match the body (key %1): the answer was altered or forged.</source>
        <translation>The signature does not match the body (key %1): the answer was altered or forged.</translation>
    </message>
    <message>
        <source>Wechatpay-Timestamp %1 is more than 5 minutes away from now (%2): refused as a replay or a wrong clock.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
