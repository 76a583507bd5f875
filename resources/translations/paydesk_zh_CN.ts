<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActionPolicy</name>
    <message>
        <source>Taking payments is a counter action for CLERK or ADMIN users.</source>
        <translation>收款是柜台操作，仅限收银员（CLERK）或管理员（ADMIN）。</translation>
    </message>
    <message>
        <source>Only a FINANCE user can review refunds.</source>
        <translation>只有财务（FINANCE）用户可以审核退款。</translation>
    </message>
    <message>
        <source>Only FINANCE or ADMIN users can resolve anomalies.</source>
        <translation>只有财务（FINANCE）或管理员（ADMIN）可以处理异常。</translation>
    </message>
    <message>
        <source>Only an ADMIN can change settings.</source>
        <translation>只有管理员（ADMIN）可以修改设置。</translation>
    </message>
    <message>
        <source>Select an order first.</source>
        <translation>请先选择一个订单。</translation>
    </message>
    <message>
        <source>Repay is a counter action for CLERK or ADMIN users.</source>
        <translation>重新支付是柜台操作，仅限收银员或管理员。</translation>
    </message>
    <message>
        <source>Only a pending order can be paid again; this one is %1.</source>
        <translation>只有待支付的订单可以重新支付；此订单状态为 %1。</translation>
    </message>
    <message>
        <source>A free order needs no payment.</source>
        <translation>免费订单无需支付。</translation>
    </message>
    <message>
        <source>The order&apos;s time is up; it is being closed.</source>
        <translation>订单已超时，正在关闭。</translation>
    </message>
    <message>
        <source>Closing an order is a counter action for CLERK or ADMIN users.</source>
        <translation>关闭订单是柜台操作，仅限收银员或管理员。</translation>
    </message>
    <message>
        <source>Only a pending order can be closed; this one is %1.</source>
        <translation>只有待支付的订单可以关闭；此订单状态为 %1。</translation>
    </message>
    <message>
        <source>Refunds are requested by CLERK or FINANCE users.</source>
        <translation>退款由收银员或财务用户申请。</translation>
    </message>
    <message>
        <source>Only a paid order can be refunded; this one is %1.</source>
        <translation>只有已支付的订单可以退款；此订单状态为 %1。</translation>
    </message>
    <message>
        <source>Nothing is left to refund on this order.</source>
        <translation>此订单已无可退金额。</translation>
    </message>
    <message>
        <source>Only FINANCE or ADMIN users can reconcile the channels&apos; bills.</source>
        <translation>只有财务（FINANCE）或管理员（ADMIN）用户可以对账。</translation>
    </message>
    <message>
        <source>A receipt is for a paid order; this one is %1.</source>
        <translation>凭证只开给已支付的订单；此订单为%1。</translation>
    </message>
    <message>
        <source>Marking an order paid is asked for by CLERK or FINANCE users.</source>
        <translation>标记已支付须由 CLERK 或 FINANCE 用户申请。</translation>
    </message>
    <message>
        <source>Only an unpaid order can be marked paid; this one is %1.</source>
        <translation>只有未支付的订单可以标记为已支付；此订单为%1。</translation>
    </message>
</context>
<context>
    <name>AnomalyRepository</name>
    <message>
        <source>There is no anomaly %1.</source>
        <translation>不存在异常 %1。</translation>
    </message>
    <message>
        <source>The anomaly was already resolved.</source>
        <translation>该异常已处理。</translation>
    </message>
</context>
<context>
    <name>AttemptCloser</name>
    <message>
        <source>The %1 channel is not configured.</source>
        <translation>%1 渠道尚未配置。</translation>
    </message>
</context>
<context>
    <name>AuditCheckpoint</name>
    <message>
        <source>This is not an audit checkpoint file: %1.</source>
        <translation>这不是审计检查点文件：%1。</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>不是 JSON 对象</translation>
    </message>
    <message>
        <source>format is not %1</source>
        <translation>format 不是 %1</translation>
    </message>
    <message>
        <source>seq is not an entry number</source>
        <translation>seq 不是记录序号</translation>
    </message>
    <message>
        <source>made_at is not a time</source>
        <translation>made_at 不是时间</translation>
    </message>
    <message>
        <source>hash is not a SHA-256 hex digest</source>
        <translation>hash 不是 SHA-256 十六进制摘要</translation>
    </message>
    <message>
        <source>key_id or mac is missing</source>
        <translation>缺少 key_id 或 mac</translation>
    </message>
    <message>
        <source>The audit checkpoint key in %1 is not 32 bytes; it was not written by PayDesk.</source>
        <translation>%1 中的审计检查点密钥不是 32 字节；它不是由 PayDesk 写入的。</translation>
    </message>
    <message>
        <source>There is no audit checkpoint key in %1: checkpoints are verified on the machine (or with the secret file) that made them.</source>
        <translation>%1 中没有审计检查点密钥：检查点只能在生成它的机器上（或使用生成时的密钥文件）校验。</translation>
    </message>
    <message>
        <source>The audit chain is broken at entry %1 (%2); no checkpoint is made over it.</source>
        <translation>审计哈希链在第 %1 条记录处断开（%2）；不会在其上生成检查点。</translation>
    </message>
    <message>
        <source>The checkpoint was signed with another key (%1, this machine has %2).</source>
        <translation>该检查点由另一个密钥签名（%1，本机密钥为 %2）。</translation>
    </message>
    <message>
        <source>The checkpoint&apos;s signature does not match its contents: the file was edited.</source>
        <translation>检查点的签名与内容不符：文件已被修改。</translation>
    </message>
    <message>
        <source>the log ends at entry %1 but the checkpoint of %2 vouches for %3 entries (entries were removed and the chain rebuilt)</source>
        <translation>日志止于第 %1 条记录，但 %2 的检查点担保了 %3 条记录（有记录被删除，哈希链被重建）</translation>
    </message>
    <message>
        <source>entry %1 is not the entry the checkpoint vouches for: entries up to it were rewritten and their hashes recomputed</source>
        <translation>第 %1 条记录不是检查点所担保的那一条：截至该条的记录已被改写，哈希也被重新计算</translation>
    </message>
</context>
<context>
    <name>AuditLog</name>
    <message>
        <source>The audit log has no head row; the database is damaged.</source>
        <translation>审计日志缺少链头记录，数据库已损坏。</translation>
    </message>
    <message>
        <source>entry %1 is missing (the next one is %2)</source>
        <translation>缺少第 %1 条记录（下一条是 %2）</translation>
    </message>
    <message>
        <source>its details are not the canonical JSON that was hashed</source>
        <translation>其详情不是参与哈希计算的规范 JSON</translation>
    </message>
    <message>
        <source>it does not follow the entry before it (previous hash differs)</source>
        <translation>它与前一条记录不衔接（前一哈希不符）</translation>
    </message>
    <message>
        <source>its contents do not match its hash (the row was edited)</source>
        <translation>内容与哈希不符（该行被修改过）</translation>
    </message>
    <message>
        <source>the chain head is missing</source>
        <translation>缺少链头</translation>
    </message>
    <message>
        <source>the log ends at entry %1 but the chain head says %2 (entries were removed)</source>
        <translation>日志止于第 %1 条，但链头记录为 %2（有记录被删除）</translation>
    </message>
</context>
<context>
    <name>BillAmount</name>
    <message>
        <source>&quot;%1&quot; is not a bill amount: %2</source>
        <translation>“%1”不是有效的账单金额：%2</translation>
    </message>
    <message>
        <source>it is empty.</source>
        <translation>值为空。</translation>
    </message>
    <message>
        <source>use digits with an optional decimal point, like 12.30.</source>
        <translation>请使用数字，可带小数点，如 12.30。</translation>
    </message>
    <message>
        <source>it has a fraction of a minor unit (at most %1 decimal places).</source>
        <translation>包含不足最小货币单位的部分（最多 %1 位小数）。</translation>
    </message>
    <message>
        <source>it is too large.</source>
        <translation>数值过大。</translation>
    </message>
</context>
<context>
    <name>BillParser</name>
    <message>
        <source>The bill is refused: line %1: %2</source>
        <translation>账单被拒收：第 %1 行：%2</translation>
    </message>
    <message>
        <source>The bill is refused: line %1, column %2: %3</source>
        <translation>账单被拒收：第 %1 行，列 %2：%3</translation>
    </message>
    <message>
        <source>The bill is refused: its summary states %1 %2, but its lines add up to %3.</source>
        <translation>账单被拒收：汇总中 %1 为 %2，但明细合计为 %3。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a time like 2026-12-02 09:15:00.</source>
        <translation>“%1”不是形如 2026-12-02 09:15:00 的时间。</translation>
    </message>
    <message>
        <source>The simulated channel writes its bills in WeChat Pay&apos;s or Alipay&apos;s format; name one of those channels.</source>
        <translation>模拟渠道按微信支付或支付宝的格式生成账单；请指定其中一个渠道。</translation>
    </message>
    <message>
        <source>the file is not UTF-8 text.</source>
        <translation>文件不是 UTF-8 文本。</translation>
    </message>
    <message>
        <source>there is no column header line.</source>
        <translation>没有列标题行。</translation>
    </message>
    <message>
        <source>the column header line has no such column.</source>
        <translation>列标题行中没有该列。</translation>
    </message>
    <message>
        <source>%1 fields where the header has %2.</source>
        <translation>有 %1 个字段，而标题行有 %2 个。</translation>
    </message>
    <message>
        <source>it is empty.</source>
        <translation>该字段为空。</translation>
    </message>
    <message>
        <source>a refund line needs its refund number.</source>
        <translation>退款行需要退款单号。</translation>
    </message>
    <message>
        <source>a refund line needs a refund amount above zero.</source>
        <translation>退款行需要大于零的退款金额。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a trade state of a bill (SUCCESS, REFUND, REVOKED).</source>
        <translation>“%1”不是账单中的交易状态（SUCCESS、REFUND、REVOKED）。</translation>
    </message>
    <message>
        <source>the summary (总交易单数 ...) is missing; the file may be cut short.</source>
        <translation>缺少汇总（总交易单数 ...）；文件可能不完整。</translation>
    </message>
    <message>
        <source>the summary line after its header is missing.</source>
        <translation>汇总标题之后缺少汇总行。</translation>
    </message>
    <message>
        <source>%1 fields where the summary header has %2.</source>
        <translation>有 %1 个字段，而汇总标题行有 %2 个。</translation>
    </message>
    <message>
        <source>nothing may follow the summary line.</source>
        <translation>汇总行之后不能再有内容。</translation>
    </message>
    <message>
        <source>the number of lines is missing.</source>
        <translation>缺少笔数。</translation>
    </message>
    <message>
        <source>the summary has no such column.</source>
        <translation>汇总中没有该列。</translation>
    </message>
    <message>
        <source>The bill is refused: %1</source>
        <translation>账单被拒收：%1</translation>
    </message>
    <message>
        <source>The bill is refused: the archive holds two files ending in _业务明细.csv.</source>
        <translation>账单被拒收：压缩包中有两个以 _业务明细.csv 结尾的文件。</translation>
    </message>
    <message>
        <source>The bill is refused: the archive holds no file ending in _业务明细.csv.</source>
        <translation>账单被拒收：压缩包中没有以 _业务明细.csv 结尾的文件。</translation>
    </message>
    <message>
        <source>the file is not GBK text.</source>
        <translation>文件不是 GBK 文本。</translation>
    </message>
    <message>
        <source>a detail line after the totals.</source>
        <translation>合计之后出现明细行。</translation>
    </message>
    <message>
        <source>a payment cannot be negative.</source>
        <translation>支付金额不能为负数。</translation>
    </message>
    <message>
        <source>a refund is written as a negative amount.</source>
        <translation>退款应记为负数金额。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a business type this bill may hold (交易, 退款).</source>
        <translation>“%1”不是此账单允许的业务类型（交易、退款）。</translation>
    </message>
    <message>
        <source>the footer #交易合计 is missing; the file may be cut short.</source>
        <translation>缺少页脚 #交易合计；文件可能不完整。</translation>
    </message>
    <message>
        <source>the footer #退款合计 is missing; the file may be cut short.</source>
        <translation>缺少页脚 #退款合计；文件可能不完整。</translation>
    </message>
    <message>
        <source>%1 lines</source>
        <translation>%1 笔</translation>
    </message>
</context>
<context>
    <name>ChannelProfile</name>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>The gateway URL &quot;%1&quot; is not an absolute http(s) URL.</source>
        <translation>网关地址“%1”不是完整的 http(s) 地址。</translation>
    </message>
    <message>
        <source>Refusing plain http to %1: only https is allowed, except for a loopback sandbox (127.0.0.0/8, ::1, localhost).</source>
        <translation>拒绝以明文 http 连接 %1：只允许 https，本机沙箱（127.0.0.0/8、::1、localhost）除外。</translation>
    </message>
    <message>
        <source>The gateway URL must be https (got &quot;%1&quot;).</source>
        <translation>网关地址必须是 https（当前为“%1”）。</translation>
    </message>
    <message>
        <source>Unknown key &quot;%1&quot; in the channel profile.</source>
        <translation>渠道配置中有未知字段“%1”。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a string.</source>
        <translation>“%1”必须是字符串。</translation>
    </message>
    <message>
        <source>&quot;channel&quot; must be &quot;wechat&quot; or &quot;alipay&quot; (got &quot;%1&quot;).</source>
        <translation>“channel”必须是“wechat”或“alipay”（当前为“%1”）。</translation>
    </message>
    <message>
        <source>&quot;platform_certificates&quot; must be a list of PEM texts.</source>
        <translation>“platform_certificates”必须是 PEM 文本列表。</translation>
    </message>
    <message>
        <source>%1 is not a JSON object: %2</source>
        <translation>%1 不是 JSON 对象：%2</translation>
    </message>
    <message>
        <source>A profile is for WeChat Pay or Alipay.</source>
        <translation>渠道配置只适用于微信支付或支付宝。</translation>
    </message>
    <message>
        <source>The profile has no app_id.</source>
        <translation>配置缺少 app_id。</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs merchant_id (mchid).</source>
        <translation>微信支付配置需要 merchant_id（商户号 mchid）。</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs merchant_serial (the merchant API certificate serial).</source>
        <translation>微信支付配置需要 merchant_serial（商户 API 证书序列号）。</translation>
    </message>
    <message>
        <source>notify_url &quot;%1&quot; is not an absolute http(s) URL.</source>
        <translation>notify_url“%1”不是完整的 http(s) 地址。</translation>
    </message>
    <message>
        <source>The profile has no private_key.</source>
        <translation>配置缺少 private_key。</translation>
    </message>
    <message>
        <source>private_key: %1</source>
        <translation>private_key：%1</translation>
    </message>
    <message>
        <source>api_v3_key must be exactly 32 bytes (it has %1).</source>
        <translation>api_v3_key 必须正好 32 字节（当前 %1 字节）。</translation>
    </message>
    <message>
        <source>A WeChat Pay profile needs platform_public_key with platform_public_key_id, or platform_certificates, to verify WeChat Pay&apos;s answers.</source>
        <translation>微信支付配置需要 platform_public_key 及其 platform_public_key_id，或 platform_certificates，用于验证微信支付的应答。</translation>
    </message>
    <message>
        <source>platform_public_key needs its platform_public_key_id (PUB_KEY_ID_...).</source>
        <translation>platform_public_key 需要对应的 platform_public_key_id（PUB_KEY_ID_...）。</translation>
    </message>
    <message>
        <source>platform_certificates: %1</source>
        <translation>platform_certificates：%1</translation>
    </message>
    <message>
        <source>An Alipay profile needs platform_public_key (the Alipay public key).</source>
        <translation>支付宝配置需要 platform_public_key（支付宝公钥）。</translation>
    </message>
    <message>
        <source>platform_public_key: %1</source>
        <translation>platform_public_key：%1</translation>
    </message>
    <message>
        <source>Refusing plain http to %1: a loopback gateway may use http only in a sandbox profile (&quot;sandbox&quot;: true); use https.</source>
        <translation>拒绝以明文 http 连接 %1：只有沙箱配置（&quot;sandbox&quot;: true）中的本机回环网关才可使用 http；请使用 https。</translation>
    </message>
    <message>
        <source>&quot;sandbox&quot; must be true or false.</source>
        <translation>“sandbox”必须为 true 或 false。</translation>
    </message>
</context>
<context>
    <name>ChannelProfileStore</name>
    <message>
        <source>No %1 channel is configured: add one with paydeskctl channel add %1 --profile FILE.</source>
        <translation>尚未配置 %1 渠道：请用 paydeskctl channel add %1 --profile 文件 添加。</translation>
    </message>
    <message>
        <source>The secrets of the %1 profile are in the %2 store, but this run uses the %3 store (%4). Run with the same secret store, or add the profile again.</source>
        <translation>%1 配置的密钥保存在 %2 中，但本次运行使用的是 %3（%4）。请使用相同的密钥存储，或重新添加该配置。</translation>
    </message>
    <message>
        <source>No %1 channel is configured.</source>
        <translation>尚未配置 %1 渠道。</translation>
    </message>
    <message>
        <source>The simulated channel has no profile.</source>
        <translation>模拟渠道没有配置文件。</translation>
    </message>
    <message>
        <source>%1 channel: %2</source>
        <translation>%1 渠道：%2</translation>
    </message>
    <message>
        <source>Only an active administrator can change payment channel profiles; &quot;%1&quot; is not one.</source>
        <translation>只有启用状态的管理员可以修改支付渠道配置；“%1”不是。</translation>
    </message>
    <message>
        <source>The %1 profile has no seal in the secret store (it was stored by an older PayDesk, or written past PayDesk), so it is not used. An ADMIN must add it again: paydeskctl channel add %1 --profile FILE.</source>
        <translation>%1 配置在密钥存储中没有封签（由旧版 PayDesk 保存，或绕过 PayDesk 写入），因此不予使用。须由管理员（ADMIN）重新添加：paydeskctl channel add %1 --profile 文件。</translation>
    </message>
    <message>
        <source>The stored %1 profile does not match the one an ADMIN saved: its gateway, ids or platform keys were changed past PayDesk. It is not used; an ADMIN must add it again.</source>
        <translation>已保存的 %1 配置与管理员（ADMIN）保存的不一致：其网关、ID 或平台公钥被绕过 PayDesk 修改过。该配置不予使用；须由管理员重新添加。</translation>
    </message>
</context>
<context>
    <name>ChannelSetup</name>
    <message>
        <source>%1 (simulated)</source>
        <translation>%1（模拟）</translation>
    </message>
    <message>
        <source>The payment channels&apos; secrets cannot be read: %1</source>
        <translation>无法读取支付渠道的密钥：%1</translation>
    </message>
</context>
<context>
    <name>ClosingRepository</name>
    <message>
        <source>%1 is closed already.</source>
        <translation>%1 已关账。</translation>
    </message>
</context>
<context>
    <name>ClosingService</name>
    <message>
        <source>A shift is closed by counter staff (CLERK or ADMIN); %1 is %2.</source>
        <translation>交班由柜台人员（CLERK 或 ADMIN）操作；%1 是%2。</translation>
    </message>
    <message>
        <source>A day is closed by FINANCE or ADMIN users; %1 is %2.</source>
        <translation>日结由 FINANCE 或 ADMIN 用户操作；%1 是%2。</translation>
    </message>
    <message>
        <source>Give the day as YYYY-MM-DD.</source>
        <translation>请按 YYYY-MM-DD 填写日期。</translation>
    </message>
    <message>
        <source>%1 was closed already, by %2.</source>
        <translation>%1 已由 %2 日结。</translation>
    </message>
    <message>
        <source>%1 is not over yet; close it once the day has ended.</source>
        <translation>%1 尚未结束；请在当天结束后再日结。</translation>
    </message>
</context>
<context>
    <name>Database</name>
    <message>
        <source>&quot;%1&quot; is not a PostgreSQL URL; use postgresql://user:password@host:port/database.</source>
        <translation>“%1”不是 PostgreSQL 地址；请使用 postgresql://用户:密码@主机:端口/数据库。</translation>
    </message>
    <message>
        <source>Unknown database URL &quot;%1&quot;: use sqlite:/path/file.db or postgresql://user@host/db.</source>
        <translation>无法识别的数据库地址“%1”：请使用 sqlite:/路径/文件.db 或 postgresql://用户@主机/数据库。</translation>
    </message>
    <message>
        <source>The SQLite URL has no file path.</source>
        <translation>SQLite 地址缺少文件路径。</translation>
    </message>
    <message>
        <source>Cannot create the folder %1.</source>
        <translation>无法创建文件夹 %1。</translation>
    </message>
    <message>
        <source>Cannot open the database %1: %2</source>
        <translation>无法打开数据库 %1：%2</translation>
    </message>
    <message>
        <source>Migration %1 is missing from the program.</source>
        <translation>程序中缺少迁移 %1。</translation>
    </message>
    <message>
        <source>migration %1</source>
        <translation>迁移 %1</translation>
    </message>
    <message>
        <source>Cannot create the database file %1: %2</source>
        <translation>无法创建数据库文件 %1：%2</translation>
    </message>
</context>
<context>
    <name>DateRange</name>
    <message>
        <source>Any time</source>
        <translation>全部时间</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>本月</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>自定义…</translation>
    </message>
</context>
<context>
    <name>DemoDriver</name>
    <message>
        <source>Pearl milk tea</source>
        <translation>珍珠奶茶</translation>
    </message>
    <message>
        <source>Americano</source>
        <translation>美式咖啡</translation>
    </message>
    <message>
        <source>Caffe latte</source>
        <translation>拿铁咖啡</translation>
    </message>
    <message>
        <source>Soup dumplings</source>
        <translation>小笼包</translation>
    </message>
    <message>
        <source>Beef noodle soup</source>
        <translation>牛肉面</translation>
    </message>
    <message>
        <source>Matcha cake</source>
        <translation>抹茶蛋糕</translation>
    </message>
    <message>
        <source>Phone case</source>
        <translation>手机壳</translation>
    </message>
    <message>
        <source>Thermos flask</source>
        <translation>保温杯</translation>
    </message>
    <message>
        <source>Flower bouquet</source>
        <translation>鲜花束</translation>
    </message>
    <message>
        <source>Parking fee</source>
        <translation>停车费</translation>
    </message>
