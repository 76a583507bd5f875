#!/usr/bin/env bash
# Issue 12 acceptance, as written in `issues show 12` (## Acceptance):
#
#   paydesk-sandbox --listen 127.0.0.1:0 --profile-out $T/prof &   # with 3 injected differences
#   ... channel add wechat / alipay, 50 orders paid through each, 2 refunds
#   paydeskctl --db $DB recon run --channel wechat --date YESTERDAY_OR_TODAY --json
#       # exactly the injected differences, each an anomaly; everything else matched
#   paydeskctl --db $DB recon run --channel wechat --date SAME --json   # same result, nothing new
#
# and the same for alipay. One fresh SQLite database holds both channels.
#
# Per channel: 51 orders are created through the channel (order create --channel C --count 51);
# 50 are paid by the sandbox's customer (POST /sandbox/pay/{out_trade_no}); the 51st is closed
# unpaid. One refund per channel (2 in all) is requested by clerk, approved by finance and sent
# by `sync --until-idle`. Then three differences per channel are injected into the sandbox's
# bill (POST /sandbox/bill-discrepancy), as in tests/channels/tst_channel_cli.cpp:
#   wechat: unknown-payment (LONG), wrong-amount (AMOUNT), paid-after-close of the closed order (STATE)
#   alipay: unknown-payment (LONG), wrong-amount (AMOUNT), missing-refund of its refund (REFUND_SHORT)
#   (Alipay never had the unscanned trade: its close answers "does not exist", so paid-after-close
#   cannot apply there.)
# `recon run` (Beijing date of today) must report exactly those three, each with an anomaly id,
# everything else matched; a second run the same, nothing new, no new anomalies.
#
# Usage: ./issue-12-acceptance.sh            (PAYDESK_BIN=... to use other binaries)
# Exit: 0 every check passed; 1 some check failed; 2 the setup itself failed.
set -uo pipefail

B=${PAYDESK_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/default/bin}
N_PAID=${N_PAID:-50}
T=$(mktemp -d "${TMPDIR:-/tmp}/issue12.XXXXXX")
DB="sqlite:$T/paydesk.db"
SANDBOX_PID=""
FAILS=0
PASSES=0

export PAYDESK_SECRET_STORE=file
export PAYDESK_SECRET_PASSPHRASE='issue-12 acceptance passphrase'
unset PAYDESK_SECRET_FILE PAYDESK_PASSWORD

cleanup() {
    if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill "$SANDBOX_PID" 2>/dev/null
        wait "$SANDBOX_PID" 2>/dev/null
        echo "# sandbox (pid $SANDBOX_PID) stopped"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "SETUP FAILED: $*" >&2; exit 2; }
check() { # check NAME COMMAND...   (the command's exit status decides; its stdout is dropped)
    local name=$1; shift
    if "$@" >/dev/null; then echo "PASS  $name"; PASSES=$((PASSES + 1))
    else echo "FAIL  $name"; FAILS=$((FAILS + 1)); fi
}
ms() { date +%s%3N; }
ctl() { "$B/paydeskctl" --db "$DB" --json "$@"; }
as() { local who=$1; shift; PAYDESK_PASSWORD=$who "$B/paydeskctl" --db "$DB" --json --user "$who" "$@"; }

if ! command -v jq >/dev/null; then
    echo "# jq missing: installing the Debian package"
    (apt-get install -y jq >/dev/null 2>&1 || sudo apt-get install -y jq >/dev/null 2>&1) || die "cannot install jq"
fi
for b in paydesk-sandbox paydeskctl; do [[ -x "$B/$b" ]] || die "$B/$b missing"; done

echo "# work dir $T"
echo "# database $DB"

# --- the sandbox --------------------------------------------------------------------------
"$B/paydesk-sandbox" --listen 127.0.0.1:0 --profile-out "$T/prof" >"$T/sandbox.out" 2>"$T/sandbox.err" &
SANDBOX_PID=$!
URL=""
for _ in $(seq 1 300); do
    URL=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$T/sandbox.out" | head -1)
    [[ -n "$URL" ]] && break
    kill -0 "$SANDBOX_PID" 2>/dev/null || die "the sandbox exited: $(cat "$T/sandbox.err")"
    sleep 0.1
