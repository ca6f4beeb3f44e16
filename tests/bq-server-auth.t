#!/bin/sh
# The fake token endpoint and bearer checks, driven by a JWT built by
# hand with openssl and curl (tests/fidelity/bq/jwt-token.sh).
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_start "$T/st"
bq_key "$T/st" "$T/key.json"
J=$BQ_FID/jwt-token.sh
BQ=https://www.googleapis.com/auth/bigquery

is "$(stat -c %a "$T/key.json")" 600 "make-sa-key writes the key file 0600"
is "$(jq -r '[.type, (.private_key | startswith("-----BEGIN PRIVATE KEY-----")),
    (.client_email | endswith(".iam.gserviceaccount.com")), .token_uri] |
    map(tostring) | join(" ")' "$T/key.json")" \
    "service_account true true $BQ_URL/token" \
    "the key file has a PKCS#8 key, client_email and token_uri"

"$J" "$T/key.json" > "$T/tok"
is "$(tail -n 1 "$T/tok")" 200 "a good JWT gets a token"
is "$(head -n 1 "$T/tok" | jq -r '.token_type + " " + (.expires_in | tostring)
    + " " + (.access_token | length > 20 | tostring)')" "Bearer 3600 true" \
    "the answer has access_token, expires_in and token_type like Google's"
BQ_TOKEN=$(head -n 1 "$T/tok" | jq -r .access_token)

is "$(bq_api GET /datasets | code_of)" 200 "the token opens the API"

grant() {	# grant EXPECTED_ERROR DESCRIPTION JWT-TOKEN-ARGS...
	_want=$1
	_d=$2
	shift 2
	"$J" "$@" > "$T/g"
	is "$(tail -n 1 "$T/g") $(head -n 1 "$T/g" | jq -r .error)" \
	    "400 $_want" "$_d"
}
grant invalid_grant "wrong aud is 400 invalid_grant" \
    "$T/key.json" "$BQ" "http://127.0.0.1:1/token"
grant invalid_grant "Google's own token URL is not our audience" \
    "$T/key.json" "$BQ" "https://oauth2.googleapis.com/token"
grant invalid_grant "an expired JWT is 400 invalid_grant" \
    "$T/key.json" "$BQ" "" -7200 3600
grant invalid_grant "a JWT living over an hour is refused" \
    "$T/key.json" "$BQ" "" 0 7200
grant invalid_grant "a JWT issued an hour ahead is refused" \
    "$T/key.json" "$BQ" "" 3600 3600
"$J" "$T/key.json" "$BQ" "" -30 3600 | tail -n 1 > "$T/g"
is "$(cat "$T/g")" 200 "a JWT issued 30 s ago (clock skew) is fine"
grant invalid_scope "a JWT without a BigQuery scope is 400 invalid_scope" \
    "$T/key.json" "https://www.googleapis.com/auth/devstorage.read_only"
"$J" "$T/key.json" "https://www.googleapis.com/auth/cloud-platform" |
    tail -n 1 > "$T/g"
is "$(cat "$T/g")" 200 "the cloud-platform scope is enough"

# Same account name, another (unregistered) key: the signature is bad.
"$BQ_KEYGEN" --token-uri "$BQ_URL/token" --project proj --no-register \
    --email "$(jq -r .client_email "$T/key.json")" "$T/other.json"
grant invalid_grant "a JWT signed by another key is 400 invalid_grant" \
    "$T/other.json"
is "$(head -n 1 "$T/g" | jq -r .error_description)" "Invalid JWT Signature." \
    "and says so like Google"
"$BQ_KEYGEN" --token-uri "$BQ_URL/token" --project proj --no-register \
    --email stranger@proj.iam.gserviceaccount.com "$T/stranger.json"
grant invalid_grant "an unknown account is 400 invalid_grant" \
    "$T/stranger.json"

curl -sS -w '\n%{http_code}\n' -d grant_type=password -d assertion=x \
    "$BQ_URL/token" > "$T/g"
is "$(tail -n 1 "$T/g") $(head -n 1 "$T/g" | jq -r .error)" \
    "400 unsupported_grant_type" "another grant_type is refused"
curl -sS -w '\n%{http_code}\n' \
    --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
    -d assertion=not.a.jwt "$BQ_URL/token" > "$T/g"
is "$(tail -n 1 "$T/g") $(head -n 1 "$T/g" | jq -r .error)" \
    "400 invalid_grant" "a malformed assertion is 400 invalid_grant"

# Bearer checks.
curl -sS -D "$T/h" -w '\n%{http_code}\n' \
    "$BQ_URL/bigquery/v2/projects/proj/datasets" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.error.errors[0].reason')" \
    "401 required" "no Authorization header is 401 (reason required)"
grep -qi '^WWW-Authenticate: Bearer' "$T/h"
ok $? "the 401 carries WWW-Authenticate: Bearer"
is "$(body_of < "$T/r" | jq -r .error.status)" UNAUTHENTICATED \
    "the 401 body is Google's error JSON"
curl -sS -w '\n%{http_code}\n' -H 'Authorization: Bearer ya29.made-up' \
    "$BQ_URL/bigquery/v2/projects/proj/datasets" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.error.errors[0].reason')" \
    "401 authError" "an unknown token is 401 authError"
curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Basic $BQ_TOKEN" \
    "$BQ_URL/bigquery/v2/projects/proj/datasets" > "$T/r"
is "$(cat "$T/r")" 401 "a token sent as another scheme is 401"

# Tokens survive a restart (the product caches its token for an hour).
stop_bg "$BQ_PID"
bq_start "$T/st"
is "$(bq_api GET /datasets | code_of)" 200 "a restarted server honours its tokens"
stop_bg "$BQ_PID"

# Token lifetime: a token from a server with --token-ttl 1 expires.
bq_start "$T/st2" --token-ttl 1
bq_key "$T/st2" "$T/key2.json"
"$J" "$T/key2.json" > "$T/tok2"
is "$(head -n 1 "$T/tok2" | jq -r .expires_in)" 1 "--token-ttl sets expires_in"
BQ_TOKEN=$(head -n 1 "$T/tok2" | jq -r .access_token)
is "$(bq_api GET /datasets | code_of)" 200 "the short-lived token works at once"
sleep 1.5
is "$(bq_api GET /datasets | code_of)" 401 "and is refused once expired"

! grep -q -e ya29 -e assertion -e eyJ "$T/st/requests.log" "$T/st2/requests.log"
ok $? "the request logs hold no token and no assertion"
! grep -rq ya29 "$T/st" "$T/st2"
ok $? "tokens are stored only as digests"

done_testing