</context>
<context>
    <name>DemoSeeder</name>
    <message>
        <source>The demo can seed between 0 and 5,000,000 orders.</source>
        <translation>演示数据可生成 0 到 5,000,000 笔订单。</translation>
    </message>
    <message>
        <source>The demo history spans 1 to 3650 days.</source>
        <translation>演示历史跨度为 1 到 3650 天。</translation>
    </message>
    <message>
        <source>This database has real users; demo data goes only into a new or demo database.</source>
        <translation>此数据库已有真实用户；演示数据只能写入新数据库或演示数据库。</translation>
    </message>
    <message>
        <source>The database already has %1 orders; seed demo data into an empty one.</source>
        <translation>数据库已有 %1 笔订单；请将演示数据写入空数据库。</translation>
    </message>
    <message>
        <source>The counter simulator is only part of a demo database.</source>
        <translation>柜台模拟器只属于演示数据库。</translation>
    </message>
    <message>
        <source>Counter simulator</source>
        <translation>柜台模拟器</translation>
    </message>
</context>
<context>
    <name>Duration</name>
    <message>
        <source>&quot;%1&quot; is not a duration: use a whole number with ms, s, m, h or d, like 30m.</source>
        <translation>“%1”不是时长：请用整数加 ms、s、m、h 或 d，例如 30m。</translation>
    </message>
    <message>
        <source>%1d %2h</source>
        <translation>%1天 %2小时</translation>
    </message>
    <message numerus="yes">
        <source>%n s</source>
        <translation>
            <numerusform>%n 秒</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
</context>
<context>
    <name>EncryptedFileSecretStore</name>
    <message>
        <source>The encrypted secrets file needs a passphrase in PAYDESK_SECRET_PASSPHRASE.</source>
        <translation>加密密钥文件需要在 PAYDESK_SECRET_PASSPHRASE 中提供口令。</translation>
    </message>
    <message>
        <source>No secrets file: set PAYDESK_SECRET_FILE.</source>
        <translation>没有密钥文件：请设置 PAYDESK_SECRET_FILE。</translation>
    </message>
    <message>
        <source>Cannot read the secrets file %1: %2</source>
        <translation>无法读取密钥文件 %1：%2</translation>
    </message>
    <message>
        <source>%1 is not a PayDesk secrets file.</source>
        <translation>%1 不是 PayDesk 密钥文件。</translation>
    </message>
    <message>
        <source>Cannot open the secrets file %1: the passphrase (PAYDESK_SECRET_PASSPHRASE) is wrong or the file was altered.</source>
        <translation>无法打开密钥文件 %1：口令（PAYDESK_SECRET_PASSPHRASE）错误或文件已被篡改。</translation>
    </message>
    <message>
        <source>Cannot write the secrets file %1: %2</source>
        <translation>无法写入密钥文件 %1：%2</translation>
    </message>
    <message>
        <source>No secret %1: %2 does not exist.</source>
        <translation>没有密钥 %1：%2 不存在。</translation>
    </message>
    <message>
        <source>No secret %1 in %2.</source>
        <translation>%2 中没有密钥 %1。</translation>
    </message>
    <message>
        <source>%1 has unusable key-derivation parameters (scrypt N=%2, r=%3, p=%4; PayDesk accepts N a power of two from 1024 to %5, r up to %6, p up to %7, at most %8 MiB of memory). The file may have been altered.</source>
        <translation>%1 的密钥派生参数不可用（scrypt N=%2、r=%3、p=%4；PayDesk 接受的 N 为 1024 到 %5 之间的 2 的幂，r 不超过 %6，p 不超过 %7，内存最多 %8 MiB）。文件可能已被篡改。</translation>
    </message>
</context>
<context>
    <name>FinanceStats</name>
    <message>
        <source>Choose a range whose end is not before its start.</source>
        <translation>请选择结束日期不早于开始日期的范围。</translation>
    </message>
    <message>
        <source>Choose a range of at most three years.</source>
        <translation>请选择不超过三年的范围。</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
</context>
<context>
    <name>FixupRepository</name>
    <message>
        <source>Payment %1 already has a fix-up waiting for review.</source>
        <translation>支付单 %1 已有一个待审核的更正。</translation>
    </message>
    <message>
        <source>There is no fix-up %1.</source>
        <translation>没有更正 %1。</translation>
    </message>
    <message>
        <source>A fix-up is decided as applied or rejected.</source>
        <translation>更正只能被批准执行或驳回。</translation>
    </message>
    <message>
        <source>Fix-up %1 was decided by someone else first.</source>
        <translation>更正 %1 已先被他人处理。</translation>
    </message>
</context>
<context>
    <name>KeychainSecretStore</name>
    <message>
        <source>PAYDESK_SECRET_STORE must be &quot;keychain&quot; or &quot;file&quot; (got &quot;%1&quot;).</source>
        <translation>PAYDESK_SECRET_STORE 必须是“keychain”或“file”（当前为“%1”）。</translation>
    </message>
    <message>
        <source>No OS keychain answers here. Set PAYDESK_SECRET_PASSPHRASE to keep the channel secrets in an encrypted file instead (%1).</source>
        <translation>此处没有可用的系统钥匙串。请设置 PAYDESK_SECRET_PASSPHRASE，改用加密文件保存渠道密钥（%1）。</translation>
    </message>
    <message>
        <source>No secret %1 in the keychain.</source>
        <translation>钥匙串中没有密钥 %1。</translation>
    </message>
    <message>
        <source>The keychain refused access to %1: %2</source>
        <translation>钥匙串拒绝访问 %1：%2</translation>
    </message>
    <message>
        <source>OS keychain (service %1)</source>
        <translation>系统钥匙串（服务 %1）</translation>
    </message>
    <message>
        <source>The keychain did not answer in time.</source>
        <translation>钥匙串未能及时响应。</translation>
    </message>
    <message>
        <source>The keychain failed on %1: %2. Where no keychain runs, set PAYDESK_SECRET_PASSPHRASE to keep the secrets in an encrypted file.</source>
        <translation>钥匙串处理 %1 时出错：%2。没有钥匙串的环境请设置 PAYDESK_SECRET_PASSPHRASE，用加密文件保存密钥。</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Pending</source>
        <translation>待支付</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>已支付</translation>
    </message>
    <message>
        <source>Partly refunded</source>
        <translation>部分退款</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>已退款</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>已创建</translation>
    </message>
    <message>
        <source>Waiting for payment</source>
        <translation>等待付款</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>待审核</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>已批准</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已驳回</translation>
    </message>
    <message>
        <source>Processing</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>Paid after close</source>
        <translation>关单后付款</translation>
    </message>
    <message>
        <source>Duplicate payment</source>
        <translation>重复支付</translation>
    </message>
    <message>
        <source>Amount mismatch</source>
        <translation>金额不符</translation>
    </message>
    <message>
        <source>Refund abnormal</source>
        <translation>退款异常</translation>
    </message>
    <message>
        <source>Refund closed by channel</source>
        <translation>退款被渠道关闭</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未处理</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>已处理</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>收银员</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation>模拟渠道</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>time ran out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>closed by hand</source>
        <translation>手动关闭</translation>
    </message>
    <message>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n 分钟前</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation>
            <numerusform>%n 小时前</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n d ago</source>
        <translation>
            <numerusform>%n 天前</numerusform>
        </translation>
    </message>
    <message>
        <source>Order created</source>
        <translation>创建订单</translation>
    </message>
    <message>
        <source>Order refused</source>
        <translation>订单被拒绝</translation>
    </message>
    <message>
        <source>Payment re-issued</source>
        <translation>重新发起支付</translation>
    </message>
    <message>
        <source>Repay refused</source>
        <translation>重新支付被拒绝</translation>
    </message>
    <message>
        <source>Order closed</source>
        <translation>订单已关闭</translation>
    </message>
    <message>
        <source>Close refused</source>
        <translation>关闭被拒绝</translation>
    </message>
    <message>
        <source>Order paid</source>
        <translation>订单已支付</translation>
    </message>
    <message>
        <source>Payment issued</source>
        <translation>发起支付</translation>
    </message>
    <message>
        <source>Payment could not be issued</source>
        <translation>支付发起失败</translation>
    </message>
    <message>
        <source>Payment closed</source>
        <translation>支付已关闭</translation>
    </message>
    <message>
        <source>Payment failed</source>
        <translation>支付失败</translation>
    </message>
    <message>
        <source>Late payment</source>
        <translation>延迟到账</translation>
    </message>
    <message>
        <source>Refund requested</source>
        <translation>申请退款</translation>
    </message>
    <message>
        <source>Refund refused</source>
        <translation>退款被拒绝</translation>
    </message>
    <message>
        <source>Refund approved automatically</source>
        <translation>退款自动批准</translation>
    </message>
    <message>
        <source>Refund approved</source>
        <translation>退款已批准</translation>
    </message>
    <message>
        <source>Refund rejected</source>
        <translation>退款已驳回</translation>
    </message>
    <message>
        <source>Refund sent</source>
        <translation>退款已提交</translation>
    </message>
    <message>
        <source>Refund completed</source>
        <translation>退款完成</translation>
    </message>
    <message>
        <source>Refund failed</source>
        <translation>退款失败</translation>
    </message>
    <message>
        <source>Refund closed</source>
        <translation>退款已关闭</translation>
    </message>
    <message>
        <source>Anomaly opened</source>
        <translation>发现异常</translation>
    </message>
    <message>
        <source>Anomaly resolved</source>
        <translation>异常已处理</translation>
    </message>
    <message>
        <source>Anomaly resolution refused</source>
        <translation>异常处理被拒绝</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Sign-in failed</source>
        <translation>登录失败</translation>
    </message>
    <message>
        <source>Sign-in slowed down</source>
        <translation>登录被限速</translation>
    </message>
    <message>
        <source>User added</source>
        <translation>添加用户</translation>
    </message>
    <message>
        <source>User enabled</source>
        <translation>启用用户</translation>
    </message>
    <message>
        <source>User disabled</source>
        <translation>停用用户</translation>
    </message>
    <message>
        <source>Password changed</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>Channel configured</source>
        <translation>配置渠道</translation>
    </message>
    <message>
        <source>Channel removed</source>
        <translation>移除渠道</translation>
    </message>
    <message>
        <source>Channel profile changed</source>
        <translation>渠道配置已更改</translation>
    </message>
    <message>
        <source>Channel change refused</source>
        <translation>渠道更改被拒绝</translation>
    </message>
    <message>
        <source>Channel profile not trusted</source>
        <translation>渠道配置不可信</translation>
    </message>
    <message>
        <source>Demo data created</source>
        <translation>生成演示数据</translation>
    </message>
    <message>
        <source>Refund unconfirmed</source>
        <translation>退款未确认</translation>
    </message>
    <message>
        <source>Differs from the channel&apos;s bill</source>
        <translation>与渠道账单不符</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Timer</source>
        <translation>定时任务</translation>
    </message>
    <message>
        <source>Auto-approval</source>
        <translation>自动审批</translation>
    </message>
    <message>
        <source>Setup</source>
        <translation>初始设置</translation>
    </message>
    <message>
        <source>Channel notification</source>
        <translation>渠道通知</translation>
    </message>
    <message>
        <source>Counter simulator</source>
        <translation>柜台模拟器</translation>
    </message>
    <message>
        <source>abnormal at the channel</source>
        <translation>渠道退款异常</translation>
    </message>
    <message>
        <source>the channel named another amount</source>
        <translation>渠道返回的金额不符</translation>
    </message>
    <message>
        <source>unknown to the channel</source>
        <translation>渠道查无此单</translation>
    </message>
    <message>
        <source>not paid</source>
        <translation>未支付</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>payment failed</source>
        <translation>支付失败</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation>成功</translation>
    </message>
    <message>
        <source>processing</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>the database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>a new order</source>
        <translation>新订单</translation>
    </message>
    <message>
        <source>order %1</source>
        <translation>订单 %1</translation>
    </message>
    <message>
        <source>refund %1</source>
        <translation>退款 %1</translation>
    </message>
    <message>
        <source>payment %1</source>
        <translation>支付单 %1</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>用户 %1</translation>
    </message>
    <message>
        <source>anomaly %1</source>
        <translation>异常 %1</translation>
    </message>
    <message>
        <source>setting %1</source>
        <translation>设置项 %1</translation>
    </message>
    <message>
        <source>the %1 channel</source>
        <translation>%1渠道</translation>
    </message>
    <message>
        <source>the %1 bill of %2</source>
        <translation>%1 %2 的账单</translation>
    </message>
    <message>
        <source>{who} created order {order} of {amount} ({title})</source>
        <translation>{who} 创建了订单 {order}，金额 {amount}（{title}）</translation>
    </message>
    <message>
        <source>{who} was refused a new order of {amount}</source>
        <translation>{who} 创建金额 {amount} 的订单被拒绝</translation>
    </message>
    <message>
        <source>{who} re-issued order {order} as payment {payment} on {channel}, valid until {expires}</source>
        <translation>{who} 为订单 {order} 重新发起支付 {payment}（{channel}），有效期至 {expires}</translation>
    </message>
    <message>
        <source>{who} was refused a repay of order {order}</source>
        <translation>{who} 重新支付订单 {order} 被拒绝</translation>
    </message>
    <message>
        <source>{who} closed order {order} ({reason})</source>
        <translation>{who} 关闭了订单 {order}（{reason}）</translation>
    </message>
    <message>
        <source>{who} was refused closing order {order}</source>
        <translation>{who} 关闭订单 {order} 被拒绝</translation>
    </message>
    <message>
        <source>{who} recorded order {order} as paid (payment {payment})</source>
        <translation>{who} 确认订单 {order} 已支付（支付单 {payment}）</translation>
    </message>
    <message>
        <source>{who} issued payment {payment} on {channel}, valid until {expires}</source>
        <translation>{who} 发起支付 {payment}（{channel}），有效期至 {expires}</translation>
    </message>
    <message>
        <source>Payment {payment} could not be issued</source>
        <translation>支付单 {payment} 发起失败</translation>
    </message>
    <message>
        <source>{who} closed payment {payment} at the channel</source>
        <translation>{who} 在渠道关闭了支付单 {payment}</translation>
    </message>
    <message>
        <source>{who} recorded payment {payment} as failed at the channel</source>
        <translation>{who} 记录支付单 {payment} 在渠道支付失败</translation>
    </message>
    <message>
        <source>{who} recorded payment {payment} arriving late for {object}</source>
        <translation>{who} 记录支付单 {payment} 为{object}的延迟到账</translation>
    </message>
    <message>
        <source>{who}: the channel named {stated_amount} for payment {payment}, which was for {expected_amount}</source>
        <translation>{who}：渠道称支付单 {payment} 金额为 {stated_amount}，而应为 {expected_amount}</translation>
    </message>
    <message>
        <source>{who} requested refund {refund} of {amount} on order {order}: {reason}</source>
        <translation>{who} 为订单 {order} 申请退款 {refund}，金额 {amount}：{reason}</translation>
    </message>
    <message>
        <source>{who} was refused a refund of {amount} on {object}</source>
        <translation>{who} 为{object}申请 {amount} 退款被拒绝</translation>
    </message>
    <message>
        <source>{who} approved refund {refund} (within the limit of {threshold})</source>
        <translation>{who} 批准了退款 {refund}（在 {threshold} 限额内）</translation>
    </message>
    <message>
        <source>{who} approved refund {refund} of {amount}</source>
        <translation>{who} 批准了退款 {refund}，金额 {amount}</translation>
    </message>
    <message>
        <source>{who} was refused approving refund {refund}</source>
        <translation>{who} 批准退款 {refund} 被拒绝</translation>
    </message>
    <message>
        <source>{who} rejected refund {refund} of {amount}</source>
        <translation>{who} 驳回了退款 {refund}，金额 {amount}</translation>
    </message>
    <message>
        <source>{who} was refused rejecting refund {refund}</source>
        <translation>{who} 驳回退款 {refund} 被拒绝</translation>
    </message>
    <message>
        <source>{who} sent refund {refund} of {amount} again</source>
        <translation>{who} 重新提交了退款 {refund}，金额 {amount}</translation>
    </message>
    <message>
        <source>{who} was refused retrying refund {refund}</source>
        <translation>{who} 重试退款 {refund} 被拒绝</translation>
    </message>
    <message>
        <source>{who} sent refund {refund} to the channel</source>
        <translation>{who} 已将退款 {refund} 提交渠道</translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as paid out</source>
        <translation>{who} 确认退款 {refund} 已退回</translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as refused by the channel</source>
        <translation>{who} 记录退款 {refund} 被渠道拒绝</translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as closed by the channel</source>
        <translation>{who} 记录退款 {refund} 被渠道关闭</translation>
    </message>
    <message>
        <source>{who} recorded refund {refund} as abnormal at the channel</source>
        <translation>{who} 记录退款 {refund} 在渠道异常</translation>
    </message>
    <message>
        <source>{who} got no verifiable answer about refund {refund}</source>
        <translation>{who} 未获得关于退款 {refund} 的可验证答复</translation>
    </message>
    <message>
        <source>{who}: the channel named {stated_amount} for refund {refund}, which was for {expected_amount}</source>
        <translation>{who}：渠道称退款 {refund} 金额为 {stated_amount}，而应为 {expected_amount}</translation>
    </message>
    <message>
        <source>{who} opened an anomaly ({kind}) for {object}</source>
        <translation>{who} 为{object}登记了异常（{kind}）</translation>
    </message>
    <message>
        <source>{who} resolved {object}</source>
        <translation>{who} 处理了{object}</translation>
    </message>
    <message>
        <source>{who} was refused resolving {object}</source>
        <translation>{who} 处理{object}被拒绝</translation>
    </message>
    <message>
        <source>{who} signed in</source>
        <translation>{who} 登录</translation>
    </message>
    <message>
        <source>Sign-in failed for {object}</source>
        <translation>{object}登录失败</translation>
    </message>
    <message>
        <source>Sign-ins for {object} slowed down</source>
        <translation>{object}的登录已被限速</translation>
    </message>
    <message>
        <source>{who}&apos;s session was locked</source>
        <translation>{who} 的会话已锁定</translation>
    </message>
    <message>
        <source>{who} signed out</source>
        <translation>{who} 已退出登录</translation>
    </message>
    <message>
        <source>{who} added {object} ({role})</source>
        <translation>{who} 添加了{object}（{role}）</translation>
    </message>
    <message>
        <source>{who} enabled {object}</source>
        <translation>{who} 启用了{object}</translation>
    </message>
    <message>
        <source>{who} disabled {object}</source>
        <translation>{who} 停用了{object}</translation>
    </message>
    <message>
        <source>{who} changed the password of {object}</source>
        <translation>{who} 修改了{object}的密码</translation>
    </message>
    <message>
        <source>{who} made {object} {role}</source>
        <translation>{who} 将{object}设为{role}</translation>
    </message>
    <message>
        <source>{who} changed {object} from {before} to {after}</source>
        <translation>{who} 将{object}从 {before} 改为 {after}</translation>
    </message>
    <message>
        <source>{who} was refused changing {object}</source>
        <translation>{who} 修改{object}被拒绝</translation>
    </message>
    <message>
        <source>{who} reconciled {object}: {matched} matched, {differences} differences</source>
        <translation>{who} 核对了{object}：{matched} 笔一致，{differences} 处差异</translation>
    </message>
    <message>
        <source>{who} found no bill for {object}</source>
        <translation>{who} 未找到{object}</translation>
    </message>
    <message>
        <source>{who} created the demo&apos;s history ({orders} orders)</source>
        <translation>{who} 生成了演示历史（{orders} 笔订单）</translation>
    </message>
    <message>
        <source>{who}: %1 ({object})</source>
        <translation>{who}：%1（{object}）</translation>
    </message>
    <message>
        <source>(unset)</source>
        <translation>（未设置）</translation>
    </message>
    <message>
        <source>%1: “%2”</source>
        <translation>%1：“%2”</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>Payment amount differs</source>
        <translation>支付金额不符</translation>
    </message>
    <message>
        <source>Approval refused</source>
        <translation>批准被拒绝</translation>
    </message>
    <message>
        <source>Rejection refused</source>
        <translation>驳回被拒绝</translation>
    </message>
    <message>
        <source>Refund sent again</source>
        <translation>重新提交退款</translation>
    </message>
    <message>
        <source>Retry refused</source>
        <translation>重试被拒绝</translation>
    </message>
    <message>
        <source>Refund amount differs</source>
        <translation>退款金额不符</translation>
    </message>
    <message>
        <source>Bill reconciled</source>
        <translation>账单已对账</translation>
    </message>
    <message>
        <source>No bill from the channel</source>
        <translation>渠道无账单</translation>
    </message>
    <message>
        <source>Session locked</source>
        <translation>会话已锁定</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Role changed</source>
        <translation>角色已更改</translation>
    </message>
    <message>
        <source>Setting changed</source>
        <translation>设置已更改</translation>
    </message>
    <message>
        <source>Setting change refused</source>
        <translation>设置更改被拒绝</translation>
    </message>
    <message>
        <source>Notification refused</source>
        <translation>通知被拒绝</translation>
    </message>
    <message>
        <source>Channel answer refused</source>
        <translation>渠道应答被拒绝</translation>
    </message>
    <message>
        <source>refunded</source>
        <translation>已退款</translation>
    </message>
    <message>
        <source>Mark paid asked for</source>
        <translation>申请标记已支付</translation>
    </message>
    <message>
        <source>Mark paid refused</source>
        <translation>标记已支付申请被拒</translation>
    </message>
    <message>
        <source>Mark paid approved</source>
        <translation>标记已支付已批准</translation>
    </message>
    <message>
        <source>Mark paid approval refused</source>
        <translation>标记已支付批准被拒</translation>
    </message>
    <message>
        <source>Mark paid rejected</source>
        <translation>标记已支付已驳回</translation>
    </message>
    <message>
        <source>Mark paid rejection refused</source>
        <translation>标记已支付驳回被拒</translation>
    </message>
    <message>
        <source>{who} asked to mark payment {payment} of order {order} paid with transaction {txn} ({amount}): {reason}</source>
        <translation>{who} 申请将订单 {order} 的支付单 {payment} 按交易 {txn}（{amount}）标记为已支付：{reason}</translation>
    </message>
    <message>
        <source>{who} was refused marking an order paid</source>
        <translation>{who} 标记订单已支付的申请被拒</translation>
    </message>
    <message>
        <source>{who} approved marking order {order} paid with transaction {txn}</source>
        <translation>{who} 批准将订单 {order} 按交易 {txn} 标记为已支付</translation>
    </message>
    <message>
        <source>{who} was refused approving {object}</source>
        <translation>{who} 批准{object}被拒</translation>
    </message>
    <message>
        <source>{who} rejected marking order {order} paid</source>
        <translation>{who} 驳回了将订单 {order} 标记为已支付</translation>
    </message>
    <message>
        <source>{who} was refused rejecting {object}</source>
        <translation>{who} 驳回{object}被拒</translation>
    </message>
    <message>
        <source>Shift closed</source>
        <translation>已交班</translation>
    </message>
    <message>
        <source>Shift close refused</source>
        <translation>交班被拒</translation>
    </message>
    <message>
        <source>Day closed</source>
        <translation>已日结</translation>
    </message>
    <message>
        <source>Day close refused</source>
        <translation>日结被拒</translation>
    </message>
    <message>
        <source>{who} closed their shift: paid {paid}, refunded {refunded}, net {net}</source>
        <translation>{who} 交班：收款 {paid}，退款 {refunded}，净额 {net}</translation>
    </message>
    <message>
        <source>{who} closed the day {date}: paid {paid}, refunded {refunded}, net {net}</source>
        <translation>{who} 日结 {date}：收款 {paid}，退款 {refunded}，净额 {net}</translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>The amount cannot be negative.</source>
        <translation>金额不能为负数。</translation>
    </message>
    <message>
        <source>A refund must be at least %1.</source>
        <translation>退款金额至少为 %1。</translation>
    </message>
    <message>
        <source>A payment must be at least %1; zero is only allowed as an order total.</source>
        <translation>支付金额至少为 %1；只有订单总额可以为零。</translation>
    </message>
    <message>
        <source>The amount is above the channel maximum of %1 %2.</source>
        <translation>金额超过渠道上限 %1 %2。</translation>
    </message>
    <message>
        <source>Enter an amount.</source>
        <translation>请输入金额。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not an amount: use digits and at most one decimal point, like 12.30.</source>
        <translation>“%1”不是有效金额：请使用数字和最多一个小数点，例如 12.30。</translation>
    </message>
    <message>
        <source>%1 amounts have no decimals.</source>
        <translation>%1 金额没有小数。</translation>
    </message>
    <message>
        <source>%1 amounts have at most %2 decimal places.</source>
        <translation>%1 金额最多 %2 位小数。</translation>
    </message>