done
[[ -n "$URL" ]] || die "the sandbox did not say where it listens"
for f in wechat alipay; do [[ -s "$T/prof/$f.json" ]] || die "no profile $T/prof/$f.json"; done
echo "# sandbox pid $SANDBOX_PID listening on $URL"

sandbox() { # sandbox VERB PATH [JSON] -> body on stdout; fails unless HTTP 200
    local code
    code=$(curl -s -o "$T/ctl.body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
        --data "${3:-{\}}" "$URL$2") || return 1
    cat "$T/ctl.body"
    [[ "$code" == 200 ]] || { echo " (HTTP $code for $1 $2)" >&2; return 1; }
}

# --- a fresh database, both channels -------------------------------------------------------
ctl demo seed --orders 0 >"$T/seed.json" || die "demo seed --orders 0: $(cat "$T/seed.json")"
for c in wechat alipay; do
    as admin channel add "$c" --profile "$T/prof/$c.json" >"$T/add-$c.json" || die "channel add $c: $(cat "$T/add-$c.json")"
done
echo "# channels: $(ctl channel list | jq -c '[.[] | {channel, merchant_id, gateway_url}]')"

TODAY=$(TZ=Asia/Shanghai date +%F)
echo "# Beijing date $TODAY"

declare -A REFUND_NO CLOSED_OTN WRONG_OTN UNKNOWN_OTN
for c in wechat alipay; do
    as clerk order create --amount 3.20 --title tea --channel "$c" --count $((N_PAID + 1)) >"$T/orders-$c.json" \
        || die "order create --channel $c --count $((N_PAID + 1)): $(cat "$T/orders-$c.json")"
    n=$(jq length "$T/orders-$c.json")
    [[ "$n" == $((N_PAID + 1)) ]] || die "order create --count $((N_PAID + 1)) on $c made $n orders"
    jq -r '.[].out_trade_no' "$T/orders-$c.json" >"$T/otn-$c.txt"
    jq -r '.[].order_no' "$T/orders-$c.json" >"$T/ono-$c.txt"
    paid=0
    for otn in $(head -n "$N_PAID" "$T/otn-$c.txt"); do
        a=$(sandbox POST "/sandbox/pay/$otn" "{\"channel\":\"$c\"}") || die "pay $otn at the sandbox: $a"
        [[ $(jq -r .state <<<"$a") =~ ^(SUCCESS|TRADE_SUCCESS)$ ]] && paid=$((paid + 1))
    done
    echo "# $c: $n orders created, $paid paid at the sandbox (answer state of the last: $(jq -r .state <<<"$a"))"
done

t0=$(ms); ctl sync --until-idle --exit-after 120s >"$T/sync1.out" 2>&1 || die "sync --until-idle: $(tail -5 "$T/sync1.out")"
echo "# sync --until-idle (payments): $(( $(ms) - t0 )) ms; $(grep -c ': paid' "$T/sync1.out") 'paid' lines"

for c in wechat alipay; do
    closed_no=$(tail -n 1 "$T/ono-$c.txt")
    CLOSED_OTN[$c]=$(tail -n 1 "$T/otn-$c.txt")
    as clerk order close "$closed_no" >"$T/close-$c.json" 2>&1 || die "order close $closed_no: $(cat "$T/close-$c.json")"
    np=$(ctl order list --state PAID --channel "$c" --limit 1000 | jq length)
    check "$c: $N_PAID orders PAID in the books (got $np)" test "$np" == "$N_PAID"
    st=$(ctl order show "$closed_no" | jq -r .state)
    check "$c: the unpaid order $closed_no is CLOSED (got $st)" test "$st" == CLOSED
    # one refund per channel (2 in all): clerk asks, finance approves, the timer sends it
    first_no=$(head -n 1 "$T/ono-$c.txt")
    as clerk refund request "$first_no" --amount 1.00 --reason cold >"$T/refund-$c.json" \
        || die "refund request $first_no: $(cat "$T/refund-$c.json")"
    REFUND_NO[$c]=$(jq -r .out_refund_no "$T/refund-$c.json")
    as finance refund approve "${REFUND_NO[$c]}" >"$T/approve-$c.json" || die "refund approve ${REFUND_NO[$c]}: $(cat "$T/approve-$c.json")"
done
t0=$(ms); ctl sync --until-idle --exit-after 120s >"$T/sync2.out" 2>&1 || die "sync --until-idle: $(tail -5 "$T/sync2.out")"
echo "# sync --until-idle (refunds): $(( $(ms) - t0 )) ms"
refund_state() { ctl refund list | jq -r --arg r "$1" '.[] | select(.out_refund_no == $r) | .state'; }
for c in wechat alipay; do
    echo "# after sync --until-idle: $c refund ${REFUND_NO[$c]} is $(refund_state "${REFUND_NO[$c]}")"
done
grep -h 'refund' "$T/sync2.out" | sed 's/^/#   sync: /'
# A WeChat refund answers PROCESSING and is queried later; --until-idle returns before that
# query is due. Run the timer again (as cron would) until both refunds are final, at most 120 s.
t0=$(ms)
for _ in $(seq 1 24); do
    [[ $(refund_state "${REFUND_NO[wechat]}") != PROCESSING && $(refund_state "${REFUND_NO[alipay]}") != PROCESSING ]] && break
    sleep 5
    ctl sync --until-idle --exit-after 60s >>"$T/sync3.out" 2>&1
done
echo "# further sync --until-idle runs until no refund is PROCESSING: $(( $(ms) - t0 )) ms"
for c in wechat alipay; do
    rs=$(refund_state "${REFUND_NO[$c]}")
    check "$c: refund ${REFUND_NO[$c]} SUCCEEDED (got $rs)" test "$rs" == SUCCEEDED
done

# --- three differences per channel at the sandbox -------------------------------------------
for c in wechat alipay; do
    UNKNOWN_OTN[$c]="PDX_UNKNOWN_$c"
    WRONG_OTN[$c]=$(sed -n 2p "$T/otn-$c.txt")
    sandbox POST /sandbox/bill-discrepancy "{\"channel\":\"$c\",\"kind\":\"unknown-payment\",\"ref\":\"${UNKNOWN_OTN[$c]}\",\"amount\":4321}" >/dev/null \
        || die "inject unknown-payment on $c"
    sandbox POST /sandbox/bill-discrepancy "{\"channel\":\"$c\",\"kind\":\"wrong-amount\",\"ref\":\"${WRONG_OTN[$c]}\",\"amount\":319}" >/dev/null \
        || die "inject wrong-amount on $c"
    if [[ $c == wechat ]]; then
        sandbox POST /sandbox/bill-discrepancy "{\"channel\":\"$c\",\"kind\":\"paid-after-close\",\"ref\":\"${CLOSED_OTN[$c]}\"}" >/dev/null \
            || die "inject paid-after-close on $c"
    else
        sandbox POST /sandbox/bill-discrepancy "{\"channel\":\"$c\",\"kind\":\"missing-refund\",\"ref\":\"${REFUND_NO[$c]}\"}" >/dev/null \
            || die "inject missing-refund on $c"
    fi
done
echo "# injected: wechat unknown-payment ${UNKNOWN_OTN[wechat]} 43.21, wrong-amount ${WRONG_OTN[wechat]} 3.19, paid-after-close ${CLOSED_OTN[wechat]}"
echo "# injected: alipay unknown-payment ${UNKNOWN_OTN[alipay]} 43.21, wrong-amount ${WRONG_OTN[alipay]} 3.19, missing-refund ${REFUND_NO[alipay]}"

# --- the acceptance command exactly as the issue writes it (no --user) ----------------------
"$B/paydeskctl" --db "$DB" recon run --channel wechat --date "$TODAY" --json >"$T/as-written.out" 2>"$T/as-written.err"
rc=$?
echo "# as written, 'paydeskctl --db \$DB recon run --channel wechat --date $TODAY --json' (no --user): exit $rc: $(cat "$T/as-written.out" "$T/as-written.err" | head -c 300 | tr '\n' ' ')"
echo "#   (recon run is FINANCE/ADMIN; the runs below add --user finance)"