</context>
<context>
    <name>NoSecretStore</name>
    <message>
        <source>No secret store is open here.</source>
        <translation>此处未打开密钥存储。</translation>
    </message>
</context>
<context>
    <name>OrderExport</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>The export was cancelled; no file was written.</source>
        <translation>导出已取消，未写入任何文件。</translation>
    </message>
</context>
<context>
    <name>OrderRepository</name>
    <message>
        <source>There is no order %1.</source>
        <translation>不存在订单 %1。</translation>
    </message>
    <message>
        <source>There is no order with id %1.</source>
        <translation>不存在 id 为 %1 的订单。</translation>
    </message>
    <message>
        <source>There is no payment %1.</source>
        <translation>不存在支付单 %1。</translation>
    </message>
    <message>
        <source>The order is no longer %1: someone else changed it first.</source>
        <translation>订单已不再是 %1：已被他人先行修改。</translation>
    </message>
    <message>
        <source>The payment is no longer %1: someone else changed it first.</source>
        <translation>支付单已不再是 %1：已被他人先行修改。</translation>
    </message>
</context>
<context>
    <name>OrderService</name>
    <message>
        <source>Unknown currency &quot;%1&quot;; use CNY, USD, HKD, JPY or EUR.</source>
        <translation>未知币种“%1”；请使用 CNY、USD、HKD、JPY 或 EUR。</translation>
    </message>
    <message>
        <source>A free order has a total of 0, not %1.</source>
        <translation>免费订单的总额为 0，而不是 %1。</translation>
    </message>
    <message>
        <source>An order needs a title (what is being sold).</source>
        <translation>订单需要标题（所售商品）。</translation>
    </message>
    <message>
        <source>The title is %1 characters; the channels accept at most %2.</source>
        <translation>标题有 %1 个字符；渠道最多接受 %2 个。</translation>
    </message>
    <message>
        <source>The pay timeout must be between 1 second and 7 days, not %1.</source>
        <translation>支付时限必须在 1 秒到 7 天之间，而不是 %1。</translation>
    </message>
</context>
<context>
    <name>Receipt</name>
    <message>
        <source>Order %1 was never paid: there is no payment to give a receipt for.</source>
        <translation>订单 %1 从未支付，没有可开凭证的付款。</translation>
    </message>
    <message>
        <source>Refund %1 is %2: a receipt is given once the channel has paid the money back.</source>
        <translation>退款 %1 为%2：渠道退回款项后才能开具凭证。</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>Simulated channel (demo)</source>
        <translation>模拟渠道（演示）</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk 收银台</translation>
    </message>
    <message>
        <source>Refund receipt</source>
        <translation>退款凭证</translation>
    </message>
    <message>
        <source>Payment receipt</source>
        <translation>付款凭证</translation>
    </message>
    <message>
        <source>Order no</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>商品</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>顾客</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>实付</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>退款金额</translation>
    </message>
    <message>
        <source>Refunded at</source>
        <translation>退款时间</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Refund no</source>
        <translation>退款单号</translation>
    </message>
    <message>
        <source>Channel refund id</source>
        <translation>渠道退款单号</translation>
    </message>
    <message>
        <source>Paid with transaction</source>
        <translation>原支付交易号</translation>
    </message>
    <message>
        <source>Amount paid</source>
        <translation>实付金额</translation>
    </message>
    <message>
        <source>Paid at</source>
        <translation>支付时间</translation>
    </message>
    <message>
        <source>Transaction id</source>
        <translation>交易单号</translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation>支付单号</translation>
    </message>
    <message>
        <source>Refunded since</source>
        <translation>已退款</translation>
    </message>
    <message>
        <source>Printed %1</source>
        <translation>打印时间 %1</translation>
    </message>
    <message>
        <source>Printed %1 by %2</source>
        <translation>%1 由 %2 打印</translation>
    </message>
    <message>
        <source>The money goes back to the account it was paid from.</source>
        <translation>款项将原路退回付款账户。</translation>
    </message>
    <message>
        <source>Thank you. Keep this receipt for a refund.</source>
        <translation>谢谢惠顾。如需退款请保留此凭证。</translation>
    </message>
    <message>
        <source>The receipt&apos;s page could not be set up.</source>
        <translation>无法设置凭证页面。</translation>
    </message>
    <message>
        <source>Could not write %1.</source>
        <translation>无法写入 %1。</translation>
    </message>
</context>
<context>
    <name>ReconRepository</name>
    <message>
        <source>There is no stored bill %1.</source>
        <translation>没有已保存的账单 %1。</translation>
    </message>
</context>
<context>
    <name>ReconService</name>
    <message>
        <source>Only FINANCE or ADMIN users can reconcile bills.</source>
        <translation>只有财务（FINANCE）或管理员（ADMIN）可以对账。</translation>
    </message>
    <message>
        <source>%1 has not been reconciled for %2 yet.</source>
        <translation>%1 尚未完成 %2 的对账。</translation>
    </message>
    <message>
        <source>Name the bill&apos;s day as YYYY-MM-DD.</source>
        <translation>请按 YYYY-MM-DD 格式指定账单日期。</translation>
    </message>
</context>
<context>
    <name>Reconciler</name>
    <message>
        <source>paid</source>
        <translation>已支付</translation>
    </message>
    <message>
        <source>already applied, nothing changed</source>
        <translation>已处理过，无变化</translation>
    </message>
    <message>
        <source>money arrived after the order closed: anomaly opened, refund proposed</source>
        <translation>订单关闭后收到款项：已记录异常并建议退款</translation>
    </message>
    <message>
        <source>second payment for the order: anomaly opened, refund proposed</source>
        <translation>订单重复支付：已记录异常并建议退款</translation>
    </message>
    <message>
        <source>payment closed at the channel</source>
        <translation>支付已在渠道关闭</translation>
    </message>
    <message>
        <source>payment failed at the channel</source>
        <translation>支付在渠道失败</translation>
    </message>
    <message>
        <source>not paid yet</source>
        <translation>尚未支付</translation>
    </message>
    <message>
        <source>refund succeeded</source>
        <translation>退款成功</translation>
    </message>
    <message>
        <source>refund processing at the channel</source>
        <translation>渠道退款处理中</translation>
    </message>
    <message>
        <source>refund closed by the channel: anomaly opened</source>
        <translation>退款被渠道关闭：已记录异常</translation>
    </message>
    <message>
        <source>There is no payment %1 in our books.</source>
        <translation>账上没有支付单 %1。</translation>
    </message>
    <message>
        <source>There is no refund %1 in our books.</source>
        <translation>账上没有退款单 %1。</translation>
    </message>
    <message>
        <source>refund abnormal at the channel: anomaly opened, the amount stays held</source>
        <translation>渠道退款异常：已记录异常，该金额仍被占用</translation>
    </message>
    <message>
        <source>refund refused by the channel: anomaly opened</source>
        <translation>退款被渠道拒绝：已记录异常</translation>
    </message>
    <message>
        <source>no verifiable answer about the refund: it stays in progress and is asked about again</source>
        <translation>未得到可验证的退款应答：退款保持处理中，稍后再次查询</translation>
    </message>
    <message>
        <source>the channel&apos;s answer names another amount: books unchanged, anomaly opened</source>
        <translation>渠道应答的金额不符：账目未改动，已记录异常</translation>
    </message>
</context>
<context>
    <name>RefundRepository</name>
    <message>
        <source>The payment to refund does not exist.</source>
        <translation>要退款的支付单不存在。</translation>
    </message>
    <message>
        <source>Payment %1 is %2, not paid; only paid money can be refunded.</source>
        <translation>支付单 %1 状态为 %2，未支付；只能退还已支付的款项。</translation>
    </message>
    <message>
        <source>Payment %1 was made more than 365 days ago; the channels refuse refunds after that.</source>
        <translation>支付单 %1 已超过 365 天；渠道不再受理退款。</translation>
    </message>
    <message>
        <source>Payment %1 already has %2 refunds, the most a channel accepts.</source>
        <translation>支付单 %1 已有 %2 笔退款，已达渠道上限。</translation>
    </message>
    <message>
        <source>Only %1 is left to refund on payment %2; %3 is too much.</source>
        <translation>支付单 %2 只剩 %1 可退；%3 超出了可退金额。</translation>
    </message>
    <message>
        <source>There is no refund %1.</source>
        <translation>不存在退款单 %1。</translation>
    </message>
    <message>
        <source>The refund is no longer %1: someone else changed it first.</source>
        <translation>退款已不再是 %1：已被他人先行修改。</translation>
    </message>
</context>
<context>
    <name>RefundService</name>
    <message>
        <source>Payment %1 is %2, not paid; only paid money can be refunded.</source>
        <translation>支付单 %1 状态为 %2，未支付；只能退还已支付的款项。</translation>
    </message>
    <message>
        <source>Order %1 has no payment %2.</source>
        <translation>订单 %1 没有支付单 %2。</translation>
    </message>
    <message>
        <source>Order %1 is %2 and has no paid payment to refund.</source>
        <translation>订单 %1 状态为 %2，没有可退款的已付支付单。</translation>
    </message>
    <message>
        <source>Refunds are requested by CLERK or FINANCE staff; %1 is %2.</source>
        <translation>退款由收银员或财务人员申请；%1 的角色是 %2。</translation>
    </message>
    <message>
        <source>Give a reason for the refund (the customer will see it).</source>
        <translation>请填写退款原因（顾客可以看到）。</translation>
    </message>
    <message>
        <source>Nothing is left to refund on payment %1.</source>
        <translation>支付单 %1 已无可退金额。</translation>
    </message>
    <message>
        <source>approved automatically: at most %1</source>
        <translation>自动批准：不超过 %1</translation>
    </message>
    <message>
        <source>Refunds are reviewed by FINANCE staff; %1 is %2.</source>
        <translation>退款由财务人员审核；%1 的角色是 %2。</translation>
    </message>
    <message>
        <source>Say why the refund is rejected; the requester will read it.</source>
        <translation>请说明驳回原因；申请人会看到。</translation>
    </message>
    <message>
        <source>You requested refund %1 yourself; another FINANCE colleague has to review it.</source>
        <translation>退款 %1 是您本人申请的；需由另一位财务同事审核。</translation>
    </message>
    <message>
        <source>Refund %1 is already %2 (by %3).</source>
        <translation>退款 %1 已是 %2（由 %3 处理）。</translation>
    </message>
    <message>
        <source>Anomalies are resolved by FINANCE or ADMIN staff.</source>
        <translation>异常由财务或管理员处理。</translation>
    </message>
    <message>
        <source>Describe how the anomaly was resolved.</source>
        <translation>请说明异常是如何处理的。</translation>
    </message>
    <message>
        <source>Refunds are retried by FINANCE staff; %1 is %2.</source>
        <translation>退款由财务人员重试；%1 的角色是 %2。</translation>
    </message>
    <message>
        <source>Say why the refund is sent again.</source>
        <translation>请说明重新提交退款的原因。</translation>
    </message>
    <message>
        <source>You requested refund %1 yourself; another FINANCE colleague has to retry it.</source>
        <translation>退款 %1 是您本人申请的；需由另一位财务同事重试。</translation>
    </message>
    <message>
        <source>Refund %1 is %2; only a refund the channel refused can be retried.</source>
        <translation>退款 %1 的状态为 %2；只有被渠道拒绝的退款才能重试。</translation>
    </message>
    <message>
        <source>Only %1 is left to refund on payment %2; refund %3 for %4 no longer fits.</source>
        <translation>支付单 %2 只剩 %1 可退；退款 %3（%4）已超出可退金额。</translation>
    </message>
    <message>
        <source>Refund %1 is %2, not APPROVED.</source>
        <translation>退款 %1 的状态为 %2，不是 APPROVED。</translation>
    </message>
    <message>
        <source>Refund %1 carries no review by a second person (requested by %2, reviewed by &quot;%3&quot;).</source>
        <translation>退款 %1 没有经过第二人审核（申请人 %2，审核人“%3”）。</translation>
    </message>
    <message>
        <source>Refund %1 for %2 is marked approved automatically, above the auto-approve limit %3.</source>
        <translation>退款 %1（%2）被标记为自动批准，但超出了自动批准上限 %3。</translation>
    </message>
    <message>
        <source>Refund %1 was approved by &quot;%2&quot;, who is not a user.</source>
        <translation>批准退款 %1 的“%2”不是本系统用户。</translation>
    </message>
    <message>
        <source>Refund %1 was approved by %2, who is not an active FINANCE user.</source>
        <translation>批准退款 %1 的 %2 不是启用状态的财务（FINANCE）用户。</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>There is no setting called &quot;%1&quot;.</source>
        <translation>没有名为“%1”的设置项。</translation>
    </message>
    <message>
        <source>%1 must be between %2 and %3.</source>
        <translation>%1 必须在 %2 到 %3 之间。</translation>
    </message>
    <message>
        <source>Only an administrator can change settings.</source>
        <translation>只有管理员可以修改设置。</translation>
    </message>
</context>
<context>
    <name>Sql</name>
    <message>
        <source>%1: already exists (%2)</source>
        <translation>%1：已存在（%2）</translation>
    </message>
    <message>
        <source>Database error in %1: %2</source>
        <translation>%1 出现数据库错误：%2</translation>
    </message>
</context>
<context>
    <name>SystemText</name>
    <message>
        <source>Payment {payment} arrived after order {order} was closed.</source>
        <translation>支付单 {payment} 在订单 {order} 关闭后才到账。</translation>
    </message>
    <message>
        <source>Payment {payment} is a second payment for order {order}.</source>
        <translation>支付单 {payment} 是订单 {order} 的第二笔付款。</translation>
    </message>
    <message>
        <source>The channel reports {stated} paid on {payment}, which was for {expected}; the order was left as it was.</source>
        <translation>渠道称支付单 {payment} 已付 {stated}，而应付 {expected}；订单保持不变。</translation>
    </message>
    <message>
        <source>The channel reports refund {refund} succeeded with {stated}, but it was for {expected}; it stays in progress.</source>
        <translation>渠道称退款 {refund} 以 {stated} 成功，而应退 {expected}；退款仍在处理中。</translation>
    </message>
    <message>
        <source>Refund {refund} went abnormal at the channel (e.g. the buyer&apos;s account is closed); have it paid out at the merchant platform or settle it with the customer another way. Its amount stays held.</source>
        <translation>退款 {refund} 在渠道异常（例如买家账户已注销）；请在商户平台处理退款，或以其他方式与顾客结清。该金额仍被占用。</translation>
    </message>
    <message>
        <source>Refund {refund} was closed by the channel without paying out.</source>
        <translation>退款 {refund} 被渠道关闭，未退出款项。</translation>
    </message>
    <message>
        <source>The channel refused refund {refund} ({error}); nothing was paid out. Finance can retry it with the same number.</source>
        <translation>渠道拒绝了退款 {refund}（{error}）；未退出任何款项。财务可使用同一退款单号重试。</translation>
    </message>
    <message>
        <source>No verifiable answer about refund {refund} after {tries} tries (last: {error}); it stays in progress and its amount held. Check it at the merchant platform.</source>
        <translation>尝试 {tries} 次后仍未获得关于退款 {refund} 的可验证答复（最近一次：{error}）；退款仍在处理中，金额仍被占用。请在商户平台核实。</translation>
    </message>
    <message>
        <source>The {channel} bill of {date} shows a refund our books never saw: {refund} of {amount} (payment {payment}, line {line}).</source>
        <translation>{channel} {date} 的账单中有一笔账上没有的退款：{refund}，金额 {amount}（支付单 {payment}，第 {line} 行）。</translation>
    </message>
    <message>
        <source>The {channel} bill of {date} shows a payment our books never saw: {payment}, {amount} (channel transaction {txn}, line {line}).</source>
        <translation>{channel} {date} 的账单中有一笔账上没有的收款：{payment}，金额 {amount}（渠道交易号 {txn}，第 {line} 行）。</translation>
    </message>
    <message>
        <source>The {channel} bill of {date} differs from our books: {difference} of {ref} (ours {ours}, bill {bill}).</source>
        <translation>{channel} {date} 的账单与账目不符：{ref} 的{difference}（账上 {ours}，账单 {bill}）。</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待支付</translation>
    </message>
    <message>
        <source>paid</source>
        <translation>已支付</translation>
    </message>
    <message>
        <source>partly refunded</source>
        <translation>部分退款</translation>
    </message>
    <message>
        <source>refunded</source>
        <translation>已退款</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>time ran out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>closed by hand</source>
        <translation>手动关闭</translation>
    </message>
    <message>
        <source>created</source>
        <translation>已创建</translation>
    </message>
    <message>
        <source>waiting for payment</source>
        <translation>等待付款</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>requested</source>
        <translation>待审核</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>已批准</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已驳回</translation>
    </message>
    <message>
        <source>processing</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>a clerk</source>
        <translation>收银员</translation>
    </message>
    <message>
        <source>a finance user</source>
        <translation>财务人员</translation>
    </message>
    <message>
        <source>an administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Simulator</source>
        <translation>模拟渠道</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>a payment at the channel only</source>
        <translation>仅渠道有的收款</translation>
    </message>
    <message>
        <source>a payment in our books only</source>
        <translation>仅账上有的收款</translation>
    </message>
    <message>
        <source>the payment amount</source>
        <translation>收款金额</translation>
    </message>
    <message>
        <source>the payment currency</source>
        <translation>收款币种</translation>
    </message>
    <message>
        <source>the payment state</source>
        <translation>收款状态</translation>
    </message>
    <message>
        <source>a refund at the channel only</source>
        <translation>仅渠道有的退款</translation>
    </message>
    <message>
        <source>a refund in our books only</source>
        <translation>仅账上有的退款</translation>
    </message>
    <message>
        <source>the refund amount</source>
        <translation>退款金额</translation>
    </message>
    <message>
        <source>the refund state</source>
        <translation>退款状态</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 毫秒</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>closed %1 (time ran out, %2 after its deadline)</source>
        <translation>已关闭 %1（超时，超过截止时间 %2）</translation>
    </message>
</context>
<context>
    <name>Transitions</name>
    <message>
        <source>Cannot go from %1 to %2.</source>
        <translation>不能从 %1 变为 %2。</translation>
    </message>
</context>
<context>
    <name>UserDirectory</name>
    <message>
        <source>There is no user &quot;%1&quot;.</source>
        <translation>不存在用户“%1”。</translation>
    </message>
    <message>
        <source>Only an administrator can manage users.</source>
        <translation>只有管理员可以管理用户。</translation>
    </message>
    <message>
        <source>A password needs at least %1 characters.</source>
        <translation>密码至少需要 %1 个字符。</translation>
    </message>
    <message>
        <source>A login is 2 to 32 lower-case letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, starting with a letter or digit.</source>
        <translation>登录名为 2 到 32 个小写字母、数字、“.”、“_”或“-”，并以字母或数字开头。</translation>
    </message>
    <message>
        <source>Could not hash the password.</source>
        <translation>无法计算密码哈希。</translation>
    </message>
    <message>
        <source>The first user of a database must be an ADMIN.</source>
        <translation>数据库的第一个用户必须是管理员（ADMIN）。</translation>
    </message>
    <message>
        <source>There is already a user &quot;%1&quot;.</source>
        <translation>已存在用户“%1”。</translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message numerus="yes">
        <source>Too many failed logins for &quot;%1&quot;; try again in %n second(s).</source>
        <translation>
            <numerusform>“%1”登录失败次数过多；请 %n 秒后再试。</numerusform>
        </translation>
    </message>
    <message>
        <source>The account &quot;%1&quot; is disabled.</source>
        <translation>账户“%1”已停用。</translation>
    </message>
    <message>
        <source>You cannot disable your own account.</source>
        <translation>不能停用自己的账户。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a user of these books; sign in again.</source>
        <translation>“%1”不是本账套的用户；请重新登录。</translation>
    </message>
    <message>
        <source>The account %1 is disabled; sign in again with an active account.</source>
        <translation>账户 %1 已停用；请用启用的账户重新登录。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is reserved for PayDesk&apos;s own entries in the books; choose another login.</source>
        <translation>“%1”保留给 PayDesk 自身的账目记录使用；请换一个登录名。</translation>
    </message>
    <message>
        <source>%1 is the last active administrator; make someone else ADMIN first.</source>
        <translation>%1 是最后一位启用的管理员；请先将其他人设为管理员（ADMIN）。</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>PayDesk: back office for WeChat Pay and Alipay merchants.</source>
        <translation>PayDesk：微信支付与支付宝商户的收银后台。</translation>
    </message>
    <message>
        <source>Run the offline demo (simulated channel, scripted customers).</source>
        <translation>运行离线演示（模拟渠道、脚本化顾客）。</translation>
    </message>
    <message>
        <source>Keep the demo database in DIR (default: a temporary folder).</source>
        <translation>将演示数据库保存在 DIR（默认：临时文件夹）。</translation>
    </message>
    <message>
        <source>Orders in the demo history (default 2000).</source>
        <translation>演示历史中的订单数（默认 2000）。</translation>
    </message>
    <message>
        <source>Seconds between new demo counter orders (default 6).</source>
        <translation>演示中新柜台订单的间隔秒数（默认 6）。</translation>
    </message>
    <message>
        <source>Run time N times faster (demo).</source>
        <translation>让时间加快 N 倍（演示）。</translation>
    </message>
    <message>
        <source>Database URL: sqlite:/path/file.db or postgresql://user@host/db.</source>
        <translation>数据库地址：sqlite:/路径/文件.db 或 postgresql://用户@主机/数据库。</translation>
    </message>
    <message>
        <source>Language: en or zh_CN (default: settings, then the system).</source>
        <translation>语言：en 或 zh_CN（默认：先看设置，再看系统）。</translation>
    </message>
    <message>
        <source>Sign in as LOGIN; the password comes from PAYDESK_PASSWORD.</source>
        <translation>以 LOGIN 登录；密码取自 PAYDESK_PASSWORD。</translation>
    </message>
    <message>
        <source>Save a screenshot of the main window to FILE and quit.</source>
        <translation>将主窗口截图保存到 FILE 后退出。</translation>
    </message>
    <message>
        <source>Milliseconds to wait before the screenshot (default 2500).</source>
        <translation>截图前等待的毫秒数（默认 2500）。</translation>
    </message>
    <message>
        <source>--time-scale takes a number from 1 to 10000.</source>
        <translation>--time-scale 取 1 到 10000 之间的数。</translation>
    </message>
    <message>
        <source>--demo-orders takes a number from 0 to 5000000.</source>
        <translation>--demo-orders 取 0 到 5000000 之间的数。</translation>
    </message>
    <message>
        <source>--demo-interval takes seconds from 0.2 to 3600.</source>
        <translation>--demo-interval 取 0.2 到 3600 秒。</translation>
    </message>
    <message>
        <source>Use either --db or --demo-dir for the demo, not both.</source>
        <translation>演示时请在 --db 与 --demo-dir 中二选一。</translation>
    </message>
    <message>
        <source>PayDesk cannot start</source>
        <translation>PayDesk 无法启动</translation>
    </message>
    <message>
        <source>Select this order on the Orders page (first-pending: the newest pending order).</source>
        <translation>在订单页选中此订单（first-pending：最新的待支付订单）。</translation>
    </message>
    <message>
        <source>--page takes one of: %1.</source>
        <translation>--page 只能是以下之一：%1。</translation>
    </message>
    <message>
        <source>Writing the demo&apos;s history (%1 orders)…</source>
        <translation>正在写入演示历史数据（%1 笔订单）…</translation>
    </message>
    <message>
        <source>PayDesk demo</source>
        <translation>PayDesk 演示</translation>
    </message>
    <message>
        <source>%1 is not a demo database: --demo opens a new one or an earlier demo. Leave out --demo to work on it.</source>
        <translation>%1 不是演示数据库：--demo 只打开新的或之前的演示数据库。要处理该数据库，请去掉 --demo。</translation>
    </message>
    <message>
        <source>--time-scale runs only on a demo database; %1 is not one.</source>
        <translation>--time-scale 只能用于演示数据库；%1 不是演示数据库。</translation>
    </message>
    <message>
        <source>Open this page: orders, review, anomalies, finance, reconciliation, audit, settings.</source>
        <translation>打开此页面：orders、review、anomalies、finance、reconciliation、audit、settings。</translation>
    </message>
    <message>
        <source>Open a dialog at start: repay (for the selected order, code issued), new-order, reconcile (fetch a bill) or shortcuts.</source>
        <translation>启动时打开对话框：repay（为所选订单生成支付码）、new-order、reconcile（下载对账单）或 shortcuts。</translation>
    </message>
    <message>
        <source>--open takes repay, new-order, reconcile or shortcuts.</source>
        <translation>--open 可选 repay、new-order、reconcile 或 shortcuts。</translation>
    </message>
    <message>
        <source>no display to open a window on (DISPLAY is not set). Run it in a desktop session, or with QT_QPA_PLATFORM=offscreen for screenshots; paydeskctl works without one.</source>
        <translation>没有可打开窗口的显示器（未设置 DISPLAY）。请在桌面会话中运行，截图时可设置 QT_QPA_PLATFORM=offscreen；paydeskctl 无需显示器。</translation>
    </message>
</context>
<context>
    <name>paydesk</name>
    <message>
        <source>Unknown trade_status &quot;%1&quot;.</source>
        <translation>未知的 trade_status“%1”。</translation>
    </message>
    <message>
        <source>Asked about %1 but Alipay answered about &quot;%2&quot;.</source>
        <translation>查询的是 %1，支付宝却返回了“%2”。</translation>
    </message>
    <message>
        <source>A paid trade with a malformed total_amount &quot;%1&quot;.</source>
        <translation>已支付交易的 total_amount“%1”格式错误。</translation>
    </message>
    <message>
        <source>Unknown trade_state &quot;%1&quot;.</source>
        <translation>未知的 trade_state“%1”。</translation>
    </message>
    <message>
        <source>Asked about %1 but WeChat Pay answered about &quot;%2&quot;.</source>
        <translation>查询的是 %1，微信支付却返回了“%2”。</translation>
    </message>
    <message>
        <source>The answer is for merchant %1, not %2.</source>
        <translation>应答属于商户 %1，而不是 %2。</translation>
    </message>
    <message>
        <source>A paid transaction without amount.total.</source>
        <translation>已支付交易缺少 amount.total。</translation>
    </message>
    <message>
        <source>Unknown refund status &quot;%1&quot;.</source>
        <translation>未知的退款状态“%1”。</translation>
    </message>
    <message>
        <source>Asked about refund %1 but WeChat Pay answered about &quot;%2&quot;.</source>
        <translation>查询的是退款 %1，微信支付却返回了“%2”。</translation>
    </message>
    <message>
        <source>The notification names no merchant (mchid); this profile is merchant %1.</source>
        <translation>通知未注明商户（mchid）；此配置的商户为 %1。</translation>
    </message>
    <message>
        <source>The notification names no app (appid); this profile is app %1.</source>
        <translation>通知未注明应用（appid）；此配置的应用为 %1。</translation>
    </message>
    <message>
        <source>The answer is for app %1, not %2.</source>
        <translation>应答属于应用 %1，而不是 %2。</translation>
    </message>
</context>
<context>
    <name>paydesk::AlipayChannel</name>
    <message>
        <source>This is not an Alipay profile.</source>
        <translation>这不是支付宝配置。</translation>
    </message>
    <message>
        <source>The Alipay gateway answered HTTP %1.</source>
        <translation>支付宝网关返回 HTTP %1。</translation>
    </message>
    <message>
        <source>The answer has no %1 object.</source>
        <translation>应答中没有 %1 对象。</translation>
    </message>
    <message>
        <source>The Alipay answer is not signed; it is treated as forged.</source>
        <translation>支付宝应答没有签名，视为伪造。</translation>
    </message>
    <message>
        <source>The Alipay answer&apos;s signature does not match its content: it was altered or forged.</source>
        <translation>支付宝应答的签名与内容不符：已被篡改或伪造。</translation>
    </message>
    <message>
        <source>Alipay QR payments take a positive CNY amount.</source>
        <translation>支付宝扫码支付需要正的人民币金额。</translation>
    </message>
    <message>
        <source>The answer is about another trade.</source>
        <translation>应答针对的是另一笔交易。</translation>
    </message>
    <message>
        <source>The answer has no qr_code.</source>
        <translation>应答中没有 qr_code。</translation>
    </message>
    <message>
        <source>A refund needs a positive CNY amount no larger than the payment.</source>
        <translation>退款需要正的人民币金额，且不超过支付金额。</translation>
    </message>
    <message>
        <source>Alipay has no refund %1 for %2.</source>
        <translation>支付宝没有 %2 的退款 %1。</translation>
    </message>
    <message>
        <source>The answer is about another refund.</source>
        <translation>应答针对的是另一笔退款。</translation>
    </message>
    <message>
        <source>Malformed refund_amount.</source>
        <translation>refund_amount 格式错误。</translation>
    </message>
    <message>
        <source>The Alipay notification is not signed; it is treated as forged.</source>
        <translation>支付宝通知没有签名，视为伪造。</translation>
    </message>
    <message>
        <source>Unsupported sign_type &quot;%1&quot; (only RSA2).</source>
        <translation>不支持的 sign_type“%1”（仅支持 RSA2）。</translation>
    </message>
    <message>
        <source>The Alipay notification&apos;s signature does not match: it was altered or forged.</source>
        <translation>支付宝通知的签名不符：已被篡改或伪造。</translation>
    </message>
    <message>
        <source>The notification is for app %1, not %2.</source>
        <translation>通知属于应用 %1，而不是 %2。</translation>
    </message>
    <message>
        <source>Malformed refund_fee.</source>
        <translation>refund_fee 格式错误。</translation>
    </message>
    <message>
        <source>PayDesk fetches Alipay&apos;s trade bills only.</source>
        <translation>PayDesk 只下载支付宝的交易账单。</translation>
    </message>
    <message>
        <source>The bill_download_url &quot;%1&quot; is not https.</source>
        <translation>bill_download_url“%1”不是 https。</translation>
    </message>
    <message>
        <source>The bill download answered HTTP %1.</source>
        <translation>账单下载返回 HTTP %1。</translation>
    </message>
    <message>
        <source>The bill download is not a readable zip: %1</source>
        <translation>下载的账单不是可读取的 zip：%1</translation>
    </message>
    <message>
        <source>The notification names no seller_id; this profile expects seller %1.</source>
        <translation>通知未注明 seller_id；此配置要求卖家为 %1。</translation>
    </message>
    <message>
        <source>The notification is for seller %1, not %2.</source>
        <translation>通知属于卖家 %1，而不是 %2。</translation>
    </message>
    <message>
        <source>The notification has no readable notify_time (&quot;%1&quot;); it is refused.</source>
        <translation>通知没有可读取的 notify_time（“%1”），已拒收。</translation>
    </message>
    <message>
        <source>The notification was sent at %1 (Beijing time), more than 24 hours ago or ahead of our clock: a replay or a wrong clock, refused.</source>
        <translation>通知发送于 %1（北京时间），早于 24 小时前或晚于本机时钟：可能是重放或时钟错误，已拒收。</translation>
    </message>
</context>
<context>
    <name>paydesk::AnomalyModel</name>
    <message>
        <source>No</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>发现时间</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>处理说明</translation>
    </message>
    <message>
        <source>Resolved by</source>
        <translation>处理人</translation>
    </message>
    <message>
        <source>No order of ours; the channel&apos;s out_trade_no is %1.</source>
        <translation>本系统没有对应订单；渠道的商户订单号为 %1。</translation>
    </message>
    <message>
        <source>(none) %1</source>
        <translation>（无）%1</translation>
    </message>
</context>
<context>
    <name>paydesk::AttemptModel</name>
    <message>
        <source>Payment no</source>
        <translation>支付单号</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>过期时间</translation>
    </message>
    <message>
        <source>Paid at</source>
        <translation>支付时间</translation>
    </message>
    <message>
        <source>Channel&apos;s answer</source>
        <translation>渠道应答</translation>
    </message>
</context>
<context>
    <name>paydesk::AuditModel</name>
    <message>
        <source>No</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>对象</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>paydesk::ChannelHttp</name>
    <message>
        <source>No answer within %1 ms (the request may have landed).</source>
        <translation>%1 毫秒内无应答（请求可能已送达）。</translation>
    </message>
</context>
<context>
    <name>paydesk::FinanceTableModel</name>
    <message>
        <source>Day</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>支付笔数</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Refunds</source>
        <translation>退款笔数</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>净额</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Refund state</source>
        <translation>退款状态</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单数</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Fees (channel&apos;s bill)</source>
        <translation>手续费（渠道账单）</translation>
    </message>
    <message>
        <source>Net after fees (channel&apos;s bill)</source>
        <translation>扣除手续费后净额（渠道账单）</translation>
    </message>
    <message>
        <source>No bill of this day was reconciled: the channels&apos; fees are not known yet.</source>
        <translation>这一天的账单尚未对账：渠道手续费暂不可知。</translation>
    </message>
    <message>
        <source>From the channel&apos;s bill (the latest reconciliation of each channel&apos;s day)</source>
        <translation>来自渠道账单（各渠道当日最近一次对账）</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
</context>
<context>
    <name>paydesk::FixupModel</name>
    <message>
        <source>No</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>支付单</translation>
    </message>
    <message>
        <source>Channel transaction</source>
        <translation>渠道交易号</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Asked by</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Asked</source>
        <translation>申请时间</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>Waiting for review</source>
        <translation>待审核</translation>
    </message>
    <message>
        <source>Rejected by %1</source>
        <translation>已被 %1 驳回</translation>
    </message>
    <message>
        <source>Applied by %1, confirmed by the channel</source>
        <translation>已由 %1 执行，渠道已确认</translation>
    </message>
    <message>
        <source>Applied by %1, channel not reached</source>
        <translation>已由 %1 执行，未能联系渠道</translation>
    </message>
</context>
<context>
    <name>paydesk::FixupService</name>
    <message>
        <source>Fix-ups are asked for by CLERK or FINANCE users; %1 is %2.</source>
        <translation>更正须由 CLERK 或 FINANCE 用户申请；%1 是%2。</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a channel transaction id (6 to 64 letters, digits, &apos;_&apos; or &apos;-&apos;); copy it from the customer&apos;s payment record or the merchant platform.</source>
        <translation>“%1”不是渠道交易号（6 至 64 位字母、数字、“_”或“-”）；请从顾客的支付记录或商户平台复制。</translation>
    </message>
    <message>
        <source>Say why the order is to be marked paid (what the customer showed, where the money was seen).</source>
        <translation>请说明为何标记为已支付（顾客出示了什么，在哪里看到了款项）。</translation>
    </message>
    <message>
        <source>Order %1 is %2: its money is in the books already.</source>
        <translation>订单 %1 为%2：款项已入账。</translation>
    </message>
    <message>
        <source>Order %1 has no payment to mark paid.</source>
        <translation>订单 %1 没有可标记为已支付的支付单。</translation>
    </message>
    <message>
        <source>Order %1 has no payment %2.</source>
        <translation>订单 %1 没有支付单 %2。</translation>
    </message>
    <message>
        <source>Payment %1 is paid in the books already.</source>
        <translation>支付单 %1 已在账上记为已支付。</translation>
    </message>
    <message>
        <source>Transaction %1 is in the books already, on order %2.</source>
        <translation>交易 %1 已在账上，属于订单 %2。</translation>
    </message>
    <message>
        <source>Fix-ups are decided by FINANCE staff; %1 is %2.</source>
        <translation>更正由 FINANCE 人员审批；%1 是%2。</translation>
    </message>
    <message>
        <source>Say why the fix-up is rejected; the requester will read it.</source>
        <translation>请说明驳回原因，申请人会看到。</translation>
    </message>
    <message>
        <source>Fix-up %1 was decided already (%2 by %3).</source>
        <translation>更正 %1 已处理（%3：%2）。</translation>
    </message>
    <message>
        <source>You asked for fix-up %1 yourself; another FINANCE colleague has to approve it.</source>
        <translation>更正 %1 是您本人申请的，须由另一位 FINANCE 同事批准。</translation>
    </message>
    <message>
        <source>%1 says it has no payment %2: it cannot be marked paid.</source>
        <translation>%1 表示没有支付单 %2：不能标记为已支付。</translation>
    </message>
    <message>
        <source>%1 answered about %2, but the answer could not be verified (%3); nothing was changed. Try again later.</source>
        <translation>%1 回复了 %2 的情况，但该回复无法验证（%3）；未做任何更改。请稍后再试。</translation>
    </message>
    <message>
        <source>%1 says payment %2 was not made (%3): it cannot be marked paid.</source>
        <translation>%1 表示支付单 %2 未支付（%3）：不能标记为已支付。</translation>
    </message>
    <message>
        <source>%1 names transaction %2 for payment %3, not %4: check the transaction id and ask again.</source>
        <translation>%1 给出的支付单 %3 的交易号是 %2，而不是 %4：请核对交易号后重新申请。</translation>
    </message>
    <message>
        <source>%1 says payment %2 was %3 %4, not %5 %6: finance has to look at it.</source>
        <translation>%1 表示支付单 %2 的金额是 %3 %4，而不是 %5 %6：须由财务核查。</translation>
    </message>
    <message>
        <source>confirmed by %1</source>
        <translation>已由%1确认</translation>
    </message>
    <message>
        <source>%1 could not be reached; approved on your word</source>
        <translation>未能联系%1；按您的确认批准</translation>
    </message>
    <message>
        <source>Order %1 is paid (%2).</source>
        <translation>订单 %1 已支付（%2）。</translation>
    </message>
    <message>
        <source>The money on closed order %1 is in the books (%2); anomaly %3 proposes the refund.</source>
        <translation>已关闭订单 %1 的款项已入账（%2）；异常 %3 建议退款。</translation>
    </message>
    <message>
        <source>Fix-up %1 applied (%2): %3.</source>
        <translation>更正 %1 已执行（%2）：%3。</translation>
    </message>
</context>
<context>
    <name>paydesk::LateLook</name>
    <message>
        <source>the %1 channel is not set up</source>
        <translation>%1 渠道尚未配置</translation>
    </message>
    <message>
        <source>payment %1 was scanned after it was given up; closed it at %2</source>
        <translation>支付 %1 在放弃后被扫码；已在 %2 关闭</translation>
    </message>
    <message>
        <source>payment %1 was paid after the channel said it did not exist: %2</source>
        <translation>渠道曾称支付 %1 不存在，之后却已付款：%2</translation>
    </message>
    <message>
        <source>payment %1: no late look possible (%2); the daily bill will show any money</source>
        <translation>支付 %1：无法再次查询（%2）；如有款项，将在每日对账单中显示</translation>
    </message>
</context>
<context>
    <name>paydesk::OrderTableModel</name>
    <message>
        <source>Order no</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>已退金额</translation>
    </message>
    <message>
        <source>This column cannot be sorted.</source>
        <translation>此列不能排序。</translation>
    </message>
    <message>
        <source>closing</source>
        <translation>关闭中</translation>
    </message>
    <message>
        <source>Closed: the time to pay ran out</source>
        <translation>已关闭：支付超时</translation>
    </message>
    <message>
        <source>Closed by hand</source>
        <translation>手动关闭</translation>
    </message>
    <message>
        <source>Closing</source>
        <translation>关闭中</translation>
    </message>
    <message>
        <source>Being closed at the channel</source>
        <translation>正在渠道侧关闭</translation>
    </message>
    <message>
        <source>The time to pay ran out; the timer is closing it at the channel</source>
        <translation>支付时间已到，定时器正在渠道侧关闭该订单</translation>
    </message>
</context>
<context>
    <name>paydesk::PaymentService</name>
    <message>
        <source>%1 is a counter action: it needs a CLERK or ADMIN account; %2 is %3.</source>
        <translation>%1 是柜台操作：需要收银员或管理员账户；%2 的角色是 %3。</translation>
    </message>
    <message>
        <source>The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.</source>
        <translation>%1 渠道尚未设置；请在“设置”中或用 paydeskctl channel add 添加配置。</translation>
    </message>
    <message>
        <source>Order %1 ran out of time and is being closed; create a new order instead.</source>
        <translation>订单 %1 已超时，正在关闭；请新建订单。</translation>
    </message>
    <message>
        <source>Only %1 is left before order %2 closes; a new payment needs at least %3 (%4 safety buffer + the channel&apos;s minimum of %5). Create a new order instead.</source>
        <translation>订单 %2 距关闭只剩 %1；新支付至少需要 %3（%4 安全余量 + 渠道最短 %5）。请新建订单。</translation>
    </message>
    <message>
        <source>Checkout</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Creating the payment at %1 (try %2 of %3)…</source>
        <translation>正在 %1 创建支付（第 %2 次，共 %3 次）…</translation>
    </message>
    <message>
        <source>The %1 channel is not set up.</source>
        <translation>%1 渠道尚未设置。</translation>
    </message>
    <message>
        <source>Payment %1 is ready to scan.</source>
        <translation>支付单 %1 已可扫码。</translation>
    </message>
    <message>
        <source>%1; retrying in %2 s with the same payment number…</source>
        <translation>%1；%2 秒后用同一支付单号重试…</translation>
    </message>
    <message>
        <source>Closing an order</source>
        <translation>关闭订单</translation>
    </message>
    <message>
        <source>Order %1 was already closed (%2).</source>
        <translation>订单 %1 已经关闭（%2）。</translation>
    </message>
    <message>
        <source>Order %1 is %2; only a pending order can be closed.</source>
        <translation>订单 %1 状态为 %2；只有待支付订单可以关闭。</translation>
    </message>
    <message>
        <source>Order %1 is closed.</source>
        <translation>订单 %1 已关闭。</translation>
    </message>
    <message>
        <source>Could not close the payment at the channel (%1); the order stays pending. Try again.</source>
        <translation>无法在渠道关闭支付（%1）；订单仍为待支付。请重试。</translation>
    </message>
    <message>
        <source>Order %1 was paid by the customer before it could be closed; it is now %2.</source>
        <translation>订单 %1 在关闭前已被顾客支付；现在状态为 %2。</translation>
    </message>
    <message>
        <source>Repay</source>
        <translation>重新支付</translation>
    </message>
    <message>
        <source>Order %1 is %2; only a pending order can be repaid.</source>
        <translation>订单 %1 状态为 %2；只有待支付订单可以重新支付。</translation>
    </message>
    <message>
        <source>Order %1 was paid while the old payment was being closed; nothing new was created.</source>
        <translation>关闭旧支付时订单 %1 已被支付；未创建新支付。</translation>
    </message>
    <message>
        <source>The previous payment could not be closed at the channel (%1); no new payment was made. Try again.</source>
        <translation>无法在渠道关闭上一笔支付（%1）；未创建新支付。请重试。</translation>
    </message>
    <message>
        <source>Someone else re-issued the payment of order %1 just now; refresh to see it.</source>
        <translation>他人刚刚重新发起了订单 %1 的支付；请刷新查看。</translation>
    </message>
    <message>
        <source>%1: the %2 channel is not set up</source>
        <translation>%1：%2 渠道尚未设置</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Payment %1 was given up (the order was closed or re-issued elsewhere) while the channel made it; it was closed at the channel again.</source>
        <translation>渠道创建支付 %1 期间该支付已被放弃（订单在别处被关闭或重新出码），已在渠道再次关闭。</translation>
    </message>
    <message>
        <source>Order %1 is gone.</source>
        <translation>订单 %1 已不存在。</translation>
    </message>
    <message>
        <source>Order %1 got a new payment while it was being closed; it stays pending. Try again.</source>
        <translation>订单 %1 在关闭期间产生了新的支付，仍为待支付。请重试。</translation>
    </message>
    <message>
        <source>Order %1 was closed while the old payment was being closed; nothing new was created.</source>
        <translation>关闭旧支付期间订单 %1 已被关闭，未创建新的支付。</translation>
    </message>
    <message>
        <source>Order %1 became %2 meanwhile; only a pending order can be repaid.</source>
        <translation>订单 %1 期间已变为%2；只有待支付的订单可以重新支付。</translation>
    </message>
    <message>
        <source>Order %1 is no longer pending.</source>
        <translation>订单 %1 已不再待支付。</translation>
    </message>