# --- recon run, twice per channel ------------------------------------------------------------
anomalies_match() { # the run's anomaly ids are OPEN anomalies on the same orders / references
    as finance anomaly list --state OPEN >"$T/anomalies.json" || return 1
    # refund-*.json hold one object each; orders-*.json arrays
    jq -n --slurpfile o1 "$T/orders-wechat.json" --slurpfile o2 "$T/orders-alipay.json" \
          --slurpfile r1 "$T/refund-wechat.json" --slurpfile r2 "$T/refund-alipay.json" \
        '[($o1[0] + $o2[0])[] | {key: .out_trade_no, value: .order_no}] + [($r1 + $r2)[] | {key: .out_refund_no, value: (.order_no // (.out_refund_no | sub("^R"; "PD") | sub("-[0-9]+$"; "")))}] | from_entries' \
        >"$T/refs.json" || return 1
    jq -e --slurpfile run "$1" --slurpfile refs "$T/refs.json" '
        . as $open
        | all($run[0].differences_list[];
              . as $d | [$open[] | select(.id == $d.anomaly_id)] as $a
              | ($a | length) == 1
                and (if $refs[0][$d.ref] then $a[0].order_no == $refs[0][$d.ref] else $a[0].out_trade_no == $d.ref end))' \
        "$T/anomalies.json" >/dev/null
}
diffs() { jq -c '[.differences_list[] | {key: (if .out_refund_no != "" then .out_refund_no else .out_trade_no end), kind}] | sort_by(.key)' "$1"; }
for c in wechat alipay; do
    if [[ $c == wechat ]]; then
        expected=$(jq -nc --arg u "${UNKNOWN_OTN[$c]}" --arg w "${WRONG_OTN[$c]}" --arg l "${CLOSED_OTN[$c]}" \
            '[{key:$u,kind:"LONG"},{key:$w,kind:"AMOUNT"},{key:$l,kind:"STATE"}] | sort_by(.key)')
        exp_matched=$N_PAID              # 49 payments + 1 refund
        exp_bill_pay=$((N_PAID + 2)); exp_bill_ref=1
    else
        expected=$(jq -nc --arg u "${UNKNOWN_OTN[$c]}" --arg w "${WRONG_OTN[$c]}" --arg r "${REFUND_NO[$c]}" \
            '[{key:$u,kind:"LONG"},{key:$w,kind:"AMOUNT"},{key:$r,kind:"REFUND_SHORT"}] | sort_by(.key)')
        exp_matched=$((N_PAID - 1))      # 49 payments; its one refund is the missing one
        exp_bill_pay=$((N_PAID + 1)); exp_bill_ref=0
    fi
    anomalies_before=$(as finance anomaly list | jq length)
    for run in 1 2; do
        f="$T/recon-$c-$run.json"
        t0=$(ms)
        as finance recon run --channel "$c" --date "$TODAY" >"$f" 2>"$T/recon-$c-$run.err"
        rc=$?
        el=$(( $(ms) - t0 ))
        echo "# $c run $run: exit $rc in $el ms: $(jq -c '{id,result,source,bill_payments,bill_refunds,matched,differences,new_differences,paid,refunded,fees}' "$f" 2>/dev/null || cat "$T/recon-$c-$run.err")"
        jq -r '.differences_list[]? | "#     \(.kind)  \(.ref)  ours \(.ours)  bill \(.bill)  anomaly \(.anomaly_id)  first_run \(.first_run_id)"' "$f" 2>/dev/null
        check "$c run $run: exit 0" test "$rc" == 0
        got=$(diffs "$f" 2>/dev/null)
        check "$c run $run: differences exactly the injected ones" test "$got" == "$expected"
        [[ "$got" == "$expected" ]] || { echo "      expected $expected"; echo "      got      $got"; }
        check "$c run $run: differences == 3" test "$(jq .differences "$f")" == 3
        check "$c run $run: each difference has an anomaly id" \
            jq -e '(.differences_list | length) == 3 and all(.differences_list[]; (.anomaly_id | type) == "number" and .anomaly_id > 0) and ([.differences_list[].anomaly_id] | unique | length) == 3' "$f"
        check "$c run $run: matched == $exp_matched (everything else; got $(jq .matched "$f"))" test "$(jq .matched "$f")" == "$exp_matched"
        check "$c run $run: bill has $exp_bill_pay payments and $exp_bill_ref refunds (got $(jq .bill_payments "$f")/$(jq .bill_refunds "$f"))" \
            test "$(jq -c '[.bill_payments,.bill_refunds]' "$f")" == "[$exp_bill_pay,$exp_bill_ref]"
        check "$c run $run: amounts of the wrong-amount row are ours 3.20 / bill 3.19" \
            jq -e --arg w "${WRONG_OTN[$c]}" '[.differences_list[] | select(.out_trade_no == $w and .kind == "AMOUNT") | [.ours, .bill]] == [["3.20","3.19"]]' "$f"
        if [[ $run == 1 ]]; then
            check "$c run 1: new_differences == 3" test "$(jq .new_differences "$f")" == 3
            ids1=$(jq -c '[.differences_list[].anomaly_id] | sort' "$f")
            # each anomaly id is an OPEN anomaly of the right reference
            check "$c run 1: anomalies $ids1 exist, OPEN, on the same orders/references" anomalies_match "$f"
            jq -r --argjson ids "$ids1" '.[] | select(.id as $i | $ids | index($i)) | "#     anomaly \(.id) \(.kind) \(.state) order \(.order_no) out_trade_no \(.out_trade_no)"' "$T/anomalies.json"
        else
            check "$c run 2: new_differences == 0 (got $(jq .new_differences "$f"))" test "$(jq .new_differences "$f")" == 0
            ids2=$(jq -c '[.differences_list[].anomaly_id] | sort' "$f")
            check "$c run 2: same anomaly ids as run 1 ($ids2)" test "$ids2" == "$ids1"
            check "$c run 2: same report as run 1 (bar id/run_at/new_differences/bill_stored)" test \
                "$(jq -cS 'del(.id,.run_at,.new_differences,.bill_stored)' "$T/recon-$c-1.json")" == "$(jq -cS 'del(.id,.run_at,.new_differences,.bill_stored)' "$f")"
            echo "#     bill_stored: run 1 $(jq .bill_stored "$T/recon-$c-1.json"), run 2 $(jq .bill_stored "$f"); bill_file_id $(jq .bill_file_id "$T/recon-$c-1.json") / $(jq .bill_file_id "$f")"
        fi
    done
    if [[ $c == wechat ]]; then
        pr=$(ctl refund list --order "$(tail -n 1 "$T/ono-$c.txt")" | jq -c '[.[] | {out_refund_no, amount, state, requested_by}]')
        echo "# refunds proposed for the order paid after close: $pr"
        check "wechat: exactly one proposed refund (3.20, REQUESTED, system) for the money after close, none added by run 2" \
            test "$(jq -c 'map(del(.out_refund_no))' <<<"$pr")" == '[{"amount":"3.20","state":"REQUESTED","requested_by":"system"}]' 
    fi
    anomalies_after=$(as finance anomaly list | jq length)
    check "$c: anomalies $anomalies_before -> $anomalies_after (+3 over both runs, nothing new in run 2)" test "$anomalies_after" == $((anomalies_before + 3))
done

echo "# recon list: $(as finance recon list | jq -c '[.[]? | {id, channel, date, result, differences, new_differences}]' 2>/dev/null)"
ctl audit verify >"$T/verify.json" 2>&1
rc=$?
check "audit verify: exit 0 ($(jq -c . "$T/verify.json" 2>/dev/null || cat "$T/verify.json"))" test "$rc" == 0
check "the sandbox is still running" kill -0 "$SANDBOX_PID"

echo "# $PASSES passed, $FAILS failed (files in $T)"
[[ $FAILS == 0 ]] || exit 1
exit 0