</context>
<context>
    <name>paydesk::ReconDifferenceModel</name>
    <message>
        <source>Payment at the channel only</source>
        <translation>仅渠道有此支付（长款）</translation>
    </message>
    <message>
        <source>Payment in our books only</source>
        <translation>仅我方账上有此支付（短款）</translation>
    </message>
    <message>
        <source>Payment amount differs</source>
        <translation>支付金额不一致</translation>
    </message>
    <message>
        <source>Currency differs</source>
        <translation>币种不一致</translation>
    </message>
    <message>
        <source>Payment state differs</source>
        <translation>支付状态不一致</translation>
    </message>
    <message>
        <source>Refund at the channel only</source>
        <translation>仅渠道有此退款</translation>
    </message>
    <message>
        <source>Refund in our books only</source>
        <translation>仅我方账上有此退款</translation>
    </message>
    <message>
        <source>Refund amount differs</source>
        <translation>退款金额不一致</translation>
    </message>
    <message>
        <source>Refund state differs</source>
        <translation>退款状态不一致</translation>
    </message>
    <message>
        <source>The channel took this money, but our books have no such payment.</source>
        <translation>渠道收到了这笔钱，但我方账上没有这笔支付。</translation>
    </message>
    <message>
        <source>Our books show this payment as paid that day, but the channel&apos;s bill does not.</source>
        <translation>我方账上这笔支付当天已付款，但渠道账单上没有。</translation>
    </message>
    <message>
        <source>The bill shows another amount for this payment than our books.</source>
        <translation>账单上这笔支付的金额与我方账目不同。</translation>
    </message>
    <message>
        <source>The bill shows another currency for this payment than our books.</source>
        <translation>账单上这笔支付的币种与我方账目不同。</translation>
    </message>
    <message>
        <source>Paid at the channel but not in our books (money after a close), or the other way round.</source>
        <translation>渠道已付款而我方账上未付（关单后付款），或者相反。</translation>
    </message>
    <message>
        <source>The channel paid back this refund, but our books have no such refund.</source>
        <translation>渠道已退款，但我方账上没有这笔退款。</translation>
    </message>
    <message>
        <source>Our books show this refund as paid back that day, but the channel&apos;s bill does not.</source>
        <translation>我方账上这笔退款当天已退，但渠道账单上没有。</translation>
    </message>
    <message>
        <source>The bill shows another amount for this refund than our books.</source>
        <translation>账单上这笔退款的金额与我方账目不同。</translation>
    </message>
    <message>
        <source>The refund ended differently at the channel than in our books.</source>
        <translation>这笔退款在渠道的结果与我方账目不同。</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>差异</translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation>支付单号</translation>
    </message>
    <message>
        <source>Refund no</source>
        <translation>退款单号</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Bill says</source>
        <translation>账单金额</translation>
    </message>
    <message>
        <source>Our books say</source>
        <translation>我方账目</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Bill line</source>
        <translation>账单行</translation>
    </message>
    <message>
        <source>No order of ours: the money is only at the channel</source>
        <translation>我方没有对应订单：这笔钱只在渠道</translation>
    </message>
    <message>
        <source>Without an order of ours no anomaly can be opened: settle it with the channel.</source>
        <translation>没有我方订单就无法登记异常：请与渠道核实处理。</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>not on the bill</source>
        <translation>账单上没有</translation>
    </message>
    <message>
        <source>not in our books</source>
        <translation>我方账上没有</translation>
    </message>
    <message>
        <source>ours %1, bill %2</source>
        <translation>我方 %1，账单 %2</translation>
    </message>
    <message>
        <source>channel transaction %1</source>
        <translation>渠道交易号 %1</translation>
    </message>
    <message>
        <source>of payment %1</source>
        <translation>支付单 %1</translation>
    </message>
    <message>
        <source>No anomaly opened</source>
        <translation>未登记异常</translation>
    </message>
    <message>
        <source>%1 (anomaly %2)</source>
        <translation>%1（异常 %2）</translation>
    </message>
</context>
<context>
    <name>paydesk::ReconRunModel</name>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Bill day</source>
        <translation>账单日</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Matched</source>
        <translation>一致</translation>
    </message>
    <message>
        <source>Paid (bill)</source>
        <translation>收款（账单）</translation>
    </message>
    <message>
        <source>Paid (books)</source>
        <translation>收款（我方）</translation>
    </message>
    <message>
        <source>Refunded (bill)</source>
        <translation>退款（账单）</translation>
    </message>
    <message>
        <source>Refunded (books)</source>
        <translation>退款（我方）</translation>
    </message>
    <message>
        <source>Fees (bill)</source>
        <translation>手续费（账单）</translation>
    </message>
    <message>
        <source>Net after fees (bill)</source>
        <translation>扣费后净额（账单）</translation>
    </message>
    <message>
        <source>Net (books)</source>
        <translation>净额（我方）</translation>
    </message>
    <message>
        <source>Reconciled at</source>
        <translation>对账时间</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>Every row of the bill matched our books</source>
        <translation>账单每一行都与我方账目一致</translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s) between the bill and our books; %1 new in this run</source>
        <translation>
            <numerusform>账单与我方账目有 %n 处差异；本次新增 %1 处</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 payment(s) and %2 refund(s) on the bill</source>
        <translation>账单上有 %1 笔支付、%2 笔退款</translation>
    </message>
    <message>
        <source>What our books say now for this channel&apos;s Beijing day (%1 payment(s), %2 refund(s))</source>
        <translation>我方账目当前对该渠道这一北京时间自然日的记录（%1 笔支付，%2 笔退款）</translation>
    </message>
    <message>
        <source>From the channel&apos;s bill: its fee total, and paid − refunded − fees</source>
        <translation>来自渠道账单：手续费合计，以及 收款 − 退款 − 手续费</translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s), %1 new</source>
        <translation>
            <numerusform>%n 处差异，%1 处新增</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n difference(s)</source>
        <translation>
            <numerusform>%n 处差异</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
</context>
<context>
    <name>paydesk::ReconScheduler</name>
    <message>
        <source>reconciliation: %1</source>
        <translation>对账：%1</translation>
    </message>
    <message>
        <source>bill %1 %2 not fetched (%3); asking again in 30 min</source>
        <translation>账单 %1 %2 未能下载（%3）；30 分钟后再次请求</translation>
    </message>
    <message>
        <source>bill %1 %2 not ready yet (%3); asking again in 30 min</source>
        <translation>账单 %1 %2 尚未生成（%3）；30 分钟后再次请求</translation>
    </message>
    <message>
        <source>bill %1 %2: the channel has none (%3)</source>
        <translation>账单 %1 %2：渠道无此账单（%3）</translation>
    </message>
    <message>
        <source>reconciliation %1 %2 failed (%3); trying again in 30 min</source>
        <translation>对账 %1 %2 失败（%3）；30 分钟后重试</translation>
    </message>
    <message numerus="yes">
        <source>reconciled %1 %2: %n difference(s)</source>
        <translation>
            <numerusform>已对账 %1 %2：%n 处差异</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>paydesk::RefundModel</name>
    <message>
        <source>Refund no</source>
        <translation>退款单号</translation>
    </message>
    <message>
        <source>Order no</source>
        <translation>订单号</translation>
    </message>
    <message>
        <source>Payment no</source>
        <translation>支付单号</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>申请时间</translation>
    </message>
    <message>
        <source>Reviewed by</source>
        <translation>审核人</translation>
    </message>
    <message>
        <source>Review note</source>
        <translation>审核备注</translation>
    </message>
</context>
<context>
    <name>paydesk::ReviewQueueModel</name>
    <message>
        <source>Refund no</source>
        <translation>退款单号</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>支付单</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>等待时长</translation>
    </message>
    <message>
        <source>Channel said</source>
        <translation>渠道答复</translation>
    </message>
</context>
<context>
    <name>paydesk::SimulatedChannel</name>
    <message>
        <source>The simulated channel has no payment %1.</source>
        <translation>模拟渠道没有支付单 %1。</translation>
    </message>
    <message>
        <source>Payment %1 is closed at the channel; a customer can no longer pay it.</source>
        <translation>支付单 %1 已在渠道关闭；顾客无法再支付。</translation>
    </message>
    <message>
        <source>A bill difference needs the payment or refund it is about.</source>
        <translation>账单差异需要关联到对应的支付单或退款单。</translation>
    </message>
    <message>
        <source>An unknown payment needs a positive amount.</source>
        <translation>未知支付的金额必须为正数。</translation>
    </message>
    <message>
        <source>Payment %1 is not closed at the channel.</source>
        <translation>支付单 %1 在渠道尚未关闭。</translation>
    </message>
    <message>
        <source>A wrong amount must still be positive.</source>
        <translation>错误金额也必须为正数。</translation>
    </message>
</context>
<context>
    <name>paydesk::SyncEngine</name>
    <message>
        <source>released %1 claims of a stopped instance (%2)</source>
        <translation>释放了已停止实例（%2）的 %1 项占用</translation>
    </message>
    <message>
        <source>timer started: %1 due times loaded in %2 ms</source>
        <translation>定时器已启动：%2 毫秒内载入 %1 个到期时间</translation>
    </message>
    <message>
        <source>order %1 was paid at the last moment: PAID</source>
        <translation>订单 %1 在最后一刻完成支付：已支付</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>未配置</translation>
    </message>
    <message>
        <source>payment %1: %2</source>
        <translation>支付单 %1：%2</translation>
    </message>
    <message>
        <source>refund %1: %2; will retry with the same refund number</source>
        <translation>退款 %1：%2；将用同一退款单号重试</translation>
    </message>
    <message>
        <source>refund %1 sent: %2</source>
        <translation>退款 %1 已提交：%2</translation>
    </message>
    <message>
        <source>refund %1: %2</source>
        <translation>退款 %1：%2</translation>
    </message>
    <message>
        <source>the channel does not know payment %1</source>
        <translation>渠道不认识支付单 %1</translation>
    </message>
    <message>
        <source>channel unreachable (%1)</source>
        <translation>无法连接渠道（%1）</translation>
    </message>
    <message>
        <source>order %1: %2; retrying in %3 s</source>
        <translation>订单 %1：%2；%3 秒后重试</translation>
    </message>
    <message>
        <source>payment %1 is still open on a finished order; %2; retrying in %3 s</source>
        <translation>已结束订单上的支付单 %1 仍未关闭；%2；%3 秒后重试</translation>
    </message>
    <message>
        <source>payment %1 was left open on a finished order: %2</source>
        <translation>已结束订单上遗留的支付单 %1：%2</translation>
    </message>
    <message>
        <source>the channel does not know it</source>
        <translation>渠道查无此单</translation>
    </message>
    <message>
        <source>refund %1 not sent: %2</source>
        <translation>退款 %1 未提交：%2</translation>
    </message>
    <message>
        <source>refund %1 sent: %2 (%3)</source>
        <translation>退款 %1 已提交：%2（%3）</translation>
    </message>
    <message>
        <source>Order %1 is no longer pending.</source>
        <translation>订单 %1 已不再待支付。</translation>
    </message>
</context>
<context>
    <name>paydesk::TimelineModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>经过</translation>
    </message>
</context>
<context>
    <name>paydesk::UserModel</name>
    <message>
        <source>Login</source>
        <translation>登录名</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>已停用</translation>
    </message>
</context>
<context>
    <name>paydesk::WeChatPayChannel</name>
    <message>
        <source>This is not a WeChat Pay profile.</source>
        <translation>这不是微信支付配置。</translation>
    </message>
    <message>
        <source>WeChat Pay native payments take a positive CNY amount.</source>
        <translation>微信 Native 支付需要正的人民币金额。</translation>
    </message>
    <message>
        <source>The answer has no code_url.</source>
        <translation>应答中没有 code_url。</translation>
    </message>
    <message>
        <source>A refund needs a positive CNY amount no larger than the payment.</source>
        <translation>退款需要正的人民币金额，且不超过支付金额。</translation>
    </message>
    <message>
        <source>The notification is not JSON: %1</source>
        <translation>通知不是 JSON：%1</translation>
    </message>
    <message>
        <source>Cannot decrypt the notification resource (is the APIv3 key right?): %1</source>
        <translation>无法解密通知资源（APIv3 密钥是否正确？）：%1</translation>
    </message>
    <message>
        <source>Unsupported notification event_type &quot;%1&quot;.</source>
        <translation>不支持的通知 event_type“%1”。</translation>
    </message>
    <message>
        <source>WeChat Pay&apos;s HTTP %1 answer is not signed; it is treated as forged.</source>
        <translation>微信支付的 HTTP %1 应答没有签名，视为伪造。</translation>
    </message>
    <message>
        <source>A bill needs a date.</source>
        <translation>账单需要日期。</translation>
    </message>
    <message>
        <source>The bill answer has no SHA1 hash_value.</source>
        <translation>账单应答中没有 SHA1 hash_value。</translation>
    </message>
    <message>
        <source>The bill&apos;s download_url &quot;%1&quot; is not on the gateway %2; PayDesk does not send its signature anywhere else.</source>
        <translation>账单的 download_url“%1”不在网关 %2 上；PayDesk 不会把签名发送到其他地址。</translation>
    </message>
    <message>
        <source>The bill download is not a valid gzip file: %1</source>
        <translation>下载的账单不是有效的 gzip 文件：%1</translation>
    </message>
    <message>
        <source>The downloaded bill&apos;s SHA-1 %1 is not the %2 WeChat Pay signed: the file was altered or truncated, and is refused.</source>
        <translation>下载账单的 SHA-1 %1 与微信支付签名的 %2 不符：文件已被篡改或截断，已拒收。</translation>
    </message>
</context>
<context>
    <name>paydesk::alipay</name>
    <message>
        <source>Alipay answered code %1.</source>
        <translation>支付宝返回代码 %1。</translation>
    </message>
    <message>
        <source>Alipay refused our request signature: check the app private key (%1)</source>
        <translation>支付宝拒绝了请求签名：请检查应用私钥（%1）</translation>
    </message>
</context>
<context>
    <name>paydesk::bills</name>
    <message>
        <source>Cannot create a temporary folder for the zip.</source>
        <translation>无法为 zip 创建临时文件夹。</translation>
    </message>
    <message>
        <source>Cannot create the zip archive.</source>
        <translation>无法创建 zip 压缩包。</translation>
    </message>
    <message>
        <source>Cannot write %1 into the zip (%2).</source>
        <translation>无法将 %1 写入 zip（%2）。</translation>
    </message>
    <message>
        <source>Cannot finish the zip archive.</source>
        <translation>无法完成 zip 压缩包。</translation>
    </message>
    <message>
        <source>Cannot read back the zip archive.</source>
        <translation>无法读回 zip 压缩包。</translation>
    </message>
    <message>
        <source>Cannot write the zip to a temporary file.</source>
        <translation>无法将 zip 写入临时文件。</translation>
    </message>
    <message>
        <source>The file is not a zip archive.</source>
        <translation>该文件不是 zip 压缩包。</translation>
    </message>
    <message>
        <source>The zip archive&apos;s directory cannot be read.</source>
        <translation>无法读取 zip 压缩包的目录。</translation>
    </message>
    <message>
        <source>The zip archive&apos;s directory is corrupt.</source>
        <translation>zip 压缩包的目录已损坏。</translation>
    </message>
    <message>
        <source>A zip entry cannot be read.</source>
        <translation>无法读取 zip 条目。</translation>
    </message>
    <message>
        <source>The zip entry %1 is too large.</source>
        <translation>zip 条目 %1 过大。</translation>
    </message>
    <message>
        <source>The zip entry %1 cannot be opened.</source>
        <translation>无法打开 zip 条目 %1。</translation>
    </message>
    <message>
        <source>The zip entry %1 is truncated or corrupt.</source>
        <translation>zip 条目 %1 被截断或已损坏。</translation>
    </message>
    <message>
        <source>Cannot start decompressing.</source>
        <translation>无法开始解压。</translation>
    </message>
    <message>
        <source>The file inflates to more than %1 bytes.</source>
        <translation>文件解压后超过 %1 字节。</translation>
    </message>
    <message>
        <source>The file is not a complete gzip stream.</source>
        <translation>文件不是完整的 gzip 数据流。</translation>
    </message>
</context>
<context>
    <name>paydesk::crypto</name>
    <message>
        <source>The certificate is not a PEM X.509 certificate.</source>
        <translation>证书不是 PEM 格式的 X.509 证书。</translation>
    </message>
    <message>
        <source>The certificate has no usable public key.</source>
        <translation>证书中没有可用的公钥。</translation>
    </message>
    <message>
        <source>The certificate&apos;s key is not an RSA key.</source>
        <translation>证书的密钥不是 RSA 密钥。</translation>
    </message>
    <message>
        <source>No key for the certificate.</source>
        <translation>证书没有对应的密钥。</translation>
    </message>
    <message>
        <source>Cannot make the certificate: %1</source>
        <translation>无法生成证书：%1</translation>
    </message>
    <message>
        <source>An AES-256-GCM key is 32 bytes; this one has %1.</source>
        <translation>AES-256-GCM 密钥为 32 字节；此密钥为 %1 字节。</translation>
    </message>
    <message>
        <source>An AES-256-GCM nonce is 12 bytes; this one has %1.</source>
        <translation>AES-256-GCM 随机数为 12 字节；此随机数为 %1 字节。</translation>
    </message>
    <message>
        <source>Encryption failed: %1</source>
        <translation>加密失败：%1</translation>
    </message>
    <message>
        <source>The ciphertext is shorter than its 16-byte tag.</source>
        <translation>密文比 16 字节的认证标签还短。</translation>
    </message>
    <message>
        <source>Decryption failed: %1</source>
        <translation>解密失败：%1</translation>
    </message>
    <message>
        <source>The ciphertext failed authentication (wrong key, nonce or associated data, or it was altered).</source>
        <translation>密文认证失败（密钥、随机数或附加数据错误，或已被篡改）。</translation>
    </message>
    <message>
        <source>scrypt refused its parameters (N=%1, r=%2, p=%3): %4</source>
        <translation>scrypt 拒绝了参数（N=%1，r=%2，p=%3）：%4</translation>
    </message>
    <message>
        <source>scrypt parameters N=%1, r=%2, p=%3 are outside what PayDesk accepts (N a power of two up to %4, r up to %5, p up to %6, at most %7 MiB of memory).</source>
        <translation>scrypt 参数 N=%1、r=%2、p=%3 超出 PayDesk 接受的范围（N 为不超过 %4 的 2 的幂，r 不超过 %5，p 不超过 %6，内存最多 %7 MiB）。</translation>
    </message>
</context>
<context>
    <name>paydesk::crypto::PrivateKey</name>
    <message>
        <source>Cannot generate an RSA key: %1</source>
        <translation>无法生成 RSA 密钥：%1</translation>
    </message>
    <message>
        <source>The private key is not a PEM or base64 RSA private key (PKCS#8 or PKCS#1).</source>
        <translation>私钥不是 PEM 或 base64 格式的 RSA 私钥（PKCS#8 或 PKCS#1）。</translation>
    </message>
    <message>
        <source>The private key is not an RSA key.</source>
        <translation>私钥不是 RSA 密钥。</translation>
    </message>
    <message>
        <source>The private key has %1 bits; at least 2048 are required.</source>
        <translation>私钥为 %1 位；至少需要 2048 位。</translation>
    </message>
    <message>
        <source>No private key to sign with.</source>
        <translation>没有可用于签名的私钥。</translation>
    </message>
    <message>
        <source>Signing failed: %1</source>
        <translation>签名失败：%1</translation>
    </message>
</context>
<context>
    <name>paydesk::crypto::PublicKey</name>
    <message>
        <source>The public key is not a PEM or base64 RSA public key or certificate.</source>
        <translation>公钥不是 PEM 或 base64 格式的 RSA 公钥或证书。</translation>
    </message>
    <message>
        <source>The public key is not an RSA key.</source>
        <translation>公钥不是 RSA 密钥。</translation>
    </message>
    <message>
        <source>The public key has %1 bits; at least 2048 are required.</source>
        <translation>公钥为 %1 位；至少需要 2048 位。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::AnomaliesPage</name>
    <message>
        <source>&amp;Resolve</source>
        <translation>处理(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Open order</source>
        <translation>打开订单(&amp;O)</translation>
    </message>
    <message>
        <source>Anomalies</source>
        <translation>异常</translation>
    </message>
    <message>
        <source>&amp;Show:</source>
        <translation>显示(&amp;S)：</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>&amp;Note:</source>
        <translation>备注(&amp;N)：</translation>
    </message>
    <message>
        <source>How it was settled (required)</source>
        <translation>处理方式（必填）</translation>
    </message>
    <message>
        <source>Money taken twice or after closing also waits as a refund request in Refund review.</source>
        <translation>重复收款或关单后收款，也会以退款申请的形式进入“退款审核”。</translation>
    </message>
    <message>
        <source>Select an anomaly first.</source>
        <translation>请先选择一个异常。</translation>
    </message>
    <message>
        <source>This anomaly is already resolved.</source>
        <translation>该异常已处理。</translation>
    </message>
    <message>
        <source>Write how it was settled.</source>
        <translation>请写明处理方式。</translation>
    </message>
    <message>
        <source>Mark as resolved with your note</source>
        <translation>附上备注并标记为已处理</translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation>未能处理</translation>
    </message>
    <message>
        <source>Anomaly %1 resolved.</source>
        <translation>异常 %1 已处理。</translation>
    </message>
    <message>
        <source>Show this anomaly&apos;s order</source>
        <translation>查看此异常对应的订单</translation>
    </message>
    <message>
        <source>This anomaly has no order of ours.</source>
        <translation>此异常没有对应的本系统订单。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::AuditPage</name>
    <message>
        <source>&amp;Verify chain</source>
        <translation>校验哈希链(&amp;V)</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S)：</translation>
    </message>
    <message>
        <source>Action, object, user or details</source>
        <translation>操作、对象、用户或详情</translation>
    </message>
    <message>
        <source>Recomputing every entry&apos;s hash…</source>
        <translation>正在重新计算每条记录的哈希…</translation>
    </message>
    <message>
        <source>%1 entries checked</source>
        <translation>已校验 %1 条</translation>
    </message>
    <message>
        <source>✔ The chain is intact: %1 entries checked.</source>
        <translation>✔ 哈希链完整：已校验 %1 条记录。</translation>
    </message>
    <message>
        <source>✘ The chain is broken at entry %1: %2</source>
        <translation>✘ 哈希链在第 %1 条断开：%2</translation>
    </message>
    <message>
        <source>Show ra&amp;w details</source>
        <translation>显示原始详情(&amp;W)</translation>
    </message>
    <message>
        <source>Show each entry&apos;s details as stored (JSON, times in milliseconds since 1970)</source>
        <translation>按存储原样显示每条记录的详情（JSON，时间为自 1970 年起的毫秒数）</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ChannelProfileDialog</name>
    <message>
        <source>Payment channel profile</source>
        <translation>支付渠道配置</translation>
    </message>
    <message>
        <source>&amp;Load a profile file…</source>
        <translation>载入配置文件(&amp;L)…</translation>
    </message>
    <message>
        <source>A JSON profile as &quot;paydeskctl channel add&quot; reads it (paydesk-sandbox writes one)</source>
        <translation>JSON 格式的配置，与 “paydeskctl channel add” 读取的相同（paydesk-sandbox 可生成）</translation>
    </message>
    <message>
        <source>Fill in the form, or load a profile file.</source>
        <translation>填写表单，或载入配置文件。</translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation>渠道(&amp;C)：</translation>
    </message>
    <message>
        <source>Optional, e.g. Shop 1</source>
        <translation>可选，例如：一号店</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Merchant id:</source>
        <translation>商户号(&amp;M)：</translation>
    </message>
    <message>
        <source>&amp;App id:</source>
        <translation>应用 ID(&amp;A)：</translation>
    </message>
    <message>
        <source>Serial of the merchant API certificate</source>
        <translation>商户 API 证书序列号</translation>
    </message>
    <message>
        <source>Certificate &amp;serial:</source>
        <translation>证书序列号(&amp;S)：</translation>
    </message>
    <message>
        <source>Merchant private key (PEM file)</source>
        <translation>商户私钥（PEM 文件）</translation>
    </message>
    <message>
        <source>&amp;Private key:</source>
        <translation>私钥(&amp;P)：</translation>
    </message>
    <message>
        <source>32 characters</source>
        <translation>32 个字符</translation>
    </message>
    <message>
        <source>API&amp;v3 key:</source>
        <translation>APIv3 密钥(&amp;V)：</translation>
    </message>
    <message>
        <source>PUB_KEY_ID_… (with the public key below)</source>
        <translation>PUB_KEY_ID_…（与下方公钥配套）</translation>
    </message>
    <message>
        <source>Public &amp;key id:</source>
        <translation>公钥 ID(&amp;K)：</translation>
    </message>
    <message>
        <source>Platform / Alipay public key (PEM file)</source>
        <translation>平台／支付宝公钥（PEM 文件）</translation>
    </message>
    <message>
        <source>P&amp;ublic key:</source>
        <translation>公钥(&amp;U)：</translation>
    </message>
    <message>
        <source>Optional platform certificate (PEM file)</source>
        <translation>可选：平台证书（PEM 文件）</translation>
    </message>
    <message>
        <source>Platform c&amp;ertificate:</source>
        <translation>平台证书(&amp;E)：</translation>
    </message>
    <message>
        <source>&amp;Gateway URL:</source>
        <translation>网关地址(&amp;G)：</translation>
    </message>
    <message>
        <source>Optional: where the channel posts payment notifications</source>
        <translation>可选：渠道推送支付通知的地址</translation>
    </message>
    <message>
        <source>N&amp;otify URL:</source>
        <translation>通知地址(&amp;O)：</translation>
    </message>
    <message>
        <source>Load a channel profile</source>
        <translation>载入渠道配置</translation>
    </message>
    <message>
        <source>Profiles (*.json)</source>
        <translation>配置文件 (*.json)</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt *.key);;所有文件 (*)</translation>
    </message>
    <message>
        <source>mchid, e.g. 1900000109</source>
        <translation>mchid，例如 1900000109</translation>
    </message>
    <message>
        <source>Optional: the seller id</source>
        <translation>可选：卖家 ID</translation>
    </message>
    <message>
        <source>appid, e.g. wxd678efh567hg6787</source>
        <translation>appid，例如 wxd678efh567hg6787</translation>
    </message>
    <message>
        <source>app_id, e.g. 2021000000000000</source>
        <translation>app_id，例如 2021000000000000</translation>
    </message>
    <message>
        <source>From %1</source>
        <translation>来自 %1</translation>
    </message>
    <message numerus="yes">
        <source>%n certificate(s) from the file</source>
        <translation>
            <numerusform>文件中的 %n 个证书</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose the merchant private key (a PEM file).</source>
        <translation>请选择商户私钥（PEM 文件）。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ChannelProfilesBox</name>
    <message>
        <source>Payment channels</source>
        <translation>支付渠道</translation>
    </message>
    <message>
        <source>Add or re&amp;place…</source>
        <translation>添加或替换(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Test</source>
        <translation>测试(&amp;T)</translation>
    </message>
    <message>
        <source>Re&amp;move…</source>
        <translation>移除(&amp;M)…</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>App / merchant</source>
        <translation>应用／商户</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>网关</translation>
    </message>
    <message>
        <source>Channel profiles</source>
        <translation>渠道配置</translation>
    </message>
    <message>
        <source>Merchant private keys and the APIv3 key go into the system keychain (or the encrypted secrets file named by PAYDESK_SECRET_FILE), never into the database.</source>
        <translation>商户私钥和 APIv3 密钥保存在系统钥匙串中（或 PAYDESK_SECRET_FILE 指定的加密密钥文件），绝不写入数据库。</translation>
    </message>
    <message>
        <source>Connected now: %1.</source>
        <translation>当前已连接：%1。</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>This is the offline demo: every channel is simulated, whatever is stored below.</source>
        <translation>这是离线演示：无论下方保存了什么，所有渠道均为模拟。</translation>
    </message>
    <message>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>No WeChat Pay or Alipay profile is stored yet.</source>
        <translation>尚未保存微信支付或支付宝配置。</translation>
    </message>
    <message>
        <source>Only an ADMIN can change the payment channels.</source>
        <translation>只有管理员（ADMIN）可以修改支付渠道。</translation>
    </message>
    <message>
        <source>Enter a WeChat Pay or Alipay merchant profile (replaces one of the same channel)</source>
        <translation>录入微信支付或支付宝商户配置（替换同一渠道的已有配置）</translation>
    </message>
    <message>
        <source>One signed request to the channel and a verified answer</source>
        <translation>向渠道发送一个签名请求并验证其签名应答</translation>
    </message>
    <message>
        <source>Select a profile first.</source>
        <translation>请先选择一个配置。</translation>
    </message>
    <message>
        <source>Forget the profile and its secrets</source>
        <translation>删除该配置及其密钥</translation>
    </message>
    <message>
        <source>Saved the %1 profile; its secrets are in %2.</source>
        <translation>已保存%1配置；其密钥保存在 %2。</translation>
    </message>
    <message>
        <source>Connected.</source>
        <translation>已连接。</translation>
    </message>
    <message>
        <source>Testing %1…</source>
        <translation>正在测试%1…</translation>
    </message>
    <message>
        <source>%1: ok in %2 ms (signed request accepted, signed answer verified).</source>
        <translation>%1：正常，用时 %2 毫秒（签名请求被接受，签名应答验证通过）。</translation>
    </message>
    <message>
        <source>%1: the test failed: %2</source>
        <translation>%1：测试失败：%2</translation>
    </message>
    <message>
        <source>%1: no answer within 20 s.</source>
        <translation>%1：20 秒内无应答。</translation>
    </message>
    <message>
        <source>Remove channel</source>
        <translation>移除渠道</translation>
    </message>
    <message>
        <source>Remove the %1 profile and its secrets?

No new payments can be taken on %1 until a profile is added again.</source>
        <translation>移除%1配置及其密钥？

在重新添加配置之前，无法再通过%1收款。</translation>
    </message>
    <message>
        <source>Removed the %1 profile.</source>
        <translation>已移除%1配置。</translation>
    </message>
    <message>
        <source>Removed the %1 profile; restart PayDesk to disconnect the channel.</source>
        <translation>已移除%1配置；重启 PayDesk 后断开该渠道。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ClosingDialog</name>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk 收银台</translation>
    </message>
    <message>
        <source>Day report (Z) %1</source>
        <translation>日结报表（Z）%1</translation>
    </message>
    <message>
        <source>Shift report</source>
        <translation>交班报表</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>收银员</translation>
    </message>
    <message>
        <source>From</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>To</source>
        <translation>结束</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>收款笔数</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Refunds</source>
        <translation>退款笔数</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>净额</translation>
    </message>
    <message>
        <source>Still pending</source>
        <translation>待支付</translation>
    </message>
    <message numerus="yes">
        <source>%n order(s), %1</source>
        <translation>
            <numerusform>%n 笔订单，%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Against the channels&apos; bills</source>
        <translation>与渠道账单核对</translation>
    </message>
    <message>
        <source>not reconciled yet</source>
        <translation>尚未对账</translation>
    </message>
    <message>
        <source>bill agrees (%1 paid, %2 refunded)</source>
        <translation>账单一致（收款 %1，退款 %2）</translation>
    </message>
    <message>
        <source>bill differs: %1 paid, %2 refunded</source>
        <translation>账单不一致：收款 %1，退款 %2</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>no payments</source>
        <translation>无收款</translation>
    </message>
    <message>
        <source>Closed %1 by %2</source>
        <translation>%1 由 %2 关账</translation>
    </message>
    <message>
        <source>Not closed yet: a preview</source>
        <translation>尚未关账：预览</translation>
    </message>
    <message>
        <source>&amp;Save as PDF…</source>
        <translation>存为 PDF(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Print…</source>
        <translation>打印(&amp;P)…</translation>
    </message>
    <message>
        <source>Shift and day close</source>
        <translation>交班与日结</translation>
    </message>
    <message>
        <source>My shift</source>
        <translation>我的班次</translation>
    </message>
    <message>
        <source>A business day</source>
        <translation>营业日</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>报表</translation>
    </message>
    <message>
        <source>&amp;Report:</source>
        <translation>报表(&amp;R)：</translation>
    </message>
    <message>
        <source>Business day</source>
        <translation>营业日</translation>
    </message>
    <message>
        <source>&amp;Day:</source>
        <translation>日期(&amp;D)：</translation>
    </message>
    <message>
        <source>&amp;Close day…</source>
        <translation>日结(&amp;C)…</translation>
    </message>
    <message>
        <source>&amp;Close shift…</source>
        <translation>交班(&amp;C)…</translation>
    </message>
    <message>
        <source>Your role closes no shifts or days.</source>
        <translation>您的角色不能交班或日结。</translation>
    </message>
    <message>
        <source>Closed %1 by %2.</source>
        <translation>%1 由 %2 关账。</translation>
    </message>
    <message>
        <source>Not closed yet; closing keeps these totals as they are now.</source>
        <translation>尚未关账；关账会按当前数据保存这些合计。</translation>
    </message>
    <message>
        <source>Close %1 with net %2? A closed day is kept as it is and cannot be closed again.</source>
        <translation>以净额 %2 日结 %1？日结后数据保持不变，且不能再次日结。</translation>
    </message>
    <message>
        <source>Close your shift with net %1? The next shift starts now.</source>
        <translation>以净额 %1 交班？下一班从现在开始。</translation>
    </message>
    <message>
        <source>Close day</source>
        <translation>日结</translation>
    </message>
    <message>
        <source>Close shift</source>
        <translation>交班</translation>
    </message>
    <message>
        <source>Save report</source>
        <translation>保存报表</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <source>The report was saved to %1.</source>
        <translation>报表已保存到 %1。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::CountdownDelegate</name>
    <message>
        <source>closing</source>
        <translation>关闭中</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::FinancePage</name>
    <message>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <source>&amp;Range:</source>
        <translation>范围(&amp;R)：</translation>
    </message>
    <message>
        <source>From date</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <source>To date</source>
        <translation>结束日期</translation>
    </message>
    <message>
        <source>&amp;Daily as:</source>
        <translation>每日图表(&amp;D)：</translation>
    </message>
    <message>
        <source>Bars</source>
        <translation>柱状图</translation>
    </message>
    <message>
        <source>Lines</source>
        <translation>折线图</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
    <message>
        <source>Orders by state</source>
        <translation>订单状态分布</translation>
    </message>
    <message>
        <source>Money received by channel</source>
        <translation>各渠道收款</translation>
    </message>
    <message>
        <source>Refund backlog (now)</source>
        <translation>待完成退款（当前）</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Save the table behind this chart as a CSV file</source>
        <translation>将此图表的数据表保存为 CSV 文件</translation>
    </message>
    <message>
        <source>Adding up…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>收款</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>退款</translation>
    </message>
    <message>
        <source>Net</source>
        <translation>净额</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>Export chart data</source>
        <translation>导出图表数据</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation>已保存 %1。</translation>
    </message>
    <message>
        <source>Daily paid, refunded and net; fees and net after fees from the channels&apos; bills</source>
        <translation>每日收款、退款与净额；手续费及扣费后净额来自渠道账单</translation>
    </message>
    <message>
        <source>fees: no channel bill reconciled in this range yet</source>
        <translation>手续费：此范围内尚无已对账的渠道账单</translation>
    </message>
    <message numerus="yes">
        <source>from the channels&apos; bills of %n day(s): fees %1, net after fees %2</source>
        <translation>
            <numerusform>来自 %n 天的渠道账单：手续费 %1，扣费后净额 %2</numerusform>
        </translation>
    </message>
    <message>
        <source>Net after fees (channel&apos;s bill)</source>
        <translation>扣除手续费后净额（渠道账单）</translation>
    </message>
    <message>
        <source>Fees (channel&apos;s bill, right axis)</source>
        <translation>手续费（渠道账单，右轴）</translation>
    </message>
    <message>
        <source>%1 to %2: paid %3, refunded %4, net %5; %6</source>
        <translation>%1 至 %2：收款 %3，退款 %4，净额 %5；%6</translation>
    </message>
    <message>
        <source>%1 %2%</source>
        <translation>%1 %2%</translation>
    </message>
    <message>
        <source>Fees</source>
        <translation>手续费</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::FixupReviewBox</name>
    <message>
        <source>Appro&amp;ve mark paid</source>
        <translation>批准标记已支付(&amp;V)</translation>
    </message>
    <message>
        <source>Reject &amp;mark paid</source>
        <translation>驳回标记已支付(&amp;M)</translation>
    </message>
    <message>
        <source>Mark paid: money that came without an answer</source>
        <translation>标记已支付：收到款项但没有渠道回复</translation>
    </message>
    <message>
        <source>N&amp;ote:</source>
        <translation>备注(&amp;O)：</translation>
    </message>
    <message>
        <source>What you checked (required to reject)</source>
        <translation>您核查了什么（驳回时必填）</translation>
    </message>
    <message>
        <source>Asks the channel first: its verified answer decides; only when it cannot be reached does your word stand</source>
        <translation>先询问渠道：以经验证的回复为准；只有联系不上渠道时才以您的确认为准</translation>
    </message>
    <message>
        <source>Only a FINANCE user decides a fix-up.</source>
        <translation>只有 FINANCE 用户可以审批更正。</translation>
    </message>
    <message>
        <source>You asked for this one yourself; another FINANCE colleague approves it.</source>
        <translation>这是您本人申请的，须由另一位 FINANCE 同事批准。</translation>
    </message>
    <message>
        <source>Asking the channel about fix-up %1…</source>
        <translation>正在就更正 %1 询问渠道…</translation>
    </message>
    <message>
        <source>Fix-up %1 rejected; order %2 is unchanged.</source>
        <translation>更正 %1 已驳回；订单 %2 未改变。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::LoginDialog</name>
    <message>
        <source>&amp;Sign in</source>
        <translation>登录(&amp;S)</translation>
    </message>
    <message>
        <source>Sign in to PayDesk</source>
        <translation>登录 PayDesk</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>数据库：%1</translation>
    </message>
    <message>
        <source>&amp;User:</source>
        <translation>用户(&amp;U)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>Demo logins (password = login): clerk (counter), finance (refund review), admin (settings).</source>
        <translation>演示账户（密码与用户名相同）：clerk（收银）、finance（退款审核）、admin（设置）。</translation>
    </message>
    <message>
        <source>Enter your user name.</source>
        <translation>请输入用户名。</translation>
    </message>
    <message>
        <source>Set up PayDesk</source>
        <translation>设置 PayDesk</translation>
    </message>
    <message>
        <source>This database has no users yet. Create the first administrator account; it adds the other staff in Settings.</source>
        <translation>此数据库还没有用户。请创建第一个管理员账户，再由它在“设置”中添加其他员工。</translation>
    </message>
    <message numerus="yes">
        <source>At least %n characters</source>
        <translation>
            <numerusform>至少 %n 个字符</numerusform>
        </translation>
    </message>
    <message>
        <source>e.g. admin</source>
        <translation>例如 admin</translation>
    </message>
    <message>
        <source>&amp;Repeat:</source>
        <translation>再次输入(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Create and sign in</source>
        <translation>创建并登录(&amp;C)</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::MainWindow</name>
    <message>
        <source>PayDesk — %1 (%2) — DEMO</source>
        <translation>PayDesk — %1（%2）— 演示</translation>
    </message>
    <message>
        <source>PayDesk — %1 (%2)</source>
        <translation>PayDesk — %1（%2）</translation>
    </message>
    <message>
        <source>PayDesk</source>
        <translation>PayDesk</translation>
    </message>
    <message>
        <source>DEMO — simulated payments</source>
        <translation>演示 — 模拟支付</translation>
    </message>
    <message>
        <source>Offline demo: a simulated channel and scripted customers; no real money moves.</source>
        <translation>离线演示：模拟渠道与脚本化顾客，不涉及真实资金。</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页面</translation>
    </message>
    <message>
        <source>Orders</source>
        <translation>订单</translation>
    </message>
    <message>
        <source>Refund review</source>
        <translation>退款审核</translation>
    </message>
    <message>
        <source>Anomalies</source>
        <translation>异常</translation>
    </message>
    <message>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>%1 (Ctrl+%2)</source>
        <translation>%1（Ctrl+%2）</translation>
    </message>
    <message>
        <source>Signed in as %1
%2</source>
        <translation>当前用户：%1
%2</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Database: %1</source>
        <translation>数据库：%1</translation>
    </message>
    <message>
        <source> DEMO </source>
        <translation> 演示 </translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>处理中…</translation>
    </message>
    <message>
        <source>Timer: off</source>
        <translation>定时器：关闭</translation>
    </message>
    <message>
        <source>Channel error — %1</source>
        <translation>渠道错误 — %1</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>next in %1</source>
        <translation>%1 后执行</translation>
    </message>
    <message>
        <source>running</source>
        <translation>执行中</translation>
    </message>
    <message numerus="yes">
        <source>Timer: %1 · %n job(s) in flight</source>
        <translation>
            <numerusform>定时器：%1 · %n 项任务进行中</numerusform>
        </translation>
    </message>
    <message>
        <source>Keyboard shortcuts (F1)</source>
        <translation>键盘快捷键 (F1)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source> … </source>
        <translation> … </translation>
    </message>
    <message>
        <source>New order at the counter (shows the QR code)</source>
        <translation>柜台新建订单（显示二维码）</translation>
    </message>
    <message>
        <source> or Enter on an order</source>
        <translation> 或在订单上按回车</translation>
    </message>
    <message>
        <source>Repay: a new payment code for the selected order</source>
        <translation>重新支付：为选中订单生成新的付款码</translation>
    </message>
    <message>
        <source>Close the selected unpaid order (asks first)</source>
        <translation>关闭选中的未支付订单（先确认）</translation>
    </message>
    <message>
        <source>Request a refund on the selected paid order</source>
        <translation>为选中的已支付订单申请退款</translation>
    </message>
    <message>
        <source>Ask the channel about the selected order now</source>
        <translation>立即向渠道查询选中订单</translation>
    </message>
    <message>
        <source>Refresh the page</source>
        <translation>刷新本页</translation>
    </message>
    <message>
        <source>Export the filtered orders as CSV</source>
        <translation>将筛选出的订单导出为 CSV</translation>
    </message>
    <message>
        <source>Refund review: approve the selected refund (asks first)</source>
        <translation>退款审核：批准选中的退款（先确认）</translation>
    </message>
    <message>
        <source>Alt+underlined letter</source>
        <translation>Alt+带下划线的字母</translation>
    </message>
    <message>
        <source>Jump to that field or press that button</source>
        <translation>跳到该输入项或按下该按钮</translation>
    </message>
    <message>
        <source>Tab / Shift+Tab, arrows</source>
        <translation>Tab／Shift+Tab、方向键</translation>
    </message>
    <message>
        <source>Move between fields; move in tables</source>
        <translation>在输入项之间移动；在表格中移动</translation>
    </message>
    <message>
        <source>This list</source>
        <translation>显示本列表</translation>
    </message>
    <message>
        <source>Quit PayDesk</source>
        <translation>退出 PayDesk</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>What it does</source>
        <translation>作用</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>No payment channel connected</source>
        <translation>未连接支付渠道</translation>
    </message>
    <message>
        <source>Channels (simulated): %1</source>
        <translation>渠道（模拟）：%1</translation>
    </message>
    <message>
        <source>Channels: %1</source>
        <translation>渠道：%1</translation>
    </message>
    <message>
        <source>Every channel is simulated: scripted customers pay, ignore or pay late; no real money moves.</source>
        <translation>所有渠道均为模拟：脚本化的顾客会付款、不付款或延迟付款；不涉及真实资金。</translation>
    </message>
    <message>
        <source>The payment channels this window talks to, and the last error the timer met on each.</source>
        <translation>本窗口连接的支付渠道，以及定时器在各渠道遇到的最近一次错误。</translation>
    </message>
    <message>
        <source>Sign &amp;out (Ctrl+Shift+L)</source>
        <translation>退出登录(&amp;O)（Ctrl+Shift+L）</translation>
    </message>
    <message>
        <source>PayDesk is locked</source>
        <translation>PayDesk 已锁定</translation>
    </message>
    <message>
        <source>&amp;Sign in…</source>
        <translation>登录(&amp;S)…</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>%1 signed out. Sign in to go on.</source>
        <translation>%1 已退出登录。请登录以继续。</translation>
    </message>
    <message>
        <source>Locked after %1 without input. %2 or a colleague signs in to go on.</source>
        <translation>%1 无操作后已锁定。请 %2 或同事登录以继续。</translation>
    </message>
    <message>
        <source>Reconciliation</source>
        <translation>对账</translation>
    </message>
    <message>
        <source>Go to Orders, Refund review, Anomalies, Finance, Reconciliation, Audit log, Settings</source>
        <translation>转到订单、退款审核、异常、财务、对账、审计日志、设置</translation>
    </message>
    <message>
        <source>Reconciliation: fetch a channel&apos;s daily bill and reconcile it</source>
        <translation>对账：下载渠道的日账单并对账</translation>
    </message>
    <message>
        <source>Reconciliation: import a downloaded bill file</source>
        <translation>对账：导入已下载的账单文件</translation>
    </message>
    <message>
        <source> or Enter on a difference</source>
        <translation> 或在差异上按回车</translation>
    </message>
    <message>
        <source>Reconciliation: open the difference&apos;s order</source>
        <translation>对账：打开差异对应的订单</translation>
    </message>
    <message>
        <source>Time runs %1× faster</source>
        <translation>时间加速 %1 倍</translation>
    </message>
    <message>
        <source>Demo time: every clock, countdown and pay-by time here runs %1 times faster than the wall clock.</source>
        <translation>演示时间：这里所有的时钟、倒计时和支付截止时间都比实际时间快 %1 倍。</translation>
    </message>
    <message>
        <source>Search the orders (order no, title, buyer, any payment or refund id)</source>
        <translation>搜索订单（订单号、标题、买家、任意支付或退款编号）</translation>
    </message>
    <message>
        <source>Receipt of the selected paid order or its refund: print or save as PDF</source>
        <translation>所选已支付订单或其退款的凭证：打印或存为 PDF</translation>
    </message>
    <message>
        <source>Mark the selected unpaid order paid (money without an answer; another FINANCE user approves)</source>
        <translation>将所选未支付订单标记为已支付（有款项无回复；由另一位 FINANCE 用户批准）</translation>
    </message>
    <message>
        <source>Close shift or &amp;day… (Ctrl+Shift+Z)</source>
        <translation>交班或日结(&amp;D)…（Ctrl+Shift+Z）</translation>
    </message>
    <message>
        <source>Close shift or day</source>
        <translation>交班或日结</translation>
    </message>
    <message>
        <source>Close your shift, or a business day (finance): the Z report to print or save</source>
        <translation>交班，或日结营业日（财务）：可打印或保存的 Z 报表</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::MarkPaidDialog</name>
    <message>
        <source>&amp;Ask for review</source>
        <translation>提交审核(&amp;A)</translation>
    </message>
    <message>
        <source>Mark order %1 paid</source>
        <translation>将订单 %1 标记为已支付</translation>
    </message>
    <message>
        <source>For money that reached you for %1 (%2) without any answer from the channel. Another FINANCE user approves it; the channel is asked once more first, and its answer decides.</source>
        <translation>用于已收到 %1（%2）的款项但渠道没有任何回复的情况。由另一位 FINANCE 用户批准；批准前会再次询问渠道，以其回复为准。</translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation>%1 · %2 · %3</translation>
    </message>
    <message>
        <source>Payment the money came for</source>
        <translation>款项对应的支付单</translation>
    </message>
    <message>
        <source>&amp;Payment:</source>
        <translation>支付单(&amp;P)：</translation>
    </message>
    <message>
        <source>e.g. 4200001234202612041234567890</source>
        <translation>例如 4200001234202612041234567890</translation>
    </message>
    <message>
        <source>Channel transaction id</source>
        <translation>渠道交易号</translation>
    </message>
    <message>
        <source>Channel &amp;transaction id:</source>
        <translation>渠道交易号(&amp;T)：</translation>
    </message>
    <message>
        <source>What the customer showed, where the money was seen…</source>
        <translation>顾客出示了什么，在哪里看到了款项…</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>&amp;Reason:</source>
        <translation>原因(&amp;R)：</translation>
    </message>
    <message>
        <source>Order %1 has no payment to mark paid.</source>
        <translation>订单 %1 没有可标记为已支付的支付单。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::NewOrderDialog</name>
    <message>
        <source>&amp;Create and show code</source>
        <translation>创建并显示二维码(&amp;C)</translation>
    </message>
    <message>
        <source>New order</source>
        <translation>新建订单</translation>
    </message>
    <message>
        <source>e.g. 25.00</source>
        <translation>例如 25.00</translation>
    </message>
    <message>
        <source>&amp;Amount (¥):</source>
        <translation>金额（元）(&amp;A)：</translation>
    </message>
    <message>
        <source>What the customer buys</source>
        <translation>顾客购买的商品</translation>
    </message>
    <message>
        <source>&amp;Title:</source>
        <translation>标题(&amp;T)：</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <source>&amp;Buyer:</source>
        <translation>买家(&amp;B)：</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>Time to &amp;pay:</source>
        <translation>支付时限(&amp;P)：</translation>
    </message>
    <message>
        <source>C&amp;hannel:</source>
        <translation>渠道(&amp;H)：</translation>
    </message>
    <message>
        <source>No payment channel is set up. Add a channel profile in Settings.</source>
        <translation>尚未设置支付渠道。请在“设置”中添加渠道配置。</translation>
    </message>
    <message>
        <source>%1 needs more time to pay than %2 min: choose at least %3 min.</source>
        <translation>%1 的支付时限需多于 %2 分钟：请至少选择 %3 分钟。</translation>
    </message>
    <message>
        <source>Enter the amount the customer pays.</source>
        <translation>请输入顾客支付的金额。</translation>
    </message>
    <message>
        <source>Enter a title: what the customer buys (they see it when paying).</source>
        <translation>请输入标题：顾客购买的商品（付款时可见）。</translation>
    </message>
    <message>
        <source>Create the order and show its payment code (Enter)</source>
        <translation>创建订单并显示付款码（回车）</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrderDetailPane</name>
    <message>
        <source>&amp;Payments</source>
        <translation>支付(&amp;P)</translation>
    </message>
    <message>
        <source>Re&amp;funds</source>
        <translation>退款(&amp;F)</translation>
    </message>
    <message>
        <source>T&amp;imeline</source>
        <translation>时间线(&amp;I)</translation>
    </message>
    <message>
        <source>No order selected</source>
        <translation>未选择订单</translation>
    </message>
    <message>
        <source>Select an order in the table to see its payments, refunds and timeline.</source>
        <translation>在表格中选择订单，查看其支付、退款与时间线。</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>买家</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation>%1，由 %2 创建</translation>
    </message>
    <message>
        <source>Pay by</source>
        <translation>支付截止</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>支付时间</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>关闭时间</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>已退金额</translation>
    </message>
    <message>
        <source>Re&amp;funds (%1)</source>
        <translation>退款(&amp;F)（%1）</translation>
    </message>
    <message>
        <source>&amp;Payments (%1)</source>
        <translation>支付(&amp;P)（%1）</translation>
    </message>
    <message>
        <source>Show raw details</source>
        <translation>显示原始详情</translation>
    </message>
    <message>
        <source>Closing (the time to pay ran out)</source>
        <translation>关闭中（支付时间已到）</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrderWatch</name>
    <message>
        <source>The time to pay order %1 has run out; it is being closed.</source>
        <translation>订单 %1 的支付时间已到，正在关闭。</translation>
    </message>
    <message>
        <source>Order %1 was paid at %2.</source>
        <translation>订单 %1 已于 %2 支付。</translation>
    </message>
    <message>
        <source>Order %1 is paid and partly refunded (%2).</source>
        <translation>订单 %1 已支付，并已部分退款（%2）。</translation>
    </message>
    <message>
        <source>Order %1 has been refunded in full.</source>
        <translation>订单 %1 已全额退款。</translation>
    </message>
    <message>
        <source>Order %1 was closed: the time to pay ran out.</source>
        <translation>订单 %1 已关闭：支付时间已到。</translation>
    </message>
    <message>
        <source>Order %1 was closed.</source>
        <translation>订单 %1 已关闭。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::OrdersPage</name>
    <message>
        <source>&amp;New order…</source>
        <translation>新建订单(&amp;N)…</translation>
    </message>
    <message>
        <source>Re&amp;pay…</source>
        <translation>重新支付(&amp;P)…</translation>
    </message>
    <message>
        <source>C&amp;lose order…</source>
        <translation>关闭订单(&amp;L)…</translation>
    </message>
    <message>
        <source>Re&amp;fund…</source>
        <translation>退款(&amp;F)…</translation>
    </message>
    <message>
        <source>As&amp;k channel</source>
        <translation>查询渠道(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Export CSV…</source>
        <translation>导出 CSV(&amp;E)…</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Search orders</source>
        <translation>搜索订单</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>State filter</source>
        <translation>状态筛选</translation>
    </message>
    <message>
        <source>All channels</source>
        <translation>全部渠道</translation>
    </message>
    <message>
        <source>Channel filter</source>
        <translation>渠道筛选</translation>
    </message>
    <message>
        <source>Date range</source>
        <translation>日期范围</translation>
    </message>
    <message>
        <source>From date</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <source>To date</source>
        <translation>结束日期</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S)：</translation>
    </message>
    <message>
        <source>S&amp;tate:</source>
        <translation>状态(&amp;T)：</translation>
    </message>
    <message>
        <source>C&amp;hannel:</source>
        <translation>渠道(&amp;H)：</translation>
    </message>
    <message>
        <source>&amp;Date:</source>
        <translation>日期(&amp;D)：</translation>
    </message>
    <message numerus="yes">
        <source>%n order(s)</source>
        <translation>
            <numerusform>%n 笔订单</numerusform>
        </translation>
    </message>
    <message>
        <source>Take a payment at the counter and show its QR code</source>
        <translation>柜台收款并显示二维码</translation>
    </message>
    <message>
        <source>Issue a new payment code for this order</source>
        <translation>为此订单生成新的支付二维码</translation>
    </message>
    <message>
        <source>Close this unpaid order at the channel and here</source>
        <translation>在渠道和本地关闭此未支付订单</translation>
    </message>
    <message>
        <source>Ask for money back to the customer (reviewed by finance)</source>
        <translation>为顾客申请退款（由财务审核）</translation>
    </message>
    <message>
        <source>Ask the channel about this order&apos;s payments now</source>
        <translation>立即向渠道查询此订单的支付状态</translation>
    </message>
    <message>
        <source>Re-read the orders now</source>
        <translation>立即重新读取订单</translation>
    </message>
    <message>
        <source>Write the orders that match the filter to a CSV file</source>
        <translation>将符合筛选条件的订单写入 CSV 文件</translation>
    </message>
    <message>
        <source>Order %1 created.</source>
        <translation>订单 %1 已创建。</translation>
    </message>
    <message>
        <source>Close order</source>
        <translation>关闭订单</translation>
    </message>
    <message>
        <source>Close order %1 (%2, %3)?

The customer can no longer pay it; any open payment code is closed at the channel first.</source>
        <translation>关闭订单 %1（%2，%3）？

顾客将无法再支付；未完成的支付二维码会先在渠道关闭。</translation>
    </message>
    <message>
        <source>Closing %1…</source>
        <translation>正在关闭 %1…</translation>
    </message>
    <message>
        <source>Order not closed</source>
        <translation>订单未关闭</translation>
    </message>
    <message>
        <source>Order %1 closed.</source>
        <translation>订单 %1 已关闭。</translation>
    </message>
    <message>
        <source>Refund %1 requested and approved automatically.</source>
        <translation>退款 %1 已申请并自动批准。</translation>
    </message>
    <message>
        <source>Refund %1 requested; it waits for review by finance.</source>
        <translation>退款 %1 已申请，等待财务审核。</translation>
    </message>
    <message>
        <source>Asking the channel about %1…</source>
        <translation>正在向渠道查询 %1…</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>%1 is %2.</source>
        <translation>%1 状态为 %2。</translation>
    </message>
    <message>
        <source>Export orders</source>
        <translation>导出订单</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting orders…</source>
        <translation>正在导出订单…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n order(s) to %1.</source>
        <translation>
            <numerusform>已将 %n 笔订单导出到 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Clear search</source>
        <translation>清除搜索</translation>
    </message>
    <message numerus="yes">
        <source>↑ %n new order(s) — show</source>
        <translation>
            <numerusform>↑ %n 个新订单 — 显示</numerusform>
        </translation>
    </message>
    <message>
        <source>New orders came in while you were reading; they wait here so the rows do not move.</source>
        <translation>您浏览时有新订单进来；它们先在这里等候，列表不会跳动。</translation>
    </message>
    <message numerus="yes">
        <source>%n match(es) in other states — show all</source>
        <translation>
            <numerusform>其他状态中有 %n 个匹配 — 全部显示</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n match(es) outside these filters — show all</source>
        <translation>
            <numerusform>筛选条件之外有 %n 个匹配 — 全部显示</numerusform>
        </translation>
    </message>
    <message>
        <source>Clear the state, channel and date filters and keep the search</source>
        <translation>清除状态、渠道和日期筛选，保留搜索内容</translation>
    </message>
    <message numerus="yes">
        <source>No order here matches “%1”, but %n in other states or dates do.</source>
        <translation>
            <numerusform>这里没有与“%1”匹配的订单，但其他状态或日期中有 %n 个。</numerusform>
        </translation>
    </message>
    <message>
        <source>No order matches “%1”.
Search looks in the order number, the title and the buyer; Escape clears the search.</source>
        <translation>没有与“%1”匹配的订单。
搜索范围为订单号、标题和买家；按 Esc 清除搜索。</translation>
    </message>
    <message>
        <source>No orders in this state, channel or date range.</source>
        <translation>此状态、渠道或日期范围内没有订单。</translation>
    </message>
    <message>
        <source>No orders yet. New order (Ctrl+N) takes a payment at the counter.</source>
        <translation>还没有订单。点“新建订单”（Ctrl+N）即可在柜台收款。</translation>
    </message>
    <message>
        <source>%1 is now %2 and no longer matches the filter; nothing is selected.</source>
        <translation>%1 现为“%2”，已不符合筛选条件；当前未选中任何订单。</translation>
    </message>
    <message>
        <source>There is nothing to close.</source>
        <translation>无需再关闭。</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>Search order no, title, buyer, or any payment or refund id (Ctrl+F)</source>
        <translation>搜索订单号、标题、买家或任意支付/退款编号（Ctrl+F）</translation>
    </message>
    <message>
        <source>Rece&amp;ipt…</source>
        <translation>凭证(&amp;I)…</translation>
    </message>
    <message>
        <source>Print or save the customer&apos;s receipt of this payment or a refund</source>
        <translation>打印或保存此笔付款或退款的顾客凭证</translation>
    </message>
    <message>
        <source>&amp;Mark paid…</source>
        <translation>标记已支付(&amp;M)…</translation>
    </message>
    <message>
        <source>Money came for this order without an answer: ask finance to mark it paid</source>
        <translation>此订单收到款项但没有回复：请财务标记为已支付</translation>
    </message>
    <message>
        <source>Fix-up %1 asks to mark %2 paid; another FINANCE user approves it on the Refund review page.</source>
        <translation>更正 %1 申请将 %2 标记为已支付；由另一位 FINANCE 用户在退款审核页面批准。</translation>
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
        <translation>请向顾客出示此二维码。顾客在应用中确认后订单即完成支付。</translation>
    </message>
    <message>
        <source>The channel refused the payment: %1</source>
        <translation>渠道拒绝了支付：%1</translation>
    </message>
    <message>
        <source>Asking the channel for a payment code…</source>
        <translation>正在向渠道申请支付二维码…</translation>
    </message>
    <message>
        <source>This code expires in %1</source>
        <translation>二维码将在 %1 后失效</translation>
    </message>
    <message>
        <source>This code has expired</source>
        <translation>二维码已失效</translation>
    </message>
    <message>
        <source>Paid at %1. The customer need not scan again.</source>
        <translation>已于 %1 支付。顾客无需再次扫码。</translation>
    </message>
    <message>
        <source>The order was closed: the time to pay ran out.</source>
        <translation>订单已关闭：支付时间已到。</translation>
    </message>
    <message>
        <source>The order was closed; this code no longer takes payments.</source>
        <translation>订单已关闭；此二维码不再接受付款。</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>已支付</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>This code can no longer be paid. While the order is open, Repay issues a new one.</source>
        <translation>此二维码已无法付款。订单未关闭时，可通过“重新支付”生成新的二维码。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::QrWidget</name>
    <message>
        <source>Payment QR code</source>
        <translation>支付二维码</translation>
    </message>
    <message>
        <source>No payment code yet</source>
        <translation>暂无支付二维码</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReceiptDialog</name>
    <message>
        <source>&amp;Save as PDF…</source>
        <translation>存为 PDF(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Print…</source>
        <translation>打印(&amp;P)…</translation>
    </message>
    <message>
        <source>Receipt for %1</source>
        <translation>%1 的凭证</translation>
    </message>
    <message>
        <source>&amp;Receipt for:</source>
        <translation>凭证(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>The payment (%1)</source>
        <translation>付款（%1）</translation>
    </message>
    <message>
        <source>Refund %1 (%2)</source>
        <translation>退款 %1（%2）</translation>
    </message>
    <message>
        <source>Which receipt</source>
        <translation>哪张凭证</translation>
    </message>
    <message>
        <source>Receipt language</source>
        <translation>凭证语言</translation>
    </message>
    <message>
        <source>Receipt preview</source>
        <translation>凭证预览</translation>
    </message>
    <message>
        <source>Write the receipt to a PDF file (%1)</source>
        <translation>将凭证写入 PDF 文件（%1）</translation>
    </message>
    <message>
        <source>Print the receipt (%1)</source>
        <translation>打印凭证（%1）</translation>
    </message>
    <message>
        <source>Save receipt</source>
        <translation>保存凭证</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <source>The receipt was saved to %1.</source>
        <translation>凭证已保存到 %1。</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>凭证</translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation>打印凭证</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReconPage</name>
    <message>
        <source>&amp;Fetch and reconcile…</source>
        <translation>下载并对账(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Import bill file…</source>
        <translation>导入账单文件(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Open order</source>
        <translation>打开订单(&amp;O)</translation>
    </message>
    <message>
        <source>Fetch and reconcile…</source>
        <translation>下载并对账…</translation>
    </message>
    <message>
        <source>Import bill file…</source>
        <translation>导入账单文件…</translation>
    </message>
    <message>
        <source>Open order</source>
        <translation>打开订单</translation>
    </message>
    <message>
        <source>Reconciliation</source>
        <translation>对账</translation>
    </message>
    <message>
        <source>The channels&apos; daily bills against our books</source>
        <translation>渠道日账单与我方账目核对</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
    <message>
        <source>Reconciliation runs</source>
        <translation>对账记录</translation>
    </message>
    <message>
        <source>Differences of the selected run</source>
        <translation>所选对账的差异</translation>
    </message>
    <message>
        <source>Each difference with an order of ours opens an anomaly; money to give back waits in Refund review.</source>
        <translation>每个有我方订单的差异都会登记为异常；需要退回的钱在退款审核中等待处理。</translation>
    </message>
    <message>
        <source>%1 You see the results read-only.</source>
        <translation>%1 您只能查看结果。</translation>
    </message>
    <message>
        <source>No reconciliation yet.

Fetch a channel&apos;s daily bill (%1) or import a bill file downloaded from the merchant platform (%2) to check our books against the money the channel moved.</source>
        <translation>尚未对账。

下载渠道的日账单（%1），或导入从商户平台下载的账单文件（%2），核对我方账目与渠道实际收退的钱。</translation>
    </message>
    <message>
        <source>No reconciliation yet.

FINANCE staff check the channels&apos; daily bills against our books here; the results will show on this page.</source>
        <translation>尚未对账。

财务人员在这里核对渠道日账单与我方账目；结果会显示在此页面。</translation>
    </message>
    <message>
        <source>Differences</source>
        <translation>差异</translation>
    </message>
    <message>
        <source>Select a run to see its differences.</source>
        <translation>选择一条对账记录以查看其差异。</translation>
    </message>
    <message>
        <source>Nothing reconciled yet.</source>
        <translation>尚未对账。</translation>
    </message>
    <message>
        <source>Differences — %1, bill of %2 (run %3 by %4)</source>
        <translation>差异 — %1，%2 的账单（第 %3 次对账，操作人 %4）</translation>
    </message>
    <message numerus="yes">
        <source>No differences: all %n row(s) of the bill matched our books.</source>
        <translation>
            <numerusform>没有差异：账单全部 %n 行都与我方账目一致。</numerusform>
        </translation>
    </message>
    <message>
        <source>A reconciliation is running.</source>
        <translation>正在对账。</translation>
    </message>
    <message>
        <source>Neither WeChat Pay nor Alipay is connected; import a bill file instead.</source>
        <translation>未连接微信支付或支付宝；请改为导入账单文件。</translation>
    </message>
    <message>
        <source>Download a channel&apos;s daily bill and check it against our books (%1)</source>
        <translation>下载渠道的日账单并与我方账目核对（%1）</translation>
    </message>
    <message>
        <source>Check a bill file downloaded from the merchant platform against our books (%1)</source>
        <translation>将从商户平台下载的账单文件与我方账目核对（%1）</translation>
    </message>
    <message>
        <source>Select a difference first.</source>
        <translation>请先选择一处差异。</translation>
    </message>
    <message>
        <source>This money is only at the channel: there is no order of ours to open.</source>
        <translation>这笔钱只在渠道：没有可打开的我方订单。</translation>
    </message>
    <message>
        <source>Show order %1 on the Orders page (%2 or Enter)</source>
        <translation>在订单页显示订单 %1（%2 或回车）</translation>
    </message>
    <message>
        <source>Not reconciled</source>
        <translation>未对账</translation>
    </message>
    <message>
        <source>The %1 channel is not connected here; import its bill file instead.</source>
        <translation>此处未连接%1渠道；请改为导入其账单文件。</translation>
    </message>
    <message>
        <source>Fetching the %1 bill of %2…</source>
        <translation>正在下载%1 %2 的账单…</translation>
    </message>
    <message>
        <source>Bill not fetched</source>
        <translation>账单未下载</translation>
    </message>
    <message>
        <source>The %1 bill of %2 could not be fetched: %3</source>
        <translation>无法下载%1 %2 的账单：%3</translation>
    </message>
    <message>
        <source>Bill not ready</source>
        <translation>账单尚未生成</translation>
    </message>
    <message>
        <source>The %1 bill of %2 is not ready yet. Channels publish a day&apos;s bill the next morning; try again later.

The channel said: %3</source>
        <translation>%1 %2 的账单尚未生成。渠道在次日上午发布前一天的账单；请稍后再试。

渠道答复：%3</translation>
    </message>
    <message>
        <source>No bill for that day</source>
        <translation>当天没有账单</translation>
    </message>
    <message>
        <source>%1 has no bill for %2: the channel saw neither payments nor refunds that day, so there is nothing to reconcile.

The channel said: %3</source>
        <translation>%1 没有 %2 的账单：当天渠道既无支付也无退款，无需对账。

渠道答复：%3</translation>
    </message>
    <message>
        <source>Choose the bill file to import.</source>
        <translation>请选择要导入的账单文件。</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>Reconciling the %1 bill of %2 against our books…</source>
        <translation>正在将%1 %2 的账单与我方账目核对…</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>The %1 bill of %2 was not reconciled: %3</source>
        <translation>%1 %2 的账单未能对账：%3</translation>
    </message>
    <message>
        <source>Imported the %1 bill of %2: %3 matched, %4 difference(s), %5 new.</source>
        <translation>已导入%1 %2 的账单：%3 笔一致，%4 处差异，%5 处新增。</translation>
    </message>
    <message>
        <source>Reconciled %1 for %2: %3 matched, %4 difference(s), %5 new.</source>
        <translation>已完成%1 %2 的对账：%3 笔一致，%4 处差异，%5 处新增。</translation>
    </message>
    <message>
        <source>The channel said: %1.</source>
        <translation>渠道答复：%1。</translation>
    </message>
    <message>
        <source>E&amp;xport CSV…</source>
        <translation>导出 CSV(&amp;X)…</translation>
    </message>
    <message>
        <source>Save this run&apos;s differences as a CSV file (Ctrl+E)</source>
        <translation>将本次对账的差异保存为 CSV 文件（Ctrl+E）</translation>
    </message>
    <message>
        <source>No differences to export: select a run that has some.</source>
        <translation>没有可导出的差异：请选择一次有差异的对账。</translation>
    </message>
    <message>
        <source>Export differences</source>
        <translation>导出差异</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n difference(s) to %1.</source>
        <translation>
            <numerusform>已将 %n 条差异导出到 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>How it was settled (required to resolve)</source>
        <translation>如何处理的（解决时必填）</translation>
    </message>
    <message>
        <source>Re&amp;solve</source>
        <translation>解决(&amp;S)</translation>
    </message>
    <message>
        <source>This difference opened no anomaly.</source>
        <translation>此差异没有生成异常。</translation>
    </message>
    <message>
        <source>Its anomaly is resolved already.</source>
        <translation>其异常已解决。</translation>
    </message>
    <message>
        <source>Write how it was settled first.</source>
        <translation>请先写明处理方式。</translation>
    </message>
    <message>
        <source>Resolve its anomaly with your note (audited)</source>
        <translation>用你的备注解决其异常（记入审计）</translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation>未解决</translation>
    </message>
    <message>
        <source>Anomaly %1 resolved.</source>
        <translation>异常 %1 已解决。</translation>
    </message>
    <message>
        <source>Reconciled days</source>
        <translation>已对账的日期</translation>
    </message>
    <message>
        <source>Green: the bill matched our books. Red: differences. Click a day to see its run.</source>
        <translation>绿色：账单与账目一致。红色：有差异。点击某天查看该日的对账。</translation>
    </message>
    <message>
        <source>&lt;span style=&quot;background:%1&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; matched&amp;nbsp;&amp;nbsp; &lt;span style=&quot;background:%2&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; differences</source>
        <translation>&lt;span style=&quot;background:%1&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; 一致&amp;nbsp;&amp;nbsp; &lt;span style=&quot;background:%2&quot;&gt;&amp;nbsp;&amp;nbsp;&amp;nbsp;&amp;nbsp;&lt;/span&gt; 有差异</translation>
    </message>
    <message>
        <source>No reconciliation of %1 yet.</source>
        <translation>%1 尚未对账。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReconRunDialog</name>
    <message>
        <source>Fetch and reconcile a bill</source>
        <translation>下载账单并对账</translation>
    </message>
    <message>
        <source>Import a bill file</source>
        <translation>导入账单文件</translation>
    </message>
    <message>
        <source>PayDesk downloads the channel&apos;s daily bill and checks every payment and refund on it against our books. Channels publish a day&apos;s bill the next morning and keep it for about three months.</source>
        <translation>PayDesk 下载渠道的日账单，逐笔核对其中的支付和退款与我方账目。渠道在次日上午发布前一天的账单，约保留三个月。</translation>
    </message>
    <message>
        <source>Choose a trade bill downloaded by hand from the channel&apos;s merchant platform (WeChat Pay: the CSV trade bill; Alipay: the zip of the business details). It is checked against our books like a fetched bill; differences open anomalies but change no order.</source>
        <translation>选择从渠道商户平台手动下载的交易账单（微信支付：CSV 交易账单；支付宝：业务明细 zip 包）。它与下载的账单一样与我方账目核对；差异会登记为异常，但不改变任何订单。</translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation>渠道(&amp;C)：</translation>
    </message>
    <message>
        <source>Bill &amp;day (Beijing time):</source>
        <translation>账单日（北京时间）(&amp;D)：</translation>
    </message>
    <message>
        <source>The bill file (required)</source>
        <translation>账单文件（必填）</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;File:</source>
        <translation>文件(&amp;F)：</translation>
    </message>
    <message>
        <source>&amp;Reconcile</source>
        <translation>对账(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Import and reconcile</source>
        <translation>导入并对账(&amp;I)</translation>
    </message>
    <message>
        <source>Choose a bill file</source>
        <translation>选择账单文件</translation>
    </message>
    <message>
        <source>Bill files (*.csv *.zip *.txt);;All files (*)</source>
        <translation>账单文件 (*.csv *.zip *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>No channel to choose.</source>
        <translation>没有可选的渠道。</translation>
    </message>
    <message>
        <source>Choose the bill file first.</source>
        <translation>请先选择账单文件。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::RefundDialog</name>
    <message>
        <source>&amp;All that is left</source>
        <translation>剩余全部(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Request refund</source>
        <translation>申请退款(&amp;R)</translation>
    </message>
    <message>
        <source>Refund %1</source>
        <translation>退款 %1</translation>
    </message>
    <message>
        <source>Order %1, %2, paid %3.</source>
        <translation>订单 %1，%2，已付 %3。</translation>
    </message>
    <message>
        <source>%1 can still be refunded.</source>
        <translation>仍可退款 %1。</translation>
    </message>
    <message>
        <source>Refundable:</source>
        <translation>可退金额：</translation>
    </message>
    <message>
        <source>e.g. 12.30</source>
        <translation>例如 12.30</translation>
    </message>
    <message>
        <source>Refund amount</source>
        <translation>退款金额</translation>
    </message>
    <message>
        <source>&amp;Amount (%1):</source>
        <translation>金额（%1）(&amp;A)：</translation>
    </message>
    <message>
        <source>Why the money goes back (required; the reviewer reads it)</source>
        <translation>退款原因（必填，审核人会看到）</translation>
    </message>
    <message>
        <source>R&amp;eason:</source>
        <translation>原因(&amp;E)：</translation>
    </message>
    <message>
        <source>A FINANCE user other than you reviews the request before any money moves.</source>
        <translation>退款在打款前，需由您以外的财务人员审核。</translation>
    </message>
    <message>
        <source>At most %1 can be refunded on this order.</source>
        <translation>此订单最多可退 %1。</translation>
    </message>
    <message>
        <source>Enter an amount within what is refundable.</source>
        <translation>请输入不超过可退金额的数额。</translation>
    </message>
    <message>
        <source>Give a reason for the refund.</source>
        <translation>请填写退款原因。</translation>
    </message>
    <message>
        <source>Request a refund of %1 on order %2 (%3)?</source>
        <translation>为订单 %2（%3）申请退款 %1？</translation>
    </message>
    <message>
        <source>It is within the auto-approve limit of %1: it is approved at once and the money goes back to the customer.</source>
        <translation>金额在自动批准额度 %1 以内：将立即批准，款项退回给顾客。</translation>
    </message>
    <message>
        <source>No money moves until a FINANCE user other than you approves it.</source>
        <translation>在另一位财务（FINANCE）用户批准之前，不会有资金变动。</translation>
    </message>
    <message>
        <source>Request refund</source>
        <translation>申请退款</translation>
    </message>
    <message>
        <source>Nothing is left to refund on this order: other refunds took it meanwhile.</source>
        <translation>此订单已无可退金额：期间其他退款已用完。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::RepayDialog</name>
    <message>
        <source>&amp;Issue new code</source>
        <translation>生成新二维码(&amp;I)</translation>
    </message>
    <message>
        <source>Repay %1</source>
        <translation>重新支付 %1</translation>
    </message>
    <message>
        <source>Order %1, %2: %3</source>
        <translation>订单 %1，%2：%3</translation>
    </message>
    <message>
        <source>&amp;Channel:</source>
        <translation>渠道(&amp;C)：</translation>
    </message>
    <message>
        <source>Time for the customer:</source>
        <translation>顾客可用时间：</translation>
    </message>
    <message>
        <source>No payment channel is set up. Add a channel profile in Settings.</source>
        <translation>尚未设置支付渠道。请在“设置”中添加渠道配置。</translation>
    </message>
    <message>
        <source>The new code will be valid for %1.</source>
        <translation>新二维码有效期为 %1。</translation>
    </message>
    <message>
        <source>Closing the previous code and asking the channel for a new one…</source>
        <translation>正在关闭上一个二维码并向渠道申请新的…</translation>
    </message>
    <message>
        <source>There is nothing to repay.</source>
        <translation>无需重新支付。</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::ReviewPage</name>
    <message>
        <source>&amp;Approve</source>
        <translation>批准(&amp;A)</translation>
    </message>
    <message>
        <source>Re&amp;ject</source>
        <translation>驳回(&amp;J)</translation>
    </message>
    <message>
        <source>Refund review</source>
        <translation>退款审核</translation>
    </message>
    <message>
        <source>&amp;Note:</source>
        <translation>备注(&amp;N)：</translation>
    </message>
    <message>
        <source>What you checked (required to reject)</source>
        <translation>审核说明（驳回时必填）</translation>
    </message>
    <message numerus="yes">
        <source>%n refund(s) waiting, %1 in total.</source>
        <translation>
            <numerusform>%n 笔退款待审核，共 %1。</numerusform>
        </translation>
    </message>
    <message>
        <source>Select a refund in the queue first.</source>
        <translation>请先在队列中选择一笔退款。</translation>
    </message>
    <message>
        <source>You requested this refund; another FINANCE user must review it.</source>
        <translation>这笔退款是您申请的；需由另一位财务人员审核。</translation>
    </message>
    <message>
        <source>Approve: the timer sends the refund to the channel (Ctrl+Enter)</source>
        <translation>批准：定时器会将退款提交给渠道（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Reject: the amount becomes refundable again</source>
        <translation>驳回：该金额重新变为可退</translation>
    </message>
    <message>
        <source>Write a note saying why.</source>
        <translation>请写明原因。</translation>
    </message>
    <message>
        <source>Not approved</source>
        <translation>未能批准</translation>
    </message>
    <message>
        <source>Not rejected</source>
        <translation>未能驳回</translation>
    </message>
    <message>
        <source>Refund %1 approved.</source>
        <translation>退款 %1 已批准。</translation>
    </message>
    <message>
        <source>Refund %1 rejected.</source>
        <translation>退款 %1 已驳回。</translation>
    </message>
    <message>
        <source>Approve refund %1 of %2 on order %3 (requested by %4)?

The timer sends it to the channel right away; money that reached the customer cannot be taken back.</source>
        <translation>批准订单 %3 的退款 %1，金额 %2（申请人 %4）？

定时器会立即将其发送到渠道；已退给顾客的款项无法收回。</translation>
    </message>
    <message>
        <source>Reject refund %1 of %2 on order %3?

No money moves; %4 is refundable again and %5 sees your note.</source>
        <translation>驳回订单 %3 的退款 %1，金额 %2？

不会有资金变动；%4 将重新可退，%5 会看到你的备注。</translation>
    </message>
    <message>
        <source>Approve refund</source>
        <translation>批准退款</translation>
    </message>
    <message>
        <source>Reject refund</source>
        <translation>驳回退款</translation>
    </message>
    <message>
        <source>Send a&amp;gain</source>
        <translation>重新提交(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Queue:</source>
        <translation>队列(&amp;Q)：</translation>
    </message>
    <message>
        <source>Waiting for review</source>
        <translation>待审核</translation>
    </message>
    <message>
        <source>Refused by the channel</source>
        <translation>被渠道拒绝</translation>
    </message>
    <message>
        <source>Why it can go out now (required)</source>
        <translation>现在可以重新提交的原因（必填）</translation>
    </message>
    <message numerus="yes">
        <source>%n refund(s) refused by the channel, %1 in total: the customer has not been paid.</source>
        <translation>
            <numerusform>%n 笔退款被渠道拒绝，共 %1：顾客尚未收到退款。</numerusform>
        </translation>
    </message>
    <message>
        <source>Only a refund the channel refused can be sent again.</source>
        <translation>只有被渠道拒绝的退款才能重新提交。</translation>
    </message>
    <message>
        <source>Send again with the same refund number; the timer sends it at once</source>
        <translation>用同一退款单号重新提交；定时器会立即发送</translation>
    </message>
    <message>
        <source>Write a note saying why it can go out now.</source>
        <translation>请填写备注，说明现在可以重新提交的原因。</translation>
    </message>
    <message>
        <source>Send refund %1 of %2 on order %3 again?

The channel refused it: &quot;%4&quot;. It goes out with the same refund number, so the customer is paid at most once.</source>
        <translation>重新提交订单 %3 的退款 %1，金额 %2？

渠道拒绝了该退款：“%4”。它将使用同一退款单号提交，因此顾客最多只会收到一次退款。</translation>
    </message>
    <message>
        <source>Send refund again</source>
        <translation>重新提交退款</translation>
    </message>
    <message>
        <source>Not sent again</source>
        <translation>未重新提交</translation>
    </message>
    <message>
        <source>Refund %1 goes out again.</source>
        <translation>退款 %1 将重新提交。</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <source>Refunds the channel refused are not approved again; use Send again.</source>
        <translation>被渠道拒绝的退款无需再次批准；请使用“重新提交”。</translation>
    </message>
    <message>
        <source>Not approved: %1</source>
        <translation>未批准：%1</translation>
    </message>
</context>
<context>
    <name>paydesk::ui::SettingsPage</name>
    <message>
        <source>&amp;Save settings</source>
        <translation>保存设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Add user…</source>
        <translation>添加用户(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Disable user</source>
        <translation>停用用户(&amp;D)</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>You can still choose the language.</source>
        <translation>您仍可选择界面语言。</translation>
    </message>
    <message>
        <source>Payments</source>
        <translation>支付设置</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>How long a customer has to pay a new order (pay_timeout_s)</source>
        <translation>新订单的支付时限（pay_timeout_s）</translation>
    </message>
    <message>
        <source>Default &amp;time to pay:</source>
        <translation>默认支付时限(&amp;T)：</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>A repaid code expires this long before its order, so a late payment never lands on a closed order (repay_buffer_s)</source>
        <translation>重新支付的二维码比订单提前这么久失效，避免延迟付款落到已关闭的订单上（repay_buffer_s）</translation>
    </message>
    <message>
        <source>&amp;Repay safety buffer:</source>
        <translation>重新支付安全余量(&amp;R)：</translation>
    </message>
    <message>
        <source>0 = every refund is reviewed</source>
        <translation>0 = 每笔退款都需审核</translation>
    </message>
    <message>
        <source>Refunds up to this amount are approved at once (auto_approve_minor); 0 turns it off</source>
        <translation>不超过此金额的退款立即批准（auto_approve_minor）；0 表示关闭</translation>
    </message>
    <message>
        <source>Auto-approve refunds up to (¥):</source>
        <translation>自动批准退款上限（元）：</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Applies the next time PayDesk starts (this computer only).</source>
        <translation>下次启动 PayDesk 时生效（仅限本机）。</translation>
    </message>
    <message>
        <source>Staff accounts</source>
        <translation>员工账户</translation>
    </message>
    <message>
        <source>&amp;Enable user</source>
        <translation>启用用户(&amp;E)</translation>
    </message>
    <message>
        <source>You cannot disable yourself.</source>
        <translation>不能停用自己。</translation>
    </message>
    <message>
        <source>The language changes the next time PayDesk starts.</source>
        <translation>语言将在下次启动 PayDesk 时更改。</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>设置已保存。</translation>
    </message>
    <message>
        <source>User %1 added.</source>
        <translation>用户 %1 已添加。</translation>
    </message>
    <message>
        <source>Add user</source>
        <translation>添加用户</translation>
    </message>
    <message numerus="yes">
        <source>At least %n characters</source>
        <translation>
            <numerusform>至少 %n 个字符</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Login:</source>
        <translation>登录名(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>姓名(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Role:</source>
        <translation>角色(&amp;R)：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>Re&amp;peat:</source>
        <translation>确认密码(&amp;P)：</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <source>Disable user</source>
        <translation>停用用户</translation>
    </message>
    <message>
        <source>Disable %1? They can no longer sign in.</source>
        <translation>停用 %1？该用户将无法登录。</translation>
    </message>
    <message>
        <source>Users</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Auto-approve refunds</source>
        <translation>自动批准退款</translation>
    </message>
    <message>
        <source>Refunds of up to %1 will be approved at once, without a FINANCE review, and sent to the customer. Save this limit?</source>
        <translation>金额不超过 %1 的退款将立即批准，无需财务（FINANCE）审核，并退还给顾客。保存此额度？</translation>
    </message>
    <message>
        <source>The window locks after this long without input; a password opens it (idle_lock_s)</source>
        <translation>无操作达到此时长后窗口锁定；需输入密码解锁（idle_lock_s）</translation>
    </message>
    <message>
        <source>&amp;Lock after idle:</source>
        <translation>闲置后锁定(&amp;L)：</translation>
    </message>
    <message>
        <source>:00 Beijing time</source>
        <translation>:00（北京时间）</translation>
    </message>
    <message>
        <source>The timer reconciles yesterday&apos;s bills from this hour on (recon_at_minute); WeChat Pay and Alipay publish them in the morning</source>
        <translation>定时器从此时起对前一天的账单进行对账（recon_at_minute）；微信支付和支付宝在上午发布账单</translation>
    </message>
    <message>
        <source>Reconcile &amp;bills from:</source>
        <translation>账单对账开始于(&amp;B)：</translation>
    </message>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>Days missed while PayDesk was not running are reconciled this far back (recon_catch_up_days)</source>
        <translation>PayDesk 未运行期间错过的日期，最多向前补对这么多天（recon_catch_up_days）</translation>
    </message>
    <message>
        <source>&amp;Catch up on bills for:</source>
        <translation>补对账单天数(&amp;C)：</translation>
    </message>
</context>
<context>
    <name>paydesk::wechatpay</name>
    <message>
        <source>The notification resource uses &quot;%1&quot;, not AEAD_AES_256_GCM.</source>
        <translation>通知资源使用的是“%1”，而不是 AEAD_AES_256_GCM。</translation>
    </message>
    <message>
        <source>The notification ciphertext is not base64.</source>
        <translation>通知密文不是 base64。</translation>
    </message>
    <message>
        <source>WeChat Pay answered HTTP %1.</source>
        <translation>微信支付返回 HTTP %1。</translation>
    </message>
    <message>
        <source>WeChat Pay refused our request signature: check the merchant serial and private key (%1)</source>
        <translation>微信支付拒绝了请求签名：请检查商户证书序列号和私钥（%1）</translation>
    </message>
</context>
<context>
    <name>paydesk::wechatpay::Verifier</name>
    <message>
        <source>The answer is not signed (Wechatpay-Signature, -Serial, -Timestamp or -Nonce is missing); it is treated as forged.</source>
        <translation>应答没有签名（缺少 Wechatpay-Signature、-Serial、-Timestamp 或 -Nonce），视为伪造。</translation>
    </message>
    <message>
        <source>Unsupported Wechatpay-Signature-Type &quot;%1&quot;.</source>
        <translation>不支持的 Wechatpay-Signature-Type“%1”。</translation>
    </message>
    <message>
        <source>Wechatpay-Timestamp &quot;%1&quot; is not a number.</source>
        <translation>Wechatpay-Timestamp“%1”不是数字。</translation>
    </message>
    <message>
        <source>Wechatpay-Serial &quot;%1&quot; is neither the configured WeChat Pay public key id nor a known platform certificate serial.</source>
        <translation>Wechatpay-Serial“%1”既不是已配置的微信支付公钥 ID，也不是已知的平台证书序列号。</translation>
    </message>
    <message>
        <source>The signature does not match the body (key %1): the answer was altered or forged.</source>
        <translation>签名与正文不符（密钥 %1）：应答已被篡改或伪造。</translation>
    </message>
    <message>
        <source>Wechatpay-Timestamp %1 is more than 5 minutes away from now (%2): refused as a replay or a wrong clock.</source>
        <translation>Wechatpay-Timestamp %1 与当前时间（%2）相差超过 5 分钟：视为重放或时钟错误，已拒收。</translation>
    </message>
</context>
</TS>
